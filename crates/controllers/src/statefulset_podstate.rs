//! Pod state and ownership as the workload controllers (StatefulSet, DaemonSet, Job) read
//! them: readiness and availability (upstream `podutil`), controller references, listing
//! the pods an object owns, the order in which surplus pods are removed
//! (`controller.ActivePods`), slow-start batches and event publishing.

use std::cmp::Ordering;

use k8s_openapi::api::core::v1::{ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{Api, ListParams, Patch, PatchParams};
use kube::runtime::events::{Event, EventType, Recorder};
use serde_json::{Value, json};

use crate::context::Error;

/// Upstream's `SlowStartInitialBatchSize`: creations start with one call, then double.
pub(crate) const SLOW_START_INITIAL_BATCH: usize = 1;

pub(crate) fn phase(p: &Pod) -> &str {
    p.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("")
}

pub(crate) fn is_terminating(p: &Pod) -> bool {
    p.metadata.deletion_timestamp.is_some()
}

/// Succeeded or Failed: the pod will not run again.
pub(crate) fn is_finished(p: &Pod) -> bool {
    matches!(phase(p), "Succeeded" | "Failed")
}

fn ready_condition(p: &Pod) -> Option<&k8s_openapi::api::core::v1::PodCondition> {
    p.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")
}

/// `podutil.IsPodReady`: the Ready condition is True.
pub(crate) fn is_ready(p: &Pod) -> bool {
    ready_condition(p).is_some_and(|c| c.status == "True")
}

/// `podutil.IsPodAvailable`: ready for at least `min_ready_seconds`.
pub(crate) fn is_available(p: &Pod, min_ready_seconds: i32, now: Timestamp) -> bool {
    let Some(c) = ready_condition(p).filter(|c| c.status == "True") else {
        return false;
    };
    if min_ready_seconds <= 0 {
        return true;
    }
    match &c.last_transition_time {
        Some(t) => t.0 + SignedDuration::from_secs(i64::from(min_ready_seconds)) <= now,
        None => false,
    }
}

/// Time until a ready pod becomes available (for requeueing), if it is not yet.
pub(crate) fn until_available(
    p: &Pod,
    min_ready_seconds: i32,
    now: Timestamp,
) -> Option<std::time::Duration> {
    let c = ready_condition(p).filter(|c| c.status == "True")?;
    let since = c.last_transition_time.as_ref()?.0;
    let at = since + SignedDuration::from_secs(i64::from(min_ready_seconds));
    if at <= now {
        return None;
    }
    std::time::Duration::try_from(at.duration_since(now)).ok()
}

/// The uid of the object's controller (the owner reference with `controller: true`).
pub(crate) fn controller_uid(meta: &ObjectMeta) -> Option<&str> {
    meta.owner_references
        .as_ref()?
        .iter()
        .find(|r| r.controller == Some(true))
        .map(|r| r.uid.as_str())
}

/// `metav1.NewControllerRef`.
pub(crate) fn controller_ref(meta: &ObjectMeta, api_version: &str, kind: &str) -> OwnerReference {
    OwnerReference {
        api_version: api_version.into(),
        kind: kind.into(),
        name: meta.name.clone().unwrap_or_default(),
        uid: meta.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// The `labelSelector=` form of a `metav1.LabelSelector`.
pub(crate) fn selector_string(sel: &LabelSelector) -> Result<String, Error> {
    let v = serde_json::to_value(sel).map_err(|e| Error::Other(e.to_string()))?;
    kubehci_api::selector::LabelSelector::from_label_selector(Some(&v))
        .map(|s| s.to_string())
        .map_err(|e| Error::Other(format!("invalid selector: {e}")))
}

/// The pods in `ns` that match `selector` and are controlled by `owner_uid`.
pub(crate) async fn owned_pods(
    client: &kube::Client,
    ns: &str,
    selector: &LabelSelector,
    owner_uid: &str,
) -> Result<Vec<Pod>, Error> {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    let sel = selector_string(selector)?;
    let lp = if sel.is_empty() {
        ListParams::default()
    } else {
        ListParams::default().labels(&sel)
    };
    let list = api.list(&lp).await?;
    Ok(list
        .items
        .into_iter()
        .filter(|p| controller_uid(&p.metadata) == Some(owner_uid))
        .collect())
}

fn phase_rank(p: &Pod) -> u8 {
    match phase(p) {
        "Pending" => 0,
        "Running" => 2,
        _ => 1,
    }
}

fn ready_since(p: &Pod) -> Option<Timestamp> {
    ready_condition(p)
        .filter(|c| c.status == "True")
        .and_then(|c| c.last_transition_time.as_ref().map(|t| t.0))
}

fn restarts(p: &Pod) -> i32 {
    p.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .map(|cs| cs.iter().map(|c| c.restart_count).max().unwrap_or(0))
        .unwrap_or(0)
}

/// `controller.ActivePods` ordering: the pods to remove first come first (unassigned
/// before assigned, pending before running, not ready before ready, recently ready
/// before long ready, more restarts first, newer before older).
pub(crate) fn removal_order(a: &Pod, b: &Pod) -> Ordering {
    let assigned = |p: &Pod| {
        p.spec
            .as_ref()
            .and_then(|s| s.node_name.as_deref())
            .is_some_and(|n| !n.is_empty())
    };
    assigned(a)
        .cmp(&assigned(b))
        .then_with(|| phase_rank(a).cmp(&phase_rank(b)))
        .then_with(|| is_ready(a).cmp(&is_ready(b)))
        .then_with(|| ready_since(b).cmp(&ready_since(a)))
        .then_with(|| restarts(b).cmp(&restarts(a)))
        .then_with(|| {
            let t = |p: &Pod| p.metadata.creation_timestamp.as_ref().map(|t| t.0);
            t(b).cmp(&t(a))
        })
}

/// Slow-start batch sizes for `n` creations: 1, 2, 4, ... summing to `n`.
pub(crate) fn slow_start_batches(n: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut left = n;
    let mut size = SLOW_START_INITIAL_BATCH.min(n);
    while left > 0 {
        let b = size.min(left);
        out.push(b);
        left -= b;
        size = (size * 2).min(left.max(1));
    }
    out
}

/// Publishes an event about `regarding` (best effort: failures are logged). kube-runtime
/// folds events with the same reason and action into one series whatever their notes, so
/// the action carries a digest of the note: distinct messages stay distinct events, as
/// with client-go, and only true repeats are counted (`x3 over 1m`).
pub(crate) async fn publish(
    recorder: &Recorder,
    regarding: &ObjectReference,
    warning: bool,
    reason: &str,
    note: String,
) {
    let action = format!("{reason}-{:08x}", super::history::fnv32a(note.as_bytes()));
    let ev = Event {
        type_: if warning {
            EventType::Warning
        } else {
            EventType::Normal
        },
        reason: reason.into(),
        note: Some(note),
        action,
        secondary: None,
    };
    if let Err(e) = recorder.publish(&ev, regarding).await {
        tracing::debug!(error = %e, reason, "could not record event");
    }
}

/// Merge-patches `status` with `new` unless `old` already says the same. `new` names
/// every field this controller owns; a `null` there removes the field.
pub(crate) async fn patch_status<K>(
    api: &Api<K>,
    name: &str,
    old: Option<&Value>,
    new: Value,
) -> Result<bool, Error>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let same = new.as_object().is_some_and(|n| {
        n.iter().all(|(k, v)| {
            let o = old.and_then(|o| o.get(k)).unwrap_or(&Value::Null);
            o == v
        })
    });
    if same {
        return Ok(false);
    }
    api.patch_status(
        name,
        &PatchParams::default(),
        &Patch::Merge(json!({ "status": new })),
    )
    .await?;
    Ok(true)
}

/// `Some(n)` unless `n` is zero (Go's `omitempty` on counters).
pub(crate) fn nonzero(n: i32) -> Value {
    if n == 0 { Value::Null } else { json!(n) }
}

/// Whether an API error is a 404.
pub(crate) fn is_not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}

/// Whether an API error is a 409 AlreadyExists/Conflict.
pub(crate) fn is_conflict(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 409)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn slow_start_doubles() {
        assert_eq!(slow_start_batches(0), Vec::<usize>::new());
        assert_eq!(slow_start_batches(1), vec![1]);
        assert_eq!(slow_start_batches(3), vec![1, 2]);
        assert_eq!(slow_start_batches(10), vec![1, 2, 4, 3]);
    }

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn readiness_and_removal_order() {
        let ready = pod(serde_json::json!({"metadata": {"name": "a"},
            "spec": {"nodeName": "n1", "containers": []},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True",
                "lastTransitionTime": "2024-01-01T00:00:00Z"}]}}));
        let pending = pod(serde_json::json!({"metadata": {"name": "b"},
            "spec": {"containers": []}, "status": {"phase": "Pending"}}));
        assert!(is_ready(&ready) && !is_ready(&pending));
        let now: Timestamp = "2024-01-01T00:00:05Z".parse().unwrap();
        assert!(is_available(&ready, 5, now));
        assert!(!is_available(&ready, 6, now));
        assert_eq!(
            until_available(&ready, 10, now),
            Some(std::time::Duration::from_secs(5))
        );
        let mut v = [ready, pending];
        v.sort_by(removal_order);
        assert_eq!(v[0].metadata.name.as_deref(), Some("b"));
    }
}
