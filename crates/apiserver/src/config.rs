//! Server configuration with the embedded defaults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Settings of one API server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// Service cluster IP range (`--service-cluster-ip-range`).
    pub service_cidr: ipnet::Ipv4Net,
    /// NodePort range, inclusive.
    pub node_port_range: (u16, u16),
    /// Largest request body accepted (upstream: 3 MiB for most writes).
    pub max_body_bytes: usize,
    /// How often watches get a BOOKMARK when they asked for them.
    pub bookmark_interval: Duration,
    /// Default watch timeout when the client gives none (upstream: 30-60 min).
    pub default_watch_timeout: Duration,
    /// Store history kept for watches (revisions); older history is compacted.
    pub compaction_keep: i64,
    pub compaction_interval: Duration,
    /// Use the in-memory store instead of SQLite (tests and benchmarks only).
    pub in_memory: bool,
    /// `tolerationSeconds` of the `node.kubernetes.io/not-ready:NoExecute` toleration added to
    /// every pod (`--default-not-ready-toleration-seconds`, upstream's default 300).
    pub default_not_ready_toleration_seconds: i64,
    /// The same for `node.kubernetes.io/unreachable:NoExecute`
    /// (`--default-unreachable-toleration-seconds`).
    pub default_unreachable_toleration_seconds: i64,
}

impl ServerConfig {
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            listen: SocketAddr::from(([127, 0, 0, 1], 6443)),
            service_cidr: "10.96.0.0/12"
                .parse()
                .unwrap_or_else(|_| unreachable!("literal CIDR")),
            node_port_range: (30000, 32767),
            max_body_bytes: 3 * 1024 * 1024,
            bookmark_interval: Duration::from_secs(60),
            default_watch_timeout: Duration::from_secs(1800),
            compaction_keep: 10_000,
            compaction_interval: Duration::from_secs(300),
            in_memory: false,
            default_not_ready_toleration_seconds: 300,
            default_unreachable_toleration_seconds: 300,
        }
    }
}
