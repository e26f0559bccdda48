//! The built-in image archives: reproducible, cached, and holding what they promise (a pause
//! that stops cleanly on SIGTERM/SIGINT; busybox with applets, users, /tmp and a web page).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::Read as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use kubehci_runtime::images::{BUSYBOX_IMAGE, PAUSE_IMAGE, build_builtin};

/// Every file of a tar: path -> (entry type, mode, link target, bytes).
type Entries = BTreeMap<String, (tar::EntryType, u32, Option<String>, Vec<u8>)>;

fn entries(tar_bytes: &[u8]) -> Entries {
    let mut out = BTreeMap::new();
    let mut ar = tar::Archive::new(tar_bytes);
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let path = e.path().unwrap().display().to_string();
        let link = e.link_name().unwrap().map(|l| l.display().to_string());
        let (kind, mode) = (e.header().entry_type(), e.header().mode().unwrap());
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        out.insert(path, (kind, mode, link, data));
    }
    out
}

/// (image name from index.json, image config, layer entries) of an OCI archive.
fn open_image(archive: &Path) -> (String, serde_json::Value, Entries) {
    let outer = entries(&std::fs::read(archive).unwrap());
    let blob =
        |digest: &str| &outer[&format!("blobs/sha256/{}", digest.trim_start_matches("sha256:"))].3;
    assert!(outer.contains_key("oci-layout"));
    let index: serde_json::Value = serde_json::from_slice(&outer["index.json"].3).unwrap();
    let desc = &index["manifests"][0];
    let name = desc["annotations"]["io.containerd.image.name"]
        .as_str()
        .unwrap()
        .to_string();
    let manifest: serde_json::Value =
        serde_json::from_slice(blob(desc["digest"].as_str().unwrap())).unwrap();
    let config: serde_json::Value =
        serde_json::from_slice(blob(manifest["config"]["digest"].as_str().unwrap())).unwrap();
    let layer = entries(blob(manifest["layers"][0]["digest"].as_str().unwrap()));
    (name, config, layer)
}

#[test]
fn archives_are_reproducible_and_not_rewritten_when_unchanged() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = build_builtin(a.path()).unwrap();
    let mtimes: Vec<_> = first
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(build_builtin(a.path()).unwrap(), first);
    let again: Vec<_> = first
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .collect();
    assert_eq!(mtimes, again, "an up-to-date archive was rewritten");
    for (x, y) in first.iter().zip(build_builtin(b.path()).unwrap()) {
        assert_eq!(
            std::fs::read(x).unwrap(),
            std::fs::read(y).unwrap(),
            "{} differs between builds",
            x.display()
        );
    }
    // A damaged archive is rebuilt.
    std::fs::write(&first[0], b"junk").unwrap();
    build_builtin(a.path()).unwrap();
    assert_eq!(
        std::fs::read(&first[0]).unwrap(),
        std::fs::read(b.path().join("pause.tar")).unwrap()
    );
}

#[test]
fn busybox_image_has_applets_users_tmp_and_a_page() {
    let dir = tempfile::tempdir().unwrap();
    let archives = build_builtin(dir.path()).unwrap();
    let (name, config, layer) = open_image(
        archives
            .iter()
            .find(|p| p.ends_with("busybox.tar"))
            .unwrap(),
    );
    assert_eq!(name, BUSYBOX_IMAGE);
    assert_eq!(config["config"]["Cmd"], serde_json::json!(["sh"]));
    assert!(
        config["config"]["Env"][0]
            .as_str()
            .unwrap()
            .starts_with("PATH=/")
    );
    assert_eq!(
        layer["bin/busybox"].3,
        std::fs::read("/bin/busybox").unwrap()
    );
    for applet in [
        "bin/sh",
        "bin/ls",
        "usr/bin/wget",
        "usr/sbin/httpd",
        "usr/bin/id",
    ] {
        let (kind, _, link, _) = layer
            .get(applet)
            .unwrap_or_else(|| panic!("{applet} missing"));
        assert_eq!(
            (*kind, link.as_deref()),
            (tar::EntryType::Symlink, Some("/bin/busybox")),
            "{applet}"
        );
    }
    let passwd = String::from_utf8(layer["etc/passwd"].3.clone()).unwrap();
    for user in ["root:x:0:0:", "user:x:1000:1000:", "nobody:x:65534:65534:"] {
        assert!(passwd.contains(user), "{passwd}");
    }
    assert!(String::from_utf8_lossy(&layer["etc/group"].3).contains("nogroup:x:65534:"));
    assert_eq!(layer["tmp/"].1, 0o1777);
    assert!(String::from_utf8_lossy(&layer["var/www/index.html"].3).contains("Hello from kubehci"));
}

#[test]
fn pause_image_runs_a_pause_that_exits_zero_on_term_and_int() {
    let dir = tempfile::tempdir().unwrap();
    let archives = build_builtin(dir.path()).unwrap();
    let (name, config, layer) =
        open_image(archives.iter().find(|p| p.ends_with("pause.tar")).unwrap());
    assert_eq!(name, PAUSE_IMAGE);
    assert_eq!(
        config["config"]["Entrypoint"],
        serde_json::json!(["/pause"])
    );
    let bin = dir.path().join("pause");
    std::fs::write(&bin, &layer["pause"].3).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let version = std::process::Command::new(&bin).arg("-v").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&version.stdout),
        "kubehci-pause 3.10\n"
    );
    for sig in ["TERM", "INT"] {
        let mut child = std::process::Command::new(&bin)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // It warns on stderr once it runs (not as PID 1); signal after that line.
        let mut line = [0u8; 16];
        child
            .stderr
            .as_mut()
            .unwrap()
            .read_exact(&mut line)
            .unwrap();
        let status = std::process::Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(child.id().to_string())
            .status();
        assert!(status.unwrap().success());
        let exit = child.wait().unwrap();
        assert_eq!(
            exit.code(),
            Some(0),
            "pause did not exit 0 on SIG{sig}: {exit:?}"
        );
    }
}
