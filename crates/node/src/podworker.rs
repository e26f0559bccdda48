//! One worker per pod: on every change of the pod (and every second) it reconciles the
//! runtime with the spec - sandbox, init containers in order, containers, restarts with
//! back-off, probes - and reports the status. Deletion stops everything within the grace
//! period, cleans up, and deletes the pod object as kubelet does.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use k8s_openapi::api::core::v1::{Container, Pod, PodStatus};
use kube::api::{Api, Patch, PatchParams};
use tokio::sync::watch;

use crate::agent::Ctx;
use crate::backoff::Backoff;
use crate::events::{self, container_path};
use crate::labels::format_pod;
use crate::probes::{Kind, Probes};
use crate::runtime_view::{self, ContainerInstance, PodRuntime};
use crate::status::{self, WorkerFacts};
use crate::{killing, security};

/// Resync of a pod with work pending (probes, back-offs, containers not running yet).
pub const RESYNC: Duration = Duration::from_secs(1);
/// Resync of a steady pod (state changes wake it through the PLEG).
pub const STEADY_RESYNC: Duration = Duration::from_secs(10);
pub const CRASH_LOOP_BACK_OFF: &str = "CrashLoopBackOff";

/// What a sync decided.
pub enum Next {
    Continue,
    Done,
}

pub struct Worker {
    pub ctx: Arc<Ctx>,
    pub facts: WorkerFacts,
    pub restarts: Backoff,
    pub pulls: Backoff,
    pub probes: Probes,
    pub probes_seeded: bool,
}

/// Runs the worker of one pod until the pod is gone.
pub async fn run(
    ctx: Arc<Ctx>,
    mut rx: watch::Receiver<Option<Pod>>,
    wake: Arc<tokio::sync::Notify>,
) {
    let mut w = Worker {
        ctx,
        facts: WorkerFacts::default(),
        restarts: Backoff::default(),
        pulls: Backoff::default(),
        probes: Probes::default(),
        probes_seeded: false,
    };
    let mut last: Option<Pod> = None;
    loop {
        let current = rx.borrow_and_update().clone();
        let mut interval = RESYNC;
        match current {
            Some(pod) => {
                match w.sync(&pod).await {
                    Ok(Next::Done) => return,
                    Ok(Next::Continue) => {
                        if w.steady(&pod) {
                            interval = STEADY_RESYNC;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(pod = %format_pod(&pod), error = %e, "pod sync failed")
                    }
                }
                last = Some(pod);
            }
            None => {
                // Gone from the API (force-deleted, or deleted while we were down).
                if let Some(pod) = &last {
                    tracing::info!(pod = %format_pod(pod), "the pod is gone from the API; removing it");
                    w.remove(pod, killing::MIN_GRACE_SECONDS).await;
                }
                return;
            }
        }
        tokio::select! {
            r = rx.changed() => {
                if r.is_err() && rx.borrow().is_some() {
                    return;
                }
            }
            _ = wake.notified() => {}
            _ = tokio::time::sleep(interval) => {}
        }
    }
}

pub(crate) fn policy(pod: &Pod) -> String {
    pod.spec
        .as_ref()
        .and_then(|s| s.restart_policy.clone())
        .unwrap_or_else(|| "Always".into())
}

pub(crate) fn should_restart(policy: &str, exit_code: i32, init: bool) -> bool {
    match policy {
        "Never" => false,
        "OnFailure" => exit_code != 0,
        _ if init => exit_code != 0,
        _ => true,
    }
}

pub(crate) fn ns_to_time(ns: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_nanos(ns.max(0) as u64)
}

impl Worker {
    /// Whether nothing is pending for `pod`: no probes to run, nothing waiting or starting.
    fn steady(&self, pod: &Pod) -> bool {
        let spec = pod.spec.clone().unwrap_or_default();
        let probes = spec.containers.iter().any(|c| {
            c.liveness_probe.is_some() || c.readiness_probe.is_some() || c.startup_probe.is_some()
        });
        let phase = pod
            .status
            .as_ref()
            .and_then(|s| s.phase.as_deref())
            .unwrap_or("Pending");
        !probes
            && self.facts.waiting.is_empty()
            && phase != "Pending"
            && pod.metadata.deletion_timestamp.is_none()
    }

    async fn remove(&mut self, pod: &Pod, grace: i64) {
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        if let Ok(rt) = PodRuntime::load(&self.ctx.cri, &uid).await {
            let ip = self.facts.pod_ips.first().cloned().unwrap_or_default();
            killing::kill_pod(&self.ctx, pod, &rt, &ip, grace).await;
        }
        killing::cleanup(&self.ctx, &uid).await;
    }

    /// Seeds readiness from the reported status after an agent restart, so adopted ready
    /// containers stay ready while their probes warm up.
    pub(crate) fn seed_probes(&mut self, pod: &Pod) {
        if self.probes_seeded {
            return;
        }
        self.probes_seeded = true;
        for cs in pod
            .status
            .iter()
            .flat_map(|s| s.container_statuses.iter().flatten())
        {
            let Some(id) = cs
                .container_id
                .as_deref()
                .and_then(|i| i.strip_prefix("containerd://"))
            else {
                continue;
            };
            if cs.ready {
                self.facts.ready.insert(id.to_string(), true);
            }
            if cs.started == Some(true) {
                self.facts.started.insert(id.to_string(), true);
            }
        }
    }

    /// Keeps the newest two instances of each container; removes older exited ones.
    pub(crate) async fn gc(&self, rt: &PodRuntime) {
        for (_, inst) in rt.by_name() {
            for old in inst.iter().skip(2).filter(|i| i.exited()) {
                let _ = runtime_view::remove_container(&self.ctx.cri, &old.id).await;
            }
        }
    }

    pub(crate) async fn probe(
        &mut self,
        pod: &Pod,
        c: &Container,
        l: &ContainerInstance,
        pod_ip: &str,
    ) {
        let round = self
            .probes
            .round(&self.ctx.cri, c, &l.id, l.status.started_at, pod_ip)
            .await;
        for (kind, msg) in &round.failed {
            self.ctx
                .recorder
                .pod(
                    pod,
                    container_path(&c.name, false),
                    events::WARNING,
                    "Unhealthy",
                    &format!("{} probe failed: {msg}", kind.title()),
                )
                .await;
        }
        if let Some(r) = self.probes.result(&l.id, Kind::Readiness) {
            self.facts.ready.insert(l.id.clone(), r);
        }
        if c.startup_probe.is_some()
            && let Some(r) = self.probes.result(&l.id, Kind::Startup)
        {
            self.facts.started.insert(l.id.clone(), r);
        }
        if let Some(kind) = round.kill {
            let msg = format!(
                "Container {} failed {} probe, will be restarted",
                c.name,
                kind.lower()
            );
            killing::kill_container(
                &self.ctx,
                pod,
                &l.id,
                &c.name,
                pod_ip,
                killing::grace_seconds_spec(pod),
                Some(msg),
            )
            .await;
        }
    }

    /// Computes the status and patches it when it changed.
    pub async fn report(&mut self, pod: &Pod, rt: &PodRuntime) -> crate::Result<()> {
        let new = status::compute(pod, rt, &self.facts, &self.ctx.cfg.node_ip.to_string());
        let old = pod.status.clone().unwrap_or_default();
        if !status::differs(&new, &old) {
            return Ok(());
        }
        patch_status(&self.ctx.client, pod, &new).await
    }
}

pub async fn patch_status(client: &kube::Client, pod: &Pod, st: &PodStatus) -> crate::Result<()> {
    let api: Api<Pod> = Api::namespaced(
        client.clone(),
        pod.metadata.namespace.as_deref().unwrap_or("default"),
    );
    let patch = serde_json::json!([{ "op": "add", "path": "/status", "value": st }]);
    match api
        .patch_status(
            pod.metadata.name.as_deref().unwrap_or_default(),
            &PatchParams::default(),
            &Patch::<()>::Json(
                serde_json::from_value(patch)
                    .map_err(|e| crate::NodeError::Invalid(e.to_string()))?,
            ),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Re-exported for the starting code.
pub(crate) fn effective_security(pod: &Pod, c: &Container) -> security::Effective {
    security::effective(pod, c)
}
