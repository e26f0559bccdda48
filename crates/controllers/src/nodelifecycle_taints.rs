//! Taints and tolerations of the node lifecycle controller: the taints that mirror node
//! conditions, toleration matching (upstream's `ToleratesTaint` and
//! `GetMatchingTolerations`), and swapping controller taints on a Node.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, NodeCondition, Taint, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, PostParams};

use crate::context::Error;

pub const NOT_READY: &str = "node.kubernetes.io/not-ready";
pub const UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";
pub const NO_SCHEDULE: &str = "NoSchedule";
pub const NO_EXECUTE: &str = "NoExecute";

/// Condition (type, status) -> NoSchedule taint key, as upstream's
/// `nodeConditionToTaintKeyStatusMap`.
const CONDITION_TAINTS: &[(&str, &str, &str)] = &[
    ("Ready", "False", NOT_READY),
    ("Ready", "Unknown", UNREACHABLE),
    (
        "MemoryPressure",
        "True",
        "node.kubernetes.io/memory-pressure",
    ),
    ("DiskPressure", "True", "node.kubernetes.io/disk-pressure"),
    (
        "NetworkUnavailable",
        "True",
        "node.kubernetes.io/network-unavailable",
    ),
    ("PIDPressure", "True", "node.kubernetes.io/pid-pressure"),
];

pub fn taint(key: &str, effect: &str) -> Taint {
    Taint {
        key: key.into(),
        effect: effect.into(),
        ..Default::default()
    }
}

pub fn conditions(node: &Node) -> &[NodeCondition] {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or(&[])
}

pub fn taints(node: &Node) -> &[Taint] {
    node.spec
        .as_ref()
        .and_then(|s| s.taints.as_deref())
        .unwrap_or(&[])
}

/// The node's NoExecute taints (what the taint eviction acts on).
pub fn no_execute(node: &Node) -> Vec<Taint> {
    taints(node)
        .iter()
        .filter(|t| t.effect == NO_EXECUTE)
        .cloned()
        .collect()
}

fn same(a: &Taint, b: &Taint) -> bool {
    a.key == b.key && a.effect == b.effect
}

/// `(to add, to remove)` so that the node's condition NoSchedule taints match its
/// conditions and `spec.unschedulable` (upstream's `doNoScheduleTaintingPass`).
pub fn no_schedule_diff(node: &Node) -> (Vec<Taint>, Vec<Taint>) {
    let mut want: Vec<Taint> = Vec::new();
    for c in conditions(node) {
        for (ty, status, key) in CONDITION_TAINTS {
            if c.type_ == *ty && c.status == *status {
                want.push(taint(key, NO_SCHEDULE));
            }
        }
    }
    if node.spec.as_ref().and_then(|s| s.unschedulable) == Some(true) {
        want.push(taint(UNSCHEDULABLE, NO_SCHEDULE));
    }
    let have: Vec<&Taint> = taints(node)
        .iter()
        .filter(|t| {
            t.effect == NO_SCHEDULE
                && (t.key == UNSCHEDULABLE || CONDITION_TAINTS.iter().any(|(_, _, k)| *k == t.key))
        })
        .collect();
    let add = want
        .iter()
        .filter(|w| !have.iter().any(|h| same(h, w)))
        .cloned()
        .collect();
    let remove = have
        .into_iter()
        .filter(|h| !want.iter().any(|w| same(h, w)))
        .cloned()
        .collect();
    (add, remove)
}

/// Whether `t` tolerates `taint` (upstream's `Toleration.ToleratesTaint`).
pub fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    if t.effect
        .as_deref()
        .is_some_and(|e| !e.is_empty() && e != taint.effect)
    {
        return false;
    }
    if t.key
        .as_deref()
        .is_some_and(|k| !k.is_empty() && k != taint.key)
    {
        return false;
    }
    match t.operator.as_deref().unwrap_or("") {
        "" | "Equal" => t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or(""),
        "Exists" => true,
        _ => false,
    }
}

/// Whether every taint is tolerated, and the tolerations used (the first match of each).
pub fn matching<'a>(
    taints: &[Taint],
    tolerations: &'a [Toleration],
) -> (bool, Vec<&'a Toleration>) {
    let mut used = Vec::new();
    for taint in taints {
        match tolerations.iter().find(|t| tolerates(t, taint)) {
            Some(t) => used.push(t),
            None => return (false, Vec::new()),
        }
    }
    (true, used)
}

/// The shortest `tolerationSeconds` of the used tolerations; `None` = forever.
pub fn min_toleration(used: &[&Toleration]) -> Option<Duration> {
    let mut min: Option<i64> = None;
    for t in used {
        if let Some(s) = t.toleration_seconds {
            min = Some(min.map_or(s, |m| m.min(s)));
        }
    }
    min.map(|s| Duration::from_secs(u64::try_from(s).unwrap_or(0)))
}

/// Adds `add` (stamped with the time) and removes `remove` (by key and effect) on the
/// node, retrying on conflicts with a fresh copy. Returns the updated node, or `None`
/// when nothing had to change.
pub async fn swap(
    api: &Api<Node>,
    node: &Node,
    add: &[Taint],
    remove: &[Taint],
) -> Result<Option<Node>, Error> {
    let mut current = node.clone();
    for _ in 0..5 {
        let old = taints(&current).to_vec();
        let mut new: Vec<Taint> = old
            .iter()
            .filter(|t| !remove.iter().any(|r| same(r, t)) && !add.iter().any(|a| same(a, t)))
            .cloned()
            .collect();
        for a in add {
            match old.iter().find(|t| same(t, a)) {
                // Keep the taint (and its timeAdded) when it is already there.
                Some(t) if t.value == a.value => new.push(t.clone()),
                _ => new.push(Taint {
                    time_added: Some(Time(Timestamp::now())),
                    ..a.clone()
                }),
            }
        }
        if new == old {
            return Ok(None);
        }
        let name = current.metadata.name.clone().unwrap_or_default();
        let spec = current.spec.get_or_insert_with(Default::default);
        spec.taints = (!new.is_empty()).then_some(new);
        match api.replace(&name, &PostParams::default(), &current).await {
            Ok(n) => return Ok(Some(n)),
            Err(kube::Error::Api(s)) if s.code == 409 => current = api.get(&name).await?,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Other("node taints: too many conflicts".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tol(v: serde_json::Value) -> Toleration {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn toleration_matching() {
        let t = taint(UNREACHABLE, NO_EXECUTE);
        assert!(tolerates(&tol(json!({"operator": "Exists"})), &t));
        assert!(tolerates(
            &tol(json!({"key": UNREACHABLE, "operator": "Exists"})),
            &t
        ));
        assert!(!tolerates(
            &tol(json!({"key": UNREACHABLE, "operator": "Exists", "effect": "NoSchedule"})),
            &t
        ));
        assert!(tolerates(
            &tol(json!({"key": UNREACHABLE, "operator": "Equal", "value": ""})),
            &t
        ));
        assert!(!tolerates(
            &tol(json!({"key": UNREACHABLE, "value": "x"})),
            &t
        ));
        let tols = vec![
            tol(json!({"key": UNREACHABLE, "operator": "Exists", "tolerationSeconds": 30})),
            tol(json!({"operator": "Exists"})),
        ];
        let (all, used) = matching(&[t.clone(), taint("other", NO_EXECUTE)], &tols);
        assert!(all);
        assert_eq!(min_toleration(&used), Some(Duration::from_secs(30)));
        let (all, _) = matching(&[taint("other", NO_EXECUTE)], &tols[..1]);
        assert!(!all);
        assert_eq!(min_toleration(&[&tols[1]]), None);
    }

    #[test]
    fn condition_taints() {
        let node: Node = serde_json::from_value(json!({
            "metadata": {"name": "n"},
            "spec": {"unschedulable": true, "taints": [
                {"key": NOT_READY, "effect": "NoSchedule"}, {"key": "user", "effect": "NoSchedule"}]},
            "status": {"conditions": [{"type": "Ready", "status": "Unknown"},
                                      {"type": "DiskPressure", "status": "False"}]},
        }))
        .unwrap();
        let (add, remove) = no_schedule_diff(&node);
        let keys: Vec<&str> = add.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(keys, [UNREACHABLE, UNSCHEDULABLE]);
        assert_eq!(remove.len(), 1);
        assert_eq!(remove[0].key, NOT_READY);
    }
}
