//! What every controller shares: the client, options and an event recorder.

use std::time::Duration;

use kube::runtime::events::{Recorder, Reporter};

/// Controller manager settings (upstream flag names in the docs).
#[derive(Debug, Clone)]
pub struct Options {
    /// Holder identity for leader election (hostname + a random suffix by default).
    pub identity: String,
    /// Controllers to run (`*` = all); `-name` disables one. Upstream's `--controllers`.
    pub controllers: Vec<String>,
    /// How long a node may miss its Lease renewals before it is NotReady/Unknown
    /// (`--node-monitor-grace-period`, upstream 40 s).
    pub node_monitor_grace_period: Duration,
    /// The cluster CA (PEM) published as `kube-root-ca.crt` in every namespace.
    pub root_ca_pem: Option<String>,
    /// Pod network of the cluster; nodes get subnets of it (`--cluster-cidr` with
    /// `--allocate-node-cidrs`). `None`: no node IPAM.
    pub cluster_cidr: Option<ipnet::Ipv4Net>,
    /// Prefix length of each node's pod subnet (`--node-cidr-mask-size`, upstream 24).
    pub node_cidr_mask_size: u8,
}

impl Default for Options {
    fn default() -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        Self {
            identity: format!("{host}_{}", std::process::id()),
            controllers: vec!["*".into()],
            node_monitor_grace_period: Duration::from_secs(40),
            root_ca_pem: None,
            cluster_cidr: None,
            node_cidr_mask_size: 24,
        }
    }
}

impl Options {
    pub fn enabled(&self, name: &str) -> bool {
        if self.controllers.iter().any(|c| c == &format!("-{name}")) {
            return false;
        }
        self.controllers.iter().any(|c| c == "*" || c == name)
    }
}

/// Controller errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("API: {0}")]
    Kube(#[from] kube::Error),
    #[error("lost the leader lease")]
    LeadershipLost,
    #[error("{0}")]
    Other(String),
}

/// Shared by all controllers.
pub struct Context {
    pub client: kube::Client,
    pub options: Options,
    pub recorder: Recorder,
    /// The one pod cache, started by the first controller that asks for it.
    shared_pods: std::sync::OnceLock<std::sync::Arc<crate::shared_pods::SharedPods>>,
}

impl Context {
    pub fn new(client: kube::Client, options: Options) -> Self {
        let reporter = Reporter {
            controller: "kube-controller-manager".into(),
            instance: Some(options.identity.clone()),
        };
        let recorder = Recorder::new(client.clone(), reporter);
        Self {
            client,
            options,
            recorder,
            shared_pods: std::sync::OnceLock::new(),
        }
    }

    /// A recorder that reports as a specific controller (e.g. `deployment-controller`),
    /// the `source.component` users see in `kubectl describe`.
    pub fn recorder_for(&self, component: &str) -> Recorder {
        Recorder::new(
            self.client.clone(),
            Reporter {
                controller: component.into(),
                instance: Some(self.options.identity.clone()),
            },
        )
    }
}

/// Drives a kube-runtime controller's output stream to its end, logging each failed sync
/// at debug level under `what` (the next resync or event retries it).
pub async fn drive<T, E: std::fmt::Display>(
    stream: impl futures::Stream<Item = Result<T, E>>,
    what: &'static str,
) {
    use futures::StreamExt as _;
    stream
        .for_each(|r| async move {
            if let Err(e) = r {
                tracing::debug!(error = %e, "{what} sync failed");
            }
        })
        .await;
}

/// What a reconciler of a workload controller holds: the client and its event recorder.
pub struct Ctl {
    pub client: kube::Client,
    pub recorder: Recorder,
}

impl Context {
    /// The shared pod store and a stream of its events for one subscriber
    /// ([`crate::shared_pods::SharedPods::subscribe`]), once the first list is in. Must be
    /// called inside the runtime.
    pub async fn pods(
        &self,
    ) -> (
        kube::runtime::reflector::Store<k8s_openapi::api::core::v1::Pod>,
        futures::stream::BoxStream<
            'static,
            kube::runtime::watcher::Event<k8s_openapi::api::core::v1::Pod>,
        >,
    ) {
        self.shared_pods
            .get_or_init(|| crate::shared_pods::SharedPods::start(self.client.clone()))
            .subscribe()
            .await
    }

    /// A [`Ctl`] whose events come from `component` (e.g. `statefulset-controller`).
    pub fn ctl(&self, component: &str) -> std::sync::Arc<Ctl> {
        std::sync::Arc::new(Ctl {
            client: self.client.clone(),
            recorder: self.recorder_for(component),
        })
    }
}

/// Drops what controllers never read from a watched object before it is cached:
/// `managedFields` (for a pod, often the larger part of its decoded size).
pub fn lean<K: kube::Resource>(obj: &mut K) {
    obj.meta_mut().managed_fields = None;
}
