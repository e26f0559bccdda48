//! projected and downwardAPI volumes: every source kind, token requests, refresh and file
//! modes, downward API formats and errors.

mod common;

use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use common::{TempRoot, failure, manager, mode, pod, read};
use kubehci_volumes::{NodeAllocatable, VolumeManager};
use serde_json::json;

fn kube_api_access(expiration: i64) -> serde_json::Value {
    json!([{"name": "kube-api-access", "projected": {"defaultMode": 0o644, "sources": [
        {"serviceAccountToken": {"expirationSeconds": expiration, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
        {"secret": {"name": "extra", "optional": true}}
    ]}}])
}

#[tokio::test]
async fn projected_combines_sources_and_requests_a_bound_token() {
    let root = TempRoot::new();
    let (vm, src) = manager(&root);
    src.put_config_map("ns", "kube-root-ca.crt", &[("ca.crt", "CERT")]);
    let mut p = pod("p1", kube_api_access(3607));
    p.spec.as_mut().expect("spec").service_account_name = Some("builder".into());
    let vols = vm.setup(&p).await.expect("setup");
    let dir = root
        .path()
        .join("pods/p1/volumes/kubernetes.io~projected/kube-api-access");
    assert_eq!(vols.volume("kube-api-access").expect("v").host_path, dir);
    assert!(vols.volume("kube-api-access").expect("v").read_only);
    assert_eq!(read(&dir.join("token")), "token-1");
    assert_eq!(read(&dir.join("ca.crt")), "CERT");
    assert_eq!(read(&dir.join("namespace")), "ns");
    assert_eq!(
        common::mounts_under(&dir),
        vec![dir.clone()],
        "projected is a tmpfs"
    );
    // No fsGroup and no shared runAsUser: the token keeps defaultMode.
    assert_eq!(mode(&dir.join("token")), 0o644);
    let reqs = src.token_requests.lock().clone();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].service_account, "builder");
    assert_eq!(reqs[0].namespace, "ns");
    assert_eq!(reqs[0].expiration_seconds, 3607);
    assert_eq!(reqs[0].pod_name, "web");
    assert_eq!(reqs[0].pod_uid, "p1");
    assert!(reqs[0].audiences.is_empty());

    // A resync within the token's lifetime reuses it.
    vm.setup(&p).await.expect("resync");
    assert_eq!(src.token_requests.lock().len(), 1);
}

#[tokio::test]
async fn tokens_are_reissued_after_eighty_percent_of_their_lifetime() {
    let root = TempRoot::new();
    let (vm, src) = manager(&root);
    src.put_config_map("ns", "kube-root-ca.crt", &[("ca.crt", "CERT")]);
    // The server answers with a token that has only 10% of the requested hour left.
    *src.token_lifetime.lock() = Some(Duration::from_secs(360));
    let p = pod("p2", kube_api_access(3600));
    let dir = vm
        .setup(&p)
        .await
        .expect("setup")
        .volume("kube-api-access")
        .expect("v")
        .host_path
        .clone();
    assert_eq!(read(&dir.join("token")), "token-1");
    vm.setup(&p).await.expect("resync");
    assert_eq!(
        read(&dir.join("token")),
        "token-2",
        "token was not refreshed"
    );
    // A fresh full-lifetime token is kept.
    *src.token_lifetime.lock() = None;
    vm.setup(&p).await.expect("resync");
    assert_eq!(read(&dir.join("token")), "token-3");
    vm.setup(&p).await.expect("resync");
    assert_eq!(read(&dir.join("token")), "token-3");
    // A failing refresh of a still-valid token keeps serving it; teardown forgets it.
    *src.token_lifetime.lock() = Some(Duration::from_secs(360));
    *src.fail_tokens.lock() = false;
    vm.teardown("p2").await.expect("teardown");
    vm.setup(&p).await.expect("setup");
    assert_eq!(read(&dir.join("token")), "token-4");
    *src.fail_tokens.lock() = true;
    vm.setup(&p)
        .await
        .expect("refresh failure keeps the valid token");
    assert_eq!(read(&dir.join("token")), "token-4");
    vm.teardown("p2").await.expect("teardown");
    let err = vm.setup(&p).await.expect_err("no token");
    let (_, msg) = failure(err);
    assert_eq!(
        msg,
        "failed to fetch token: serviceaccounts \"default\" not found"
    );
}

#[tokio::test]
async fn token_mode_and_owner_follow_fs_user_and_fs_group() {
    let root = TempRoot::new();
    let (vm, src) = manager(&root);
    src.put_config_map("ns", "kube-root-ca.crt", &[("ca.crt", "CERT")]);

    // All containers run as 1000: token 0600 owned by 1000.
    let mut p = pod("t1", kube_api_access(3600));
    p.spec.as_mut().expect("spec").security_context =
        Some(serde_json::from_value(json!({"runAsUser": 1000})).expect("sc"));
    let dir = vm
        .setup(&p)
        .await
        .expect("setup")
        .volume("kube-api-access")
        .expect("v")
        .host_path
        .clone();
    let md = std::fs::metadata(dir.join("token")).expect("stat");
    assert_eq!(md.mode() & 0o777, 0o600);
    assert_eq!(md.uid(), 1000);
    assert_eq!(mode(&dir.join("ca.crt")), 0o644);

    // Containers disagree on the user: no owner change, defaultMode.
    let mut p = pod("t2", kube_api_access(3600));
    let spec = p.spec.as_mut().expect("spec");
    spec.security_context = Some(serde_json::from_value(json!({"runAsUser": 1000})).expect("sc"));
    spec.containers.push(common::container(
        json!({"name": "side", "securityContext": {"runAsUser": 2000}}),
    ));
    let dir = vm
        .setup(&p)
        .await
        .expect("setup")
        .volume("kube-api-access")
        .expect("v")
        .host_path
        .clone();
    let md = std::fs::metadata(dir.join("token")).expect("stat");
    assert_eq!(md.mode() & 0o777, 0o644);
    assert_eq!(md.uid(), 0);

    // fsGroup only: 0600 then g+r by ownership management = 0640, group 3000.
    let mut p = pod("t3", kube_api_access(3600));
    p.spec.as_mut().expect("spec").security_context =
        Some(serde_json::from_value(json!({"fsGroup": 3000})).expect("sc"));
    let dir = vm
        .setup(&p)
        .await
        .expect("setup")
        .volume("kube-api-access")
        .expect("v")
        .host_path
        .clone();
    let md = std::fs::metadata(dir.join("token")).expect("stat");
    assert_eq!(md.mode() & 0o777, 0o640);
    assert_eq!(md.gid(), 3000);
    assert_eq!(md.uid(), 0);
}

#[tokio::test]
async fn projected_errors_are_aggregated() {
    let root = TempRoot::new();
    let (vm, _src) = manager(&root);
    let p = pod(
        "pe",
        json!([{"name": "v", "projected": {"sources": [
            {"configMap": {"name": "a"}},
            {"secret": {"name": "b"}}
        ]}}]),
    );
    let (_, msg) = failure(vm.setup(&p).await.expect_err("fails"));
    assert_eq!(msg, "[configmap \"a\" not found, secret \"b\" not found]");
}

#[tokio::test]
async fn downward_api_fields_and_formats() {
    let root = TempRoot::new();
    let mut p = pod(
        "d1",
        json!([{"name": "info", "downwardAPI": {"defaultMode": 0o600, "items": [
            {"path": "name", "fieldRef": {"fieldPath": "metadata.name"}},
            {"path": "uid", "fieldRef": {"fieldPath": "metadata.uid"}},
            {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}, "mode": 0o444},
            {"path": "annotations", "fieldRef": {"fieldPath": "metadata.annotations"}},
            {"path": "tier", "fieldRef": {"fieldPath": "metadata.labels['tier']"}},
            {"path": "cpu_limit", "resourceFieldRef": {"containerName": "app", "resource": "limits.cpu", "divisor": "1m"}},
            {"path": "cpu_request", "resourceFieldRef": {"containerName": "app", "resource": "requests.cpu"}},
            {"path": "mem_limit", "resourceFieldRef": {"containerName": "app", "resource": "limits.memory", "divisor": "1Mi"}},
            {"path": "mem_request", "resourceFieldRef": {"containerName": "app", "resource": "requests.memory", "divisor": "1Mi"}}
        ]}}]),
    );
    p.metadata.labels = Some(
        [("tier", "web"), ("app", "shop")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    );
    p.metadata.annotations = Some(
        [("note", "say \"hi\"\nbye")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    );
    p.spec.as_mut().expect("spec").containers[0] = common::container(json!({
        "name": "app",
        "resources": {"limits": {"cpu": "250m"}, "requests": {"cpu": "1500m", "memory": "100M"}}
    }));
    let vm = VolumeManager::new(
        root.path().to_path_buf(),
        std::sync::Arc::new(common::FakeSource::default()),
    )
    .with_node_allocatable(NodeAllocatable {
        cpu_millis: 4000,
        memory_bytes: 8 * 1024 * 1024 * 1024,
        ephemeral_storage_bytes: 0,
    });
    let vols = vm.setup(&p).await.expect("setup");
    let dir = &vols.volume("info").expect("v").host_path;
    assert_eq!(
        dir,
        &root
            .path()
            .join("pods/d1/volumes/kubernetes.io~downward-api/info")
    );
    assert_eq!(
        common::mounts_under(dir),
        vec![dir.clone()],
        "downwardAPI is a tmpfs"
    );
    assert_eq!(read(&dir.join("name")), "web");
    assert_eq!(read(&dir.join("uid")), "d1");
    assert_eq!(read(&dir.join("labels")), "app=\"shop\"\ntier=\"web\"");
    assert_eq!(
        read(&dir.join("annotations")),
        "note=\"say \\\"hi\\\"\\nbye\""
    );
    assert_eq!(read(&dir.join("tier")), "web");
    assert_eq!(read(&dir.join("cpu_limit")), "250");
    assert_eq!(read(&dir.join("cpu_request")), "2", "ceil(1.5 cores)");
    assert_eq!(
        read(&dir.join("mem_limit")),
        "8192",
        "unset limit = node allocatable"
    );
    assert_eq!(read(&dir.join("mem_request")), "96", "ceil(100M / 1Mi)");
    assert_eq!(mode(&dir.join("name")), 0o600);
    assert_eq!(mode(&dir.join("labels")), 0o444);
}

#[tokio::test]
async fn downward_api_errors() {
    let root = TempRoot::new();
    let (vm, _src) = manager(&root);
    let p = pod(
        "d2",
        json!([{"name": "info", "downwardAPI": {"items": [
            {"path": "node", "fieldRef": {"fieldPath": "spec.nodeName"}},
            {"path": "x", "resourceFieldRef": {"containerName": "ghost", "resource": "limits.cpu"}}
        ]}}]),
    );
    let (_, msg) = failure(vm.setup(&p).await.expect_err("fails"));
    assert_eq!(
        msg,
        "[unsupported fieldPath: spec.nodeName, container ghost not found]"
    );
    let p = pod(
        "d3",
        json!([{"name": "info", "downwardAPI": {"items": [
            {"path": "x", "resourceFieldRef": {"containerName": "app", "resource": "limits.gpu"}}
        ]}}]),
    );
    let (_, msg) = failure(vm.setup(&p).await.expect_err("fails"));
    assert_eq!(msg, "unsupported container resource : limits.gpu");
}
