//! Scores: least allocated, balanced allocation, preferred node affinity, PreferNoSchedule,
//! preferred pod affinity, spreading.

use serde_json::json;

use super::{cache, info, node, pod, schedule, with};
use crate::nodeinfo::NodeInfo;
use crate::scoring::{balanced_allocation, default_normalize, least_allocated};

#[test]
fn least_allocated_prefers_the_emptier_node() {
    let c = cache(
        vec![node("a", "4", "8Gi"), node("b", "4", "8Gi")],
        vec![(pod("x", "2", "4Gi"), "a")],
    );
    for _ in 0..10 {
        assert_eq!(schedule(&c, pod("p", "500m", "512Mi")).unwrap(), "b");
    }
}

#[test]
fn least_allocated_values() {
    let c = cache(
        vec![node("a", "4", "8Gi")],
        vec![(pod("x", "1", "2Gi"), "a")],
    );
    let n: &NodeInfo = c.node("a").unwrap();
    // cpu: (4000 - 2000) * 100 / 4000 = 50; memory: (8Gi - 4Gi) * 100 / 8Gi = 50.
    assert_eq!(least_allocated(&info(pod("p", "1", "2Gi")), n), 50);
    // cpu 3000/4000 -> 0.75, memory 4Gi/8Gi -> 0.5: std 0.125 -> 87.
    assert_eq!(balanced_allocation(&info(pod("p", "2", "2Gi")), n), 87);
}

#[test]
fn normalisation() {
    let mut s = vec![0, 5, 10];
    default_normalize(&mut s, false);
    assert_eq!(s, vec![0, 50, 100]);
    let mut s = vec![0, 1, 2];
    default_normalize(&mut s, true);
    assert_eq!(s, vec![100, 50, 0]);
    let mut s = vec![0, 0];
    default_normalize(&mut s, true);
    assert_eq!(s, vec![100, 100]);
}

#[test]
fn preferred_node_affinity_wins_ties() {
    let fast = with(
        node("fast", "4", "8Gi"),
        "/metadata/labels",
        json!({"kubernetes.io/hostname": "fast", "speed": "high"}),
    );
    let c = cache(vec![node("slow", "4", "8Gi"), fast], vec![]);
    let p = with(
        pod("p", "", ""),
        "/spec/affinity",
        json!({"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 10, "preference": {"matchExpressions": [
                {"key": "speed", "operator": "In", "values": ["high"]}]}}]}}),
    );
    for _ in 0..10 {
        assert_eq!(schedule(&c, p.clone()).unwrap(), "fast");
    }
}

#[test]
fn prefer_no_schedule_steers_away() {
    let soft = with(
        node("soft", "4", "8Gi"),
        "/spec/taints",
        json!([{"key": "k", "effect": "PreferNoSchedule"}]),
    );
    let c = cache(vec![soft, node("plain", "4", "8Gi")], vec![]);
    for _ in 0..10 {
        assert_eq!(schedule(&c, pod("p", "", "")).unwrap(), "plain");
    }
}

#[test]
fn preferred_pod_affinity_pulls_together() {
    let db = with(pod("db", "", ""), "/metadata/labels", json!({"app": "db"}));
    let c = cache(
        vec![
            node("a", "4", "8Gi"),
            node("b", "4", "8Gi"),
            node("c", "4", "8Gi"),
        ],
        vec![(db, "b")],
    );
    let p = with(
        pod("p", "", ""),
        "/spec/affinity",
        json!({"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100, "podAffinityTerm": {
                "labelSelector": {"matchLabels": {"app": "db"}},
                "topologyKey": "kubernetes.io/hostname"}}]}}),
    );
    for _ in 0..10 {
        assert_eq!(schedule(&c, p.clone()).unwrap(), "b");
    }
}

#[test]
fn replicas_of_one_controller_spread_by_default() {
    let owned = |n: &str| {
        with(
            pod(n, "", ""),
            "/metadata/ownerReferences",
            json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs",
                    "uid": "rs-1", "controller": true}]),
        )
    };
    let c = cache(
        vec![node("a", "8", "16Gi"), node("b", "8", "16Gi")],
        vec![
            (owned("r1"), "a"),
            (owned("r2"), "a"),
            (pod("other", "", ""), "b"),
        ],
    );
    for _ in 0..10 {
        assert_eq!(schedule(&c, owned("r3")).unwrap(), "b");
    }
}
