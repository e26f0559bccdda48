//! The node agent (our kubelet): registers its Node, renews its Lease and runs the pods bound
//! to it on containerd through CRI.
//!
//! Layout: [`agent`] wires everything; [`register`] and [`lease`] keep the Node alive;
//! [`podwatch`] feeds one [`podworker`] per pod, which drives the pod's sandbox
//! ([`sandbox`]), images ([`images`]), containers ([`containers`], [`env`], [`security`]),
//! restarts ([`backoff`]), probes ([`probes`]), hooks ([`hooks`]) and reports its status
//! ([`status`]). Everything the agent knows about a pod's containers is read back from the
//! runtime (CRI labels and annotations), so a restarted agent adopts what runs.

pub mod agent;
pub mod backoff;
pub mod cgroups;
pub mod cni;
pub mod containers;
pub mod env;
pub mod events;
pub mod hooks;
pub mod images;
pub mod killing;
pub mod labels;
pub mod lease;
pub mod objects;
pub mod phase;
pub mod podsync;
pub mod podwatch;
pub mod podworker;
pub mod probes;
pub mod register;
pub mod runtime_view;
pub mod sandbox;
pub mod security;
pub mod service_env;
pub mod starting;
pub mod status;
pub mod streaming_glue;

use std::net::IpAddr;
use std::path::PathBuf;

pub use agent::run;
pub use kubehci_streaming::node::ServerTlsFiles;

/// The agent's configuration (the `kubehci node` flags).
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// The Node's name.
    pub node_name: String,
    /// containerd's CRI socket.
    pub containerd_socket: PathBuf,
    /// The agent's state directory (pod volumes, CNI IPAM state): like /var/lib/kubelet.
    pub root_dir: PathBuf,
    /// Where pod log directories go (`<ns>_<name>_<uid>/<container>/<n>.log`).
    pub pod_log_dir: PathBuf,
    /// The node's InternalIP.
    pub node_ip: IpAddr,
    /// The port the agent's HTTPS server listens on (daemonEndpoints.kubeletEndpoint).
    pub kubelet_port: u16,
    /// Pod CIDR used when the Node has no spec.podCIDR.
    pub pod_cidr: String,
    /// Where the CNI network config goes.
    pub cni_conf_dir: PathBuf,
    /// The cgroup under which pod cgroups are made (cgroupfs driver), e.g. `/kubepods`.
    pub cgroup_root: String,
    /// Cluster DNS server addresses (dnsPolicy ClusterFirst); empty: the host's resolv.conf.
    pub cluster_dns: Vec<IpAddr>,
    /// The cluster domain (`cluster.local`).
    pub cluster_domain: String,
    /// Maximum pods on this node.
    pub max_pods: u32,
    /// Where the streaming server (logs, exec, attach, port-forward) listens, with its TLS
    /// files; `None`: no streaming server.
    pub streaming: Option<(
        std::net::SocketAddr,
        kubehci_streaming::node::ServerTlsFiles,
    )>,
}

impl NodeConfig {
    /// A configuration with upstream's defaults for everything not given.
    pub fn new(
        node_name: &str,
        containerd_socket: PathBuf,
        root_dir: PathBuf,
        node_ip: IpAddr,
    ) -> Self {
        NodeConfig {
            node_name: node_name.to_string(),
            containerd_socket,
            root_dir,
            pod_log_dir: PathBuf::from("/var/log/pods"),
            node_ip,
            kubelet_port: 10250,
            pod_cidr: "10.244.0.0/24".into(),
            cni_conf_dir: PathBuf::from("/etc/cni/net.d"),
            cgroup_root: "/kubepods".into(),
            cluster_dns: Vec::new(),
            cluster_domain: "cluster.local".into(),
            max_pods: 110,
            streaming: None,
        }
    }
}

/// Errors of the node agent.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error(transparent)]
    Cri(#[from] kubehci_runtime::cri::CriError),
    #[error("runtime: {0}")]
    Runtime(#[from] tonic::Status),
    #[error("API: {0}")]
    Api(#[from] kube::Error),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

impl NodeError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        NodeError::Io {
            context: context.into(),
            source,
        }
    }
}

pub type Result<T, E = NodeError> = std::result::Result<T, E>;
