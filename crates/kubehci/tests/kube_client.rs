#![allow(clippy::unwrap_used, clippy::expect_used)]
//! kube-rs (a real Rust client) lists, watches and patches through the server.

mod common;

use std::time::Duration;

use common::Server;
use futures::{StreamExt as _, TryStreamExt as _};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt as _, watcher};

fn cm(name: &str, label: &str) -> ConfigMap {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": name, "labels": {"set": label}}, "data": {"k": "v"},
    }))
    .unwrap()
}

#[tokio::test]
async fn list_with_pages_and_selectors() {
    // API-level counts: no controllers adding objects (e.g. kube-root-ca.crt).
    let s = Server::start_with(&["--disable-controllers"]);
    let api: Api<ConfigMap> = Api::namespaced(s.client().await, "default");
    for i in 0..7 {
        api.create(
            &PostParams::default(),
            &cm(&format!("c{i}"), if i % 2 == 0 { "even" } else { "odd" }),
        )
        .await
        .unwrap();
    }
    let page = api.list(&ListParams::default().limit(3)).await.unwrap();
    assert_eq!(page.items.len(), 3);
    let token = page.metadata.continue_.clone().expect("continue token");
    assert_eq!(page.metadata.remaining_item_count, Some(4));
    let rest = api
        .list(&ListParams::default().limit(10).continue_token(&token))
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 4);
    assert!(rest.metadata.continue_.is_none());
    let even = api
        .list(&ListParams::default().labels("set=even"))
        .await
        .unwrap();
    assert_eq!(even.items.len(), 4);
    let set = api
        .list(&ListParams::default().labels("set in (odd),set!=even"))
        .await
        .unwrap();
    assert_eq!(set.items.len(), 3);
    let by_name = api
        .list(&ListParams::default().fields("metadata.name=c3"))
        .await
        .unwrap();
    assert_eq!(by_name.items.len(), 1);
}

#[tokio::test]
async fn watcher_sees_changes() {
    let s = Server::start();
    let api: Api<ConfigMap> = Api::namespaced(s.client().await, "default");
    api.create(&PostParams::default(), &cm("before", "w"))
        .await
        .unwrap();
    let stream = watcher(api.clone(), watcher::Config::default().labels("set=w")).applied_objects();
    let mut stream = Box::pin(stream);
    let first = tokio::time::timeout(Duration::from_secs(10), stream.try_next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(first.metadata.name.as_deref(), Some("before"));
    api.create(&PostParams::default(), &cm("after", "w"))
        .await
        .unwrap();
    api.create(&PostParams::default(), &cm("other", "not-w"))
        .await
        .unwrap();
    let next = tokio::time::timeout(Duration::from_secs(10), stream.try_next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        next.metadata.name.as_deref(),
        Some("after"),
        "label-filtered watch"
    );
    api.patch(
        "after",
        &PatchParams::default(),
        &Patch::Merge(serde_json::json!({"data": {"k": "changed"}})),
    )
    .await
    .unwrap();
    let changed = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(changed.data.unwrap()["k"], "changed");
}

#[tokio::test]
async fn every_patch_type() {
    let s = Server::start();
    let api: Api<Deployment> = Api::namespaced(s.client().await, "default");
    let d: Deployment = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "p"},
        "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}},
            "spec": {"containers": [{"name": "c", "image": "busybox", "env": [{"name": "X", "value": "1"}]}]}}},
    }))
    .unwrap();
    api.create(&PostParams::default(), &d).await.unwrap();
    // Strategic: containers merge by name.
    let p = serde_json::json!({"spec": {"template": {"spec": {"containers": [{"name": "c2", "image": "busybox"}]}}}});
    let out = api
        .patch("p", &PatchParams::default(), &Patch::Strategic(p))
        .await
        .unwrap();
    assert_eq!(
        out.spec
            .as_ref()
            .unwrap()
            .template
            .spec
            .as_ref()
            .unwrap()
            .containers
            .len(),
        2
    );
    // JSON patch.
    let jp: json_patch::Patch = serde_json::from_value(
        serde_json::json!([{"op": "replace", "path": "/spec/replicas", "value": 4}]),
    )
    .unwrap();
    let out = api
        .patch("p", &PatchParams::default(), &Patch::<()>::Json(jp))
        .await
        .unwrap();
    assert_eq!(out.spec.unwrap().replicas, Some(4));
    // Merge patch replaces lists.
    let mp = serde_json::json!({"metadata": {"labels": {"m": "1"}}});
    let out = api
        .patch("p", &PatchParams::default(), &Patch::Merge(mp))
        .await
        .unwrap();
    assert_eq!(out.metadata.labels.unwrap()["m"], "1");
    // Server-side apply by a new manager, forced.
    let applied = serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "p"}, "spec": {"replicas": 2}});
    let out = api
        .patch(
            "p",
            &PatchParams::apply("kube-rs-test").force(),
            &Patch::Apply(applied),
        )
        .await
        .unwrap();
    assert_eq!(out.spec.unwrap().replicas, Some(2));
    let managers: Vec<String> = out
        .metadata
        .managed_fields
        .unwrap()
        .into_iter()
        .filter_map(|m| m.manager)
        .collect();
    assert!(
        managers.contains(&"kube-rs-test".to_string()),
        "{managers:?}"
    );
}

#[tokio::test]
async fn binding_assigns_a_node_once() {
    use k8s_openapi::api::core::v1::Pod;
    let s = Server::start_with(&["--disable-scheduler"]);
    let client = s.client().await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    for name in ["p1", "p2"] {
        let p: Pod = serde_json::from_value(serde_json::json!({"metadata": {"name": name}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}})).unwrap();
        pods.create(&PostParams::default(), &p).await.unwrap();
    }
    let bind = |path: &str, pod: &str| {
        let body = serde_json::json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": pod}, "target": {"apiVersion": "v1", "kind": "Node", "name": "node-a"}});
        http::Request::post(path.to_string())
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).unwrap())
            .unwrap()
    };
    client
        .request_text(bind("/api/v1/namespaces/default/pods/p1/binding", "p1"))
        .await
        .unwrap();
    let p1 = pods.get("p1").await.unwrap();
    assert_eq!(p1.spec.unwrap().node_name.as_deref(), Some("node-a"));
    let conds = p1.status.unwrap().conditions.unwrap();
    assert!(
        conds
            .iter()
            .any(|c| c.type_ == "PodScheduled" && c.status == "True")
    );
    match client
        .request_text(bind("/api/v1/namespaces/default/pods/p1/binding", "p1"))
        .await
    {
        Err(kube::Error::Api(st)) => {
            assert_eq!(st.code, 409);
            assert!(
                st.message.contains("already assigned to node \"node-a\""),
                "{}",
                st.message
            );
        }
        other => panic!("{other:?}"),
    }
    client
        .request_text(bind("/api/v1/namespaces/default/bindings", "p2"))
        .await
        .unwrap();
    assert_eq!(
        pods.get("p2")
            .await
            .unwrap()
            .spec
            .unwrap()
            .node_name
            .as_deref(),
        Some("node-a")
    );
}
