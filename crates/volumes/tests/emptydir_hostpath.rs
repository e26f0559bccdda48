//! emptyDir (disk and tmpfs), fsGroup ownership, hostPath type checks, teardown and
//! orphan listing. Runs as root: real tmpfs mounts, chown and a child process as uid 1000.

mod common;

use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use common::{TempRoot, failure, manager, mode, mounts_under, pod, read};
use kubehci_volumes::set_volume_ownership;
use serde_json::json;

#[tokio::test]
async fn empty_dir_on_disk_is_0777_and_keeps_content_across_syncs() {
    let root = TempRoot::new();
    let (vm, _src) = manager(&root);
    let p = pod("e1", json!([{"name": "scratch", "emptyDir": {}}]));
    let vols = vm.setup(&p).await.expect("setup");
    let dir = root
        .path()
        .join("pods/e1/volumes/kubernetes.io~empty-dir/scratch");
    let v = vols.volume("scratch").expect("v");
    assert_eq!(v.host_path, dir);
    assert!(!v.read_only);
    assert_eq!(mode(&dir), 0o777);
    assert!(
        root.path()
            .join("pods/e1/plugins/kubernetes.io~empty-dir/scratch/ready")
            .exists()
    );
    std::fs::write(dir.join("keep"), "data").expect("write");
    vm.setup(&p).await.expect("resync");
    assert_eq!(read(&dir.join("keep")), "data");
    assert!(
        mounts_under(&dir).is_empty(),
        "disk emptyDir must not be a mount"
    );
}

#[tokio::test]
async fn fs_group_makes_files_written_by_another_user_group_owned() {
    let root = TempRoot::new();
    let (vm, _src) = manager(&root);
    let mut p = pod("f1", json!([{"name": "data", "emptyDir": {}}]));
    p.spec.as_mut().expect("spec").security_context =
        Some(serde_json::from_value(json!({"runAsUser": 1000, "fsGroup": 2000})).expect("sc"));
    let dir = vm
        .setup(&p)
        .await
        .expect("setup")
        .volume("data")
        .expect("v")
        .host_path
        .clone();
    let md = std::fs::metadata(&dir).expect("stat");
    assert_eq!(md.gid(), 2000);
    assert_eq!(md.mode() & 0o7777, 0o2777, "setgid + rwx");

    // A process running as 1000:1000 (no supplementary groups) writes into the volume.
    let status = Command::new("/bin/sh")
        .arg("-c")
        .arg("echo hi > \"$1/file\" && mkdir \"$1/sub\" && echo x > \"$1/sub/f\"")
        .arg("sh")
        .arg(&dir)
        .uid(1000)
        .gid(1000)
        .status()
        .expect("spawn");
    assert!(status.success());
    for (path, is_dir) in [("file", false), ("sub", true), ("sub/f", false)] {
        let md = std::fs::metadata(dir.join(path)).expect("stat");
        assert_eq!(md.uid(), 1000, "{path}");
        assert_eq!(md.gid(), 2000, "{path} inherits the fsGroup");
        if is_dir {
            assert_ne!(md.mode() & 0o2000, 0, "{path} inherits setgid");
        }
    }
}

#[tokio::test]
async fn fs_group_on_config_map_is_read_only_group_access() {
    let root = TempRoot::new();
    let (vm, src) = manager(&root);
    src.put_secret("ns", "sec", &[("k", b"v")]);
    let mut p = pod(
        "f2",
        json!([{"name": "s", "secret": {"secretName": "sec", "defaultMode": 0o400}},
               {"name": "h", "hostPath": {"path": root.path().join("host").to_str().expect("utf8"), "type": "DirectoryOrCreate"}}]),
    );
    p.spec.as_mut().expect("spec").security_context =
        Some(serde_json::from_value(json!({"fsGroup": 2000})).expect("sc"));
    let vols = vm.setup(&p).await.expect("setup");
    let dir = &vols.volume("s").expect("v").host_path;
    let md = std::fs::metadata(dir.join("k")).expect("stat");
    assert_eq!(md.gid(), 2000);
    assert_eq!(md.mode() & 0o777, 0o440, "0400 + g+r");
    let ts = dir.join(std::fs::read_link(dir.join("..data")).expect("link"));
    assert_ne!(mode(&ts) & 0o2000, 0, "setgid on directories");
    // The symlink itself is re-grouped, its target's mode untouched by it.
    assert_eq!(
        std::fs::symlink_metadata(dir.join("k"))
            .expect("lstat")
            .gid(),
        2000
    );
    // hostPath does not support ownership management.
    let host = std::fs::metadata(root.path().join("host")).expect("stat");
    assert_eq!(host.gid(), 0);
    assert_eq!(host.mode() & 0o7777, 0o755);
}

#[test]
fn on_root_mismatch_skips_a_matching_root() {
    let root = TempRoot::new();
    let dir = root.path().join("vol");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(dir.join("f"), "x").expect("write");
    set_volume_ownership(&dir, 2000, false, false).expect("always");
    assert_eq!(std::fs::metadata(dir.join("f")).expect("stat").gid(), 2000);
    // A new file with another group: OnRootMismatch leaves it, Always fixes it.
    std::fs::write(dir.join("g"), "y").expect("write");
    std::os::unix::fs::chown(dir.join("g"), None, Some(0)).expect("chown");
    set_volume_ownership(&dir, 2000, false, true).expect("on root mismatch");
    assert_eq!(std::fs::metadata(dir.join("g")).expect("stat").gid(), 0);
    set_volume_ownership(&dir, 3000, false, true).expect("root mismatches");
    assert_eq!(std::fs::metadata(dir.join("g")).expect("stat").gid(), 3000);
    assert_eq!(mode(&dir.join("g")) & 0o060, 0o060);
}

#[tokio::test]
async fn memory_empty_dir_is_a_sized_tmpfs_unmounted_on_teardown() {
    let root = TempRoot::new();
    let (vm, _src) = manager(&root);
    let mut p = pod(
        "m1",
        json!([{"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}}]),
    );
    p.spec.as_mut().expect("spec").containers[0] =
        common::container(json!({"name": "app", "resources": {"limits": {"memory": "64Mi"}}}));
    let dir = vm
        .setup(&p)
        .await
        .expect("setup")
        .volume("shm")
        .expect("v")
        .host_path
        .clone();
    let info = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    let line = info
        .lines()
        .find(|l| l.split(' ').nth(4) == dir.to_str())
        .unwrap_or_else(|| panic!("{} not mounted", dir.display()));
    assert!(line.contains(" - tmpfs tmpfs "), "{line}");
    assert!(line.contains("size=1024k"), "{line}");
    std::fs::write(dir.join("x"), "in memory").expect("write");
    // Idempotent: no second mount stacked on resync.
    vm.setup(&p).await.expect("resync");
    assert_eq!(mounts_under(&dir).len(), 1);
    assert_eq!(read(&dir.join("x")), "in memory");

    vm.teardown("m1").await.expect("teardown");
    assert!(mounts_under(root.path()).is_empty());
    assert!(!root.path().join("pods/m1").exists());
    vm.teardown("m1").await.expect("teardown is idempotent");
}

#[tokio::test]
async fn memory_empty_dir_defaults_to_the_pod_memory_limit() {
    let root = TempRoot::new();
    let (vm, _src) = manager(&root);
    let mut p = pod(
        "m2",
        json!([{"name": "shm", "emptyDir": {"medium": "Memory"}}]),
    );
    p.spec.as_mut().expect("spec").containers[0] =
        common::container(json!({"name": "app", "resources": {"limits": {"memory": "2Mi"}}}));
    let dir = vm
        .setup(&p)
        .await
        .expect("setup")
        .volume("shm")
        .expect("v")
        .host_path
        .clone();
    let info = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    let line = info
        .lines()
        .find(|l| l.split(' ').nth(4) == dir.to_str())
        .expect("mounted");
    assert!(line.contains("size=2048k"), "{line}");
    vm.teardown("m2").await.expect("teardown");
    assert!(mounts_under(root.path()).is_empty());
}

#[tokio::test]
async fn host_path_types_and_upstream_errors() {
    let root = TempRoot::new();
    let (vm, _src) = manager(&root);
    let r = root.path();
    std::fs::write(r.join("afile"), "x").expect("write");
    std::fs::create_dir(r.join("adir")).expect("mkdir");
    let path = |n: &str| r.join(n).to_str().expect("utf8").to_string();

    let ok = pod(
        "h1",
        json!([
            {"name": "a", "hostPath": {"path": path("new/dir"), "type": "DirectoryOrCreate"}},
            {"name": "b", "hostPath": {"path": path("adir"), "type": "Directory"}},
            {"name": "c", "hostPath": {"path": path("adir/newfile"), "type": "FileOrCreate"}},
            {"name": "d", "hostPath": {"path": path("afile"), "type": "File"}},
            {"name": "e", "hostPath": {"path": path("whatever")}},
            {"name": "f", "hostPath": {"path": "/dev/null", "type": "CharDevice"}}
        ]),
    );
    let vols = vm.setup(&ok).await.expect("setup");
    assert!(r.join("new/dir").is_dir());
    assert_eq!(mode(&r.join("new/dir")), 0o755);
    assert!(r.join("adir/newfile").is_file());
    assert_eq!(mode(&r.join("adir/newfile")), 0o644);
    let b = vols.volume("b").expect("b");
    assert_eq!(b.host_path, r.join("adir"));
    assert!(!b.selinux_relabel);

    let cases = [
        ("Directory", "afile", "is not a directory"),
        ("DirectoryOrCreate", "afile", "is not a directory"),
        ("Directory", "missing", "is not a directory"),
        ("File", "adir", "is not a file"),
        ("FileOrCreate", "adir", "is not a file"),
        ("Socket", "afile", "is not a socket file"),
        ("CharDevice", "afile", "is not a character device"),
        ("BlockDevice", "afile", "is not a block device"),
    ];
    for (i, (kind, target, what)) in cases.into_iter().enumerate() {
        let p = pod(
            &format!("hx{i}"),
            json!([{"name": "v", "hostPath": {"path": path(target), "type": kind}}]),
        );
        let (_, msg) = failure(vm.setup(&p).await.expect_err(kind));
        assert_eq!(
            msg,
            format!("hostPath type check failed: {} {what}", path(target)),
            "{kind}"
        );
    }
    let p = pod(
        "hy",
        json!([{"name": "v", "hostPath": {"path": path("afile"), "type": "Weird"}}]),
    );
    let (_, msg) = failure(vm.setup(&p).await.expect_err("invalid"));
    assert_eq!(msg, "Weird is an invalid volume type");
    // Teardown never touches hostPath content.
    vm.teardown("h1").await.expect("teardown");
    assert!(r.join("adir/newfile").exists());
}

#[tokio::test]
async fn orphaned_pods_lists_pod_dirs_until_torn_down() {
    let root = TempRoot::new();
    let (vm, _src) = manager(&root);
    assert!(vm.orphaned_pods().is_empty());
    for uid in ["b-uid", "a-uid"] {
        vm.setup(&pod(uid, json!([{"name": "v", "emptyDir": {}}])))
            .await
            .expect("setup");
    }
    assert_eq!(
        vm.orphaned_pods(),
        vec!["a-uid".to_string(), "b-uid".to_string()]
    );
    vm.teardown("a-uid").await.expect("teardown");
    assert_eq!(vm.orphaned_pods(), vec!["b-uid".to_string()]);
    assert!(vm.teardown("../etc").await.is_err(), "uids must not escape");
    assert!(Path::new("/etc").exists());
}
