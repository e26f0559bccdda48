#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Watch semantics against an in-process server: events after a resourceVersion, 410
//! Expired for compacted history, bookmarks, timeoutSeconds and sendInitialEvents.

use std::time::Duration;

use futures::{AsyncBufReadExt as _, TryStreamExt as _};
use kubehci_apiserver::ServerConfig;

async fn server(
    keep: i64,
) -> (
    kubehci_apiserver::ServerHandle,
    kube::Client,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = ServerConfig::new(dir.path().to_path_buf());
    cfg.listen = "127.0.0.1:0".parse().unwrap();
    cfg.compaction_keep = keep;
    cfg.compaction_interval = Duration::from_millis(100);
    cfg.bookmark_interval = Duration::from_millis(300);
    cfg.in_memory = true;
    let h = kubehci_apiserver::start(cfg).await.unwrap();
    let kc = kube::config::Kubeconfig::read_from(&h.kubeconfig).unwrap();
    let c = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .unwrap();
    (h, kube::Client::try_from(c).unwrap(), dir)
}

async fn create_cm(c: &kube::Client, name: &str) -> String {
    let body =
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}});
    let req = http::Request::post("/api/v1/namespaces/default/configmaps")
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&body).unwrap())
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&c.request_text(req).await.unwrap()).unwrap();
    v["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Reads watch events (JSON lines) until `n` arrived or `wait` passed.
async fn events(c: &kube::Client, query: &str, n: usize, wait: Duration) -> Vec<serde_json::Value> {
    let req = http::Request::get(format!(
        "/api/v1/namespaces/default/configmaps?watch=true&{query}"
    ))
    .body(Vec::new())
    .unwrap();
    let stream = c.request_stream(req).await.unwrap();
    let mut lines = stream.lines();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(wait, async {
        while let Ok(Some(l)) = lines.try_next().await {
            out.push(serde_json::from_str(&l).unwrap());
            if out.len() >= n {
                break;
            }
        }
    })
    .await;
    out
}

#[tokio::test]
async fn watch_from_a_resource_version_and_expired_history() {
    let (_h, c, _d) = server(5).await;
    let rv1 = create_cm(&c, "a").await;
    create_cm(&c, "b").await;
    let ev = events(
        &c,
        &format!("resourceVersion={rv1}"),
        1,
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(ev[0]["type"], "ADDED");
    assert_eq!(
        ev[0]["object"]["metadata"]["name"], "b",
        "only events after rv1"
    );
    for i in 0..30 {
        create_cm(&c, &format!("x{i}")).await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    let ev = events(
        &c,
        &format!("resourceVersion={rv1}"),
        1,
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(ev[0]["type"], "ERROR", "{ev:?}");
    assert_eq!(ev[0]["object"]["code"], 410);
    assert_eq!(ev[0]["object"]["reason"], "Expired");
    assert!(
        ev[0]["object"]["message"]
            .as_str()
            .unwrap()
            .starts_with("too old resource version: ")
    );
}

#[tokio::test]
async fn bookmarks_timeouts_and_initial_events() {
    let (_h, c, _d) = server(10_000).await;
    let rv = create_cm(&c, "a").await;
    let ev = events(
        &c,
        &format!("resourceVersion={rv}&allowWatchBookmarks=true"),
        1,
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(ev[0]["type"], "BOOKMARK", "{ev:?}");
    assert_eq!(ev[0]["object"]["kind"], "ConfigMap");
    assert!(
        ev[0]["object"]["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse::<i64>()
            .unwrap()
            >= rv.parse::<i64>().unwrap()
    );
    // timeoutSeconds ends the stream by itself.
    let start = std::time::Instant::now();
    let ev = events(
        &c,
        &format!("resourceVersion={rv}&timeoutSeconds=1"),
        100,
        Duration::from_secs(10),
    )
    .await;
    assert!(
        ev.is_empty() && start.elapsed() < Duration::from_secs(5),
        "{ev:?}"
    );
    // Streaming list: current objects, then the initial-events-end bookmark.
    let ev = events(
        &c,
        "sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true",
        2,
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(ev[0]["type"], "ADDED");
    assert_eq!(ev[1]["type"], "BOOKMARK");
    assert_eq!(
        ev[1]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
    // Without a resourceVersion, a watch starts with the current state.
    let ev = events(&c, "", 1, Duration::from_secs(5)).await;
    assert_eq!(
        (
            ev[0]["type"].as_str(),
            ev[0]["object"]["metadata"]["name"].as_str()
        ),
        (Some("ADDED"), Some("a"))
    );
}
