//! fsGroup ownership (upstream `SetVolumeOwnership`) and the token owner (`FsUserFrom`).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use k8s_openapi::api::core::v1::{Container, Pod};
use tracing::warn;

use crate::VolumeError;

const RW_MASK: u32 = 0o660;
const RO_MASK: u32 = 0o440;
const EXEC_MASK: u32 = 0o110;
const SETGID: u32 = 0o2000;

/// Gives `dir` and everything below it to group `fs_group` the way kubelet does for volumes
/// that support ownership management: `lchown(-1, fs_group)` on every entry, `g+rw` on files
/// (`g+r` when `read_only`), additionally `g+x` and the setgid bit on directories, so files
/// created later inherit the group. Symlinks are re-grouped but never chmod-ed (that would
/// change their targets). Per-entry chown/chmod failures are logged and skipped, as upstream.
///
/// `on_root_mismatch` is `fsGroupChangePolicy: OnRootMismatch`: the walk is skipped when the
/// root already has the group, the permission bits and the setgid bit. Upstream applies the
/// policy only to persistent volumes; emptyDir, configMap, secret, projected and downwardAPI
/// are always changed (kubehci passes `false` for them).
pub fn set_volume_ownership(
    dir: &Path,
    fs_group: u32,
    read_only: bool,
    on_root_mismatch: bool,
) -> Result<(), VolumeError> {
    if on_root_mismatch && !requires_change(dir, fs_group, read_only) {
        return Ok(());
    }
    walk(dir, &mut |path, md| {
        change_one(path, md, fs_group, read_only)
    })
}

/// Upstream's `requiresPermissionChange`.
fn requires_change(root: &Path, fs_group: u32, read_only: bool) -> bool {
    let Ok(md) = std::fs::metadata(root) else {
        return true;
    };
    if md.gid() != fs_group || !md.is_dir() {
        return true;
    }
    let want = if read_only { RO_MASK } else { RW_MASK } | EXEC_MASK;
    let mode = md.permissions().mode();
    mode & want != want || mode & SETGID == 0
}

fn change_one(path: &Path, md: &std::fs::Metadata, fs_group: u32, read_only: bool) {
    if let Err(e) = std::os::unix::fs::lchown(path, None, Some(fs_group)) {
        warn!(path = %path.display(), error = %e, "lchown failed");
    }
    if md.file_type().is_symlink() {
        return;
    }
    let mut mask = if read_only { RO_MASK } else { RW_MASK };
    if md.is_dir() {
        mask |= SETGID | EXEC_MASK;
    }
    let mode = (md.permissions().mode() & 0o7777) | mask;
    if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
        warn!(path = %path.display(), error = %e, "chmod failed");
    }
}

/// Depth-first walk without following symlinks; the root is visited after its children, as
/// upstream's `walkDeep` does.
fn walk(path: &Path, f: &mut dyn FnMut(&Path, &std::fs::Metadata)) -> Result<(), VolumeError> {
    let md = std::fs::symlink_metadata(path)
        .map_err(|e| VolumeError::io(format!("lstat {}", path.display()), e))?;
    if md.is_dir() {
        let entries = std::fs::read_dir(path)
            .map_err(|e| VolumeError::io(format!("read {}", path.display()), e))?;
        for e in entries {
            let e = e.map_err(|e| VolumeError::io(format!("read {}", path.display()), e))?;
            walk(&e.path(), f)?;
        }
    }
    f(path, &md);
    Ok(())
}

/// Upstream's `FsUserFrom`: the effective `runAsUser` shared by every init and app container
/// (container setting over pod setting), or `None` when one of them has none or two differ.
/// Projected service-account tokens are chowned to it.
pub fn fs_user_from(pod: &Pod) -> Option<i64> {
    let spec = pod.spec.as_ref()?;
    let pod_user = spec.security_context.as_ref().and_then(|s| s.run_as_user);
    let effective = |c: &Container| {
        c.security_context
            .as_ref()
            .and_then(|s| s.run_as_user)
            .or(pod_user)
    };
    let mut user = None;
    for c in spec
        .init_containers
        .iter()
        .flatten()
        .chain(spec.containers.iter())
    {
        let u = effective(c)?;
        match user {
            None => user = Some(u),
            Some(prev) if prev != u => return None,
            Some(_) => {}
        }
    }
    user
}
