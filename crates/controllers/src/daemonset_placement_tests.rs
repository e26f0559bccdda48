#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use serde_json::json;

fn node(v: serde_json::Value) -> Node {
    serde_json::from_value(v).unwrap()
}

fn spec(v: serde_json::Value) -> PodSpec {
    let mut s: PodSpec = serde_json::from_value(v).unwrap();
    add_daemon_tolerations(&mut s);
    s
}

#[test]
fn default_tolerations_are_added_once() {
    let mut s = spec(json!({"containers": []}));
    add_daemon_tolerations(&mut s);
    let t = s.tolerations.unwrap();
    assert_eq!(t.len(), 6);
    assert!(t.iter().any(
        |t| t.key.as_deref() == Some("node.kubernetes.io/unschedulable")
            && t.effect.as_deref() == Some("NoSchedule")
            && t.operator.as_deref() == Some("Exists")
    ));
    let h = spec(json!({"containers": [], "hostNetwork": true}));
    assert_eq!(h.tolerations.unwrap().len(), 7);
}

#[test]
fn taints_and_tolerations() {
    let plain = spec(json!({"containers": []}));
    let tainted = node(json!({"metadata": {"name": "n1"}, "spec": {"taints": [
        {"key": "dedicated", "value": "db", "effect": "NoSchedule"}]}}));
    assert_eq!(should_run(&plain, &tainted), (false, true));
    let evicting = node(json!({"metadata": {"name": "n1"}, "spec": {"taints": [
        {"key": "dedicated", "value": "db", "effect": "NoExecute"}]}}));
    assert_eq!(should_run(&plain, &evicting), (false, false));
    let prefer = node(json!({"metadata": {"name": "n1"}, "spec": {"taints": [
        {"key": "x", "effect": "PreferNoSchedule"}]}}));
    assert_eq!(should_run(&plain, &prefer), (true, true));
    // The default tolerations cover cordoned and not-ready nodes.
    let cordoned = node(
        json!({"metadata": {"name": "n1"}, "spec": {"unschedulable": true,
        "taints": [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"},
                   {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}]}}),
    );
    assert_eq!(should_run(&plain, &cordoned), (true, true));
    let tolerant = spec(json!({"containers": [], "tolerations": [
        {"key": "dedicated", "operator": "Equal", "value": "db", "effect": "NoSchedule"}]}));
    assert_eq!(should_run(&tolerant, &tainted), (true, true));
    let wrong_value = spec(json!({"containers": [], "tolerations": [
        {"key": "dedicated", "value": "web"}]}));
    assert!(!should_run(&wrong_value, &tainted).0);
    let everything = spec(json!({"containers": [], "tolerations": [{"operator": "Exists"}]}));
    assert_eq!(should_run(&everything, &evicting), (true, true));
}

#[test]
fn selectors_and_affinity() {
    let n = node(json!({"metadata": {"name": "n1", "labels": {"disk": "ssd", "cores": "8"}}}));
    assert!(
        should_run(
            &spec(json!({"containers": [], "nodeSelector": {"disk": "ssd"}})),
            &n
        )
        .0
    );
    assert!(
        !should_run(
            &spec(json!({"containers": [], "nodeSelector": {"disk": "hdd"}})),
            &n
        )
        .0
    );
    assert!(!should_run(&spec(json!({"containers": [], "nodeName": "n2"})), &n).0);
    let aff = |op: &str, values: serde_json::Value| {
        spec(json!({"containers": [], "affinity": {"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "cores", "operator": op, "values": values}]}]}}}}))
    };
    assert!(should_run(&aff("Gt", json!(["4"])), &n).0);
    assert!(!should_run(&aff("Lt", json!(["4"])), &n).0);
    assert!(should_run(&aff("In", json!(["8", "16"])), &n).0);
    assert!(!should_run(&aff("NotIn", json!(["8"])), &n).0);
}

#[test]
fn pinning_replaces_required_terms() {
    let a: Affinity = serde_json::from_value(json!({"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "disk", "operator": "Exists"}]}]},
        "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, "preference":
            {"matchExpressions": [{"key": "x", "operator": "Exists"}]}}]}}))
    .unwrap();
    let pinned = pin_to_node(Some(a), "n3");
    let v = serde_json::to_value(&pinned).unwrap();
    assert_eq!(
        v["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"],
        json!({"nodeSelectorTerms": [{"matchFields": [
            {"key": "metadata.name", "operator": "In", "values": ["n3"]}]}]})
    );
    assert!(v["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"].is_array());
    let pod: Pod = serde_json::from_value(json!({"metadata": {"name": "p"},
        "spec": {"containers": [], "affinity": v}}))
    .unwrap();
    assert_eq!(target_node(&pod).as_deref(), Some("n3"));
    let n3 = node(json!({"metadata": {"name": "n3"}}));
    let n4 = node(json!({"metadata": {"name": "n4"}}));
    let terms = &pinned
        .node_affinity
        .unwrap()
        .required_during_scheduling_ignored_during_execution
        .unwrap()
        .node_selector_terms;
    assert!(matches_terms(terms, &n3) && !matches_terms(terms, &n4));
}
