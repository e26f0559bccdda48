//! Pod cgroups (cgroupfs driver, v1 and v2): the parent each sandbox gets per QoS class, and
//! removal of a pod's cgroup directories once its containers are gone.

use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::Pod;

use crate::status::qos_class;

/// `<root>/pod<uid>` (Guaranteed), `<root>/burstable/pod<uid>`, `<root>/besteffort/pod<uid>`.
pub fn pod_cgroup_parent(root: &str, pod: &Pod) -> String {
    let uid = pod.metadata.uid.as_deref().unwrap_or_default();
    let root = root.trim_end_matches('/');
    match qos_class(pod) {
        "Guaranteed" => format!("{root}/pod{uid}"),
        "Burstable" => format!("{root}/burstable/pod{uid}"),
        _ => format!("{root}/besteffort/pod{uid}"),
    }
}

fn is_v2() -> bool {
    Path::new("/sys/fs/cgroup/cgroup.controllers").exists()
}

/// Every directory the cgroup `path` has on this host (one per v1 hierarchy, or one on v2).
pub fn cgroup_dirs(path: &str) -> Vec<PathBuf> {
    let rel = path.trim_start_matches('/');
    if is_v2() {
        return vec![Path::new("/sys/fs/cgroup").join(rel)];
    }
    let Ok(entries) = std::fs::read_dir("/sys/fs/cgroup") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
        .map(|e| e.path().join(rel))
        .collect()
}

/// Removes the cgroup `path` (its empty child directories first) in every hierarchy; a
/// directory still holding processes stays (and is reported).
pub fn remove(path: &str) -> Vec<PathBuf> {
    let mut left = Vec::new();
    for dir in cgroup_dirs(path) {
        if dir.exists() && !remove_tree(&dir) {
            left.push(dir);
        }
    }
    left
}

fn remove_tree(dir: &Path) -> bool {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                remove_tree(&e.path());
            }
        }
    }
    match std::fs::remove_dir(dir) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Err(e) => {
            tracing::debug!(dir = %dir.display(), error = %e, "cannot remove cgroup");
            false
        }
    }
}

/// Whether any directory of the cgroup `path` exists.
pub fn exists(path: &str) -> bool {
    cgroup_dirs(path).iter().any(|d| d.exists())
}
