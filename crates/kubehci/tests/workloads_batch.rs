#![allow(clippy::unwrap_used, clippy::expect_used)]
//! StatefulSet, DaemonSet, Job and CronJob controllers against the real server and the
//! real kubectl 1.33. No fake nodes run here: the tests play the kubelet themselves,
//! moving pods through phases with the pods/status subresource, so that each step of the
//! controllers (order, concurrency, counting) can be watched.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::Server;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use serde_json::{Value, json};

/// What the stand-in kubelet does with a pod it has not handled yet.
#[derive(Clone, Copy)]
enum Outcome {
    Succeed,
    Fail,
    Ready,
}

async fn set_phase(api: &Api<Pod>, name: &str, outcome: Outcome) {
    let now = "2024-01-01T00:00:00Z";
    let status = match outcome {
        Outcome::Succeed => json!({"phase": "Succeeded"}),
        Outcome::Fail => json!({"phase": "Failed"}),
        Outcome::Ready => json!({"phase": "Running", "conditions": [
            {"type": "Ready", "status": "True", "lastTransitionTime": now}]}),
    };
    let _ = api
        .patch_status(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({"status": status})),
        )
        .await;
}

fn pending(p: &Pod) -> bool {
    p.metadata.deletion_timestamp.is_none()
        && matches!(
            p.status.as_ref().and_then(|s| s.phase.as_deref()),
            None | Some("Pending")
        )
}

/// Plays the kubelet for pods matching `selector` until the task is dropped; records the
/// most pods that were running at once.
fn kubelet(
    client: kube::Client,
    selector: &str,
    outcome: Outcome,
) -> (tokio::task::JoinHandle<()>, Arc<AtomicUsize>) {
    let most = Arc::new(AtomicUsize::new(0));
    let seen = most.clone();
    let selector = selector.to_string();
    let task = tokio::spawn(async move {
        let api: Api<Pod> = Api::namespaced(client, "default");
        loop {
            if let Ok(list) = api.list(&ListParams::default().labels(&selector)).await {
                let live = list.items.iter().filter(|p| pending(p)).count();
                seen.fetch_max(live, Ordering::SeqCst);
                for p in &list.items {
                    let name = p.metadata.name.as_deref().unwrap_or("");
                    if pending(p) {
                        set_phase(&api, name, outcome).await;
                    } else if p.metadata.deletion_timestamp.is_some() {
                        // A kubelet confirms graceful deletions once containers stopped.
                        let _ = api
                            .delete(name, &DeleteParams::default().grace_period(0))
                            .await;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    (task, most)
}

/// Runs kubectl off the async runtime.
async fn kubectl(s: &Arc<Server>, args: &[&str]) -> String {
    let s = s.clone();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        s.ok(&refs)
    })
    .await
    .unwrap()
}

fn json_of(s: &Server, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.extend(["-o", "json"]);
    serde_json::from_str(&s.ok(&a)).unwrap()
}

fn pod_names(s: &Server, selector: &str) -> Vec<String> {
    let v = json_of(s, &["get", "pods", "-l", selector]);
    let mut names: Vec<String> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

const JOB: &str = r#"
apiVersion: batch/v1
kind: Job
metadata: {name: work}
spec:
  completions: 10
  parallelism: 3
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox, command: ["true"]}]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_of_ten_completions_three_at_a_time_completes() {
    let s = Arc::new(Server::start());
    s.ok_stdin(&["apply", "-f", "-"], JOB);
    let (task, most) = kubelet(
        s.client().await,
        "batch.kubernetes.io/job-name=work",
        Outcome::Succeed,
    );
    kubectl(
        &s,
        &[
            "wait",
            "--for=condition=complete",
            "job/work",
            "--timeout=120s",
        ],
    )
    .await;
    task.abort();
    assert!(
        most.load(Ordering::SeqCst) <= 3,
        "ran {} pods at once",
        most.load(Ordering::SeqCst)
    );

    let job = json_of(&s, &["get", "job", "work"]);
    let st = &job["status"];
    assert_eq!(st["succeeded"], 10, "{st}");
    assert!(st.get("active").is_none(), "{st}");
    assert_eq!(st["ready"], 0);
    assert!(st["startTime"].is_string() && st["completionTime"].is_string());
    let conds: Vec<(&str, &str)> = st["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["type"].as_str().unwrap(), c["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        conds,
        [
            ("SuccessCriteriaMet", "CompletionsReached"),
            ("Complete", "CompletionsReached")
        ]
    );

    let table = s.ok(&["get", "job", "work"]);
    assert!(
        table.contains("Complete") && table.contains("10/10"),
        "{table}"
    );
    // Every pod was counted once and released.
    let pods = json_of(
        &s,
        &["get", "pods", "-l", "batch.kubernetes.io/job-name=work"],
    );
    let pods = pods["items"].as_array().unwrap();
    assert_eq!(pods.len(), 10);
    let tracked = |p: &&Value| {
        p["metadata"]["finalizers"]
            .as_array()
            .is_some_and(|f| !f.is_empty())
    };
    assert_eq!(pods.iter().filter(tracked).count(), 0);
    let described = s.ok(&["describe", "job", "work"]);
    assert!(described.contains("Job completed"), "{described}");
    assert!(described.contains("Created pod: work-"), "{described}");
}

/// The issue's acceptance: the whole path, scheduler and fake nodes included.
#[test]
fn job_completes_on_fake_nodes() {
    let s = Server::start();
    let _nodes = s.fake_nodes(3, "2", "4Gi", &[]);
    s.ok_stdin(&["apply", "-f", "-"], JOB);
    s.ok(&[
        "wait",
        "--for=condition=complete",
        "job/work",
        "--timeout=120s",
    ]);
    let table = s.ok(&["get", "jobs"]);
    assert!(
        table.contains("Complete") && table.contains("10/10"),
        "{table}"
    );
    let pods = json_of(
        &s,
        &["get", "pods", "-l", "batch.kubernetes.io/job-name=work"],
    );
    let pods = pods["items"].as_array().unwrap();
    assert!(
        pods.iter()
            .all(|p| p["status"]["phase"] == "Succeeded" && p["spec"]["nodeName"].is_string())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_fails_at_backoff_limit_and_deadline() {
    let s = Arc::new(Server::start());
    let failing = JOB
        .replace("name: work}", "name: flaky}")
        .replace("parallelism: 3", "parallelism: 1\n  backoffLimit: 1");
    s.ok_stdin(&["apply", "-f", "-"], &failing);
    let (task, _) = kubelet(
        s.client().await,
        "batch.kubernetes.io/job-name=flaky",
        Outcome::Fail,
    );
    kubectl(
        &s,
        &[
            "wait",
            "--for=condition=failed",
            "job/flaky",
            "--timeout=90s",
        ],
    )
    .await;
    task.abort();
    let st = json_of(&s, &["get", "job", "flaky"])["status"].clone();
    assert_eq!(st["failed"], 2, "{st}");
    let failed = st["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Failed")
        .unwrap();
    assert_eq!(failed["reason"], "BackoffLimitExceeded");
    assert_eq!(
        failed["message"],
        "Job has reached the specified backoff limit"
    );

    // Pods that never finish run into activeDeadlineSeconds.
    let slow = JOB.replace("name: work}", "name: slow}").replace(
        "parallelism: 3",
        "parallelism: 2\n  activeDeadlineSeconds: 2",
    );
    s.ok_stdin(&["apply", "-f", "-"], &slow);
    kubectl(
        &s,
        &[
            "wait",
            "--for=condition=failed",
            "job/slow",
            "--timeout=60s",
        ],
    )
    .await;
    let st = json_of(&s, &["get", "job", "slow"])["status"].clone();
    let failed = st["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Failed")
        .unwrap();
    assert_eq!(failed["reason"], "DeadlineExceeded");
    assert_eq!(
        failed["message"],
        "Job was active longer than specified deadline"
    );
    assert_eq!(
        st["failed"], 2,
        "the two running pods count as failed: {st}"
    );
    s.eventually(20, "the deadline's pods to be gone", || {
        pod_names(&s, "batch.kubernetes.io/job-name=slow").is_empty()
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indexed_job_suspend_and_ttl() {
    let s = Arc::new(Server::start());
    let indexed = JOB.replace("name: work}", "name: idx}").replace(
        "completions: 10",
        "completions: 3\n  completionMode: Indexed\n  suspend: true\n  ttlSecondsAfterFinished: 2",
    );
    s.ok_stdin(&["apply", "-f", "-"], &indexed);
    s.eventually(20, "the Suspended condition", || {
        let st = json_of(&s, &["get", "job", "idx"])["status"].clone();
        st["conditions"].as_array().is_some_and(|c| {
            c.iter()
                .any(|c| c["type"] == "Suspended" && c["status"] == "True")
        })
    });
    assert!(pod_names(&s, "batch.kubernetes.io/job-name=idx").is_empty());
    s.ok(&[
        "patch",
        "job",
        "idx",
        "--type=merge",
        "-p",
        r#"{"spec":{"suspend":false}}"#,
    ]);
    s.eventually(20, "three indexed pods", || {
        pod_names(&s, "batch.kubernetes.io/job-name=idx").len() == 3
    });
    let pods = json_of(
        &s,
        &["get", "pods", "-l", "batch.kubernetes.io/job-name=idx"],
    );
    let indexes: BTreeSet<String> = pods["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(
                p["metadata"]["finalizers"],
                json!(["batch.kubernetes.io/job-tracking"])
            );
            p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        indexes,
        BTreeSet::from(["0".to_string(), "1".into(), "2".into()])
    );
    let (task, _) = kubelet(
        s.client().await,
        "batch.kubernetes.io/job-name=idx",
        Outcome::Succeed,
    );
    kubectl(
        &s,
        &[
            "wait",
            "--for=condition=complete",
            "job/idx",
            "--timeout=60s",
        ],
    )
    .await;
    task.abort();
    let st = json_of(&s, &["get", "job", "idx"])["status"].clone();
    assert_eq!(st["completedIndexes"], "0-2", "{st}");
    let resumed = st["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Suspended")
        .unwrap();
    assert_eq!(
        (resumed["status"].as_str(), resumed["reason"].as_str()),
        (Some("False"), Some("JobResumed"))
    );
    // ttlSecondsAfterFinished: the finished job goes away.
    s.eventually(30, "the job to be deleted after its TTL", || {
        !s.kubectl(&["get", "job", "idx"]).status.success()
    });
}

const STS: &str = r#"
apiVersion: v1
kind: Service
metadata: {name: nginx}
spec: {clusterIP: None, selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: nginx
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: nginx, image: nginx:1.27}]}
  volumeClaimTemplates:
  - metadata: {name: www}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulset_creates_ordered_pods_and_claims() {
    let s = Arc::new(Server::start());
    let pods: Api<Pod> = Api::namespaced(s.client().await, "default");
    s.ok_stdin(&["apply", "-f", "-"], STS);
    // OrderedReady: web-1 only once web-0 is Running and Ready, and so on.
    for i in 0..3 {
        let name = format!("web-{i}");
        s.eventually(20, &name, || pod_names(&s, "app=web").contains(&name));
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert_eq!(
            pod_names(&s, "app=web").len(),
            i + 1,
            "only pods up to {name} exist yet"
        );
        let pod = json_of(&s, &["get", "pod", &name]);
        assert_eq!(pod["spec"]["hostname"], name.as_str());
        assert_eq!(pod["spec"]["subdomain"], "nginx");
        assert_eq!(
            pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"],
            name.as_str()
        );
        assert_eq!(
            pod["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"],
            format!("www-{name}")
        );
        set_phase(&pods, &name, Outcome::Ready).await;
    }
    kubectl(
        &s,
        &["rollout", "status", "statefulset/web", "--timeout=30s"],
    )
    .await;
    let claims = s.ok(&["get", "pvc", "-o", "name"]);
    for i in 0..3 {
        assert!(
            claims.contains(&format!("persistentvolumeclaim/www-web-{i}")),
            "{claims}"
        );
    }
    let st = json_of(&s, &["get", "sts", "web"])["status"].clone();
    assert_eq!(
        (st["replicas"].as_i64(), st["readyReplicas"].as_i64()),
        (Some(3), Some(3)),
        "{st}"
    );
    assert_eq!(st["currentRevision"], st["updateRevision"]);
    let rev = st["updateRevision"].as_str().unwrap().to_string();

    // A rolling update replaces pods from the highest ordinal down, one at a time.
    s.ok(&["set", "image", "statefulset/web", "nginx=nginx:1.28"]);
    let mut order = Vec::new();
    while order.len() < 3 {
        let v = json_of(&s, &["get", "pods", "-l", "app=web"]);
        for p in v["items"].as_array().unwrap() {
            let name = p["metadata"]["name"].as_str().unwrap().to_string();
            let updated = p["metadata"]["labels"]["controller-revision-hash"] != rev.as_str();
            if updated && p["status"]["phase"] == "Pending" && !order.contains(&name) {
                order.push(name.clone());
                set_phase(&pods, &name, Outcome::Ready).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(order, ["web-2", "web-1", "web-0"]);
    kubectl(
        &s,
        &["rollout", "status", "statefulset/web", "--timeout=30s"],
    )
    .await;
    let history = s.ok(&["rollout", "history", "statefulset/web"]);
    assert!(history.contains('1') && history.contains('2'), "{history}");

    // Scaling down removes the highest ordinals; their claims stay.
    s.ok(&["scale", "statefulset/web", "--replicas=1"]);
    s.eventually(20, "scale down to web-0", || {
        pod_names(&s, "app=web") == ["web-0"]
    });
    assert_eq!(s.ok(&["get", "pvc", "-o", "name"]).lines().count(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemonset_places_one_pod_per_eligible_node() {
    let s = Arc::new(Server::start());
    for (name, taint) in [
        ("n1", ""),
        ("n2", ""),
        (
            "n3",
            "taints: [{key: dedicated, value: db, effect: NoSchedule}]",
        ),
    ] {
        let node =
            format!("apiVersion: v1\nkind: Node\nmetadata: {{name: {name}}}\nspec: {{{taint}}}\n");
        s.ok_stdin(&["apply", "-f", "-"], &node);
        let ready = r#"{"status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady"}]}}"#;
        s.ok(&[
            "patch",
            "node",
            name,
            "--subresource=status",
            "--type=merge",
            "-p",
            ready,
        ]);
    }
    let ds = r#"
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: a, image: busybox}]}
"#;
    s.ok_stdin(&["apply", "-f", "-"], ds);
    let targets = |s: &Server| -> BTreeSet<String> {
        let v = json_of(s, &["get", "pods", "-l", "app=agent"]);
        v["items"].as_array().unwrap().iter().filter(|p| p["metadata"].get("deletionTimestamp").is_none()).map(|p| {
            let spec = &p["spec"];
            let pinned = &spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchFields"][0];
            assert_eq!(pinned["key"], "metadata.name");
            pinned["values"][0].as_str().unwrap().to_string()
        }).collect()
    };
    s.eventually(20, "pods on n1 and n2", || {
        targets(&s) == BTreeSet::from(["n1".into(), "n2".into()])
    });
    let pod = &json_of(&s, &["get", "pods", "-l", "app=agent"])["items"][0];
    let tolerations = pod["spec"]["tolerations"].as_array().unwrap();
    assert!(
        tolerations
            .iter()
            .any(|t| t["key"] == "node.kubernetes.io/unschedulable" && t["effect"] == "NoSchedule")
    );
    let st = json_of(&s, &["get", "ds", "agent"])["status"].clone();
    assert_eq!(
        (
            st["desiredNumberScheduled"].as_i64(),
            st["currentNumberScheduled"].as_i64()
        ),
        (Some(2), Some(2)),
        "{st}"
    );

    // Tolerating the taint adds n3 and rolls the other pods onto the new template.
    let (task, _) = kubelet(s.client().await, "app=agent", Outcome::Ready);
    let patch = r#"{"spec":{"template":{"spec":{"tolerations":[{"key":"dedicated","operator":"Exists"}]}}}}"#;
    s.ok(&["patch", "ds", "agent", "--type=merge", "-p", patch]);
    kubectl(
        &s,
        &["rollout", "status", "daemonset/agent", "--timeout=60s"],
    )
    .await;
    task.abort();
    assert_eq!(
        targets(&s),
        BTreeSet::from(["n1".into(), "n2".into(), "n3".into()])
    );
    let st = json_of(&s, &["get", "ds", "agent"])["status"].clone();
    assert_eq!(
        (
            st["desiredNumberScheduled"].as_i64(),
            st["updatedNumberScheduled"].as_i64(),
            st["numberReady"].as_i64()
        ),
        (Some(3), Some(3), Some(3)),
        "{st}"
    );
    let revisions = s.ok(&["get", "controllerrevisions", "-o", "name"]);
    assert_eq!(revisions.lines().count(), 2, "{revisions}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cronjob_creates_jobs_on_schedule() {
    let s = Arc::new(Server::start());
    let cj = r#"
apiVersion: batch/v1
kind: CronJob
metadata: {name: tick}
spec:
  schedule: "* * * * *"
  jobTemplate:
    metadata: {labels: {from: tick}}
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: c, image: busybox}]
"#;
    s.ok_stdin(&["apply", "-f", "-"], cj);
    // Client-side instantiation works at once.
    s.ok(&["create", "job", "--from=cronjob/tick", "manual"]);
    s.eventually(75, "a scheduled job", || {
        s.ok(&["get", "jobs", "-o", "name"]).lines().count() == 2
    });
    let jobs = json_of(&s, &["get", "jobs", "-l", "from=tick"]);
    let job = jobs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["metadata"]["name"] != "manual")
        .unwrap();
    let name = job["metadata"]["name"].as_str().unwrap();
    let minutes: i64 = name.strip_prefix("tick-").unwrap().parse().unwrap();
    let stamp = job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
        .as_str()
        .unwrap();
    assert!(stamp.ends_with(":00Z"), "{stamp}");
    assert_eq!(job["metadata"]["ownerReferences"][0]["kind"], "CronJob");
    s.eventually(10, "status.active", || {
        let st = json_of(&s, &["get", "cronjob", "tick"])["status"].clone();
        st["active"][0]["name"] == name && st["lastScheduleTime"].is_string()
    });
    assert!(minutes > 28_000_000, "minutes since the epoch: {minutes}");
}
