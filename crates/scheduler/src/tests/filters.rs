//! Filters: resources (init containers, sidecars, overhead), taints, node affinity,
//! host ports, inter-pod (anti-)affinity and topology spread.

use serde_json::{Value, json};

use super::{cache, info, node, pod, schedule, with};
use crate::resources::pod_requests;

fn labelled(v: Value, labels: Value) -> Value {
    with(v, "/metadata/labels", labels)
}

fn anti_affinity(p: Value, app: &str, key: &str) -> Value {
    with(
        p,
        "/spec/affinity",
        json!({"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": key}]}}),
    )
}

#[test]
fn init_containers_take_the_max_and_overhead_adds() {
    let mut p = pod("p", "1", "1Gi");
    p["spec"]["initContainers"] = json!([
        {"name": "i1", "image": "x", "resources": {"requests": {"cpu": "2", "memory": "512Mi"}}},
        {"name": "side", "image": "x", "restartPolicy": "Always",
         "resources": {"requests": {"cpu": "500m"}}},
        {"name": "i2", "image": "x", "resources": {"requests": {"cpu": "1", "memory": "3Gi"}}},
    ]);
    p["spec"]["overhead"] = json!({"cpu": "100m"});
    let i = info(p);
    // Regular 1 + sidecar 0.5 = 1.5 CPU; init max: i1 alone 2, i2 with sidecar 1.5 -> 2.
    assert_eq!(i.requests.milli_cpu, 2100);
    // Memory: regular 1Gi; i2 with the sidecar 3Gi -> 3Gi.
    assert_eq!(i.requests.memory, 3 * 1024 * 1024 * 1024);
    let spec = i.pod.spec.clone().unwrap_or_default();
    assert_eq!(pod_requests(&spec, true).milli_cpu, 2100);
}

#[test]
fn non_zero_defaults_apply_only_to_missing_requests() {
    let i = info(pod("p", "", ""));
    assert_eq!(i.requests.milli_cpu, 0);
    assert_eq!(i.non_zero.milli_cpu, 100);
    assert_eq!(i.non_zero.memory, 200 * 1024 * 1024);
}

#[test]
fn assigned_requests_count_against_the_node() {
    let c = cache(
        vec![node("a", "2", "4Gi"), node("b", "2", "4Gi")],
        vec![(pod("x", "1500m", ""), "a")],
    );
    assert_eq!(schedule(&c, pod("p", "1", "")).unwrap(), "b");
}

#[test]
fn taints_and_tolerations() {
    let tainted = with(
        node("a", "2", "4Gi"),
        "/spec/taints",
        json!([{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]),
    );
    let c = cache(vec![tainted], vec![]);
    assert_eq!(
        schedule(&c, pod("p", "", "")).unwrap_err(),
        "0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}. \
         preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
    );
    let tol = with(
        pod("p", "", ""),
        "/spec/tolerations",
        json!([{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]),
    );
    assert_eq!(schedule(&c, tol).unwrap(), "a");
    let exists = with(
        pod("p", "", ""),
        "/spec/tolerations",
        json!([{"operator": "Exists"}]),
    );
    assert_eq!(schedule(&c, exists).unwrap(), "a");
}

#[test]
fn prefer_no_schedule_does_not_filter() {
    let soft = with(
        node("a", "2", "4Gi"),
        "/spec/taints",
        json!([{"key": "k", "effect": "PreferNoSchedule"}]),
    );
    let c = cache(vec![soft], vec![]);
    assert_eq!(schedule(&c, pod("p", "", "")).unwrap(), "a");
}

#[test]
fn node_selector_and_required_affinity() {
    let ssd = labelled(
        node("ssd", "2", "4Gi"),
        json!({"kubernetes.io/hostname": "ssd", "disk": "ssd", "gen": "5"}),
    );
    let c = cache(vec![node("a", "2", "4Gi"), ssd], vec![]);
    let sel = with(
        pod("p", "", ""),
        "/spec/nodeSelector",
        json!({"disk": "ssd"}),
    );
    assert_eq!(schedule(&c, sel).unwrap(), "ssd");
    let gt = with(
        pod("p", "", ""),
        "/spec/affinity",
        json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [
                {"key": "gen", "operator": "Gt", "values": ["4"]}]}]}}}),
    );
    assert_eq!(schedule(&c, gt).unwrap(), "ssd");
    let not_in = with(
        pod("p", "", ""),
        "/spec/affinity",
        json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [
                {"key": "disk", "operator": "NotIn", "values": ["ssd"]}]}]}}}),
    );
    assert_eq!(schedule(&c, not_in).unwrap(), "a");
}

#[test]
fn host_ports_conflict() {
    let mut used = pod("x", "", "");
    used["spec"]["containers"][0]["ports"] = json!([{"containerPort": 80, "hostPort": 8080}]);
    let c = cache(
        vec![node("a", "2", "4Gi"), node("b", "2", "4Gi")],
        vec![(used.clone(), "a")],
    );
    let mut want = pod("p", "", "");
    want["spec"]["containers"][0]["ports"] =
        json!([{"containerPort": 80, "hostPort": 8080, "protocol": "TCP"}]);
    assert_eq!(schedule(&c, want.clone()).unwrap(), "b");
    let full = cache(vec![node("a", "2", "4Gi")], vec![(used, "a")]);
    assert_eq!(
        schedule(&full, want).unwrap_err(),
        "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod \
         ports. preemption: 0/1 nodes are available: 1 No preemption victims found for \
         incoming pod."
    );
}

#[test]
fn anti_affinity_spreads_replicas() {
    let web = |n: &str| {
        anti_affinity(
            labelled(pod(n, "", ""), json!({"app": "web"})),
            "web",
            "kubernetes.io/hostname",
        )
    };
    let c = cache(
        vec![
            node("a", "2", "4Gi"),
            node("b", "2", "4Gi"),
            node("c", "2", "4Gi"),
        ],
        vec![(web("w1"), "a"), (web("w2"), "b")],
    );
    assert_eq!(schedule(&c, web("w3")).unwrap(), "c");
    let c = cache(
        vec![node("a", "2", "4Gi"), node("b", "2", "4Gi")],
        vec![(web("w1"), "a"), (web("w2"), "b")],
    );
    assert_eq!(
        schedule(&c, web("w3")).unwrap_err(),
        "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules. \
         preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod."
    );
}

#[test]
fn existing_pods_anti_affinity_is_respected() {
    let guard = anti_affinity(
        labelled(pod("g", "", ""), json!({"app": "guard"})),
        "web",
        "kubernetes.io/hostname",
    );
    let c = cache(
        vec![node("a", "2", "4Gi"), node("b", "2", "4Gi")],
        vec![(guard, "a")],
    );
    let web = labelled(pod("w", "", ""), json!({"app": "web"}));
    assert_eq!(schedule(&c, web).unwrap(), "b");
}

#[test]
fn pod_affinity_follows_and_first_pod_may_start() {
    let follower = |n: &str| {
        with(
            labelled(pod(n, "", ""), json!({"app": "cache"})),
            "/spec/affinity",
            json!({"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": "cache"}},
                 "topologyKey": "kubernetes.io/hostname"}]}}),
        )
    };
    let empty = cache(vec![node("a", "2", "4Gi"), node("b", "2", "4Gi")], vec![]);
    assert!(schedule(&empty, follower("f1")).is_ok());
    let c = cache(
        vec![node("a", "2", "4Gi"), node("b", "2", "4Gi")],
        vec![(follower("f1"), "b")],
    );
    for _ in 0..5 {
        assert_eq!(schedule(&c, follower("f2")).unwrap(), "b");
    }
}

#[test]
fn topology_spread_do_not_schedule() {
    let zone = |n: &str, z: &str| {
        labelled(
            node(n, "4", "8Gi"),
            json!({"kubernetes.io/hostname": n, "topology.kubernetes.io/zone": z}),
        )
    };
    let spread = |n: &str| {
        with(
            labelled(pod(n, "", ""), json!({"app": "s"})),
            "/spec/topologySpreadConstraints",
            json!([{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                    "whenUnsatisfiable": "DoNotSchedule",
                    "labelSelector": {"matchLabels": {"app": "s"}}}]),
        )
    };
    let c = cache(
        vec![zone("a1", "a"), zone("a2", "a"), zone("b1", "b")],
        vec![(spread("p1"), "a1")],
    );
    assert_eq!(schedule(&c, spread("p2")).unwrap(), "b1");
    let unlabeled = cache(vec![node("x", "4", "8Gi")], vec![]);
    assert_eq!(
        schedule(&unlabeled, spread("p2")).unwrap_err(),
        "0/1 nodes are available: 1 node(s) didn't match pod topology spread constraints \
         (missing required label). preemption: 0/1 nodes are available: 1 Preemption is not \
         helpful for scheduling."
    );
    let c = cache(
        vec![zone("a1", "a"), zone("b1", "b")],
        vec![
            (spread("p1"), "a1"),
            (spread("p2"), "b1"),
            (spread("p3"), "a1"),
        ],
    );
    assert_eq!(schedule(&c, spread("p4")).unwrap(), "b1");
}
