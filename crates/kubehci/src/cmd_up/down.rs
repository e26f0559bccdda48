//! `kubehci down`: stop everything `kubehci up` started and remove everything it made, also
//! after a crash (pid files, a containerd left running, pods left in it, the CNI bridge and
//! its IP allocations). Running it again finds nothing to do.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use kubehci_runtime::containerd::Containerd;

use super::layout::Layout;
use super::procs::{running_pid, stop_pid};

/// Where the host-local IPAM plugin keeps its allocations (per network name) by default.
const CNI_IPAM_DIR: &str = "/var/lib/cni/networks";

/// A CNI network the node agent configured: its name, its bridge device and where host-local
/// keeps its allocations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CniNetwork {
    pub name: String,
    pub bridge: Option<String>,
    /// `<ipam.dataDir or /var/lib/cni/networks>/<name>` when the network uses host-local.
    pub ipam_state: Option<PathBuf>,
}

/// Reads the networks from the CNI config files in `dir` (`.conflist` and `.conf`).
pub fn cni_networks(dir: &Path) -> Vec<CniNetwork> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let Ok(text) = std::fs::read_to_string(e.path()) else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let Some(name) = v["name"].as_str() else {
            continue;
        };
        let plugins: Vec<&serde_json::Value> = match v["plugins"].as_array() {
            Some(list) => list.iter().collect(),
            None => vec![&v],
        };
        let bridge = plugins
            .iter()
            .find(|p| p["type"] == "bridge")
            .map(|p| p["bridge"].as_str().unwrap_or("cni0").to_string());
        let ipam_state = plugins
            .iter()
            .find(|p| p["ipam"]["type"] == "host-local")
            .map(|p| Path::new(p["ipam"]["dataDir"].as_str().unwrap_or(CNI_IPAM_DIR)).join(name));
        out.push(CniNetwork {
            name: name.to_string(),
            bridge,
            ipam_state,
        });
    }
    out
}

/// Stops the cluster under `layout` and removes it; idempotent.
pub async fn down(layout: &Layout, progress: &dyn Fn(&str)) -> anyhow::Result<bool> {
    if !layout.data_dir.exists() {
        return Ok(false);
    }
    if let Some(pid) = running_pid(&layout.pid_file("supervisor")) {
        progress("stopping the node agent, pods, containerd and the control plane");
        stop_pid(pid, Duration::from_secs(120)).await;
    }
    // Whatever a crashed supervisor left running.
    for c in ["node", "server"] {
        if let Some(pid) = running_pid(&layout.pid_file(c)) {
            progress(&format!("stopping the leftover {c} process"));
            stop_pid(pid, Duration::from_secs(15)).await;
        }
    }
    let cfg = layout.containerd();
    let networks = cni_networks(&cfg.cni_conf_dir);
    match Containerd::adopt(cfg.clone()) {
        Ok(ctd) => {
            progress("removing pods and stopping containerd");
            ctd.teardown().await.context("containerd teardown")?;
        }
        Err(_) if has_pods_left(&cfg) => {
            // containerd died with pods in it: start it again so that CRI removes them properly.
            progress("removing pods left in containerd");
            Containerd::start(cfg.clone())
                .await?
                .teardown()
                .await
                .context("containerd teardown")?;
        }
        Err(_) => {}
    }
    progress("removing the pod network");
    for net in &networks {
        remove_cni_network(net)?;
    }
    remove_pod_cgroups();
    progress(&format!("removing {}", layout.data_dir.display()));
    remove_data_dir(&layout.data_dir)?;
    Ok(true)
}

/// Pod sandboxes or runc containers remain in the state of a containerd that is not running.
fn has_pods_left(cfg: &kubehci_runtime::containerd::ContainerdConfig) -> bool {
    let non_empty = |p: PathBuf| std::fs::read_dir(p).is_ok_and(|mut d| d.next().is_some());
    non_empty(cfg.root_dir().join("io.containerd.grpc.v1.cri/sandboxes"))
        || non_empty(cfg.runc_root().join("k8s.io"))
}

fn remove_cni_network(net: &CniNetwork) -> anyhow::Result<()> {
    if let Some(bridge) = &net.bridge
        && Path::new("/sys/class/net").join(bridge).exists()
    {
        let status = std::process::Command::new("ip")
            .args(["link", "delete", bridge])
            .status();
        anyhow::ensure!(
            status.as_ref().is_ok_and(|s| s.success()),
            "cannot delete the pod bridge {bridge} ({status:?}); remove it with `ip link delete {bridge}`"
        );
    }
    if let Some(ipam) = net.ipam_state.as_ref().filter(|p| p.exists()) {
        std::fs::remove_dir_all(ipam)
            .with_context(|| format!("cannot remove {}", ipam.display()))?;
    }
    Ok(())
}

/// The node agent's cgroup root (its default `/kubepods`) in every mounted hierarchy, with
/// what is left below it (QoS classes, pod cgroups whose removal the agent gave up on), deepest
/// first. `rmdir` fails on a cgroup that still has processes: nothing running is touched.
const POD_CGROUP_ROOT: &str = "kubepods";

fn remove_pod_cgroups() {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let roots = info.lines().filter_map(|l| {
        let (pre, post) = l.split_once(" - ")?;
        let fstype = post.split(' ').next()?;
        let mount_point = pre.split(' ').nth(4)?;
        (fstype == "cgroup" || fstype == "cgroup2").then(|| PathBuf::from(mount_point))
    });
    for root in roots {
        remove_empty_cgroups(&root.join(POD_CGROUP_ROOT));
    }
}

/// Removes `dir` and the cgroups below it, children first; a cgroup in use stays.
fn remove_empty_cgroups(dir: &Path) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            remove_empty_cgroups(&e.path());
        }
    }
    let _ = std::fs::remove_dir(dir);
}

/// Mount points at or below `dir`, deepest first.
fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut found: Vec<PathBuf> = info
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(|m| PathBuf::from(m.replace("\\040", " ")))
        .filter(|m| m.starts_with(dir))
        .collect();
    found.sort_by_key(|m| std::cmp::Reverse(m.components().count()));
    found.dedup();
    found
}

/// Unmounts what is still mounted under `dir` (volumes of pods), then deletes it. Refuses to
/// delete while something stays mounted, so that no file of a mounted filesystem is removed.
fn remove_data_dir(dir: &Path) -> anyhow::Result<()> {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    for m in mounts_under(&dir) {
        let _ = rustix::mount::unmount(&m, rustix::mount::UnmountFlags::DETACH);
    }
    let left = mounts_under(&dir);
    anyhow::ensure!(
        left.is_empty(),
        "cannot remove {}: still mounted: {left:?}; unmount them and run `kubehci down` again",
        dir.display()
    );
    std::fs::remove_dir_all(&dir).with_context(|| format!("cannot remove {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_network_name_and_bridge_from_conflists() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("10-kubehci.conflist"),
            r#"{"cniVersion":"1.0.0","name":"kubehci","plugins":[{"type":"bridge","bridge":"khbr0",
                "ipam":{"type":"host-local","dataDir":"/d/ipam"}},{"type":"portmap"}]}"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("20-x.conf"),
            r#"{"name":"x","type":"bridge"}"#,
        )
        .unwrap();
        let mut nets = cni_networks(dir.path());
        nets.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(
            nets,
            [
                CniNetwork {
                    name: "kubehci".into(),
                    bridge: Some("khbr0".into()),
                    ipam_state: Some("/d/ipam/kubehci".into()),
                },
                CniNetwork {
                    name: "x".into(),
                    bridge: Some("cni0".into()),
                    ipam_state: None,
                },
            ]
        );
    }
}
