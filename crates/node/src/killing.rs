//! Stopping a pod (preStop hooks, SIGTERM, SIGKILL after the grace period) and removing
//! everything it left on the node: containers, sandboxes, volumes, cgroups, log directory.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, Pod};

use crate::agent::Ctx;
use crate::events;
use crate::runtime_view::{self, PodRuntime};
use crate::{cgroups, containers, hooks};

/// Upstream's minimum grace when a pod is killed.
pub const MIN_GRACE_SECONDS: i64 = 2;

/// The grace period of a pod being deleted.
pub fn grace_seconds(pod: &Pod) -> i64 {
    pod.metadata
        .deletion_grace_period_seconds
        .or_else(|| {
            pod.spec
                .as_ref()
                .and_then(|s| s.termination_grace_period_seconds)
        })
        .unwrap_or(30)
        .max(MIN_GRACE_SECONDS)
}

fn spec_of<'a>(pod: &'a Pod, name: &str) -> Option<&'a Container> {
    pod.spec.as_ref().and_then(|s| {
        s.containers
            .iter()
            .chain(s.init_containers.iter().flatten())
            .find(|c| c.name == name)
    })
}

/// Stops one running container: preStop hook, then StopContainer with what is left of the
/// grace period.
pub async fn kill_container(
    ctx: &Ctx,
    pod: &Pod,
    rt_id: &str,
    name: &str,
    pod_ip: &str,
    grace: i64,
    message: Option<String>,
) {
    let spec = spec_of(pod, name);
    let init = pod
        .spec
        .as_ref()
        .is_some_and(|s| s.init_containers.iter().flatten().any(|c| c.name == name));
    let msg = message.unwrap_or_else(|| format!("Stopping container {name}"));
    ctx.recorder
        .pod(
            pod,
            events::container_path(name, init),
            events::NORMAL,
            "Killing",
            &msg,
        )
        .await;
    let started = std::time::Instant::now();
    if let Some(c) = spec
        && let Err(e) = hooks::pre_stop(
            &ctx.cri,
            c,
            rt_id,
            pod_ip,
            Duration::from_secs(grace as u64),
        )
        .await
    {
        ctx.recorder
            .pod(
                pod,
                events::container_path(name, init),
                events::WARNING,
                "FailedPreStopHook",
                &e,
            )
            .await;
    }
    let left = (grace - started.elapsed().as_secs() as i64).max(MIN_GRACE_SECONDS);
    if let Err(e) = containers::stop(&ctx.cri, rt_id, left).await {
        tracing::warn!(container = rt_id, error = %e, "cannot stop container");
    }
}

/// Stops every running container of the pod (in parallel) and its sandboxes.
pub async fn kill_pod(ctx: &Ctx, pod: &Pod, rt: &PodRuntime, pod_ip: &str, grace: i64) {
    let running: Vec<_> = rt.containers.iter().filter(|c| c.running()).collect();
    let futs = running
        .iter()
        .map(|c| kill_container(ctx, pod, &c.id, &c.name, pod_ip, grace, None));
    futures::future::join_all(futs).await;
    for s in &rt.sandboxes {
        let mut r = ctx.cri.runtime.clone();
        let _ = r
            .stop_pod_sandbox(kubehci_runtime::cri::api::StopPodSandboxRequest {
                pod_sandbox_id: s.id.clone(),
            })
            .await;
    }
}

/// Removes every container and sandbox of pod `uid`, its volumes, cgroups and log directory.
pub async fn cleanup(ctx: &Ctx, uid: &str) {
    match PodRuntime::load(&ctx.cri, uid).await {
        Ok(rt) => {
            for c in &rt.containers {
                if let Err(e) = runtime_view::remove_container(&ctx.cri, &c.id).await {
                    tracing::warn!(container = %c.id, error = %e, "cannot remove container");
                }
            }
            for s in &rt.sandboxes {
                let log_dir = s.metadata.as_ref().map(|m| {
                    ctx.cfg
                        .pod_log_dir
                        .join(format!("{}_{}_{}", m.namespace, m.name, m.uid))
                });
                if let Err(e) = runtime_view::remove_sandbox(&ctx.cri, &s.id).await {
                    tracing::warn!(sandbox = %s.id, error = %e, "cannot remove sandbox");
                }
                if let Some(d) = log_dir {
                    let _ = std::fs::remove_dir_all(d);
                }
            }
        }
        Err(e) => tracing::warn!(pod = uid, error = %e, "cannot list the pod's containers"),
    }
    if let Err(e) = ctx.volumes.teardown(uid).await {
        tracing::warn!(pod = uid, error = %e, "cannot tear down the pod's volumes");
    }
    let root = ctx.cfg.cgroup_root.trim_end_matches('/');
    let parents = [
        format!("{root}/pod{uid}"),
        format!("{root}/burstable/pod{uid}"),
        format!("{root}/besteffort/pod{uid}"),
    ];
    // Processes of removed containers may take a moment to leave their cgroups.
    for attempt in 0..25 {
        let left: Vec<_> = parents.iter().flat_map(|p| cgroups::remove(p)).collect();
        if left.is_empty() {
            break;
        }
        if attempt == 24 {
            tracing::warn!(pod = uid, ?left, "pod cgroups still in use");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The spec's grace period (liveness kills and restarts).
pub fn grace_seconds_spec(pod: &Pod) -> i64 {
    pod.spec
        .as_ref()
        .and_then(|s| s.termination_grace_period_seconds)
        .unwrap_or(30)
        .max(MIN_GRACE_SECONDS)
}
