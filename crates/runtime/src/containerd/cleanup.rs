//! The synchronous part of a teardown: whatever CRI did not remove (because containerd was
//! already gone, or a test panicked) is found on the host and removed: runc containers, shims,
//! mounts under the state directory, pod cgroups.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rustix::mount::{UnmountFlags, unmount};
use rustix::process::Signal;

use super::teardown::Leftovers;
use super::{ContainerdConfig, kill_process_pid};

/// Where Debian installs runc.
const RUNC: &str = "/usr/sbin/runc";

/// Removes what is left of the containerd of `cfg`; returns what could not be removed.
pub(crate) fn sweep(cfg: &ContainerdConfig, leftovers: &Leftovers) -> Vec<String> {
    let mut problems = Vec::new();
    delete_runc_containers(&cfg.runc_root());
    let shims = shims_of(&cfg.socket());
    for pid in &shims {
        let _ = kill_process_pid(*pid, Signal::KILL);
    }
    remove_shim_sockets(&cfg.run_dir());
    let deadline = Instant::now() + Duration::from_secs(5);
    while shims.iter().any(|p| is_alive(*p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let alive: Vec<u32> = shims.into_iter().filter(|p| is_alive(*p)).collect();
    if !alive.is_empty() {
        problems.push(format!("containerd-shim processes still alive: {alive:?}"));
    }
    let state_dir = cfg
        .state_dir
        .canonicalize()
        .unwrap_or_else(|_| cfg.state_dir.clone());
    for _ in 0..3 {
        let left = mounts_under(&state_dir);
        if left.is_empty() {
            break;
        }
        for m in &left {
            if let Err(e) = unmount(m, UnmountFlags::DETACH) {
                tracing::debug!(mount = %m.display(), "unmount failed: {e}");
            }
        }
    }
    let left = mounts_under(&state_dir);
    if !left.is_empty() {
        problems.push(format!(
            "mounts left under {}: {left:?}",
            state_dir.display()
        ));
    }
    for cg in &leftovers.cgroups {
        for root in cgroup_roots() {
            let dir = root.join(cg);
            if dir.exists()
                && let Err(e) = std::fs::remove_dir(&dir)
            {
                problems.push(format!("cannot remove cgroup {}: {e}", dir.display()));
            }
        }
    }
    problems
}

/// `runc delete --force` of every container in runc's state root (all namespaces).
fn delete_runc_containers(runc_root: &Path) {
    let Ok(namespaces) = std::fs::read_dir(runc_root) else {
        return;
    };
    for ns in namespaces.flatten() {
        let Ok(ids) = std::fs::read_dir(ns.path()) else {
            continue;
        };
        for id in ids.flatten() {
            let status = Command::new(RUNC)
                .arg("--root")
                .arg(ns.path())
                .args(["delete", "--force"])
                .arg(id.file_name())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            tracing::debug!(id = ?id.file_name(), ?status, "runc delete --force");
        }
    }
}

/// Removes the shim sockets (under /run/containerd/s) named by the task bundles' `address`.
fn remove_shim_sockets(run_dir: &Path) {
    let tasks = run_dir.join("io.containerd.runtime.v2.task");
    let Ok(namespaces) = std::fs::read_dir(tasks) else {
        return;
    };
    for ns in namespaces.flatten() {
        let Ok(bundles) = std::fs::read_dir(ns.path()) else {
            continue;
        };
        for b in bundles.flatten() {
            if let Ok(addr) = std::fs::read_to_string(b.path().join("address"))
                && let Some(path) = addr.trim().strip_prefix("unix://")
            {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

fn cmdline(pid: u32) -> Option<Vec<String>> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(
        raw.split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect(),
    )
}

fn all_pids() -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect()
}

/// Pids of the containerd shims serving the containerd listening on `socket`.
pub(crate) fn shims_of(socket: &Path) -> Vec<u32> {
    let socket = socket.to_string_lossy();
    all_pids()
        .into_iter()
        .filter(|pid| {
            cmdline(*pid).is_some_and(|args| {
                args.first().is_some_and(|a| a.contains("containerd-shim"))
                    && args
                        .windows(2)
                        .any(|w| w[0] == "-address" && w[1] == socket)
            }) && is_alive(*pid)
        })
        .collect()
}

/// The process exists and is not a zombie.
pub(crate) fn is_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X'])),
        Err(_) => false,
    }
}

/// `pid` is a live containerd started with `config_file`.
pub(crate) fn is_containerd_for(pid: u32, config_file: &Path) -> bool {
    let want = config_file.to_string_lossy();
    is_alive(pid)
        && cmdline(pid).is_some_and(|args| {
            args.first().is_some_and(|a| a.ends_with("containerd"))
                && args.iter().any(|a| *a == want)
        })
}

/// Mount points at or below `dir`, deepest first.
pub(crate) fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = info
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(|m| PathBuf::from(unescape_mount(m)))
        .filter(|m| m.starts_with(dir))
        .collect();
    found.sort_by_key(|m| std::cmp::Reverse(m.components().count()));
    found.dedup();
    found
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo`.
fn unescape_mount(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The roots of the mounted cgroup hierarchies (each v1 controller, or the v2 unified root).
pub(crate) fn cgroup_roots() -> Vec<PathBuf> {
    let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    info.lines()
        .filter_map(|l| {
            let (pre, post) = l.split_once(" - ")?;
            let fstype = post.split(' ').next()?;
            let mount_point = pre.split(' ').nth(4)?;
            (fstype == "cgroup" || fstype == "cgroup2")
                .then(|| PathBuf::from(unescape_mount(mount_point)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_mountinfo_paths() {
        assert_eq!(unescape_mount("/a\\040b\\134c"), "/a b\\c");
        assert_eq!(unescape_mount("/plain"), "/plain");
        assert_eq!(unescape_mount("/end\\04"), "/end\\04");
    }

    #[test]
    fn this_process_is_alive() {
        assert!(is_alive(std::process::id()));
        assert!(!is_alive(u32::MAX));
    }
}
