//! Safe subPath mounts, as kubelet prepares them: the subPath is resolved and checked to stay
//! inside its volume, opened component by component without following symlinks, and that
//! open file bind-mounted (through `/proc/self/fd/N`) to
//! `pods/<uid>/volume-subpaths/<volume>/<container>/<index>`. The container then mounts that
//! bind, so swapping a path component for a symlink after the check cannot redirect it.

use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use rustix::fs::{FileType, Mode, OFlags, fstat, openat};
use rustix::mount::{UnmountFlags, mount_bind, unmount};
use tracing::warn;

use crate::{VolumeError, mountinfo};

/// Where and what to bind.
pub(crate) struct SubPathRequest<'a> {
    pub pod_dir: &'a Path,
    pub volume: &'a str,
    pub volume_path: &'a Path,
    pub container: &'a str,
    pub index: usize,
    pub sub_path: &'a str,
}

/// Validates, creates when missing, and bind-mounts the subPath; returns the bind target.
pub(crate) fn prepare(req: &SubPathRequest<'_>) -> Result<PathBuf, VolumeError> {
    let sub_path = req.sub_path;
    if sub_path.starts_with('/') {
        return Err(VolumeError::SubPath(format!(
            "error SubPath `{sub_path}` must not be an absolute path"
        )));
    }
    if Path::new(sub_path)
        .components()
        .any(|c| c == Component::ParentDir)
    {
        return Err(VolumeError::SubPath(format!(
            "unable to provision SubPath `{sub_path}`: must not contain '..'"
        )));
    }
    // Details stay in the log: they could tell the user about the host's filesystem.
    let prepare_failed = |why: String| {
        warn!(volume = req.volume, sub_path, why, "subPath refused");
        VolumeError::SubPath(format!(
            "failed to prepare subPath for volumeMount {:?} of container {:?}",
            req.volume, req.container
        ))
    };
    let root = std::fs::canonicalize(req.volume_path)
        .map_err(|e| prepare_failed(format!("volume path: {e}")))?;
    let wanted = req.volume_path.join(sub_path);
    if std::fs::symlink_metadata(&wanted).is_err() {
        let mode = std::fs::metadata(&root)
            .map(|md| md.permissions().mode() & 0o7777)
            .unwrap_or(0o755);
        safe_make_dir(&root, sub_path, mode).map_err(|e| {
            warn!(sub_path, error = %e, "creating subPath failed");
            VolumeError::SubPath(format!(
                "failed to create subPath directory for volumeMount {:?} of container {:?}",
                req.volume, req.container
            ))
        })?;
    }
    let resolved =
        std::fs::canonicalize(&wanted).map_err(|e| prepare_failed(format!("resolve: {e}")))?;
    let rel = resolved
        .strip_prefix(&root)
        .map_err(|_| prepare_failed(format!("{} is outside the volume", resolved.display())))?;
    let fd = open_no_follow(&root, rel).map_err(|e| prepare_failed(format!("open: {e}")))?;
    let is_dir = fstat(&fd)
        .map(|st| FileType::from_raw_mode(st.st_mode) == FileType::Directory)
        .map_err(|e| prepare_failed(format!("fstat: {e}")))?;
    let target = bind_target(req, is_dir).map_err(|e| prepare_failed(format!("target: {e}")))?;
    let source = format!("/proc/self/fd/{}", fd.as_raw_fd());
    mount_bind(source.as_str(), &target).map_err(|e| VolumeError::Mount {
        context: format!("bind subPath {sub_path} to {}", target.display()),
        source: e.into(),
    })?;
    Ok(target)
}

/// Opens `root/rel` one component at a time with `O_NOFOLLOW`; a symlink anywhere fails.
fn open_no_follow(root: &Path, rel: &Path) -> std::io::Result<OwnedFd> {
    let flags = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut fd = openat(
        rustix::fs::CWD,
        root,
        flags | OFlags::DIRECTORY,
        Mode::empty(),
    )?;
    for comp in rel.components() {
        let Component::Normal(name) = comp else {
            continue;
        };
        let next = openat(&fd, name, flags, Mode::empty())?;
        if FileType::from_raw_mode(fstat(&next)?.st_mode) == FileType::Symlink {
            return Err(std::io::Error::other(format!(
                "{} is a symlink",
                name.to_string_lossy()
            )));
        }
        fd = next;
    }
    Ok(fd)
}

/// `volume-subpaths/<volume>/<container>/<index>`: a directory or an empty file matching
/// the source; an earlier bind there (previous container start) is replaced.
fn bind_target(req: &SubPathRequest<'_>, is_dir: bool) -> std::io::Result<PathBuf> {
    let parent = req
        .pod_dir
        .join("volume-subpaths")
        .join(req.volume)
        .join(req.container);
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o750)
        .create(&parent)?;
    let target = parent.join(req.index.to_string());
    if mountinfo::is_mount_point(&target).map_err(std::io::Error::other)? {
        unmount(&target, UnmountFlags::DETACH)?;
    }
    if let Ok(md) = std::fs::symlink_metadata(&target)
        && md.is_dir() != is_dir
    {
        if md.is_dir() {
            std::fs::remove_dir(&target)?;
        } else {
            std::fs::remove_file(&target)?;
        }
    }
    if !target.exists() {
        if is_dir {
            std::fs::DirBuilder::new().mode(0o750).create(&target)?;
        } else {
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o640)
                .open(&target)?;
        }
    }
    Ok(target)
}

/// Creates `root/sub_path` directory by directory; an existing symlink component must lead
/// to a directory inside `root`.
fn safe_make_dir(root: &Path, sub_path: &str, mode: u32) -> std::io::Result<()> {
    let mut cur = root.to_path_buf();
    for comp in Path::new(sub_path).components() {
        let Component::Normal(name) = comp else {
            continue;
        };
        cur.push(name);
        match std::fs::symlink_metadata(&cur) {
            Ok(md) if md.is_dir() => {}
            Ok(md) if md.file_type().is_symlink() => {
                let target = std::fs::canonicalize(&cur)?;
                if !target.starts_with(root) || !target.is_dir() {
                    return Err(std::io::Error::other(format!(
                        "{} is a symlink outside the volume",
                        cur.display()
                    )));
                }
                cur = target;
            }
            Ok(_) => {
                return Err(std::io::Error::other(format!(
                    "{} is not a directory",
                    cur.display()
                )));
            }
            Err(_) => {
                std::fs::DirBuilder::new().mode(mode).create(&cur)?;
                std::fs::set_permissions(&cur, std::fs::Permissions::from_mode(mode))?;
            }
        }
    }
    Ok(())
}
