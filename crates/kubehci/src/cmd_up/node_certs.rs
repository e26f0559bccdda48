//! The node agent's own credentials, issued from the cluster CA: a client certificate
//! (CN `system:node:<name>`, O `system:nodes`, inside its kubeconfig) and a serving certificate
//! for its HTTPS endpoint (SANs: node name and node IP). The node never gets the admin
//! credential.

use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use kubehci_auth::pki::{ClusterCa, Kubeconfig, kubeconfig_yaml};

use super::layout::Layout;

/// Paths of what [`issue`] wrote.
#[derive(Debug, Clone)]
pub struct NodeCredentials {
    pub kubeconfig: PathBuf,
    pub tls_cert: PathBuf,
    pub tls_key: PathBuf,
    pub client_ca: PathBuf,
}

/// The API server URL in a kubeconfig (its first cluster).
pub fn server_url(kubeconfig: &std::path::Path) -> anyhow::Result<String> {
    let kc = kube::config::Kubeconfig::read_from(kubeconfig)
        .with_context(|| format!("cannot read {}", kubeconfig.display()))?;
    kc.clusters
        .iter()
        .find_map(|c| c.cluster.as_ref()?.server.clone())
        .with_context(|| format!("{} names no server", kubeconfig.display()))
}

/// Issues (or re-issues) the node's certificates into `DIR/node/pki` and its kubeconfig.
pub fn issue(layout: &Layout, node_name: &str, node_ip: IpAddr) -> anyhow::Result<NodeCredentials> {
    let ca = ClusterCa::load(&layout.ca_cert(), &layout.ca_key()).map_err(|e| {
        anyhow::anyhow!(
            "cannot load the cluster CA from {}: {e}",
            layout.ca_cert().display()
        )
    })?;
    let pki = layout.node_pki();
    std::fs::create_dir_all(&pki).with_context(|| format!("cannot create {}", pki.display()))?;
    let user = format!("system:node:{node_name}");
    let client = ca
        .issue_client(&user, &["system:nodes"])
        .map_err(|e| anyhow::anyhow!("cannot issue the node client certificate: {e}"))?;
    let mut ips = vec![node_ip];
    if !node_ip.is_loopback() {
        ips.push(IpAddr::from([127, 0, 0, 1]));
    }
    let serving = ca
        .issue_serving(
            node_name,
            &[node_name.to_string(), "localhost".to_string()],
            &ips,
        )
        .map_err(|e| anyhow::anyhow!("cannot issue the node serving certificate: {e}"))?;
    let kc = Kubeconfig {
        cluster_name: "kubehci".into(),
        server: server_url(&layout.server_admin_kubeconfig())?,
        ca_pem: ca.cert_pem().to_string(),
        user_name: user,
        client: Some(client),
        token: None,
        namespace: None,
    };
    let creds = NodeCredentials {
        kubeconfig: layout.node_kubeconfig(),
        tls_cert: pki.join("kubelet.crt"),
        tls_key: pki.join("kubelet.key"),
        client_ca: pki.join("ca.crt"),
    };
    let yaml = kubeconfig_yaml(&kc)
        .map_err(|e| anyhow::anyhow!("cannot write the node kubeconfig: {e}"))?;
    write_private(&creds.kubeconfig, yaml.as_bytes())?;
    std::fs::write(&creds.tls_cert, &serving.cert_pem)?;
    write_private(&creds.tls_key, serving.key_pem.as_bytes())?;
    std::fs::write(&creds.client_ca, ca.cert_pem())?;
    Ok(creds)
}

fn write_private(path: &std::path::Path, data: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(data)?;
    Ok(())
}

/// The host's name as a Node name (lower case, as Kubernetes requires).
pub fn node_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_ascii_lowercase())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "kubehci-node".to_string())
}

/// The address of the interface the default route leaves through (no packet is sent: a UDP
/// connect only selects a route); loopback when the host has no route out.
pub fn node_ip() -> IpAddr {
    std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| {
            s.connect("192.0.2.1:9")?;
            s.local_addr()
        })
        .map(|a| a.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}
