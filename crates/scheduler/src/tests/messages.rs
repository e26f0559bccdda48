//! FailedScheduling messages, word for word as upstream's FitError and preemption.

use serde_json::json;

use super::{cache, node, pod, schedule, with};
use crate::status::{self, Code, NodeStatuses, Plugin, Status};

fn control_plane(name: &str) -> serde_json::Value {
    with(
        node(name, "2", "4Gi"),
        "/spec/taints",
        json!([{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]),
    )
}

#[test]
fn too_much_cpu_with_a_tainted_control_plane() {
    let c = cache(
        vec![
            control_plane("cp"),
            node("w1", "2", "4Gi"),
            node("w2", "2", "4Gi"),
        ],
        vec![],
    );
    assert_eq!(
        schedule(&c, pod("big", "3", "")).unwrap_err(),
        "0/3 nodes are available: 1 node(s) had untolerated taint \
         {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes \
         are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims \
         found for incoming pod."
    );
}

#[test]
fn every_insufficient_resource_is_counted() {
    let c = cache(vec![node("a", "1", "1Gi"), node("b", "1", "1Gi")], vec![]);
    assert_eq!(
        schedule(&c, pod("p", "2", "2Gi")).unwrap_err(),
        "0/2 nodes are available: 2 Insufficient cpu, 2 Insufficient memory. preemption: 0/2 \
         nodes are available: 2 No preemption victims found for incoming pod."
    );
}

#[test]
fn too_many_pods() {
    let n = with(
        node("a", "4", "8Gi"),
        "/status/allocatable/pods",
        json!("1"),
    );
    let c = cache(vec![n], vec![(pod("x", "", ""), "a")]);
    assert_eq!(
        schedule(&c, pod("p", "", "")).unwrap_err(),
        "0/1 nodes are available: 1 Too many pods. preemption: 0/1 nodes are available: 1 No \
         preemption victims found for incoming pod."
    );
}

#[test]
fn no_nodes_at_all() {
    let c = cache(vec![], vec![]);
    assert_eq!(
        schedule(&c, pod("p", "", "")).unwrap_err(),
        "no nodes available to schedule pods"
    );
}

#[test]
fn histogram_sorts_as_strings() {
    let mut st = NodeStatuses::default();
    for i in 0..10 {
        st.explicit.push((
            format!("n{i}"),
            Status::unschedulable(Plugin::NodeResourcesFit, "Insufficient cpu"),
        ));
    }
    for i in 10..12 {
        st.explicit.push((
            format!("n{i}"),
            Status::unresolvable(Plugin::NodeUnschedulable, status::ERR_UNSCHEDULABLE),
        ));
    }
    assert_eq!(
        status::fit_error(12, &st, None, ""),
        "0/12 nodes are available: 10 Insufficient cpu, 2 node(s) were unschedulable."
    );
}

#[test]
fn prefilter_message_replaces_the_histogram() {
    let st = NodeStatuses {
        explicit: vec![],
        absent: Some(Status::new(
            Code::Unresolvable,
            Plugin::NodeAffinity,
            status::ERR_AFFINITY_CONFLICT,
        )),
    };
    assert_eq!(
        status::fit_error(3, &st, Some(status::ERR_AFFINITY_CONFLICT), "preemption: x"),
        "0/3 nodes are available: pod affinity terms conflict. preemption: x"
    );
}

#[test]
fn daemonset_style_node_name_affinity() {
    let c = cache(
        vec![
            node("a", "1", "1Gi"),
            node("b", "1", "1Gi"),
            node("c", "1", "1Gi"),
        ],
        vec![],
    );
    let p = with(
        pod("ds", "2", ""),
        "/spec/affinity",
        json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [
                {"key": "metadata.name", "operator": "In", "values": ["a"]}]}]}}}),
    );
    assert_eq!(
        schedule(&c, p).unwrap_err(),
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) \
         [NodeAffinity]. preemption: 0/3 nodes are available: 1 No preemption victims found \
         for incoming pod, 2 Preemption is not helpful for scheduling."
    );
}

#[test]
fn preemption_policy_never() {
    let c = cache(vec![node("a", "1", "1Gi")], vec![]);
    let p = with(pod("p", "2", ""), "/spec/preemptionPolicy", json!("Never"));
    assert_eq!(
        schedule(&c, p).unwrap_err(),
        "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to \
         preemptionPolicy=Never."
    );
}

#[test]
fn cordoned_and_selector_mismatch() {
    let cordoned = with(node("a", "2", "2Gi"), "/spec/unschedulable", json!(true));
    let c = cache(vec![cordoned, node("b", "2", "2Gi")], vec![]);
    let p = with(
        pod("p", "", ""),
        "/spec/nodeSelector",
        json!({"disk": "ssd"}),
    );
    assert_eq!(
        schedule(&c, p).unwrap_err(),
        "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 \
         node(s) were unschedulable. preemption: 0/2 nodes are available: 2 Preemption is not \
         helpful for scheduling."
    );
}

#[test]
fn long_messages_are_truncated() {
    let long = "x".repeat(2000);
    let t = status::truncate_message(&long);
    assert_eq!(t.len(), 1024);
    assert!(t.ends_with(" ..."));
}
