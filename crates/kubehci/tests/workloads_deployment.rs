#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Deployments, ReplicaSets and ReplicationControllers driven by the real kubectl 1.33
//! (issue #3's acceptance): `create deployment` reaches 5/5 and `rollout status`
//! returns; `set image` rolls out without ever having more than maxUnavailable pods
//! unavailable (checked by watching); `rollout undo|history|pause|resume|restart`;
//! Recreate; progress deadline; ReplicaSet adoption and ReplicationControllers.
//!
//! Pods run on `kubehci fake-nodes` (3 nodes, 2 CPU / 4 GiB) placed by the scheduler.
//! With `KUBEHCI_TEST_EMULATED_NODES=1` a small in-test kubelet binds and readies pods
//! instead (for working on the controllers without the scheduler and fake nodes).

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use common::{FakeNodes, Server};
use futures::StreamExt as _;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt as _, watcher};
use serde_json::{Value, json};

/// Whatever runs the pods: fake nodes, or the in-test kubelet.
enum Nodes {
    Fake(#[allow(dead_code)] FakeNodes),
    Emulated(Arc<AtomicBool>),
}

impl Drop for Nodes {
    fn drop(&mut self) {
        if let Nodes::Emulated(stop) = self {
            stop.store(true, Ordering::SeqCst);
        }
    }
}

async fn start_nodes(s: &Server) -> Nodes {
    if std::env::var("KUBEHCI_TEST_EMULATED_NODES").is_ok_and(|v| v == "1") {
        let stop = Arc::new(AtomicBool::new(false));
        tokio::spawn(emulated_kubelet(s.client().await, stop.clone()));
        return Nodes::Emulated(stop);
    }
    let nodes = s.fake_nodes(3, "2", "4Gi", &[]);
    s.eventually(60, "3 ready nodes", || {
        let out = s.ok(&["get", "nodes", "--no-headers"]);
        out.lines().filter(|l| l.contains(" Ready")).count() == 3
    });
    Nodes::Fake(nodes)
}

/// Binds pending pods (unless they ask for a nodeSelector), marks bound pods Running
/// and Ready, and finishes the deletion of terminating pods, as a kubelet would.
async fn emulated_kubelet(client: kube::Client, stop: Arc<AtomicBool>) {
    let api: Api<Pod> = Api::all(client.clone());
    while !stop.load(Ordering::SeqCst) {
        let pods = api
            .list(&ListParams::default())
            .await
            .map(|l| l.items)
            .unwrap_or_default();
        for p in pods {
            let ns = p.metadata.namespace.clone().unwrap_or_default();
            let name = p.metadata.name.clone().unwrap_or_default();
            let napi: Api<Pod> = Api::namespaced(client.clone(), &ns);
            let spec = p.spec.clone().unwrap_or_default();
            if p.metadata.deletion_timestamp.is_some() {
                let _ = napi
                    .delete(&name, &DeleteParams::default().grace_period(0))
                    .await;
            } else if spec.node_name.is_none() && spec.node_selector.is_none() {
                let binding = json!({"apiVersion": "v1", "kind": "Binding",
                    "metadata": {"name": name}, "target": {"kind": "Node", "name": "emulated"}});
                let _ = napi
                    .create_subresource::<Value, Value>(
                        "binding",
                        &name,
                        &PostParams::default(),
                        &binding,
                    )
                    .await;
            } else if spec.node_name.is_some()
                && p.status.as_ref().and_then(|s| s.phase.as_deref()) != Some("Running")
            {
                let now = k8s_openapi::jiff::Timestamp::now().to_string();
                let ready =
                    |t: &str| json!({"type": t, "status": "True", "lastTransitionTime": now});
                let status = json!({"status": {"phase": "Running", "podIP": "10.0.0.1",
                    "conditions": [ready("PodScheduled"), ready("Initialized"), ready("ContainersReady"), ready("Ready")]}});
                let _ = napi
                    .patch_status(&name, &PatchParams::default(), &Patch::Merge(&status))
                    .await;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn jsonpath(s: &Server, what: &str, path: &str) -> String {
    s.ok(&["get", what, "-o", &format!("jsonpath={path}")])
}

fn rollout_status(s: &Server, name: &str) -> String {
    s.ok(&[
        "rollout",
        "status",
        &format!("deployment/{name}"),
        "--timeout=90s",
    ])
}

fn deployment_yaml(name: &str, replicas: i32, strategy: &str, image: &str) -> String {
    format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  strategy: {strategy}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers: [{{name: main, image: "{image}", resources: {{requests: {{cpu: 10m, memory: 16Mi}}}}}}]
"#
    )
}

/// ReplicaSets of a Deployment: name -> (revision, spec.replicas, image).
fn replica_sets(s: &Server, app: &str) -> BTreeMap<String, (String, i64, String)> {
    let out = s.ok(&["get", "rs", "-l", &format!("app={app}"), "-o", "json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rs| {
            let name = rs["metadata"]["name"].as_str().unwrap().to_string();
            let rev = rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
                .as_str()
                .unwrap_or("")
                .to_string();
            let image = rs["spec"]["template"]["spec"]["containers"][0]["image"]
                .as_str()
                .unwrap()
                .to_string();
            (
                name,
                (rev, rs["spec"]["replicas"].as_i64().unwrap_or(0), image),
            )
        })
        .collect()
}

/// Watches the pods of `app` and keeps the lowest number of Ready, non-terminating pods
/// and the highest number of non-terminating pods seen.
struct Watch {
    min_ready: Arc<AtomicI64>,
    max_pods: Arc<AtomicI64>,
    task: tokio::task::JoinHandle<()>,
}

async fn watch_pods(s: &Server, app: &str) -> Watch {
    let api: Api<Pod> = Api::namespaced(s.client().await, "default");
    let (min_ready, max_pods) = (
        Arc::new(AtomicI64::new(i64::MAX)),
        Arc::new(AtomicI64::new(0)),
    );
    let (lo, hi) = (min_ready.clone(), max_pods.clone());
    let (reader, writer) = kube::runtime::reflector::store::<Pod>();
    let stream = watcher(
        api,
        watcher::Config::default().labels(&format!("app={app}")),
    )
    .reflect(writer);
    let (synced_tx, synced_rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let mut synced_tx = Some(synced_tx);
        let mut synced = false;
        let mut stream = std::pin::pin!(stream);
        while let Some(ev) = stream.next().await {
            // The store holds the full list only once the initial list is done.
            match ev {
                Ok(watcher::Event::InitDone) => synced = true,
                Ok(_) if synced => {}
                _ => continue,
            }
            let pods = reader.state();
            let live: Vec<_> = pods
                .iter()
                .filter(|p| p.metadata.deletion_timestamp.is_none())
                .collect();
            let ready = live
                .iter()
                .filter(|p| {
                    p.status
                        .iter()
                        .flat_map(|s| s.conditions.iter().flatten())
                        .any(|c| c.type_ == "Ready" && c.status == "True")
                })
                .count();
            lo.fetch_min(ready as i64, Ordering::SeqCst);
            hi.fetch_max(live.len() as i64, Ordering::SeqCst);
            if let Some(tx) = synced_tx.take() {
                let _ = tx.send(());
            }
        }
    });
    let _ = tokio::time::timeout(Duration::from_secs(10), synced_rx).await;
    Watch {
        min_ready,
        max_pods,
        task,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_deployment_reaches_ready_and_scales() {
    let s = Server::start();
    let _nodes = start_nodes(&s).await;
    s.ok(&[
        "create",
        "deployment",
        "web",
        "--image=busybox",
        "--replicas=5",
    ]);
    let out = rollout_status(&s, "web");
    assert!(
        out.contains("deployment \"web\" successfully rolled out"),
        "{out}"
    );
    assert_eq!(
        jsonpath(
            &s,
            "deployment/web",
            "{.status.readyReplicas}/{.status.availableReplicas}/{.status.updatedReplicas}"
        ),
        "5/5/5"
    );
    let conds = jsonpath(
        &s,
        "deployment/web",
        "{range .status.conditions[*]}{.type}={.status}:{.reason};{end}",
    );
    assert!(
        conds.contains("Available=True:MinimumReplicasAvailable"),
        "{conds}"
    );
    assert!(
        conds.contains("Progressing=True:NewReplicaSetAvailable"),
        "{conds}"
    );
    let rss = replica_sets(&s, "web");
    assert_eq!(rss.len(), 1);
    let (rs, (rev, replicas, _)) = rss.iter().next().unwrap();
    assert_eq!((rev.as_str(), *replicas), ("1", 5));
    let hash = rs.strip_prefix("web-").unwrap();
    let msg = jsonpath(
        &s,
        "deployment/web",
        "{.status.conditions[?(@.type==\"Progressing\")].message}",
    );
    assert_eq!(
        msg,
        format!("ReplicaSet \"{rs}\" has successfully progressed.")
    );
    let ann = jsonpath(&s, &format!("rs/{rs}"), "{.metadata.annotations}");
    assert!(
        ann.contains("\"deployment.kubernetes.io/desired-replicas\":\"5\""),
        "{ann}"
    );
    assert!(
        ann.contains("\"deployment.kubernetes.io/max-replicas\":\"7\""),
        "{ann}"
    );
    // Pods: named after the ReplicaSet, controlled by it, labelled with the hash.
    let pods = s.ok(&["get", "pods", "-l", &format!("pod-template-hash={hash}"), "-o", "jsonpath={range .items[*]}{.metadata.name} {.metadata.ownerReferences[0].name} {.metadata.ownerReferences[0].controller}{\"\\n\"}{end}"]);
    assert_eq!(pods.lines().count(), 5, "{pods}");
    for l in pods.lines() {
        assert!(
            l.starts_with(&format!("{rs}-")) && l.ends_with(&format!(" {rs} true")),
            "{l}"
        );
    }
    let events = s.ok(&["describe", "deployment", "web"]);
    assert!(
        events.contains(&format!("Scaled up replica set {rs} to 5")),
        "{events}"
    );
    let rs_events = s.ok(&["describe", "rs", rs]);
    assert!(
        rs_events.contains("SuccessfulCreate") && rs_events.contains("Created pod: "),
        "{rs_events}"
    );
    // Scaling down and up is not a rollout: same ReplicaSet, same revision.
    s.ok(&["scale", "deployment", "web", "--replicas=2"]);
    s.eventually(60, "2 pods", || {
        jsonpath(&s, "deployment/web", "{.status.replicas}") == "2"
    });
    let events = s.ok(&["describe", "deployment", "web"]);
    assert!(
        events.contains(&format!("Scaled down replica set {rs} to 2 from 5")),
        "{events}"
    );
    s.ok(&["scale", "deployment", "web", "--replicas=4"]);
    rollout_status(&s, "web");
    assert_eq!(replica_sets(&s, "web").len(), 1);
    assert_eq!(
        jsonpath(
            &s,
            "deployment/web",
            "{.metadata.annotations.deployment\\.kubernetes\\.io/revision}"
        ),
        "1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_image_respects_max_unavailable_and_undo_returns() {
    let s = Server::start();
    let _nodes = start_nodes(&s).await;
    let strategy = "{type: RollingUpdate, rollingUpdate: {maxUnavailable: 1, maxSurge: 1}}";
    s.ok_stdin(
        &["apply", "-f", "-"],
        &deployment_yaml("web", 6, strategy, "busybox:1.36"),
    );
    rollout_status(&s, "web");
    let watch = watch_pods(&s, "web").await;
    s.ok(&["set", "image", "deployment/web", "main=busybox:1.37"]);
    let out = rollout_status(&s, "web");
    assert!(out.contains("successfully rolled out"), "{out}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    watch.task.abort();
    let (min_ready, max_pods) = (
        watch.min_ready.load(Ordering::SeqCst),
        watch.max_pods.load(Ordering::SeqCst),
    );
    assert!(
        min_ready >= 5,
        "at some point only {min_ready} of 6 pods were ready (maxUnavailable 1)"
    );
    // maxSurge bounds the ReplicaSets' sizes; a pod of the new one may be created just
    // before the old one's controller deletes the pod it was told to (as upstream).
    assert!(
        max_pods <= 8,
        "at some point {max_pods} pods existed (maxSurge 1)"
    );
    let rss = replica_sets(&s, "web");
    assert_eq!(rss.len(), 2, "{rss:?}");
    let by_image: BTreeMap<&str, (&str, i64)> = rss
        .values()
        .map(|(r, n, i)| (i.as_str(), (r.as_str(), *n)))
        .collect();
    assert_eq!(by_image["busybox:1.36"], ("1", 0));
    assert_eq!(by_image["busybox:1.37"], ("2", 6));
    let history = s.ok(&["rollout", "history", "deployment/web"]);
    assert!(
        history.contains("REVISION") && history.contains("1 ") && history.contains("2 "),
        "{history}"
    );
    let rev1 = s.ok(&["rollout", "history", "deployment/web", "--revision=1"]);
    assert!(rev1.contains("busybox:1.36"), "{rev1}");
    // Undo goes back to the previous template, which becomes revision 3.
    let out = s.ok(&["rollout", "undo", "deployment/web"]);
    assert!(out.contains("rolled back"), "{out}");
    rollout_status(&s, "web");
    assert_eq!(
        jsonpath(
            &s,
            "deployment/web",
            "{.spec.template.spec.containers[0].image}"
        ),
        "busybox:1.36"
    );
    let rss = replica_sets(&s, "web");
    assert_eq!(rss.len(), 2, "{rss:?}");
    let (old_name, _) = rss
        .iter()
        .find(|(_, (_, _, i))| i == "busybox:1.36")
        .unwrap();
    assert_eq!(
        jsonpath(
            &s,
            &format!("rs/{old_name}"),
            "{.metadata.annotations.deployment\\.kubernetes\\.io/revision}/{.metadata.annotations.deployment\\.kubernetes\\.io/revision-history}/{.spec.replicas}"
        ),
        "3/1/6"
    );
    assert_eq!(
        jsonpath(
            &s,
            "deployment/web",
            "{.metadata.annotations.deployment\\.kubernetes\\.io/revision}"
        ),
        "3"
    );
    let history = s.ok(&["rollout", "history", "deployment/web"]);
    assert!(
        history.contains("3 ") && !history.contains("\n1 "),
        "{history}"
    );
    // Undo to an explicit revision.
    s.ok(&["rollout", "undo", "deployment/web", "--to-revision=2"]);
    rollout_status(&s, "web");
    assert_eq!(
        jsonpath(
            &s,
            "deployment/web",
            "{.spec.template.spec.containers[0].image}"
        ),
        "busybox:1.37"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_restart_and_history_limit() {
    let s = Server::start();
    let _nodes = start_nodes(&s).await;
    s.ok(&[
        "create",
        "deployment",
        "web",
        "--image=busybox:1.36",
        "--replicas=3",
    ]);
    rollout_status(&s, "web");
    s.ok(&["rollout", "pause", "deployment/web"]);
    s.ok(&["set", "image", "deployment/web", "busybox=busybox:1.37"]);
    s.eventually(30, "paused condition", || {
        jsonpath(
            &s,
            "deployment/web",
            "{.status.conditions[?(@.type==\"Progressing\")].reason}",
        ) == "DeploymentPaused"
    });
    s.eventually(30, "generation observed", || {
        jsonpath(&s, "deployment/web", "{.metadata.generation}")
            == jsonpath(&s, "deployment/web", "{.status.observedGeneration}")
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        replica_sets(&s, "web").len(),
        1,
        "a paused deployment must not roll out"
    );
    s.ok(&["rollout", "resume", "deployment/web"]);
    rollout_status(&s, "web");
    assert_eq!(replica_sets(&s, "web").len(), 2);
    // kubectl refuses to undo a paused deployment.
    s.ok(&["rollout", "pause", "deployment/web"]);
    let err = s.fails(&["rollout", "undo", "deployment/web"]);
    assert!(
        err.contains("you cannot rollback a paused deployment; resume it first"),
        "{err}"
    );
    s.ok(&["rollout", "resume", "deployment/web"]);
    s.eventually(30, "resumed condition", || {
        jsonpath(
            &s,
            "deployment/web",
            "{.status.conditions[?(@.type==\"Progressing\")].reason}",
        ) != "DeploymentPaused"
    });
    s.ok(&["rollout", "restart", "deployment/web"]);
    rollout_status(&s, "web");
    let restarted = jsonpath(
        &s,
        "deployment/web",
        "{.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}",
    );
    assert!(!restarted.is_empty());
    assert_eq!(replica_sets(&s, "web").len(), 3);
    assert_eq!(
        jsonpath(
            &s,
            "deployment/web",
            "{.metadata.annotations.deployment\\.kubernetes\\.io/revision}"
        ),
        "3"
    );
    // revisionHistoryLimit 1 keeps one old ReplicaSet.
    s.ok(&[
        "patch",
        "deployment/web",
        "-p",
        "{\"spec\":{\"revisionHistoryLimit\":1}}",
    ]);
    s.ok(&["set", "image", "deployment/web", "busybox=busybox:1.38"]);
    rollout_status(&s, "web");
    s.eventually(30, "old ReplicaSets cleaned up", || {
        replica_sets(&s, "web").len() == 2
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recreate_stops_old_pods_first_and_deadline_is_reported() {
    let s = Server::start();
    let _nodes = start_nodes(&s).await;
    s.ok_stdin(
        &["apply", "-f", "-"],
        &deployment_yaml("db", 3, "{type: Recreate}", "busybox:1.36"),
    );
    rollout_status(&s, "db");
    let client = s.client().await;
    let api: Api<Pod> = Api::namespaced(client, "default");
    let mixed = Arc::new(AtomicBool::new(false));
    let seen = mixed.clone();
    let task = tokio::spawn(async move {
        let mut stream = std::pin::pin!(
            watcher(api.clone(), watcher::Config::default().labels("app=db")).applied_objects()
        );
        while stream.next().await.is_some() {
            let pods = api
                .list(&ListParams::default().labels("app=db"))
                .await
                .unwrap();
            let images: std::collections::BTreeSet<String> = pods
                .items
                .iter()
                .filter_map(|p| {
                    p.spec
                        .as_ref()
                        .map(|s| s.containers[0].image.clone().unwrap_or_default())
                })
                .collect();
            if images.len() > 1 {
                seen.store(true, Ordering::SeqCst);
            }
        }
    });
    s.ok(&["set", "image", "deployment/db", "main=busybox:1.37"]);
    rollout_status(&s, "db");
    task.abort();
    assert!(
        !mixed.load(Ordering::SeqCst),
        "Recreate ran old and new pods together"
    );
    // Pods nothing can run: the rollout times out with upstream's condition and message.
    s.ok(&["patch", "deployment/db", "-p", r#"{"spec":{"progressDeadlineSeconds":3,"template":{"spec":{"nodeSelector":{"nowhere":"x"}}}}}"#]);
    let out = s.kubectl(&["rollout", "status", "deployment/db", "--timeout=60s"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("deployment \"db\" exceeded its progress deadline"),
        "{err}"
    );
    let msg = jsonpath(
        &s,
        "deployment/db",
        "{.status.conditions[?(@.type==\"Progressing\")].message}",
    );
    assert!(
        msg.starts_with("ReplicaSet \"db-") && msg.ends_with("\" has timed out progressing."),
        "{msg}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_sets_adopt_release_and_replace_pods() {
    let s = Server::start();
    let _nodes = start_nodes(&s).await;
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: stray, labels: {tier: cache}}\nspec: {containers: [{name: c, image: busybox}]}\n";
    s.ok_stdin(&["create", "-f", "-"], pod);
    let rs = "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: cache}\nspec:\n  replicas: 3\n  selector: {matchLabels: {tier: cache}}\n  template:\n    metadata: {labels: {tier: cache}}\n    spec: {containers: [{name: c, image: busybox}]}\n";
    s.ok_stdin(&["create", "-f", "-"], rs);
    s.eventually(60, "3 ready replicas", || {
        jsonpath(&s, "rs/cache", "{.status.readyReplicas}") == "3"
    });
    assert_eq!(
        jsonpath(&s, "pod/stray", "{.metadata.ownerReferences[0].name}"),
        "cache",
        "the orphan is adopted"
    );
    assert_eq!(
        s.ok(&["get", "pods", "-l", "tier=cache", "--no-headers"])
            .lines()
            .count(),
        3
    );
    // A pod relabelled out of the selector is released and replaced.
    s.ok(&["label", "pod", "stray", "tier=other", "--overwrite"]);
    s.eventually(60, "stray released", || {
        jsonpath(&s, "pod/stray", "{.metadata.ownerReferences}").is_empty()
    });
    s.eventually(60, "replacement", || {
        jsonpath(
            &s,
            "rs/cache",
            "{.status.readyReplicas}/{.status.fullyLabeledReplicas}",
        ) == "3/3"
    });
    // A deleted pod is replaced; scaling to 0 removes all.
    let victim = s.ok(&[
        "get",
        "pods",
        "-l",
        "tier=cache",
        "-o",
        "jsonpath={.items[0].metadata.name}",
    ]);
    s.ok(&["delete", "pod", &victim, "--wait=false"]);
    s.eventually(60, "pod replaced", || {
        let names = s.ok(&[
            "get",
            "pods",
            "-l",
            "tier=cache",
            "-o",
            "jsonpath={.items[*].metadata.name}",
        ]);
        !names.split(' ').any(|n| n == victim)
            && jsonpath(&s, "rs/cache", "{.status.readyReplicas}") == "3"
    });
    s.ok(&["scale", "rs", "cache", "--replicas=0"]);
    s.eventually(60, "no pods", || {
        s.ok(&["get", "pods", "-l", "tier=cache", "--no-headers"])
            .trim()
            .is_empty()
    });
    // ReplicationControllers are kept the same way.
    let rc = "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: legacy}\nspec:\n  replicas: 2\n  template:\n    metadata: {labels: {app: legacy}}\n    spec: {containers: [{name: c, image: busybox}]}\n";
    s.ok_stdin(&["create", "-f", "-"], rc);
    s.eventually(60, "rc ready", || {
        jsonpath(
            &s,
            "rc/legacy",
            "{.status.readyReplicas}/{.status.replicas}",
        ) == "2/2"
    });
    let owner = s.ok(&[
        "get",
        "pods",
        "-l",
        "app=legacy",
        "-o",
        "jsonpath={.items[0].metadata.ownerReferences[0].kind}",
    ]);
    assert_eq!(owner, "ReplicationController");
}
