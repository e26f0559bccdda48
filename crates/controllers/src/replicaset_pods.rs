//! Pod facts the replica controllers use (upstream `controller_utils.go` and
//! `podutil`): activeness, readiness, availability after `minReadySeconds`, the order in
//! which surplus pods are deleted, and building a pod from a template.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::jiff::Timestamp;

/// Upstream's `controller.kubernetes.io/pod-deletion-cost` annotation.
const DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";

fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("")
}

/// `IsPodActive`: not Succeeded, not Failed, not being deleted.
pub(crate) fn is_active(pod: &Pod) -> bool {
    !matches!(phase(pod), "Succeeded" | "Failed") && pod.metadata.deletion_timestamp.is_none()
}

/// When the pod's Ready condition became True, if it is True.
pub(crate) fn ready_since(pod: &Pod) -> Option<Option<Timestamp>> {
    let conds = pod.status.as_ref()?.conditions.as_ref()?;
    let c = conds.iter().find(|c| c.type_ == "Ready")?;
    (c.status == "True").then(|| c.last_transition_time.as_ref().map(|t| t.0))
}

/// `IsPodReady`.
pub(crate) fn is_ready(pod: &Pod) -> bool {
    ready_since(pod).is_some()
}

/// `IsPodAvailable`: ready for at least `min_ready` seconds at `now`.
pub(crate) fn is_available(pod: &Pod, min_ready: i32, now: Timestamp) -> bool {
    match ready_since(pod) {
        None => false,
        Some(_) if min_ready <= 0 => true,
        Some(None) => false,
        Some(Some(t)) => t.as_second() + i64::from(min_ready) < now.as_second(),
    }
}

fn phase_ordinal(pod: &Pod) -> u8 {
    match phase(pod) {
        "Unknown" => 1,
        "Running" => 2,
        _ => 0,
    }
}

fn deletion_cost(pod: &Pod) -> i64 {
    pod.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(DELETION_COST))
        .and_then(|v| v.parse::<i32>().ok())
        .map_or(0, i64::from)
}

fn max_restarts(pod: &Pod) -> i32 {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .map(|cs| cs.iter().map(|c| c.restart_count).max().unwrap_or(0))
        .unwrap_or(0)
}

/// `floor(log2(seconds since t))`, upstream's LogarithmicScaleDown buckets (GA).
fn log_bucket(t: Option<Timestamp>, now: Timestamp) -> i64 {
    match t {
        None => i64::MIN,
        Some(t) => {
            let secs = (now.as_second() - t.as_second()).max(1);
            i64::from(63 - secs.leading_zeros())
        }
    }
}

/// Upstream's `ActivePodsWithRanks.Less`: true when `a` should be deleted before `b`.
fn delete_first(a: &Pod, ra: usize, b: &Pod, rb: usize, now: Timestamp) -> Ordering {
    let node = |p: &Pod| {
        p.spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .unwrap_or_default()
    };
    let (na, nb) = (node(a), node(b));
    if na != nb && (na.is_empty() || nb.is_empty()) {
        return if na.is_empty() {
            Ordering::Less
        } else {
            Ordering::Greater
        };
    }
    let by = |x: bool| if x { Ordering::Less } else { Ordering::Greater };
    if phase_ordinal(a) != phase_ordinal(b) {
        return by(phase_ordinal(a) < phase_ordinal(b));
    }
    if is_ready(a) != is_ready(b) {
        return by(!is_ready(a));
    }
    if deletion_cost(a) != deletion_cost(b) {
        return by(deletion_cost(a) < deletion_cost(b));
    }
    if ra != rb {
        return by(ra > rb);
    }
    if let (Some(ta), Some(tb)) = (ready_since(a), ready_since(b))
        && ta != tb
    {
        let (la, lb) = (log_bucket(ta, now), log_bucket(tb, now));
        if la != lb {
            return by(la < lb);
        }
    }
    if max_restarts(a) != max_restarts(b) {
        return by(max_restarts(a) > max_restarts(b));
    }
    let created = |p: &Pod| p.metadata.creation_timestamp.as_ref().map(|t| t.0);
    let (la, lb) = (log_bucket(created(a), now), log_bucket(created(b), now));
    if la != lb {
        return by(la < lb);
    }
    Ordering::Equal
}

/// Picks `count` pods to delete, preferring unscheduled, pending, not-ready, doubled-up
/// (many related pods on the same node), recently ready, restarting and newer pods.
pub(crate) fn pods_to_delete(
    mut pods: Vec<Arc<Pod>>,
    related: &[Arc<Pod>],
    count: usize,
    now: Timestamp,
) -> Vec<Arc<Pod>> {
    if count < pods.len() {
        let mut on_node: HashMap<String, usize> = HashMap::new();
        for p in related.iter().filter(|p| is_active(p)) {
            if let Some(n) = p.spec.as_ref().and_then(|s| s.node_name.clone()) {
                *on_node.entry(n).or_default() += 1;
            }
        }
        let rank = |p: &Pod| {
            p.spec
                .as_ref()
                .and_then(|s| s.node_name.as_ref())
                .and_then(|n| on_node.get(n).copied())
                .unwrap_or(0)
        };
        let mut ranked: Vec<(usize, Arc<Pod>)> = pods.into_iter().map(|p| (rank(&p), p)).collect();
        ranked.sort_by(|(ra, a), (rb, b)| delete_first(a, *ra, b, *rb, now));
        pods = ranked.into_iter().map(|(_, p)| p).collect();
    }
    pods.truncate(count);
    pods
}

/// `GetPodFromTemplate`: labels, annotations and finalizers of the template, our
/// controller reference, and `generateName` `<owner>-` (`getPodsPrefix`).
pub(crate) fn pod_from_template(
    template: &PodTemplateSpec,
    owner: &str,
    owner_ref: OwnerReference,
) -> Pod {
    let tm = template.metadata.clone().unwrap_or_default();
    let mut prefix = format!("{owner}-");
    if !kubehci_api::validation::is_dns1123_subdomain(&format!("{owner}a")).is_empty() {
        prefix = owner.to_string();
    }
    Pod {
        metadata: ObjectMeta {
            generate_name: Some(prefix),
            labels: tm.labels,
            annotations: tm.annotations,
            finalizers: tm.finalizers,
            owner_references: Some(vec![owner_ref]),
            ..Default::default()
        },
        spec: template.spec.clone(),
        status: None,
    }
}
