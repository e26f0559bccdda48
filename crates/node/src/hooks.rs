//! Lifecycle hooks: postStart right after a container starts, preStop before it is stopped
//! (inside the grace period). Handlers: exec, httpGet, sleep.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, LifecycleHandler};
use kubehci_runtime::cri::Cri;

use crate::probes::{self, Outcome};

/// Runs one hook handler; `Err` carries upstream-like text.
pub async fn run(
    cri: &Cri,
    c: &Container,
    container_id: &str,
    pod_ip: &str,
    h: &LifecycleHandler,
    limit: Duration,
) -> Result<(), String> {
    let outcome = if let Some(e) = &h.exec {
        probes::exec(cri, container_id, e, limit).await
    } else if let Some(g) = &h.http_get {
        probes::http_get(c, pod_ip, g, limit).await
    } else if let Some(s) = &h.sleep {
        tokio::time::sleep(Duration::from_secs(s.seconds.max(0) as u64).min(limit)).await;
        Outcome::Success
    } else if let Some(t) = &h.tcp_socket {
        probes::tcp(c, pod_ip, t, limit).await
    } else {
        return Err("invalid handler".into());
    };
    match outcome {
        Outcome::Success => Ok(()),
        Outcome::Failure(msg) => Err(msg),
    }
}

/// The postStart hook, if any. Upstream's event message on failure.
pub async fn post_start(
    cri: &Cri,
    c: &Container,
    container_id: &str,
    pod_ip: &str,
) -> Result<(), String> {
    let Some(h) = c.lifecycle.as_ref().and_then(|l| l.post_start.as_ref()) else {
        return Ok(());
    };
    run(cri, c, container_id, pod_ip, h, Duration::from_secs(30)).await.map_err(|e| {
        if h.exec.is_some() {
            format!(
                "Exec lifecycle hook ({:?}) for Container {:?} in Pod failed - error: command terminated with non-zero exit, message: {e:?}",
                h.exec.as_ref().and_then(|x| x.command.clone()).unwrap_or_default(),
                c.name
            )
        } else {
            format!("HTTP lifecycle hook for Container {:?} in Pod failed - error: {e}", c.name)
        }
    })
}

/// The preStop hook, if any, bounded by the grace period.
pub async fn pre_stop(
    cri: &Cri,
    c: &Container,
    container_id: &str,
    pod_ip: &str,
    grace: Duration,
) -> Result<(), String> {
    let Some(h) = c.lifecycle.as_ref().and_then(|l| l.pre_stop.as_ref()) else {
        return Ok(());
    };
    match tokio::time::timeout(grace, run(cri, c, container_id, pod_ip, h, grace)).await {
        Ok(r) => r,
        Err(_) => Err(format!(
            "PreStopHook for Container {:?} timed out after {}s",
            c.name,
            grace.as_secs()
        )),
    }
}
