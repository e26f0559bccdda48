#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use serde_json::json;

fn pod(name: &str, hash: &str, phase: &str, ready: bool) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"controller-revision-hash": hash}},
        "spec": {"containers": []},
        "status": {"phase": phase, "conditions": [{"type": "Ready",
            "status": if ready { "True" } else { "False" },
            "lastTransitionTime": "2024-01-01T00:00:00Z"}]}}))
    .unwrap()
}

fn now() -> Timestamp {
    "2024-01-01T01:00:00Z".parse().unwrap()
}

fn node<'a>(name: &str, run: bool, pods: Vec<&'a Pod>) -> NodePods<'a> {
    NodePods {
        node: name.into(),
        should_run: run,
        should_continue: run,
        pods,
    }
}

#[test]
fn manage_places_one_pod_per_eligible_node() {
    let a = pod("a", "h1", "Running", true);
    let b = pod("b", "h1", "Running", true);
    let c = pod("c", "h1", "Running", true);
    let f = pod("f", "h1", "Failed", false);
    let nodes = vec![
        node("n1", true, vec![]),
        node("n2", true, vec![&a, &b]),
        node("n3", false, vec![&c]),
        node("n4", true, vec![&f]),
    ];
    let plan = manage(&nodes, "h1", false, 0, now());
    assert_eq!(plan.create_on, vec!["n1".to_string()]);
    assert_eq!(
        plan.delete,
        vec![
            ("b".into(), Removal::Surplus),
            ("c".into(), Removal::Surplus),
            ("f".into(), Removal::Failed { node: "n4".into() }),
        ]
    );
}

#[test]
fn rolling_respects_max_unavailable() {
    let olds: Vec<Pod> = (0..4)
        .map(|i| pod(&format!("o{i}"), "h1", "Running", true))
        .collect();
    let nodes: Vec<NodePods<'_>> = olds
        .iter()
        .enumerate()
        .map(|(i, p)| node(&format!("n{i}"), true, vec![p]))
        .collect();
    let plan = rolling(&nodes, "h2", 1, 0, 0, now());
    assert_eq!(plan.delete.len(), 1);
    // One updated pod that is not yet ready uses the whole budget.
    let fresh = pod("new", "h2", "Pending", false);
    let mut nodes2: Vec<NodePods<'_>> = olds[1..]
        .iter()
        .enumerate()
        .map(|(i, p)| node(&format!("n{}", i + 1), true, vec![p]))
        .collect();
    nodes2.push(node("n0", true, vec![&fresh]));
    assert!(rolling(&nodes2, "h2", 1, 0, 0, now()).is_empty());
    assert_eq!(rolling(&nodes2, "h2", 2, 0, 0, now()).delete.len(), 1);
    // An unavailable old pod is always replaced.
    let sick = pod("sick", "h1", "Running", false);
    let nodes3 = vec![
        node("n0", true, vec![&fresh]),
        node("n1", true, vec![&sick]),
    ];
    assert_eq!(
        rolling(&nodes3, "h2", 1, 0, 0, now()).delete,
        vec![("sick".into(), Removal::Surplus)]
    );
}

#[test]
fn rolling_with_surge_starts_new_pods_first() {
    let o1 = pod("o1", "h1", "Running", true);
    let o2 = pod("o2", "h1", "Running", true);
    let nodes = vec![node("n1", true, vec![&o1]), node("n2", true, vec![&o2])];
    let plan = rolling(&nodes, "h2", 0, 1, 0, now());
    assert_eq!(plan.create_on, vec!["n1".to_string()]);
    assert!(plan.delete.is_empty());
    let n1 = pod("n1new", "h2", "Running", true);
    let nodes = vec![
        node("n1", true, vec![&o1, &n1]),
        node("n2", true, vec![&o2]),
    ];
    let plan = rolling(&nodes, "h2", 0, 1, 0, now());
    assert_eq!(plan.delete, vec![("o1".into(), Removal::Surplus)]);
    assert_eq!(plan.create_on, vec!["n2".to_string()]);
    // manage keeps both while the new pod is not available, then drops the old one.
    let starting = pod("n1new", "h2", "Pending", false);
    let both = vec![node("n1", true, vec![&o1, &starting])];
    assert!(manage(&both, "h2", true, 0, now()).is_empty());
    let both = vec![node("n1", true, vec![&o1, &n1])];
    assert_eq!(manage(&both, "h2", true, 0, now()).delete.len(), 1);
}

#[test]
fn percentages_round_up() {
    assert_eq!(scaled(Some(&IntOrString::String("25%".into())), 3, 1), 1);
    assert_eq!(scaled(Some(&IntOrString::String("50%".into())), 3, 1), 2);
    assert_eq!(scaled(Some(&IntOrString::Int(2)), 3, 1), 2);
    assert_eq!(scaled(None, 3, 1), 1);
}
