#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Data survives a restart and a `kill -9` of the server in the middle of writes: no
//! acknowledged write is lost.

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use common::Server;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams};

fn cm(name: &str) -> ConfigMap {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name}, "data": {"n": name},
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9() {
    let mut s = Server::start();
    let port = s.addr.rsplit(':').next().unwrap().to_string();
    let client = s.client().await;
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let mut tasks = Vec::new();
    for w in 0..8 {
        let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
        let acked = acked.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..100_000 {
                let name = format!("w{w}-{i}");
                match api.create(&PostParams::default(), &cm(&name)).await {
                    Ok(_) => {
                        acked.lock().unwrap().insert(name);
                    }
                    Err(_) => return,
                }
            }
        }));
    }
    // Let writes flow, then kill the server mid-write.
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        if acked.lock().unwrap().len() >= 300 {
            break;
        }
    }
    s.kill9();
    for t in tasks {
        let _ = t.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 100,
        "too few writes before the kill: {}",
        acked.len()
    );
    let dir = s.dir.clone();
    let s2 = Server::start_in(&dir, &format!("127.0.0.1:{port}"));
    let client = s2.client().await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let listed = api.list(&Default::default()).await.unwrap();
    let present: BTreeSet<String> = listed
        .items
        .iter()
        .filter_map(|c| c.metadata.name.clone())
        .collect();
    let lost: Vec<&String> = acked.difference(&present).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged writes lost, e.g. {:?}",
        lost.len(),
        lost.iter().take(5).collect::<Vec<_>>()
    );
    for c in listed.items.iter().filter(|c| {
        c.metadata
            .name
            .as_deref()
            .is_some_and(|n| n.starts_with('w'))
    }) {
        assert_eq!(
            c.data.as_ref().unwrap()["n"],
            *c.metadata.name.as_ref().unwrap()
        );
    }
    drop(s);
}

#[tokio::test]
async fn restart_keeps_objects_and_resource_versions() {
    let mut s = Server::start();
    let port = s.addr.rsplit(':').next().unwrap().to_string();
    s.ok_stdin(
        &["apply", "-f", "-"],
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: keep}\n",
    );
    s.ok_stdin(
        &["apply", "-f", "-"],
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: keep}\ndata: {a: b}\n",
    );
    let rv = s.ok(&[
        "get",
        "cm",
        "c",
        "-n",
        "keep",
        "-o",
        "jsonpath={.metadata.resourceVersion}",
    ]);
    let svc_ip = s.ok(&[
        "get",
        "svc",
        "kubernetes",
        "-o",
        "jsonpath={.spec.clusterIP}",
    ]);
    let dir = s.dir.clone();
    s.kill9();
    let s2 = Server::start_in(&dir, &format!("127.0.0.1:{port}"));
    assert_eq!(
        s2.ok(&[
            "get",
            "cm",
            "c",
            "-n",
            "keep",
            "-o",
            "jsonpath={.metadata.resourceVersion}"
        ]),
        rv
    );
    assert_eq!(
        s2.ok(&["get", "cm", "c", "-n", "keep", "-o", "jsonpath={.data.a}"]),
        "b"
    );
    assert_eq!(
        s2.ok(&[
            "get",
            "svc",
            "kubernetes",
            "-o",
            "jsonpath={.spec.clusterIP}"
        ]),
        svc_ip
    );
    // New writes continue the revision sequence.
    s2.ok(&["label", "cm", "c", "-n", "keep", "x=y"]);
    let rv2: i64 = s2
        .ok(&[
            "get",
            "cm",
            "c",
            "-n",
            "keep",
            "-o",
            "jsonpath={.metadata.resourceVersion}",
        ])
        .parse()
        .unwrap();
    assert!(rv2 > rv.parse::<i64>().unwrap());
    drop(s);
}
