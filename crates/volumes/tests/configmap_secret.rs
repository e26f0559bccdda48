//! configMap and secret volumes: keys as files, items and modes, optional objects, upstream
//! error messages, atomic updates.

mod common;

use std::path::Path;

use common::{TempRoot, failure, manager, mode, pod, read};
use serde_json::json;

#[tokio::test]
async fn config_map_keys_become_files_with_default_mode() {
    let root = TempRoot::new();
    let (vm, src) = manager(&root);
    src.put_config_map("ns", "cfg", &[("a.conf", "alpha"), ("b", "beta")]);
    let p = pod("u1", json!([{"name": "c", "configMap": {"name": "cfg"}}]));
    let vols = vm.setup(&p).await.expect("setup");
    let dir = root
        .path()
        .join("pods/u1/volumes/kubernetes.io~configmap/c");
    assert_eq!(vols.volume("c").expect("volume").host_path, dir);
    assert_eq!(read(&dir.join("a.conf")), "alpha");
    assert_eq!(read(&dir.join("b")), "beta");
    assert_eq!(mode(&dir.join("a.conf")), 0o644);
    // AtomicWriter layout: key -> ..data/key, ..data -> ..<timestamp>.
    assert_eq!(
        std::fs::read_link(dir.join("a.conf")).expect("link"),
        Path::new("..data/a.conf")
    );
    let ts = std::fs::read_link(dir.join("..data")).expect("data link");
    let ts = ts.to_str().expect("utf8");
    assert!(ts.starts_with("..20") && ts.len() > 22, "{ts}");
    assert_eq!(mode(&dir.join(ts)), 0o755);
}

#[tokio::test]
async fn items_and_modes() {
    let root = TempRoot::new();
    let (vm, src) = manager(&root);
    src.put_config_map("ns", "cfg", &[("a", "alpha"), ("b", "beta")]);
    src.put_secret("ns", "sec", &[("user", b"admin"), ("pass", b"s3cret")]);
    let p = pod(
        "u2",
        json!([
            {"name": "c", "configMap": {"name": "cfg", "defaultMode": 0o600,
                "items": [{"key": "a", "path": "sub/dir/a.txt", "mode": 0o400}, {"key": "b", "path": "b.txt"}]}},
            {"name": "s", "secret": {"secretName": "sec"}},
            {"name": "s2", "secret": {"secretName": "sec", "defaultMode": 0o440, "items": [{"key": "pass", "path": "p"}]}}
        ]),
    );
    vm.setup(&p).await.expect("setup");
    let c = root
        .path()
        .join("pods/u2/volumes/kubernetes.io~configmap/c");
    assert_eq!(read(&c.join("sub/dir/a.txt")), "alpha");
    assert_eq!(mode(&c.join("sub/dir/a.txt")), 0o400);
    assert_eq!(mode(&c.join("b.txt")), 0o600);
    assert!(!c.join("a").exists(), "unlisted key projected");
    assert_eq!(
        std::fs::read_link(c.join("sub")).expect("link"),
        Path::new("..data/sub")
    );
    let s = root.path().join("pods/u2/volumes/kubernetes.io~secret/s");
    assert_eq!(read(&s.join("pass")), "s3cret");
    assert_eq!(
        mode(&s.join("user")),
        0o644,
        "secret default mode is 0644 too"
    );
    let s2 = root.path().join("pods/u2/volumes/kubernetes.io~secret/s2");
    assert_eq!(read(&s2.join("p")), "s3cret");
    assert_eq!(mode(&s2.join("p")), 0o440);
    assert!(!s2.join("user").exists());
    // Secrets live on a tmpfs (upstream wraps them in a memory-backed emptyDir), configMaps
    // on disk.
    assert_eq!(common::mounts_under(&s), vec![s.clone()]);
    let fstype = |p: &Path| {
        let info = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
        info.lines()
            .find(|l| l.split(' ').nth(4) == p.to_str())
            .and_then(|l| l.split(" - ").nth(1))
            .and_then(|t| t.split(' ').next())
            .map(str::to_string)
    };
    assert_eq!(fstype(&s).as_deref(), Some("tmpfs"));
    assert_eq!(mode(&s), 0o1777);
    assert!(common::mounts_under(&c).is_empty());
    assert_eq!(mode(&c), 0o777);
}

#[tokio::test]
async fn missing_objects_and_keys_fail_with_upstream_messages() {
    let root = TempRoot::new();
    let (vm, src) = manager(&root);
    let cases = [
        (
            json!({"name": "v", "configMap": {"name": "nope"}}),
            "configmap \"nope\" not found",
        ),
        (
            json!({"name": "v", "secret": {"secretName": "nope"}}),
            "secret \"nope\" not found",
        ),
        (
            json!({"name": "v", "configMap": {"name": "cfg", "items": [{"key": "zz", "path": "z"}]}}),
            "configmap references non-existent config key: zz",
        ),
        (
            json!({"name": "v", "secret": {"secretName": "sec", "items": [{"key": "zz", "path": "z"}]}}),
            "references non-existent secret key: zz",
        ),
        (
            json!({"name": "v", "configMap": {"name": "api-down"}}),
            "connection refused",
        ),
    ];
    src.put_config_map("ns", "cfg", &[("a", "1")]);
    src.put_secret("ns", "sec", &[("a", b"1")]);
    for (i, (vol, want)) in cases.into_iter().enumerate() {
        let err = vm
            .setup(&pod(&format!("e{i}"), json!([vol])))
            .await
            .expect_err("must fail");
        let (volume, message) = failure(err);
        assert_eq!(volume, "v");
        assert_eq!(message, want);
    }
    let err = vm
        .setup(&pod(
            "e9",
            json!([{"name": "v", "configMap": {"name": "nope"}}]),
        ))
        .await
        .expect_err("must fail");
    assert_eq!(
        err.to_string(),
        "MountVolume.SetUp failed for volume \"v\" : configmap \"nope\" not found"
    );
}

#[tokio::test]
async fn optional_objects_and_keys_may_be_missing() {
    let root = TempRoot::new();
    let (vm, src) = manager(&root);
    src.put_config_map("ns", "cfg", &[("a", "1")]);
    let p = pod(
        "o1",
        json!([
            {"name": "c", "configMap": {"name": "absent", "optional": true}},
            {"name": "s", "secret": {"secretName": "absent", "optional": true}},
            {"name": "k", "configMap": {"name": "cfg", "optional": true,
                "items": [{"key": "a", "path": "a"}, {"key": "zz", "path": "z"}]}}
        ]),
    );
    let vols = vm.setup(&p).await.expect("setup");
    let c = &vols.volume("c").expect("c").host_path;
    let names: Vec<_> = std::fs::read_dir(c)
        .expect("read")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf8"))
        .filter(|n| !n.starts_with(".."))
        .collect();
    assert!(names.is_empty(), "{names:?}");
    let k = &vols.volume("k").expect("k").host_path;
    assert_eq!(read(&k.join("a")), "1");
    assert!(!k.join("z").exists());
}

#[tokio::test]
async fn updates_swap_atomically_and_remove_dropped_keys() {
    let root = TempRoot::new();
    let (vm, src) = manager(&root);
    src.put_config_map("ns", "cfg", &[("a", "one"), ("gone", "x")]);
    let p = pod("a1", json!([{"name": "c", "configMap": {"name": "cfg"}}]));
    let dir = vm
        .setup(&p)
        .await
        .expect("setup")
        .volume("c")
        .expect("c")
        .host_path
        .clone();
    let first_ts = std::fs::read_link(dir.join("..data")).expect("link");
    // Unchanged content: nothing is rewritten.
    vm.setup(&p).await.expect("resync");
    assert_eq!(
        std::fs::read_link(dir.join("..data")).expect("link"),
        first_ts
    );

    src.put_config_map("ns", "cfg", &[("a", "two"), ("new", "n")]);
    vm.setup(&p).await.expect("update");
    assert_eq!(read(&dir.join("a")), "two");
    assert_eq!(read(&dir.join("new")), "n");
    assert!(
        std::fs::symlink_metadata(dir.join("gone")).is_err(),
        "dropped key still visible"
    );
    let ts = std::fs::read_link(dir.join("..data")).expect("link");
    assert_ne!(ts, first_ts);
    assert!(
        !dir.join(&first_ts).exists(),
        "old timestamp dir left behind"
    );
    let hidden: Vec<_> = std::fs::read_dir(&dir)
        .expect("read")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf8"))
        .filter(|n| n.starts_with(".."))
        .collect();
    assert_eq!(
        hidden.len(),
        2,
        "only ..data and one timestamp dir: {hidden:?}"
    );

    // A failing refresh leaves the previous content in place.
    src.config_maps.lock().clear();
    vm.setup(&p).await.expect_err("object gone");
    assert_eq!(read(&dir.join("a")), "two");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_never_see_partial_content() {
    let root = TempRoot::new();
    let (vm, src) = manager(&root);
    const LEN: usize = 256 * 1024;
    let content = |c: char| c.to_string().repeat(LEN);
    src.put_config_map("ns", "cfg", &[("big", &content('a'))]);
    let p = pod("r1", json!([{"name": "c", "configMap": {"name": "cfg"}}]));
    let dir = vm
        .setup(&p)
        .await
        .expect("setup")
        .volume("c")
        .expect("c")
        .host_path
        .clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let stop = stop.clone();
        let file = dir.join("big");
        std::thread::spawn(move || {
            let mut reads = 0usize;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) || reads == 0 {
                // An open racing the removal of the old directory may miss; a file that
                // opened must be whole.
                let Ok(data) = std::fs::read(&file) else {
                    continue;
                };
                assert_eq!(data.len(), LEN, "partial file");
                assert!(data.iter().all(|b| *b == data[0]), "mixed content");
                reads += 1;
            }
            reads
        })
    };
    for i in 0..60u8 {
        let c = char::from(b'b' + i % 20);
        src.put_config_map("ns", "cfg", &[("big", &content(c))]);
        vm.setup(&p).await.expect("update");
        assert_eq!(std::fs::read(dir.join("big")).expect("read")[0], c as u8);
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let reads = reader.join().expect("reader panicked");
    assert!(reads > 0);
}

#[tokio::test]
async fn binary_data_is_projected() {
    let root = TempRoot::new();
    let (vm, src) = manager(&root);
    let cm = k8s_openapi::api::core::v1::ConfigMap {
        binary_data: Some(
            [(
                "bin".to_string(),
                k8s_openapi::ByteString(vec![0, 1, 2, 255]),
            )]
            .into_iter()
            .collect(),
        ),
        ..Default::default()
    };
    src.config_maps
        .lock()
        .insert(("ns".into(), "cfg".into()), cm);
    let p = pod("b1", json!([{"name": "c", "configMap": {"name": "cfg"}}]));
    let vols = vm.setup(&p).await.expect("setup");
    let file = vols.volume("c").expect("c").host_path.join("bin");
    assert_eq!(std::fs::read(file).expect("read"), vec![0, 1, 2, 255]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_syncs_of_one_pod_leave_a_consistent_volume() {
    let root = TempRoot::new();
    let (vm, src) = manager(&root);
    let vm = std::sync::Arc::new(vm);
    let p = pod("cc", json!([{"name": "c", "configMap": {"name": "cfg"}}]));
    let mut tasks = Vec::new();
    for i in 0..16 {
        src.put_config_map("ns", "cfg", &[("k", &format!("v{i}"))]);
        let (vm, p) = (vm.clone(), p.clone());
        tasks.push(tokio::spawn(async move { vm.setup(&p).await.map(|_| ()) }));
    }
    for t in tasks {
        t.await.expect("join").expect("setup");
    }
    let dir = root
        .path()
        .join("pods/cc/volumes/kubernetes.io~configmap/c");
    let ts = std::fs::read_link(dir.join("..data")).expect("link");
    assert!(
        dir.join(&ts).is_dir(),
        "..data points to a removed directory"
    );
    let hidden = std::fs::read_dir(&dir)
        .expect("read")
        .filter(|e| {
            e.as_ref()
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .starts_with("..")
        })
        .count();
    assert_eq!(hidden, 2);
    assert!(read(&dir.join("k")).starts_with('v'));
}
