//! `kubectl get pods`: READY, STATUS, RESTARTS and the wide cells.

mod common;

use common::{ago, columns, meta, names, texts};
use serde_json::{Value, json};

fn pod(spec: Value, status: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta("web-1", 300), "spec": spec, "status": status})
}

fn one_container() -> Value {
    json!({"containers": [{"name": "app", "image": "nginx"}], "nodeName": "node-1"})
}

#[test]
fn pod_columns() {
    let cols = columns("", "pods");
    assert_eq!(
        names(&cols),
        [
            "Name",
            "Ready",
            "Status",
            "Restarts",
            "Age",
            "IP",
            "Node",
            "Nominated Node",
            "Readiness Gates"
        ]
    );
    assert_eq!(cols[3].1, "string");
    assert_eq!(
        cols.iter().map(|c| c.2).collect::<Vec<_>>(),
        [0, 0, 0, 0, 0, 1, 1, 1, 1]
    );
}

#[test]
fn running_pod() {
    let status = json!({"phase": "Running", "podIP": "10.244.1.5", "podIPs": [{"ip": "10.244.1.5"}],
        "conditions": [{"type": "Ready", "status": "True"}],
        "containerStatuses": [{"name": "app", "ready": true, "restartCount": 0, "state": {"running": {"startedAt": ago(200)}}}]});
    assert_eq!(
        texts("", "pods", pod(one_container(), status)),
        [
            "web-1",
            "1/1",
            "Running",
            "0",
            "5m",
            "10.244.1.5",
            "node-1",
            "<none>",
            "<none>"
        ]
    );
}

#[test]
fn crash_loop_with_last_restart() {
    let status = json!({"phase": "Running", "containerStatuses": [{"name": "app", "ready": false, "restartCount": 3,
        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(150)}}}]});
    let t = texts("", "pods", pod(one_container(), status));
    assert_eq!(t[1..4], ["0/1", "CrashLoopBackOff", "3 (2m30s ago)"]);
    assert_eq!(t[5], "<none>");
}

#[test]
fn terminated_without_reason() {
    let st = |term: Value| json!({"phase": "Running", "containerStatuses": [{"name": "app", "restartCount": 0, "state": {"terminated": term}}]});
    let spec = one_container();
    assert_eq!(
        texts("", "pods", pod(spec.clone(), st(json!({"exitCode": 137}))))[2],
        "ExitCode:137"
    );
    assert_eq!(
        texts(
            "",
            "pods",
            pod(spec, st(json!({"exitCode": 0, "signal": 9})))
        )[2],
        "Signal:9"
    );
}

#[test]
fn init_containers() {
    let spec = json!({"initContainers": [{"name": "i1"}, {"name": "i2"}], "containers": [{"name": "app"}]});
    let pending = json!({"phase": "Pending", "initContainerStatuses": [
        {"name": "i1", "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}},
        {"name": "i2", "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}}]});
    assert_eq!(
        texts("", "pods", pod(spec.clone(), pending))[1..4],
        ["0/1", "Init:0/2", "0"]
    );
    let second = json!({"phase": "Pending", "initContainerStatuses": [
        {"name": "i1", "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
        {"name": "i2", "restartCount": 2, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
         "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(30)}}}]});
    assert_eq!(
        texts("", "pods", pod(spec.clone(), second))[1..4],
        ["0/1", "Init:CrashLoopBackOff", "2 (30s ago)"]
    );
    let failed = json!({"phase": "Pending", "initContainerStatuses": [
        {"name": "i1", "restartCount": 0, "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]});
    assert_eq!(
        texts("", "pods", pod(spec.clone(), failed))[2],
        "Init:Error"
    );
    let signal = json!({"phase": "Pending", "initContainerStatuses": [
        {"name": "i1", "restartCount": 0, "state": {"terminated": {"exitCode": 2, "signal": 15}}}]});
    assert_eq!(texts("", "pods", pod(spec, signal))[2], "Init:Signal:15");
}

#[test]
fn sidecar_counts_as_container() {
    let spec = json!({"initContainers": [{"name": "proxy", "restartPolicy": "Always"}], "containers": [{"name": "app"}]});
    let status = json!({"phase": "Running", "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"}],
        "initContainerStatuses": [{"name": "proxy", "ready": true, "started": true, "restartCount": 1,
            "state": {"running": {}}, "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(7200)}}}],
        "containerStatuses": [{"name": "app", "ready": true, "restartCount": 0, "state": {"running": {}}}]});
    assert_eq!(
        texts("", "pods", pod(spec, status))[1..4],
        ["2/2", "Running", "1 (120m ago)"]
    );
}

#[test]
fn completed_and_mixed() {
    let done = json!({"phase": "Succeeded", "containerStatuses": [{"name": "app", "restartCount": 0,
        "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]});
    let t = common::cells("", "pods", pod(one_container(), done.clone()));
    assert_eq!(t[2], "Completed");
    let table = kubehci_tables::table("", "pods", &[pod(one_container(), done)], &common::opts());
    assert_eq!(
        table["rows"][0]["conditions"],
        json!([{"type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."}])
    );
    let spec = json!({"containers": [{"name": "a"}, {"name": "b"}]});
    let mixed = |conds: Value| {
        json!({"phase": "Running", "conditions": conds, "containerStatuses": [
        {"name": "a", "ready": false, "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
        {"name": "b", "ready": true, "restartCount": 0, "state": {"running": {}}}]})
    };
    assert_eq!(
        texts(
            "",
            "pods",
            pod(
                spec.clone(),
                mixed(json!([{"type": "Ready", "status": "True"}]))
            )
        )[1..3],
        ["1/2", "Running"]
    );
    assert_eq!(
        texts("", "pods", pod(spec, mixed(json!([]))))[2],
        "NotReady"
    );
}

#[test]
fn terminating_unknown_gated_and_gates() {
    let mut p = pod(one_container(), json!({"phase": "Running"}));
    p["metadata"]["deletionTimestamp"] = json!(ago(10));
    assert_eq!(texts("", "pods", p.clone())[2], "Terminating");
    p["status"]["reason"] = json!("NodeLost");
    assert_eq!(texts("", "pods", p)[2], "Unknown");
    let gated = json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]});
    assert_eq!(
        texts(
            "",
            "pods",
            pod(json!({"containers": [{"name": "a"}]}), gated)
        )[1..3],
        ["0/1", "SchedulingGated"]
    );
    let spec = json!({"containers": [{"name": "a"}], "readinessGates": [{"conditionType": "x.io/one"}, {"conditionType": "x.io/two"}]});
    let status = json!({"phase": "Pending", "nominatedNodeName": "node-9", "conditions": [{"type": "x.io/one", "status": "True"}]});
    let t = texts("", "pods", pod(spec, status));
    assert_eq!(t[5..], ["<none>", "<none>", "node-9", "1/2"]);
}
