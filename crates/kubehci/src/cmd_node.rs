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
}

pub async fn run(_args: NodeArgs) -> anyhow::Result<()> {
    anyhow::bail!("the node agent is not built yet")
}
