//! The two images every kubehci node has without a registry: pause (our own static program,
//! src/images/pause.c, compiled by build.rs) and busybox (Debian's busybox-static).

use std::path::Path;
use std::process::Command;

use serde_json::json;

use super::layout::{Archive, Layer, archive};
use super::{BUSYBOX_IMAGE, PAUSE_IMAGE};
use crate::RuntimeError;

/// The static pause binary compiled by build.rs.
static PAUSE_BINARY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/pause"));

/// Debian's statically linked busybox (package busybox-static).
pub const BUSYBOX_BIN: &str = "/bin/busybox";

const PATH_ENV: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The pause image: `/pause` as entrypoint, running as 65535 like upstream's.
pub(crate) fn pause() -> Result<Archive, RuntimeError> {
    let mut layer = Layer::default();
    layer.file("pause", 0o755, PAUSE_BINARY.to_vec());
    let config = json!({
        "User": "65535:65535",
        "Env": [PATH_ENV],
        "Entrypoint": ["/pause"],
        "WorkingDir": "/",
    });
    archive(PAUSE_IMAGE, config, &layer)
        .map_err(RuntimeError::io("cannot build the image", PAUSE_IMAGE))
}

/// The busybox image: busybox and a symlink per applet, users root/user(1000)/nobody, /tmp
/// and a page under /var/www so `httpd -f -p 80 -h /var/www` serves something.
pub(crate) fn busybox() -> Result<Archive, RuntimeError> {
    busybox_from(Path::new(BUSYBOX_BIN))
}

fn busybox_from(bin: &Path) -> Result<Archive, RuntimeError> {
    let binary = std::fs::read(bin).map_err(|source| RuntimeError::MissingProgram {
        program: bin.display().to_string(),
        package: "busybox-static",
        source,
    })?;
    let out = Command::new(bin)
        .arg("--list-full")
        .output()
        .map_err(|source| RuntimeError::MissingProgram {
            program: bin.display().to_string(),
            package: "busybox-static",
            source,
        })?;
    let listing = String::from_utf8_lossy(&out.stdout);
    let mut layer = Layer::default();
    for dir in [
        "bin", "sbin", "usr/bin", "usr/sbin", "dev", "proc", "sys", "etc", "var", "home",
    ] {
        layer.dir(dir, 0o755);
    }
    layer.dir("root", 0o700);
    layer.dir("tmp", 0o1777);
    layer.dir("var/tmp", 0o1777);
    layer.dir_owned("home/user", 0o755, 1000, 1000);
    layer.file("bin/busybox", 0o755, binary);
    for applet in listing
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "bin/busybox")
    {
        layer.symlink(applet, "/bin/busybox");
    }
    layer.file(
        "etc/passwd",
        0o644,
        b"root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n".to_vec(),
    );
    layer.file(
        "etc/group",
        0o644,
        b"root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n".to_vec(),
    );
    layer.file(
        "var/www/index.html",
        0o644,
        b"<!DOCTYPE html>\n<html><head><title>kubehci</title></head>\n<body><h1>Hello from kubehci busybox httpd</h1></body></html>\n".to_vec(),
    );
    let config = json!({ "Env": [PATH_ENV], "Cmd": ["sh"], "WorkingDir": "/" });
    archive(BUSYBOX_IMAGE, config, &layer)
        .map_err(RuntimeError::io("cannot build the image", BUSYBOX_IMAGE))
}
