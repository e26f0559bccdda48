//! What `kubehci up` needs on the host, installed with apt when missing (the same packages as
//! scripts/setup.sh installs; nothing happens when they are all there).

use std::path::Path;
use std::process::Command;

use anyhow::Context as _;

/// (a file the package provides, the Debian package).
const NEEDED: &[(&str, &str)] = &[
    ("/usr/bin/containerd", "containerd"),
    ("/usr/bin/ctr", "containerd"),
    ("/usr/sbin/runc", "runc"),
    ("/usr/lib/cni/bridge", "containernetworking-plugins"),
    ("/usr/lib/cni/host-local", "containernetworking-plugins"),
    ("/usr/lib/cni/loopback", "containernetworking-plugins"),
    ("/usr/lib/cni/portmap", "containernetworking-plugins"),
    ("/bin/busybox", "busybox-static"),
    ("/usr/sbin/iptables", "iptables"),
];

/// The packages whose files are missing, each once.
pub fn missing_packages() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for (file, package) in NEEDED {
        if !Path::new(file).exists() && !out.contains(package) {
            out.push(package);
        }
    }
    // A dynamically linked busybox cannot run in an empty image: require Debian's static one.
    if Path::new("/bin/busybox").exists()
        && !is_static_busybox()
        && !out.contains(&"busybox-static")
    {
        out.push("busybox-static");
    }
    out
}

fn is_static_busybox() -> bool {
    // A static ELF has no PT_INTERP; `ldd` is not reliable on static binaries, so look for the
    // interpreter path string in the program headers' area.
    std::fs::read("/bin/busybox")
        .map(|b| {
            !b.windows(b"ld-linux".len())
                .take(8192)
                .any(|w| w == b"ld-linux")
        })
        .unwrap_or(false)
}

/// Installs what is missing with `apt-get install -y`; returns what it installed.
pub fn ensure_installed() -> anyhow::Result<Vec<&'static str>> {
    let missing = missing_packages();
    if missing.is_empty() {
        return Ok(missing);
    }
    eprintln!("Installing {} with apt-get ...", missing.join(" "));
    let run = |args: &[&str]| -> anyhow::Result<()> {
        let status = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .context("cannot run apt-get; install containerd, runc, containernetworking-plugins and busybox-static by hand")?;
        anyhow::ensure!(
            status.success(),
            "`apt-get {}` failed ({status}); install the packages by hand and run `kubehci up` again",
            args.join(" ")
        );
        Ok(())
    };
    run(&["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq"];
    args.extend(missing.iter().copied());
    run(&args)?;
    Ok(missing)
}
