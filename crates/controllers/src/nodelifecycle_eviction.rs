//! Taint-based eviction (upstream's taint eviction controller): pods on a node with
//! NoExecute taints they do not tolerate are deleted at once; pods that tolerate them
//! for a while are deleted when the shortest `tolerationSeconds` has passed. Also the
//! API calls the node lifecycle controller makes on pods.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{ObjectReference, Pod, PodCondition, Taint, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, PostParams};
use kube::runtime::events::{Event, EventType, Recorder};

use super::taints::{self, matching, min_toleration};

/// A pod, as `namespace/name`.
pub type PodKey = String;

/// What the taint eviction decided for a pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// A scheduled deletion was cancelled (an event says so).
    Cancelled(PodKey),
}

#[derive(Debug, Clone, Copy)]
struct Scheduled {
    created: Instant,
    fire_at: Instant,
}

/// Scheduled deletions (upstream's timed worker queue).
#[derive(Debug, Default)]
pub struct Evictions {
    scheduled: HashMap<PodKey, Scheduled>,
    /// Deletions already done; not scheduled again until cancelled (as upstream).
    fired: HashSet<PodKey>,
}

impl Evictions {
    /// Cancels the pod's scheduled deletion, if any.
    pub fn cancel(&mut self, key: &str, out: &mut Vec<Decision>) {
        self.fired.remove(key);
        if self.scheduled.remove(key).is_some() {
            out.push(Decision::Cancelled(key.to_string()));
        }
    }

    fn add(&mut self, key: &str, created: Instant, fire_at: Instant) {
        if self.fired.contains(key) || self.scheduled.contains_key(key) {
            return;
        }
        self.scheduled
            .insert(key.to_string(), Scheduled { created, fire_at });
    }

    /// Decides the fate of a pod on a node with these NoExecute taints (upstream's
    /// `processPodOnNode`).
    pub fn process(
        &mut self,
        key: &str,
        tolerations: &[Toleration],
        taints: &[Taint],
        now: Instant,
        out: &mut Vec<Decision>,
    ) {
        if taints.is_empty() {
            self.cancel(key, out);
            return;
        }
        let (all, used) = matching(taints, tolerations);
        if !all {
            self.cancel_scheduled(key, out);
            self.add(key, now, now);
            return;
        }
        let Some(min) = min_toleration(&used) else {
            self.cancel(key, out);
            return;
        };
        let trigger = now + min;
        let mut created = now;
        if let Some(s) = self.scheduled.get(key).copied() {
            created = s.created;
            if created + min < trigger {
                return;
            }
            self.cancel_scheduled(key, out);
        }
        self.add(key, created, trigger);
    }

    fn cancel_scheduled(&mut self, key: &str, out: &mut Vec<Decision>) {
        if self.scheduled.remove(key).is_some() {
            out.push(Decision::Cancelled(key.to_string()));
        }
    }

    /// Forgets a pod that is gone (no event: nothing is pending for it).
    pub fn forget(&mut self, key: &str) {
        self.scheduled.remove(key);
        self.fired.remove(key);
    }

    /// When the next deletion is due.
    pub fn next_due(&self) -> Option<Instant> {
        self.scheduled.values().map(|s| s.fire_at).min()
    }

    /// Takes the deletions due at `now`.
    pub fn due(&mut self, now: Instant) -> Vec<PodKey> {
        let keys: Vec<PodKey> = self
            .scheduled
            .iter()
            .filter(|(_, s)| s.fire_at <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for k in &keys {
            self.scheduled.remove(k);
            self.fired.insert(k.clone());
        }
        keys
    }
}

pub fn pod_ref(key: &str, uid: Option<&str>) -> ObjectReference {
    let (ns, name) = key.split_once('/').unwrap_or(("", key));
    ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("Pod".into()),
        namespace: Some(ns.into()),
        name: Some(name.into()),
        uid: uid.map(str::to_string),
        ..Default::default()
    }
}

/// Publishes an event; failures are logged (events are best effort).
pub async fn publish(
    recorder: &Recorder,
    reference: &ObjectReference,
    warn: bool,
    reason: &str,
    note: String,
) {
    let ev = Event {
        type_: if warn {
            EventType::Warning
        } else {
            EventType::Normal
        },
        reason: reason.into(),
        note: Some(note),
        action: reason.into(),
        secondary: None,
    };
    if let Err(e) = recorder.publish(&ev, reference).await {
        tracing::debug!(reason, error = %e, "cannot record event");
    }
}

fn set_condition(pod: &mut Pod, cond: PodCondition) -> bool {
    let status = pod.status.get_or_insert_with(Default::default);
    let conds = status.conditions.get_or_insert_with(Vec::new);
    match conds.iter_mut().find(|c| c.type_ == cond.type_) {
        Some(c)
            if c.status == cond.status && c.reason == cond.reason && c.message == cond.message =>
        {
            false
        }
        Some(c) => {
            if c.status != cond.status {
                c.last_transition_time = cond.last_transition_time.clone();
            }
            c.status = cond.status;
            c.reason = cond.reason;
            c.message = cond.message;
            true
        }
        None => {
            conds.push(cond);
            true
        }
    }
}

async fn update_condition(
    api: &Api<Pod>,
    name: &str,
    make: impl Fn(&Pod) -> Option<PodCondition>,
) -> Result<bool, kube::Error> {
    for _ in 0..5 {
        let mut pod = api.get(name).await?;
        let Some(cond) = make(&pod) else {
            return Ok(false);
        };
        if !set_condition(&mut pod, cond) {
            return Ok(false);
        }
        match api.replace_status(name, &PostParams::default(), &pod).await {
            Ok(_) => return Ok(true),
            Err(kube::Error::Api(s)) if s.code == 409 => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// Deletes a pod as the taint eviction does: a DisruptionTarget condition, then delete.
pub async fn evict(client: kube::Client, recorder: Recorder, key: PodKey, uid: Option<String>) {
    let (ns, name) = key.split_once('/').unwrap_or(("", &key));
    tracing::info!(pod = %key, "deleting pod (NoExecute taint)");
    let reference = pod_ref(&key, uid.as_deref());
    let note = format!("Marking for deletion Pod {key}");
    publish(&recorder, &reference, false, "TaintManagerEviction", note).await;
    let api: Api<Pod> = Api::namespaced(client, ns);
    let mut delay = Duration::from_millis(10);
    for _ in 0..5 {
        let cond = update_condition(&api, name, |_| {
            Some(PodCondition {
                type_: "DisruptionTarget".into(),
                status: "True".into(),
                reason: Some("DeletionByTaintManager".into()),
                message: Some("Taint manager: deleting due to NoExecute taint".into()),
                last_transition_time: Some(Time(Timestamp::now())),
                ..Default::default()
            })
        })
        .await;
        let r = match cond {
            Ok(_) => api.delete(name, &DeleteParams::default()).await.map(drop),
            Err(e) => Err(e),
        };
        match r {
            Ok(()) => return,
            Err(kube::Error::Api(s)) if s.code == 404 => return,
            Err(e) => tracing::debug!(pod = %key, error = %e, "eviction failed; retrying"),
        }
        tokio::time::sleep(delay).await;
        delay *= 4;
    }
}

/// Sets the pod's Ready condition to False and records `NodeNotReady` on it (upstream's
/// `MarkPodsNotReady`).
pub async fn mark_not_ready(client: kube::Client, recorder: Recorder, key: PodKey, node: String) {
    let (ns, name) = key.split_once('/').unwrap_or(("", &key));
    let api: Api<Pod> = Api::namespaced(client, ns);
    let changed = update_condition(&api, name, |pod| {
        if pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) != Some(node.as_str()) {
            return None;
        }
        let conds = pod.status.as_ref()?.conditions.as_ref()?;
        let ready = conds.iter().find(|c| c.type_ == "Ready")?;
        Some(PodCondition {
            status: "False".into(),
            last_transition_time: Some(Time(Timestamp::now())),
            ..ready.clone()
        })
    })
    .await;
    match changed {
        Ok(true) => {
            let uid = api.get(name).await.ok().and_then(|p| p.metadata.uid);
            let reference = pod_ref(&key, uid.as_deref());
            publish(
                &recorder,
                &reference,
                true,
                "NodeNotReady",
                "Node is not ready".into(),
            )
            .await;
        }
        Ok(false) => {}
        Err(kube::Error::Api(s)) if s.code == 404 => {}
        Err(e) => tracing::warn!(pod = %key, error = %e, "cannot mark pod not ready"),
    }
}

impl super::Controller {
    /// The taint eviction's reaction to a node's NoExecute taints.
    pub(super) fn apply_no_execute(&mut self, name: &str) {
        let Some(node) = self.nodes.get(name) else {
            return;
        };
        let no_exec = taints::no_execute(node);
        let now = Instant::now();
        let mut out = Vec::new();
        for key in self.pods_on(name) {
            match self.pods.get(&key) {
                Some(p) if !no_exec.is_empty() && !p.deleting => {
                    self.evictions
                        .process(&key, &p.tolerations, &no_exec, now, &mut out)
                }
                _ => self.evictions.cancel(&key, &mut out),
            }
        }
        if no_exec.is_empty() {
            self.tainted.remove(name);
        } else {
            self.tainted.insert(name.to_string(), no_exec);
        }
        self.report(out);
    }

    /// Starts the deletions that are due.
    pub(super) fn fire_evictions(&mut self) {
        for key in self.evictions.due(Instant::now()) {
            let (c, r) = (self.ctx.client.clone(), self.eviction_recorder.clone());
            let uid = self.pods.get(&key).and_then(|p| p.uid.clone());
            tokio::spawn(evict(c, r, key, uid));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::taints::{NO_EXECUTE, UNREACHABLE, taint};
    use super::*;
    use serde_json::json;

    fn tols(v: serde_json::Value) -> Vec<Toleration> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn schedules_and_cancels() {
        let mut ev = Evictions::default();
        let mut out = Vec::new();
        let t0 = Instant::now();
        let taints = [taint(UNREACHABLE, NO_EXECUTE)];
        let t30 = tols(
            json!([{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}]),
        );
        ev.process("ns/a", &t30, &taints, t0, &mut out);
        ev.process("ns/b", &[], &taints, t0, &mut out);
        ev.process(
            "ns/c",
            &tols(json!([{"operator": "Exists"}])),
            &taints,
            t0,
            &mut out,
        );
        assert_eq!(ev.next_due(), Some(t0));
        assert_eq!(ev.due(t0), vec!["ns/b".to_string()]);
        ev.process("ns/b", &[], &taints, t0, &mut out);
        assert!(
            ev.due(t0 + Duration::from_secs(1)).is_empty(),
            "fired once only"
        );
        // Re-processing later keeps the original deadline.
        ev.process(
            "ns/a",
            &t30,
            &taints,
            t0 + Duration::from_secs(10),
            &mut out,
        );
        assert_eq!(ev.next_due(), Some(t0 + Duration::from_secs(30)));
        assert!(out.is_empty());
        ev.process("ns/a", &t30, &[], t0 + Duration::from_secs(11), &mut out);
        assert_eq!(out, vec![Decision::Cancelled("ns/a".into())]);
        assert_eq!(ev.next_due(), None);
    }
}
