//! Tearing a containerd down: pods through CRI first, then the process, then a sweep.

use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

use rustix::process::Signal;

use super::{ContainerdConfig, cleanup, kill_process_pid};
use crate::RuntimeError;
use crate::cri::api;

/// How long removing the pods through CRI may take before the sweep takes over.
const CRI_TEARDOWN_TIMEOUT: Duration = Duration::from_secs(120);

/// What the CRI pass learnt that the sweep needs: the pods' cgroups.
#[derive(Debug, Default)]
pub(crate) struct Leftovers {
    /// cgroup paths (relative to a hierarchy's root) of sandboxes, leaf first then parent.
    pub cgroups: Vec<PathBuf>,
    /// Sandboxes or containers CRI could not remove.
    pub problems: Vec<String>,
}

/// The whole teardown; `child` is present when this process spawned containerd.
pub(crate) async fn teardown(
    cfg: &ContainerdConfig,
    pid: u32,
    child: Option<Child>,
) -> Result<(), RuntimeError> {
    let mut problems = Vec::new();
    // A hung containerd must not hang the teardown: the sweep below still runs.
    let leftovers = match tokio::time::timeout(CRI_TEARDOWN_TIMEOUT, remove_pods(cfg)).await {
        Ok(Ok(l)) => l,
        Ok(Err(e)) => {
            problems.push(format!("removing pods: {e}"));
            Leftovers::default()
        }
        Err(_) => {
            problems.push(format!(
                "removing pods: CRI did not answer within {CRI_TEARDOWN_TIMEOUT:?}"
            ));
            Leftovers::default()
        }
    };
    problems.extend(leftovers.problems.iter().cloned());
    stop_process(pid, child).await;
    let _ = std::fs::remove_file(cfg.pid_file());
    let _ = std::fs::remove_file(cfg.socket());
    problems.extend(cleanup::sweep(cfg, &leftovers));
    if problems.is_empty() {
        tracing::debug!(state_dir = %cfg.state_dir.display(), "containerd torn down");
        Ok(())
    } else {
        Err(RuntimeError::Teardown(problems.join("; ")))
    }
}

/// Stops and removes every pod sandbox (and any container left without one). Goes on past a
/// sandbox that fails; what failed is in `Leftovers::problems`.
async fn remove_pods(cfg: &ContainerdConfig) -> Result<Leftovers, RuntimeError> {
    let mut cri = crate::cri::connect(&cfg.socket()).await?;
    let mut leftovers = Leftovers::default();
    let sandboxes = cri
        .runtime
        .list_pod_sandbox(api::ListPodSandboxRequest::default())
        .await
        .map_err(RuntimeError::cri("ListPodSandbox"))?
        .into_inner()
        .items;
    for sb in sandboxes {
        let id = sb.id;
        if let Ok(status) = cri
            .runtime
            .pod_sandbox_status(api::PodSandboxStatusRequest {
                pod_sandbox_id: id.clone(),
                verbose: true,
            })
            .await
            && let Some(path) = cgroups_path(&status.into_inner().info)
        {
            leftovers.cgroups.push(path.clone());
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                leftovers.cgroups.push(parent.to_path_buf());
            }
        }
        let stopped = cri
            .runtime
            .stop_pod_sandbox(api::StopPodSandboxRequest {
                pod_sandbox_id: id.clone(),
            })
            .await;
        let removed = match stopped {
            Ok(_) => cri
                .runtime
                .remove_pod_sandbox(api::RemovePodSandboxRequest {
                    pod_sandbox_id: id.clone(),
                })
                .await
                .map(|_| ()),
            Err(e) => Err(e),
        };
        match removed {
            Ok(()) => tracing::debug!(sandbox = %id, "pod sandbox removed"),
            Err(e) => leftovers
                .problems
                .push(format!("sandbox {id}: {}", e.message())),
        }
    }
    let containers = cri
        .runtime
        .list_containers(api::ListContainersRequest::default())
        .await
        .map_err(RuntimeError::cri("ListContainers"))?
        .into_inner()
        .containers;
    for c in containers {
        let _ = cri
            .runtime
            .stop_container(api::StopContainerRequest {
                container_id: c.id.clone(),
                timeout: 0,
            })
            .await;
        if let Err(e) = cri
            .runtime
            .remove_container(api::RemoveContainerRequest {
                container_id: c.id.clone(),
            })
            .await
        {
            leftovers
                .problems
                .push(format!("container {}: {}", c.id, e.message()));
        }
    }
    Ok(leftovers)
}

/// `runtimeSpec.linux.cgroupsPath` from the verbose sandbox status (cgroupfs form: a path).
fn cgroups_path(info: &std::collections::HashMap<String, String>) -> Option<PathBuf> {
    let v: serde_json::Value = serde_json::from_str(info.get("info")?).ok()?;
    let p = v.pointer("/runtimeSpec/linux/cgroupsPath")?.as_str()?;
    // systemd-style "slice:prefix:name" paths are not ours to remove.
    if p.contains(':') || p.is_empty() {
        return None;
    }
    Some(PathBuf::from(p.trim_start_matches('/')))
}

/// SIGTERM, a grace period, then SIGKILL.
async fn stop_process(pid: u32, mut child: Option<Child>) {
    let _ = kill_process_pid(pid, Signal::TERM);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut killed = false;
    loop {
        let gone = match child.as_mut() {
            Some(c) => !matches!(c.try_wait(), Ok(None)),
            None => !cleanup::is_alive(pid),
        };
        if gone {
            return;
        }
        if Instant::now() > deadline && !killed {
            tracing::warn!(pid, "containerd did not stop on SIGTERM; killing it");
            let _ = kill_process_pid(pid, Signal::KILL);
            killed = true;
        }
        if Instant::now() > deadline + Duration::from_secs(10) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
