#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The scheduler end to end: the real `kubehci server` (scheduler in-process) driven by
//! kubectl 1.33. Nodes are registered with kubectl (capacity, labels, taints, Ready) and
//! the node lifecycle controller is off, so placement depends on the scheduler alone.

mod common;

use common::Server;
use serde_json::{Value, json};

fn start() -> Server {
    Server::start_with(&["--controllers", "*,-nodelifecycle"])
}

fn add_node(s: &Server, name: &str, cpu: &str, labels: Value, taints: Value) {
    let mut l = json!({"kubernetes.io/hostname": name});
    for (k, v) in labels.as_object().into_iter().flatten() {
        l[k] = v.clone();
    }
    let status = json!({
        "capacity": {"cpu": cpu, "memory": "4Gi", "pods": "110"},
        "allocatable": {"cpu": cpu, "memory": "4Gi", "pods": "110"},
        "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                        "message": "fake"}],
    });
    let node = json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": l},
        "spec": {"taints": taints},
        "status": status,
    });
    s.ok_stdin(&["create", "-f", "-"], &node.to_string());
    let alloc = s.ok(&[
        "get",
        "node",
        name,
        "-o",
        "jsonpath={.status.allocatable.cpu}",
    ]);
    if alloc.trim().is_empty() {
        let patch = json!({"status": status}).to_string();
        s.ok(&[
            "patch",
            "node",
            name,
            "--subresource=status",
            "--type=merge",
            "-p",
            &patch,
        ]);
    }
}

fn pod(name: &str, cpu: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"run": name}},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "containers": [{"name": "c", "image": "busybox",
                            "resources": {"requests": {"cpu": cpu}}}],
        },
    })
}

fn create(s: &Server, v: &Value) {
    s.ok_stdin(&["create", "-f", "-"], &v.to_string());
}

fn node_of(s: &Server, pod: &str) -> String {
    s.ok(&["get", "pod", pod, "-o", "jsonpath={.spec.nodeName}"])
        .trim()
        .to_string()
}

fn wait_bound(s: &Server, pod: &str) -> String {
    let mut node = String::new();
    s.eventually(30, &format!("{pod} to be bound"), || {
        node = node_of(s, pod);
        !node.is_empty()
    });
    node
}

fn scheduled_message(s: &Server, pod: &str) -> String {
    s.ok(&[
        "get",
        "pod",
        pod,
        "-o",
        "jsonpath={.status.conditions[?(@.type==\"PodScheduled\")].message}",
    ])
}

fn wait_message(s: &Server, pod: &str, want: &str) {
    s.eventually(30, &format!("{pod} to report {want:?}"), || {
        scheduled_message(s, pod) == want
    });
}

#[test]
fn pending_pod_explains_why_and_describe_shows_it() {
    let s = start();
    add_node(
        &s,
        "cp",
        "2",
        json!({"node-role.kubernetes.io/control-plane": ""}),
        json!([{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]),
    );
    add_node(&s, "w1", "2", json!({}), json!([]));
    add_node(&s, "w2", "2", json!({}), json!([]));
    create(&s, &pod("big", "3"));
    let want = "0/3 nodes are available: 1 node(s) had untolerated taint \
                {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 \
                nodes are available: 1 Preemption is not helpful for scheduling, 2 No \
                preemption victims found for incoming pod.";
    wait_message(&s, "big", want);
    let reason = s.ok(&[
        "get",
        "pod",
        "big",
        "-o",
        "jsonpath={.status.conditions[?(@.type==\"PodScheduled\")].reason}",
    ]);
    assert_eq!(reason, "Unschedulable");
    assert_eq!(node_of(&s, "big"), "");
    s.eventually(30, "the FailedScheduling event in describe", || {
        let d = s.ok(&["describe", "pod", "big"]);
        d.contains("FailedScheduling") && d.contains(want) && d.contains("default-scheduler")
    });
    let d = s.ok(&["describe", "pod", "big"]);
    assert!(d.contains("Status:           Pending"), "{d}");

    // A pod that fits is bound, with the Scheduled event.
    create(&s, &pod("small", "500m"));
    let node = wait_bound(&s, "small");
    assert!(node == "w1" || node == "w2", "{node}");
    s.eventually(30, "the Scheduled event", || {
        s.ok(&["describe", "pod", "small"])
            .contains(&format!("Successfully assigned default/small to {node}"))
    });
    // describe node: the pod in the non-terminated pods table and the allocation summed
    // over it (500m of 2 CPUs is 25%).
    let d = s.ok(&["describe", "node", &node]);
    assert!(
        d.contains("Non-terminated Pods:          (1 in total)"),
        "{d}"
    );
    let row = d
        .lines()
        .find(|l| l.contains(" small "))
        .unwrap_or_else(|| panic!("no row for the pod in:\n{d}"));
    assert!(
        row.split_whitespace().collect::<Vec<_>>()[..4] == ["default", "small", "500m", "(25%)"],
        "{row}"
    );
    let alloc = d.split("Allocated resources:").nth(1).unwrap_or("");
    let cpu = alloc
        .lines()
        .find(|l| l.trim_start().starts_with("cpu"))
        .unwrap_or("");
    assert_eq!(
        cpu.split_whitespace().collect::<Vec<_>>(),
        ["cpu", "500m", "(25%)", "0", "(0%)"],
        "{d}"
    );
    // The scheduler holds its lease.
    let holder = s.ok(&[
        "get",
        "lease",
        "-n",
        "kube-system",
        "kube-scheduler",
        "-o",
        "jsonpath={.spec.holderIdentity}",
    ]);
    assert!(!holder.is_empty());
}

#[test]
fn taints_node_selector_and_anti_affinity_place_pods() {
    let s = start();
    add_node(&s, "w1", "4", json!({}), json!([]));
    add_node(&s, "w2", "4", json!({"disk": "ssd"}), json!([]));
    add_node(&s, "w3", "4", json!({}), json!([]));
    s.ok(&["taint", "node", "w3", "dedicated=gpu:NoSchedule"]);

    let mut ssd = pod("ssd", "100m");
    ssd["spec"]["nodeSelector"] = json!({"disk": "ssd"});
    create(&s, &ssd);
    assert_eq!(wait_bound(&s, "ssd"), "w2");

    for i in 0..6 {
        create(&s, &pod(&format!("p{i}"), "100m"));
    }
    for i in 0..6 {
        let n = wait_bound(&s, &format!("p{i}"));
        assert_ne!(n, "w3", "p{i} landed on the tainted node");
    }

    let mut hdd = pod("hdd", "100m");
    hdd["spec"]["nodeSelector"] = json!({"disk": "hdd"});
    create(&s, &hdd);
    wait_message(
        &s,
        "hdd",
        "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 \
         node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are \
         available: 3 Preemption is not helpful for scheduling.",
    );
    // Labelling a node makes the pending pod schedulable (retry on node update).
    s.ok(&["label", "node", "w1", "disk=hdd"]);
    assert_eq!(wait_bound(&s, "hdd"), "w1");

    let mut tolerant = pod("tolerant", "100m");
    tolerant["spec"]["nodeSelector"] = json!({"kubernetes.io/hostname": "w3"});
    tolerant["spec"]["tolerations"] =
        json!([{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]);
    create(&s, &tolerant);
    assert_eq!(wait_bound(&s, "tolerant"), "w3");

    s.ok(&["taint", "node", "w3", "dedicated-"]);
    let web = |name: &str| {
        let mut p = pod(name, "100m");
        p["metadata"]["labels"] = json!({"app": "web"});
        p["spec"]["affinity"] = json!({"podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [{
                "labelSelector": {"matchLabels": {"app": "web"}},
                "topologyKey": "kubernetes.io/hostname"}]}});
        p
    };
    for i in 0..3 {
        create(&s, &web(&format!("web{i}")));
    }
    let mut nodes: Vec<String> = (0..3).map(|i| wait_bound(&s, &format!("web{i}"))).collect();
    nodes.sort();
    assert_eq!(nodes, vec!["w1", "w2", "w3"]);
    create(&s, &web("web3"));
    wait_message(
        &s,
        "web3",
        "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. \
         preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
    );
    // Deleting one replica frees its node for the pending one.
    let freed = node_of(&s, "web1");
    s.ok(&["delete", "pod", "web1", "--wait=false"]);
    assert_eq!(wait_bound(&s, "web3"), freed);
}

#[test]
fn new_node_makes_a_pending_pod_schedulable() {
    let s = start();
    add_node(&s, "small", "1", json!({}), json!([]));
    create(&s, &pod("wants2", "2"));
    wait_message(
        &s,
        "wants2",
        "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 \
         No preemption victims found for incoming pod.",
    );
    add_node(&s, "large", "4", json!({}), json!([]));
    assert_eq!(wait_bound(&s, "wants2"), "large");
}

#[test]
fn higher_priority_pod_preempts_a_lower_one() {
    let s = start();
    for (name, value) in [("low", 100), ("high", 1000)] {
        let pc = json!({
            "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
            "metadata": {"name": name}, "value": value,
        });
        create(&s, &pc);
    }
    // preemptionPolicy "Never": such a pod waits instead of preempting.
    let polite_class = json!({
        "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
        "metadata": {"name": "polite"}, "value": 1000, "preemptionPolicy": "Never",
    });
    create(&s, &polite_class);
    add_node(&s, "n1", "2", json!({}), json!([]));
    let mut low = pod("victim", "1500m");
    low["spec"]["priorityClassName"] = json!("low");
    create(&s, &low);
    assert_eq!(wait_bound(&s, "victim"), "n1");
    let victim_uid = s.ok(&["get", "pod", "victim", "-o", "jsonpath={.metadata.uid}"]);

    let mut polite = pod("polite", "1500m");
    polite["spec"]["priorityClassName"] = json!("polite");
    create(&s, &polite);
    wait_message(
        &s,
        "polite",
        "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to \
             preemptionPolicy=Never.",
    );
    assert_eq!(
        s.ok(&["get", "pod", "victim", "-o", "jsonpath={.metadata.uid}"]),
        victim_uid
    );

    let mut high = pod("preemptor", "1");
    high["spec"]["priorityClassName"] = json!("high");
    create(&s, &high);
    assert_eq!(wait_bound(&s, "preemptor"), "n1");
    s.eventually(30, "the victim to be gone", || {
        !s.kubectl(&["get", "pod", "victim"]).status.success()
    });
    let uid = s.ok(&["get", "pod", "preemptor", "-o", "jsonpath={.metadata.uid}"]);
    s.eventually(30, "the Preempted event", || {
        s.ok(&["get", "events", "--field-selector", "reason=Preempted"])
            .contains(&format!("Preempted by pod {uid} on node n1"))
    });
    let events = s.ok(&["describe", "pod", "preemptor"]);
    assert!(
        events.contains("0/1 nodes are available: 1 Insufficient cpu."),
        "{events}"
    );
    // The polite pod still waits: the preemptor took the room.
    assert_eq!(node_of(&s, "polite"), "");
}

#[test]
fn deployment_replicas_spread_evenly_over_fake_nodes() {
    let s = Server::start();
    let _nodes = s.fake_nodes(3, "2", "4Gi", &[]);
    s.eventually(60, "3 fake nodes", || {
        s.ok(&["get", "nodes", "-o", "name"]).lines().count() == 3
    });
    s.ok(&[
        "create",
        "deployment",
        "web",
        "--image=busybox",
        "--replicas=6",
    ]);
    let mut placement = Vec::new();
    s.eventually(60, "6 running replicas", || {
        let out = s.ok(&[
            "get",
            "pods",
            "-l",
            "app=web",
            "-o",
            "jsonpath={range .items[*]}{.spec.nodeName} {.status.phase}{\"\\n\"}{end}",
        ]);
        placement = out
            .lines()
            .filter(|l| l.ends_with(" Running"))
            .map(|l| l.split(' ').next().unwrap_or("").to_string())
            .collect();
        placement.len() == 6
    });
    let mut per_node = std::collections::BTreeMap::new();
    for n in &placement {
        *per_node.entry(n.clone()).or_insert(0) += 1;
    }
    assert_eq!(
        per_node.values().copied().collect::<Vec<_>>(),
        vec![2, 2, 2],
        "{per_node:?}"
    );
}
