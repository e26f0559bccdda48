#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Fake nodes and the node lifecycle controller through kubectl: registration and
//! capacity, pods run on fake nodes (Jobs' pods complete), and a node whose Lease stops
//! being renewed goes Unknown, gets the unreachable taints, and its pods are evicted
//! after their toleration (the default one is the API server's
//! `--default-unreachable-toleration-seconds`, given to pods by admission).

mod common;

use std::time::{Duration, Instant};

use common::Server;
use serde_json::Value;

fn json(s: &Server, args: &[&str]) -> Value {
    serde_json::from_str(&s.ok(args)).unwrap()
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn pod_yaml(name: &str, node: &str, extra_meta: &str, extra_spec: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n{extra_meta}spec:\n  nodeName: {node}\n  \
         containers:\n  - name: main\n    image: busybox:1.36\n{extra_spec}"
    )
}

fn condition(obj: &Value, ty: &str) -> Value {
    obj["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == ty).cloned())
        .unwrap_or(Value::Null)
}

fn pod_ready(s: &Server, name: &str) -> bool {
    let out = s.kubectl(&["get", "pod", name, "-o", "json"]);
    let Ok(p) = serde_json::from_slice::<Value>(&out.stdout) else {
        return false;
    };
    p["status"]["phase"] == "Running" && condition(&p, "Ready")["status"] == "True"
}

#[test]
fn fake_nodes_register_with_capacity_and_leases() {
    let s = Server::start();
    let _nodes = s.fake_nodes(3, "2", "4Gi", &[]);
    s.eventually(60, "3 Ready nodes", || {
        let out = s.kubectl(&["get", "nodes", "--no-headers"]);
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        text.lines()
            .filter(|l| l.split_whitespace().nth(1) == Some("Ready"))
            .count()
            == 3
    });
    let table = s.ok(&["get", "nodes"]);
    assert!(table.starts_with("NAME"), "{table}");
    for i in 0..3 {
        assert!(table.contains(&format!("fake-node-{i}")), "{table}");
    }
    assert!(table.contains("v1.33.0"), "{table}");

    let d = squash(&s.ok(&["describe", "node", "fake-node-1"]));
    for want in [
        "Capacity: cpu: 2 ephemeral-storage: 100Gi memory: 4Gi pods: 110 Allocatable: cpu: 2",
        "kubehci.io/fake-node=true",
        "kubernetes.io/hostname=fake-node-1",
        "InternalIP: 10.255.0.2",
        "Container Runtime Version: fake://kubehci",
        "Kubelet Version: v1.33.0",
        "Ready True",
        "KubeletReady kubelet is posting ready status",
        "PodCIDR: 10.244.1.0/24",
    ] {
        assert!(d.contains(want), "describe node lacks {want:?}:\n{d}");
    }

    let leases = json(
        &s,
        &["get", "leases", "-n", "kube-node-lease", "-o", "json"],
    );
    let items = leases["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{leases}");
    for l in items {
        assert_eq!(l["spec"]["holderIdentity"], l["metadata"]["name"]);
        assert_eq!(l["spec"]["leaseDurationSeconds"], 40);
        assert_eq!(l["metadata"]["ownerReferences"][0]["kind"], "Node");
    }
}

#[test]
fn pods_on_fake_nodes_run_and_jobs_pods_complete() {
    // The Job and garbage collector controllers are off: the Job-owned pod below has an
    // owner that exists only in its ownerReferences.
    let s = Server::start_with(&["--controllers", "*,-job,-garbagecollector"]);
    let _nodes = s.fake_nodes(2, "4", "8Gi", &["--max-pods", "20"]);
    s.eventually(60, "nodes", || {
        s.kubectl(&["get", "node", "fake-node-1"]).status.success()
    });
    s.ok_stdin(
        &["apply", "-f", "-"],
        &pod_yaml("web", "fake-node-1", "", ""),
    );
    s.eventually(30, "pod web Running and Ready", || pod_ready(&s, "web"));
    let p = json(&s, &["get", "pod", "web", "-o", "json"]);
    let st = &p["status"];
    assert!(
        st["podIP"].as_str().unwrap().starts_with("10.244.1."),
        "{st}"
    );
    assert_eq!(st["hostIP"], "10.255.0.2");
    assert!(st["startTime"].is_string());
    let c = &st["containerStatuses"][0];
    assert_eq!(c["ready"], true);
    assert_eq!(c["restartCount"], 0);
    assert!(c["state"]["running"]["startedAt"].is_string(), "{c}");
    assert!(c["containerID"].as_str().unwrap().starts_with("fake://"));
    for ty in [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ] {
        assert_eq!(condition(&p, ty)["status"], "True", "{ty}");
    }
    let wide = s.ok(&["get", "pods", "-o", "wide"]);
    let row = squash(wide.lines().find(|l| l.starts_with("web ")).unwrap());
    assert!(row.starts_with("web 1/1 Running 0"), "{wide}");
    assert!(
        row.contains(st["podIP"].as_str().unwrap()) && row.contains("fake-node-1"),
        "{wide}"
    );

    let owner = "  ownerReferences:\n  - {apiVersion: batch/v1, kind: Job, name: calc, \
                 uid: 6b1e4f3c-1111-4222-8333-944455556666, controller: true}\n";
    let job_pod = pod_yaml("calc-x1", "fake-node-0", owner, "  restartPolicy: Never\n");
    s.ok_stdin(&["apply", "-f", "-"], &job_pod);
    s.eventually(30, "Job pod Succeeded", || {
        s.kubectl(&["get", "pod", "calc-x1", "-o", "jsonpath={.status.phase}"])
            .stdout
            == b"Succeeded"
    });
    let p = json(&s, &["get", "pod", "calc-x1", "-o", "json"]);
    let t = &p["status"]["containerStatuses"][0]["state"]["terminated"];
    assert_eq!(t["exitCode"], 0, "{p}");
    assert_eq!(t["reason"], "Completed");
    assert_eq!(condition(&p, "Ready")["reason"], "PodCompleted");
    let row = squash(&s.ok(&["get", "pod", "calc-x1", "--no-headers"]));
    assert!(row.starts_with("calc-x1 0/1 Completed 0"), "{row}");

    // Deleting a pod on a fake node finishes promptly (the fake kubelet removes it).
    let start = Instant::now();
    s.ok(&["delete", "pod", "web", "--wait=true", "--timeout=20s"]);
    assert!(start.elapsed() < Duration::from_secs(15));
    assert!(!s.kubectl(&["get", "pod", "web"]).status.success());
}

/// Seconds since an RFC 3339 time (kubectl prints UTC with a `Z`).
fn rfc3339_secs(t: &str) -> i64 {
    let out = std::process::Command::new("date")
        .args(["-u", "-d", t, "+%s"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

#[test]
fn dead_node_goes_unknown_gets_tainted_and_its_pods_are_evicted() {
    let s = Server::start_with(&[
        "--node-monitor-grace-period",
        "4",
        "--default-not-ready-toleration-seconds",
        "3",
        "--default-unreachable-toleration-seconds",
        "3",
    ]);
    let doomed = s.fake_nodes(1, "2", "4Gi", &["--prefix", "doomed"]);
    let _healthy = s.fake_nodes(1, "2", "4Gi", &["--prefix", "healthy"]);
    s.eventually(60, "nodes", || {
        s.kubectl(&["get", "node", "doomed-0"]).status.success()
            && s.kubectl(&["get", "node", "healthy-0"]).status.success()
    });
    let patient_tol = "  tolerations:\n  - {key: node.kubernetes.io/unreachable, operator: Exists, \
                       effect: NoExecute, tolerationSeconds: 3600}\n";
    s.ok_stdin(
        &["apply", "-f", "-"],
        &pod_yaml("victim", "doomed-0", "", ""),
    );
    s.ok_stdin(
        &["apply", "-f", "-"],
        &pod_yaml("patient", "doomed-0", "", patient_tol),
    );
    s.ok_stdin(
        &["apply", "-f", "-"],
        &pod_yaml("survivor", "healthy-0", "", ""),
    );
    for p in ["victim", "patient", "survivor"] {
        s.eventually(30, "pods running", || pod_ready(&s, p));
    }

    drop(doomed);
    s.eventually(30, "doomed-0 Unknown", || {
        let n = json(&s, &["get", "node", "doomed-0", "-o", "json"]);
        condition(&n, "Ready")["status"] == "Unknown"
    });
    let n = json(&s, &["get", "node", "doomed-0", "-o", "json"]);
    let ready = condition(&n, "Ready");
    assert_eq!(ready["reason"], "NodeStatusUnknown");
    assert_eq!(ready["message"], "Kubelet stopped posting node status.");
    assert_eq!(condition(&n, "MemoryPressure")["status"], "Unknown");
    let table = s.ok(&["get", "nodes", "--no-headers"]);
    assert!(squash(&table).contains("doomed-0 NotReady"), "{table}");
    assert!(squash(&table).contains("healthy-0 Ready"), "{table}");

    s.eventually(20, "unreachable taints", || {
        let n = json(&s, &["get", "node", "doomed-0", "-o", "json"]);
        let taints = n["spec"]["taints"].as_array().cloned().unwrap_or_default();
        let has = |effect: &str| {
            taints
                .iter()
                .any(|t| t["key"] == "node.kubernetes.io/unreachable" && t["effect"] == effect)
        };
        has("NoSchedule") && has("NoExecute")
    });
    let n = json(&s, &["get", "node", "doomed-0", "-o", "json"]);
    let no_exec = n["spec"]["taints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["effect"] == "NoExecute")
        .cloned()
        .unwrap();
    let tainted_at = rfc3339_secs(no_exec["timeAdded"].as_str().unwrap());

    // The victim has only the default tolerations: evicted after 3 s.
    s.eventually(30, "victim evicted", || {
        let p = json(&s, &["get", "pod", "victim", "-o", "json"]);
        p["metadata"]["deletionTimestamp"].is_string()
    });
    let p = json(&s, &["get", "pod", "victim", "-o", "json"]);
    let deleted_at = rfc3339_secs(p["metadata"]["deletionTimestamp"].as_str().unwrap())
        - p["metadata"]["deletionGracePeriodSeconds"]
            .as_i64()
            .unwrap();
    assert!(
        deleted_at - tainted_at >= 2,
        "evicted {}s after the taint",
        deleted_at - tainted_at
    );
    assert_eq!(
        condition(&p, "Ready")["status"],
        "False",
        "marked not ready: {p}"
    );
    assert_eq!(
        condition(&p, "DisruptionTarget")["reason"],
        "DeletionByTaintManager"
    );
    let d = squash(&s.ok(&["describe", "pod", "victim"]));
    assert!(d.contains("Marking for deletion Pod default/victim"), "{d}");
    assert!(
        d.contains("NodeNotReady") && d.contains("Node is not ready"),
        "{d}"
    );

    // The patient tolerates the taint for an hour; the survivor's node is fine.
    std::thread::sleep(Duration::from_secs(2));
    for p in ["patient", "survivor"] {
        let pod = json(&s, &["get", "pod", p, "-o", "json"]);
        assert!(
            pod["metadata"]["deletionTimestamp"].is_null(),
            "{p} was evicted"
        );
    }
    assert!(pod_ready(&s, "survivor"));
    let events = s.ok(&["get", "events", "-A"]);
    assert!(
        events.contains("Node doomed-0 status is now: NodeNotReady"),
        "{events}"
    );

    // The node comes back: its own status wins, the taints go, the evicted pod is
    // finished off by its (fake) kubelet and the patient is ready again.
    let _back = s.fake_nodes(1, "2", "4Gi", &["--prefix", "doomed"]);
    s.eventually(30, "doomed-0 Ready without taints", || {
        let n = json(&s, &["get", "node", "doomed-0", "-o", "json"]);
        condition(&n, "Ready")["status"] == "True" && n["spec"]["taints"].is_null()
    });
    s.eventually(30, "victim gone", || {
        !s.kubectl(&["get", "pod", "victim"]).status.success()
    });
    s.eventually(30, "patient ready again", || pod_ready(&s, "patient"));
}

#[test]
fn all_nodes_down_is_a_disruption_not_an_eviction() {
    let s = Server::start_with(&[
        "--node-monitor-grace-period",
        "4",
        "--default-not-ready-toleration-seconds",
        "2",
        "--default-unreachable-toleration-seconds",
        "2",
    ]);
    let nodes = s.fake_nodes(2, "2", "4Gi", &[]);
    s.eventually(60, "nodes", || {
        s.kubectl(&["get", "node", "fake-node-1"]).status.success()
    });
    s.ok_stdin(
        &["apply", "-f", "-"],
        &pod_yaml("app", "fake-node-0", "", ""),
    );
    s.eventually(30, "pod running", || pod_ready(&s, "app"));
    drop(nodes);
    s.eventually(30, "both nodes Unknown with NoSchedule taints", || {
        let list = json(&s, &["get", "nodes", "-o", "json"]);
        list["items"].as_array().unwrap().iter().all(|n| {
            condition(n, "Ready")["status"] == "Unknown"
                && n["spec"]["taints"].as_array().is_some_and(|t| {
                    t.iter().any(|t| {
                        t["key"] == "node.kubernetes.io/unreachable" && t["effect"] == "NoSchedule"
                    })
                })
        })
    });
    // Upstream stops evicting when every node is down (the control plane is more likely
    // cut off than every node dead): no NoExecute taint, the pod stays.
    std::thread::sleep(Duration::from_secs(6));
    let list = json(&s, &["get", "nodes", "-o", "json"]);
    for n in list["items"].as_array().unwrap() {
        let taints = n["spec"]["taints"].as_array().cloned().unwrap_or_default();
        assert!(!taints.iter().any(|t| t["effect"] == "NoExecute"), "{n}");
    }
    let p = json(&s, &["get", "pod", "app", "-o", "json"]);
    assert!(p["metadata"]["deletionTimestamp"].is_null(), "{p}");
}

#[test]
fn nodes_without_a_pod_cidr_get_one_from_the_cluster_cidr() {
    let s = Server::start_with(&["--cluster-cidr", "10.250.0.0/23", "--disable-scheduler"]);
    for name in ["a", "b", "c"] {
        s.ok_stdin(
            &["create", "-f", "-"],
            &format!(
                "{{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{{\"name\":\"{name}\"}}}}"
            ),
        );
    }
    let cidr = |n: &str| s.ok(&["get", "node", n, "-o", "jsonpath={.spec.podCIDR}"]);
    s.eventually(30, "two nodes with pod CIDRs", || {
        [cidr("a"), cidr("b"), cidr("c")]
            .iter()
            .filter(|c| !c.is_empty())
            .count()
            == 2
    });
    let mut got: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|n| cidr(n))
        .filter(|c| !c.is_empty())
        .collect();
    got.sort();
    assert_eq!(got, ["10.250.0.0/24", "10.250.1.0/24"]);
    // The range is used up: the third node waits, with upstream's event.
    let waiting = ["a", "b", "c"]
        .into_iter()
        .find(|n| cidr(n).is_empty())
        .unwrap();
    s.eventually(30, "the CIDRNotAvailable event", || {
        s.ok(&[
            "get",
            "events",
            "--field-selector",
            "reason=CIDRNotAvailable",
        ])
        .contains(&format!("Node {waiting} status is now: CIDRNotAvailable"))
    });
    // Deleting a node frees its subnet for the waiting one (on its next update).
    let holder = ["a", "b", "c"].into_iter().find(|n| *n != waiting).unwrap();
    let freed = cidr(holder);
    s.ok(&["delete", "node", holder]);
    s.ok(&["label", "node", waiting, "touched=yes"]);
    s.eventually(30, "the freed subnet reused", || cidr(waiting) == freed);
}
