#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The garbage collector and the namespace controller, driven by kubectl: background,
//! foreground and orphan propagation over ownerReferences, a restart in the middle of
//! pending deletions, and namespace deletion. Only those two controllers run, so the
//! owners and dependents made here by hand stay exactly as made.

mod common;

use std::time::Duration;

use common::Server;
use futures::StreamExt as _;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use kube::runtime::watcher;
use serde_json::{Value, json};

const ONLY_OURS: &[&str] = &[
    "--controllers",
    "garbagecollector,namespace",
    "--disable-scheduler",
];

fn get(s: &Server, args: &[&str]) -> Option<Value> {
    let mut a = vec!["get"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["-o", "json"]);
    let out = s.kubectl(&a);
    out.status
        .success()
        .then(|| serde_json::from_slice(&out.stdout).unwrap())
}

fn uid(s: &Server, args: &[&str]) -> String {
    get(s, args).unwrap()["metadata"]["uid"]
        .as_str()
        .unwrap()
        .to_string()
}

fn create(s: &Server, obj: Value) {
    s.ok_stdin(&["create", "-f", "-"], &obj.to_string());
}

fn owner(api_version: &str, kind: &str, name: &str, uid: &str, block: bool) -> Value {
    json!({"apiVersion": api_version, "kind": kind, "name": name, "uid": uid,
           "controller": block, "blockOwnerDeletion": block})
}

fn cm(name: &str, ns: &str, owners: Vec<Value>, finalizers: &[&str]) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": name, "namespace": ns, "ownerReferences": owners,
                        "finalizers": finalizers}})
}

/// Creates ConfigMap `name` in `default` with `owners`; returns its uid.
fn cm_of(s: &Server, name: &str, owners: Vec<Value>) -> String {
    create(s, cm(name, "default", owners, &[]));
    uid(s, &["cm", name])
}

/// A non-blocking reference to ConfigMap `name`.
fn to_cm(name: &str, uid: &str) -> Value {
    owner("v1", "ConfigMap", name, uid, false)
}

fn pod(name: &str, owners: Vec<Value>, finalizers: &[&str]) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "labels": {"app": "web"}, "ownerReferences": owners,
                        "finalizers": finalizers},
           "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
}

/// A Deployment with a hand-made ReplicaSet and `pods` pods under it, every reference
/// blocking (as the controllers would make them). Returns the RS name.
fn deployment_tree(s: &Server, name: &str, pods: &[(&str, &[&str])]) -> String {
    s.ok(&["create", "deployment", name, "--image=busybox"]);
    let d = uid(s, &["deploy", name]);
    let rs = format!("{name}-5d4f8c7b9");
    create(
        s,
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
               "metadata": {"name": rs, "ownerReferences": [owner("apps/v1", "Deployment", name, &d, true)]},
               "spec": {"replicas": pods.len(), "selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "web"}},
                                     "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}),
    );
    let r = uid(s, &["rs", &rs]);
    for (p, fins) in pods {
        create(
            s,
            pod(p, vec![owner("apps/v1", "ReplicaSet", &rs, &r, true)], fins),
        );
    }
    rs
}

/// The resourceVersion of the watch event that deletes `name` (a global revision, so
/// deletions of different kinds can be ordered).
fn deletion_revision<K>(api: Api<K>, name: &str) -> tokio::task::JoinHandle<u64>
where
    K: kube::Resource
        + Clone
        + k8s_openapi::serde::de::DeserializeOwned
        + std::fmt::Debug
        + Send
        + 'static,
{
    let cfg = watcher::Config::default().fields(&format!("metadata.name={name}"));
    tokio::spawn(async move {
        let mut events = std::pin::pin!(watcher(api, cfg));
        while let Some(ev) = events.next().await {
            if let Ok(watcher::Event::Delete(o)) = ev {
                return o
                    .meta()
                    .resource_version
                    .as_deref()
                    .unwrap()
                    .parse()
                    .unwrap();
            }
        }
        panic!("watch ended");
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn foreground_deletes_pods_then_replicaset_then_deployment() {
    let s = Server::start_with(ONLY_OURS);
    let rs = deployment_tree(
        &s,
        "web",
        &[("web-a", &["example.com/hold"]), ("web-b", &[])],
    );
    let client = s.client().await;
    let order = [
        deletion_revision(Api::<Pod>::default_namespaced(client.clone()), "web-a"),
        deletion_revision(Api::<ReplicaSet>::default_namespaced(client.clone()), &rs),
        deletion_revision(Api::<Deployment>::default_namespaced(client.clone()), "web"),
    ];
    tokio::time::sleep(Duration::from_millis(300)).await;
    s.ok(&[
        "delete",
        "deploy",
        "web",
        "--cascade=foreground",
        "--wait=false",
    ]);
    // The held pod keeps its ReplicaSet, which keeps the Deployment.
    s.eventually(20, "web-b deleted and web-a terminating", || {
        get(&s, &["pod", "web-b"]).is_none()
            && get(&s, &["pod", "web-a"])
                .is_some_and(|p| p["metadata"]["deletionTimestamp"].is_string())
    });
    let r = get(&s, &["rs", &rs]).expect("the ReplicaSet waits for its pods");
    assert!(r["metadata"]["deletionTimestamp"].is_string(), "{r}");
    assert_eq!(r["metadata"]["finalizers"], json!(["foregroundDeletion"]));
    let d = get(&s, &["deploy", "web"]).expect("the Deployment waits for its ReplicaSet");
    assert_eq!(d["metadata"]["finalizers"], json!(["foregroundDeletion"]));
    s.ok(&[
        "patch",
        "pod",
        "web-a",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ]);
    s.eventually(20, "the Deployment to go", || {
        get(&s, &["deploy", "web"]).is_none()
    });
    assert!(get(&s, &["rs", &rs]).is_none());
    let mut revs = Vec::new();
    for h in order {
        revs.push(
            tokio::time::timeout(Duration::from_secs(10), h)
                .await
                .unwrap()
                .unwrap(),
        );
    }
    assert!(
        revs[0] < revs[1] && revs[1] < revs[2],
        "deletion order {revs:?}"
    );

    // Without anything holding them, `kubectl delete --cascade=foreground` waits and returns.
    let rs = deployment_tree(&s, "api", &[("api-a", &[]), ("api-b", &[])]);
    let out = s.ok(&["delete", "deploy", "api", "--cascade=foreground"]);
    assert!(out.contains("deployment.apps \"api\" deleted"), "{out}");
    assert!(get(&s, &["rs", &rs]).is_none());
    assert!(get(&s, &["pod", "api-a"]).is_none() && get(&s, &["pod", "api-b"]).is_none());
}

#[test]
fn orphan_leaves_dependents_without_the_reference() {
    let s = Server::start_with(ONLY_OURS);
    let rs = deployment_tree(&s, "web", &[("web-a", &[])]);
    let out = s.ok(&["delete", "deploy", "web", "--cascade=orphan"]);
    assert!(out.contains("deployment.apps \"web\" deleted"), "{out}");
    assert!(get(&s, &["deploy", "web"]).is_none());
    let r = get(&s, &["rs", &rs]).expect("the ReplicaSet stays");
    assert!(r["metadata"]["ownerReferences"].is_null(), "{r}");
    assert!(r["metadata"]["deletionTimestamp"].is_null(), "{r}");
    // Only the orphaned object's own reference went: its pods still belong to it.
    let p = get(&s, &["pod", "web-a"]).expect("the pod stays");
    assert_eq!(p["metadata"]["ownerReferences"][0]["name"], json!(rs));
    // And the collector leaves them alone from now on.
    std::thread::sleep(Duration::from_secs(2));
    assert!(get(&s, &["rs", &rs]).is_some() && get(&s, &["pod", "web-a"]).is_some());
}

#[test]
fn background_deletes_dependents_after_the_owner() {
    let s = Server::start_with(ONLY_OURS);
    let p = cm_of(&s, "parent", vec![]);
    let o = cm_of(&s, "other", vec![]);
    let c = cm_of(&s, "child", vec![to_cm("parent", &p)]);
    cm_of(&s, "grandchild", vec![to_cm("child", &c)]);
    cm_of(&s, "shared", vec![to_cm("parent", &p), to_cm("other", &o)]);
    // A cluster-scoped owner of a namespaced dependent.
    s.ok(&[
        "create",
        "clusterrole",
        "owner-role",
        "--verb=get",
        "--resource=pods",
    ]);
    let role = uid(&s, &["clusterrole", "owner-role"]);
    let rbac = "rbac.authorization.k8s.io/v1";
    let by_role = owner(rbac, "ClusterRole", "owner-role", &role, false);
    cm_of(&s, "by-role", vec![by_role]);
    // An owner that never existed: collected as soon as it is seen.
    let ghost = to_cm("ghost", "6b0a4b8e-0000-4000-8000-000000000000");
    create(&s, cm("dangling", "default", vec![ghost], &[]));
    s.eventually(20, "the dangling dependent to go", || {
        get(&s, &["cm", "dangling"]).is_none()
    });

    let out = s.ok(&["delete", "cm", "parent"]);
    assert!(out.contains("configmap \"parent\" deleted"), "{out}");
    s.eventually(20, "child and grandchild to go", || {
        get(&s, &["cm", "child"]).is_none() && get(&s, &["cm", "grandchild"]).is_none()
    });
    s.eventually(20, "the reference to the dead owner to go", || {
        get(&s, &["cm", "shared"]).unwrap()["metadata"]["ownerReferences"]
            .as_array()
            .is_some_and(|r| r.len() == 1 && r[0]["uid"] == json!(o))
    });
    assert!(get(&s, &["cm", "by-role"]).is_some());
    s.ok(&["delete", "clusterrole", "owner-role"]);
    s.eventually(20, "the role's dependent to go", || {
        get(&s, &["cm", "by-role"]).is_none()
    });
    assert!(get(&s, &["cm", "other"]).is_some() && get(&s, &["cm", "shared"]).is_some());
}

#[test]
fn pending_deletions_resume_after_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = Server::start_in_with(tmp.path(), "127.0.0.1:0", &["--disable-controllers"]);
    let rs = deployment_tree(&s, "web", &[("web-a", &[])]);
    let o = cm_of(&s, "owner", vec![]);
    cm_of(&s, "dep", vec![to_cm("owner", &o)]);
    let k = cm_of(&s, "keep-owner", vec![]);
    cm_of(&s, "kept", vec![to_cm("keep-owner", &k)]);
    // No collector yet: the deletions stay pending.
    s.ok(&[
        "delete",
        "deploy",
        "web",
        "--cascade=foreground",
        "--wait=false",
    ]);
    s.ok(&["delete", "cm", "owner"]);
    s.ok(&[
        "delete",
        "cm",
        "keep-owner",
        "--cascade=orphan",
        "--wait=false",
    ]);
    std::thread::sleep(Duration::from_millis(500));
    assert!(get(&s, &["cm", "dep"]).is_some() && get(&s, &["deploy", "web"]).is_some());
    let addr = s.addr.clone();
    s.kill9();
    let s = Server::start_in_with(tmp.path(), &addr, ONLY_OURS);
    s.eventually(30, "the foreground deletion to finish", || {
        get(&s, &["deploy", "web"]).is_none()
    });
    assert!(get(&s, &["rs", &rs]).is_none() && get(&s, &["pod", "web-a"]).is_none());
    s.eventually(20, "the dependent of the deleted owner to go", || {
        get(&s, &["cm", "dep"]).is_none()
    });
    s.eventually(20, "the orphaning to finish", || {
        get(&s, &["cm", "keep-owner"]).is_none()
    });
    let kept = get(&s, &["cm", "kept"]).expect("the orphan stays");
    assert!(kept["metadata"]["ownerReferences"].is_null(), "{kept}");
}

#[test]
fn deleting_a_namespace_empties_it_then_removes_it() {
    let s = Server::start_with(ONLY_OURS);
    s.ok(&["create", "ns", "doomed"]);
    s.ok(&[
        "create",
        "deployment",
        "web",
        "-n",
        "doomed",
        "--image=busybox",
    ]);
    s.ok(&[
        "create",
        "configmap",
        "c",
        "-n",
        "doomed",
        "--from-literal=a=b",
    ]);
    s.ok(&[
        "create",
        "secret",
        "generic",
        "s",
        "-n",
        "doomed",
        "--from-literal=a=b",
    ]);
    s.ok(&["run", "p", "-n", "doomed", "--image=busybox"]);
    let out = s.ok(&["delete", "ns", "doomed"]);
    assert!(out.contains("namespace \"doomed\" deleted"), "{out}");
    let err = s.fails(&["get", "ns", "doomed"]);
    assert!(err.contains("namespaces \"doomed\" not found"), "{err}");
    // The namespace's content went with it (a namesake starts empty).
    s.ok(&["create", "ns", "doomed"]);
    for kind in ["deploy", "cm", "secret", "pods"] {
        let left = s.ok(&["get", kind, "-n", "doomed", "-o", "name"]);
        assert!(!left.contains('/'), "{kind}: {left}");
    }

    // Content held by a finalizer keeps the namespace, and its conditions say why.
    s.ok(&["create", "ns", "held"]);
    create(&s, cm("c", "held", vec![], &["example.com/hold"]));
    s.ok(&["create", "configmap", "free", "-n", "held"]);
    s.ok(&["delete", "ns", "held", "--wait=false"]);
    let conditions = |s: &Server| -> Vec<Value> {
        get(s, &["ns", "held"]).unwrap()["status"]["conditions"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let find = |cs: &[Value], ty: &str| cs.iter().find(|c| c["type"] == json!(ty)).cloned();
    s.eventually(20, "the namespace conditions", || {
        find(&conditions(&s), "NamespaceFinalizersRemaining")
            .is_some_and(|c| c["status"] == json!("True"))
    });
    let cs = conditions(&s);
    let c = find(&cs, "NamespaceContentRemaining").unwrap();
    assert_eq!(c["reason"], json!("SomeResourcesRemain"));
    assert_eq!(
        c["message"],
        json!("Some resources are remaining: configmaps. has 1 resource instances")
    );
    let c = find(&cs, "NamespaceFinalizersRemaining").unwrap();
    assert_eq!(c["reason"], json!("SomeFinalizersRemain"));
    assert_eq!(
        c["message"],
        json!(
            "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
        )
    );
    let c = find(&cs, "NamespaceDeletionDiscoveryFailure").unwrap();
    assert_eq!(c["status"], json!("False"));
    assert_eq!(c["reason"], json!("ResourcesDiscovered"));
    assert_eq!(c["message"], json!("All resources successfully discovered"));
    let c = find(&cs, "NamespaceDeletionContentFailure").unwrap();
    assert_eq!(c["reason"], json!("ContentDeleted"));
    assert!(get(&s, &["cm", "free", "-n", "held"]).is_none());
    let ns = get(&s, &["ns", "held"]).unwrap();
    assert_eq!(ns["status"]["phase"], json!("Terminating"));
    assert_eq!(ns["spec"]["finalizers"], json!(["kubernetes"]));
    s.ok(&[
        "patch",
        "cm",
        "c",
        "-n",
        "held",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ]);
    s.eventually(30, "the namespace to go", || {
        get(&s, &["ns", "held"]).is_none()
    });
}
