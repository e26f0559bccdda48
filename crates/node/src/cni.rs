//! The node's CNI network: a bridge (named after the node, so several node agents can share a
//! host) with host-local IPAM over the pod CIDR, and portmap for hostPorts. containerd
//! configures loopback itself.

use std::path::{Path, PathBuf};

use sha2::Digest as _;

use crate::{NodeError, Result};

pub const CONFLIST_NAME: &str = "10-kubehci.conflist";

/// `khci` + 8 hex digits of the node name's SHA-256: at most 15 bytes, as Linux requires.
pub fn bridge_name(node: &str) -> String {
    let h = sha2::Sha256::digest(node.as_bytes());
    format!("khci{:02x}{:02x}{:02x}{:02x}", h[0], h[1], h[2], h[3])
}

/// Where host-local keeps its allocations for this node.
pub fn ipam_dir(root_dir: &Path) -> PathBuf {
    root_dir.join("cni").join("networks")
}

/// The conflist text.
pub fn conflist(
    node: &str,
    pod_cidr: &ipnet::IpNet,
    root_dir: &Path,
    with_iptables: bool,
) -> serde_json::Value {
    let mut plugins = vec![serde_json::json!({
        "type": "bridge",
        "bridge": bridge_name(node),
        "isGateway": true,
        "ipMasq": with_iptables,
        "hairpinMode": true,
        "ipam": {
            "type": "host-local",
            "ranges": [[{ "subnet": pod_cidr.to_string() }]],
            "routes": [{ "dst": if pod_cidr.addr().is_ipv4() { "0.0.0.0/0" } else { "::/0" } }],
            "dataDir": ipam_dir(root_dir),
        },
    })];
    if with_iptables {
        plugins.push(
            serde_json::json!({ "type": "portmap", "capabilities": { "portMappings": true } }),
        );
    }
    serde_json::json!({
        "cniVersion": "0.4.0",
        "name": "kubehci",
        "plugins": plugins,
    })
}

/// Writes the conflist into `conf_dir` (atomically).
pub fn write(conf_dir: &Path, node: &str, pod_cidr: &str, root_dir: &Path) -> Result<PathBuf> {
    let cidr: ipnet::IpNet = pod_cidr
        .parse()
        .map_err(|_| NodeError::Invalid(format!("invalid pod CIDR {pod_cidr:?}")))?;
    let with_iptables = ["/usr/sbin/iptables", "/sbin/iptables", "/usr/bin/iptables"]
        .iter()
        .any(|p| Path::new(p).exists());
    let text = serde_json::to_string_pretty(&conflist(node, &cidr, root_dir, with_iptables))
        .map_err(|e| NodeError::Invalid(e.to_string()))?;
    std::fs::create_dir_all(conf_dir)
        .map_err(|e| NodeError::io(format!("creating {}", conf_dir.display()), e))?;
    let path = conf_dir.join(CONFLIST_NAME);
    let tmp = conf_dir.join(format!(".{CONFLIST_NAME}.tmp"));
    std::fs::write(&tmp, text)
        .map_err(|e| NodeError::io(format!("writing {}", tmp.display()), e))?;
    std::fs::rename(&tmp, &path)
        .map_err(|e| NodeError::io(format!("writing {}", path.display()), e))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bridge_names_fit_and_differ() {
        let a = bridge_name("node-a");
        assert!(a.len() <= 15);
        assert_ne!(a, bridge_name("node-b"));
    }

    #[test]
    fn conflist_has_the_subnet() {
        let c = conflist(
            "n",
            &"10.244.1.0/24".parse().unwrap_or_else(|_| unreachable!()),
            Path::new("/r"),
            true,
        );
        assert_eq!(
            c["plugins"][0]["ipam"]["ranges"][0][0]["subnet"],
            "10.244.1.0/24"
        );
        assert_eq!(c["plugins"][1]["type"], "portmap");
    }
}
