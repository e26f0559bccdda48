//! Starting the control-plane components as clients of the API server.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;

/// Controller manager flags shared by `server` and `controller-manager`.
#[derive(Debug, Clone, clap::Args)]
pub struct ControllerFlags {
    /// Controllers to run: `*` for all, `-name` to disable one (upstream's --controllers).
    #[arg(long, value_delimiter = ',', default_value = "*")]
    pub controllers: Vec<String>,
    /// Seconds a node may miss Lease renewals before it is marked NotReady/Unknown.
    #[arg(long, default_value_t = 40)]
    pub node_monitor_grace_period: u64,
    /// Give every node a pod subnet of --cluster-cidr (upstream's node IPAM).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub allocate_node_cidrs: bool,
    /// The cluster's pod network.
    #[arg(long, default_value = "10.244.0.0/16")]
    pub cluster_cidr: ipnet::Ipv4Net,
    /// Prefix length of each node's pod subnet.
    #[arg(long, default_value_t = 24)]
    pub node_cidr_mask_size: u8,
}

impl ControllerFlags {
    pub fn options(&self) -> kubehci_controllers::Options {
        kubehci_controllers::Options {
            controllers: self.controllers.clone(),
            node_monitor_grace_period: Duration::from_secs(self.node_monitor_grace_period),
            cluster_cidr: self.allocate_node_cidrs.then_some(self.cluster_cidr),
            node_cidr_mask_size: self.node_cidr_mask_size,
            ..Default::default()
        }
    }
}

/// A kube-rs client from a kubeconfig file.
pub async fn client(path: &Path) -> anyhow::Result<kube::Client> {
    let kc = kube::config::Kubeconfig::read_from(path)
        .with_context(|| format!("reading kubeconfig {}", path.display()))?;
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .with_context(|| format!("loading kubeconfig {}", path.display()))?;
    kube::Client::try_from(cfg).context("creating the API client")
}

/// Runs the controller manager in the background, restarting it when it stops.
pub fn spawn_controllers(kubeconfig: PathBuf, options: kubehci_controllers::Options) {
    tokio::spawn(async move {
        loop {
            match client(&kubeconfig).await {
                Ok(c) => {
                    if let Err(e) = kubehci_controllers::run(c, options.clone()).await {
                        tracing::warn!(error = %e, "controller manager stopped; restarting");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "controller manager cannot connect"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

/// Runs the scheduler in the background, restarting it when it stops.
pub fn spawn_scheduler(kubeconfig: PathBuf) {
    tokio::spawn(async move {
        loop {
            match client(&kubeconfig).await {
                Ok(c) => {
                    if let Err(e) = kubehci_scheduler::run(c, Default::default()).await {
                        tracing::warn!(error = %e, "scheduler stopped; restarting");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "scheduler cannot connect"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

/// Resolves on SIGINT or SIGTERM.
pub async fn until_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}
