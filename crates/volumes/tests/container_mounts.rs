//! `PodVolumes::mounts_for`: readOnly, forced read-only kinds, propagation, subPath and
//! subPathExpr (and their refusals), unknown volumes, the termination-message file.

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use common::{TempRoot, container, manager, mode, pod};
use kubehci_volumes::{MountPropagation, PodVolumes, VolumeError};
use serde_json::json;

#[allow(clippy::expect_used)]
async fn setup(root: &TempRoot) -> PodVolumes {
    let (vm, src) = manager(root);
    src.put_config_map("ns", "cfg", &[("app.conf", "x=1")]);
    let p = pod(
        "c1",
        json!([{"name": "data", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "cfg"}}]),
    );
    vm.setup(&p).await.expect("setup")
}

fn no_env() -> Vec<(String, String)> {
    Vec::new()
}

/// `target` is a bind mount of `source` (same device and inode, and a mount point).
#[allow(clippy::expect_used)]
fn assert_bound(target: &Path, source: &Path) {
    let (t, s) = (
        std::fs::metadata(target).expect("target"),
        std::fs::metadata(source).expect("source"),
    );
    assert_eq!(
        (t.dev(), t.ino()),
        (s.dev(), s.ino()),
        "{} is not {}",
        target.display(),
        source.display()
    );
    assert!(
        common::mounts_under(target).iter().any(|m| m == target),
        "{} is not a mount point",
        target.display()
    );
}

#[tokio::test]
async fn read_only_and_propagation() {
    let root = TempRoot::new();
    let vols = setup(&root).await;
    let c = container(json!({"name": "app", "volumeMounts": [
        {"name": "data", "mountPath": "/data"},
        {"name": "data", "mountPath": "/ro", "readOnly": true, "mountPropagation": "HostToContainer"},
        {"name": "cfg", "mountPath": "/etc/app", "mountPropagation": "Bidirectional"}
    ]}));
    let m = vols.mounts_for(&c, &no_env()).expect("mounts");
    assert_eq!(m.len(), 3);
    assert_eq!(m[0].container_path, "/data");
    assert_eq!(m[0].host_path, vols.volume("data").expect("v").host_path);
    assert!(!m[0].read_only);
    assert_eq!(m[0].propagation, MountPropagation::Private);
    assert!(m[0].selinux_relabel);
    assert!(m[1].read_only);
    assert_eq!(m[1].propagation, MountPropagation::HostToContainer);
    assert!(m[2].read_only, "configMap volumes are always read-only");
    assert_eq!(m[2].propagation, MountPropagation::Bidirectional);
}

#[tokio::test]
async fn unknown_volume_is_a_clear_error() {
    let root = TempRoot::new();
    let vols = setup(&root).await;
    let c =
        container(json!({"name": "app", "volumeMounts": [{"name": "nope", "mountPath": "/x"}]}));
    let err = vols.mounts_for(&c, &no_env()).expect_err("unknown");
    assert!(matches!(err, VolumeError::UnknownVolume { .. }));
    assert_eq!(
        err.to_string(),
        "cannot find volume \"nope\" to mount into container \"app\""
    );
}

#[tokio::test]
async fn sub_path_is_created_with_the_volume_mode_and_resolved() {
    let root = TempRoot::new();
    let vols = setup(&root).await;
    let c = container(json!({"name": "app", "volumeMounts": [
        {"name": "data", "mountPath": "/a", "subPath": "one/two"},
        {"name": "cfg", "mountPath": "/etc/app.conf", "subPath": "app.conf"}
    ]}));
    let m = vols.mounts_for(&c, &no_env()).expect("mounts");
    let data = &vols.volume("data").expect("v").host_path;
    let subpaths = root.path().join("pods/c1/volume-subpaths");
    assert_eq!(m[0].host_path, subpaths.join("data/app/0"));
    assert_bound(&m[0].host_path, &data.join("one/two"));
    assert!(data.join("one/two").is_dir());
    assert_eq!(mode(&data.join("one")), 0o777);
    assert_eq!(mode(&data.join("one/two")), 0o777);
    // A configMap key: the resolved file inside the current timestamped directory.
    let cfg = &vols.volume("cfg").expect("v").host_path;
    let ts = std::fs::read_link(cfg.join("..data")).expect("link");
    assert_eq!(m[1].host_path, subpaths.join("cfg/app/1"));
    assert_bound(&m[1].host_path, &cfg.join(ts).join("app.conf"));
    assert_eq!(common::read(&m[1].host_path), "x=1");
    assert!(m[1].read_only);

    // Swapping the checked directory for a symlink afterwards does not redirect the bind.
    let outside = root.path().join("outside");
    std::fs::create_dir(&outside).expect("mkdir");
    std::fs::write(data.join("one/two/inside"), "i").expect("write");
    std::fs::rename(data.join("one/two"), data.join("one/moved")).expect("rename");
    std::os::unix::fs::symlink(&outside, data.join("one/two")).expect("symlink");
    assert!(m[0].host_path.join("inside").exists());
    // A container restart prepares again: the symlink is now refused.
    let err = vols.mounts_for(&c, &no_env()).expect_err("symlink out");
    assert_eq!(
        err.to_string(),
        "failed to prepare subPath for volumeMount \"data\" of container \"app\""
    );
    std::fs::remove_file(data.join("one/two")).expect("rm");
    std::fs::rename(data.join("one/moved"), data.join("one/two")).expect("rename");
    let again = vols.mounts_for(&c, &no_env()).expect("again");
    assert_eq!(again[0].host_path, m[0].host_path);
    assert_eq!(
        common::mounts_under(&m[0].host_path).len(),
        1,
        "binds must not stack"
    );
}

#[tokio::test]
async fn teardown_unmounts_sub_path_binds() {
    let root = TempRoot::new();
    let (vm, src) = manager(&root);
    src.put_secret("ns", "s", &[("key", b"v")]);
    let p = pod(
        "c2",
        json!([{"name": "sec", "secret": {"secretName": "s"}}, {"name": "d", "emptyDir": {}}]),
    );
    let vols = vm.setup(&p).await.expect("setup");
    let c = container(json!({"name": "app", "volumeMounts": [
        {"name": "sec", "mountPath": "/k", "subPath": "key"},
        {"name": "d", "mountPath": "/d", "subPath": "x"}
    ]}));
    let m = vols.mounts_for(&c, &no_env()).expect("mounts");
    assert_eq!(common::read(&m[0].host_path), "v");
    assert_eq!(common::mounts_under(&root.path().join("pods/c2")).len(), 3);
    vm.teardown("c2").await.expect("teardown");
    assert!(common::mounts_under(root.path()).is_empty());
    assert!(!root.path().join("pods/c2").exists());
}

#[tokio::test]
async fn sub_path_escapes_are_refused() {
    let root = TempRoot::new();
    let vols = setup(&root).await;
    let data = vols.volume("data").expect("v").host_path.clone();
    let outside = root.path().join("outside");
    std::fs::create_dir(&outside).expect("mkdir");
    std::os::unix::fs::symlink(&outside, data.join("evil")).expect("symlink");
    std::os::unix::fs::symlink("../../../../../../../../../../../../../..", data.join("up"))
        .expect("symlink");
    let cases = [
        (
            "../x",
            "unable to provision SubPath `../x`: must not contain '..'",
        ),
        (
            "a/../../x",
            "unable to provision SubPath `a/../../x`: must not contain '..'",
        ),
        ("/etc", "error SubPath `/etc` must not be an absolute path"),
        (
            "evil",
            "failed to prepare subPath for volumeMount \"data\" of container \"app\"",
        ),
        (
            "up/etc",
            "failed to prepare subPath for volumeMount \"data\" of container \"app\"",
        ),
        (
            "evil/new",
            "failed to create subPath directory for volumeMount \"data\" of container \"app\"",
        ),
    ];
    for (sub, want) in cases {
        let c = container(json!({"name": "app", "volumeMounts": [
            {"name": "data", "mountPath": "/d", "subPath": sub}
        ]}));
        let err = vols.mounts_for(&c, &no_env()).expect_err(sub);
        assert_eq!(err.to_string(), want, "{sub}");
    }
    assert!(
        !outside.join("new").exists(),
        "created a dir outside the volume"
    );
    // A symlink that stays inside the volume is fine.
    std::fs::create_dir(data.join("real")).expect("mkdir");
    std::os::unix::fs::symlink("real", data.join("alias")).expect("symlink");
    let c = container(json!({"name": "app", "volumeMounts": [
        {"name": "data", "mountPath": "/d", "subPath": "alias"}
    ]}));
    let m = vols.mounts_for(&c, &no_env()).expect("inside");
    assert_bound(&m[0].host_path, &data.join("real"));
}

#[tokio::test]
async fn sub_path_expr_expands_env() {
    let root = TempRoot::new();
    let vols = setup(&root).await;
    let env = vec![
        ("POD_NAME".to_string(), "old".to_string()),
        ("POD_NAME".to_string(), "web-0".to_string()),
        ("EMPTY".to_string(), String::new()),
    ];
    let c = container(json!({"name": "app", "volumeMounts": [
        {"name": "data", "mountPath": "/logs", "subPathExpr": "logs/$(POD_NAME)/$$x"}
    ]}));
    let m = vols.mounts_for(&c, &env).expect("mounts");
    let data = &vols.volume("data").expect("v").host_path;
    assert_bound(&m[0].host_path, &data.join("logs/web-0/$x"));
    let c = container(json!({"name": "app", "volumeMounts": [
        {"name": "data", "mountPath": "/logs", "subPathExpr": "$(NOPE)/$(EMPTY)"}
    ]}));
    let err = vols.mounts_for(&c, &env).expect_err("missing");
    assert_eq!(err.to_string(), "missing value for EMPTY, NOPE");
}

#[tokio::test]
async fn termination_message_file_per_start() {
    let root = TempRoot::new();
    let vols = setup(&root).await;
    let c = container(json!({"name": "app", "terminationMessagePath": "/dev/termination-log"}));
    let a = vols
        .termination_message_mount(&c)
        .expect("mount")
        .expect("some");
    let b = vols
        .termination_message_mount(&c)
        .expect("mount")
        .expect("some");
    assert_ne!(a.host_path, b.host_path);
    assert_eq!(a.container_path, "/dev/termination-log");
    assert!(!a.read_only);
    let dir = root.path().join("pods/c1/containers/app");
    assert_eq!(a.host_path.parent(), Some(dir.as_path()));
    let name = a
        .host_path
        .file_name()
        .expect("name")
        .to_str()
        .expect("utf8");
    assert_eq!(name.len(), 8);
    assert!(name.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(mode(&a.host_path), 0o666);
    assert_eq!(std::fs::metadata(&a.host_path).expect("stat").size(), 0);
    let none = container(json!({"name": "app"}));
    assert!(vols.termination_message_mount(&none).expect("ok").is_none());
}
