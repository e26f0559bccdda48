//! `kubehci node`: the node agent (owned by the node-agent work, issue #4).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct NodeArgs {
    /// Kubeconfig of the node's identity (user system:node:NAME, group system:nodes).
    #[arg(long)]
    pub kubeconfig: PathBuf,
    /// The Node's name.
    #[arg(long)]
    pub node_name: String,
    /// containerd's CRI socket.
    #[arg(long)]
    pub containerd_socket: PathBuf,
    /// The agent's own state (pod volumes, checkpoints): like /var/lib/kubelet.
    #[arg(long)]
    pub root_dir: PathBuf,
    /// The node's InternalIP (also where the API server reaches the agent).
    #[arg(long)]
    pub node_ip: IpAddr,
    /// Where the agent serves logs/exec/attach/port-forward for the API server (HTTPS).
    #[arg(long, default_value = "0.0.0.0:10250")]
    pub listen: SocketAddr,
    /// Serving certificate and key of the agent (issued by the cluster CA).
    #[arg(long)]
    pub tls_cert: PathBuf,
    #[arg(long)]
    pub tls_key: PathBuf,
    /// CA that signs client certificates the agent accepts (the cluster CA).
    #[arg(long)]
    pub client_ca: PathBuf,
    /// Pod CIDR used when the Node has no spec.podCIDR.
    #[arg(long, default_value = "10.244.0.0/24")]
    pub pod_cidr: String,
    /// Where the agent writes the CNI network config containerd reads.
    #[arg(long)]
    pub cni_conf_dir: PathBuf,
    /// Where pod log directories go (`<ns>_<name>_<uid>/<container>/<n>.log`).
    #[arg(long, default_value = "/var/log/pods")]
    pub pod_log_dir: PathBuf,
    /// The cgroup pods are placed under (cgroupfs driver).
    #[arg(long, default_value = "/kubepods")]
    pub cgroup_root: String,
    /// Cluster DNS server IPs for dnsPolicy ClusterFirst (none: the host's resolv.conf).
    #[arg(long, value_delimiter = ',')]
    pub cluster_dns: Vec<IpAddr>,
    /// The cluster's DNS domain.
    #[arg(long, default_value = "cluster.local")]
    pub cluster_domain: String,
    /// Pod capacity of the node.
    #[arg(long, default_value_t = 110)]
    pub max_pods: u32,
}

pub async fn run(args: NodeArgs) -> anyhow::Result<()> {
    let client = crate::components::client(&args.kubeconfig).await?;
    let mut cfg = kubehci_node::NodeConfig::new(
        &args.node_name,
        args.containerd_socket.clone(),
        args.root_dir.clone(),
        args.node_ip,
    );
    cfg.kubelet_port = args.listen.port();
    cfg.pod_cidr = args.pod_cidr.clone();
    cfg.cni_conf_dir = args.cni_conf_dir.clone();
    cfg.pod_log_dir = args.pod_log_dir.clone();
    cfg.cgroup_root = args.cgroup_root.clone();
    cfg.cluster_dns = args.cluster_dns.clone();
    cfg.cluster_domain = args.cluster_domain.clone();
    cfg.max_pods = args.max_pods;
    cfg.streaming = Some((
        args.listen,
        kubehci_node::ServerTlsFiles {
            cert: args.tls_cert.clone(),
            key: args.tls_key.clone(),
            client_ca: args.client_ca.clone(),
        },
    ));
    println!("kubehci node agent {} starting", args.node_name);
    tokio::select! {
        r = kubehci_node::run(cfg, client) => r.map_err(|e| anyhow::anyhow!("node agent: {e}")),
        _ = crate::components::until_signal() => Ok(()),
    }
}
