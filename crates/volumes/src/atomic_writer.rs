//! Atomic projection of a payload into a volume directory, as kubelet's AtomicWriter does:
//!
//! ```text
//! <dir>/..2026_11_25_03_05_22.1234567890/   the current content (mode 0755)
//! <dir>/..data -> ..2026_11_25_03_05_22.1234567890
//! <dir>/<key>  -> ..data/<key>                 one per top-level path of the payload
//! ```
//!
//! An update writes a new timestamped directory, points `..data_tmp` at it and renames that
//! over `..data` (one atomic step), then fixes the user-visible symlinks and removes the old
//! directory. A reader therefore sees either the whole old or the whole new content.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Component, Path};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::debug;

use crate::VolumeError;

const DATA_DIR: &str = "..data";
const DATA_DIR_TMP: &str = "..data_tmp";
const MAX_PATH_LENGTH: usize = 4096;
const MAX_FILE_NAME_LENGTH: usize = 255;

/// One file of a payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileProjection {
    pub data: Vec<u8>,
    pub mode: u32,
    /// Owner to set (`FsUser`: service-account tokens when all containers share a uid).
    pub fs_user: Option<u32>,
}

/// Relative path -> file.
pub(crate) type Payload = BTreeMap<String, FileProjection>;

/// Writes `payload` into `dir` atomically. Returns whether anything changed. `context`
/// names the pod and volume in log lines.
pub(crate) fn write(dir: &Path, payload: &Payload, context: &str) -> Result<bool, VolumeError> {
    let payload = validate_payload(payload)?;
    let data_link = dir.join(DATA_DIR);
    let old_ts = std::fs::read_link(&data_link)
        .ok()
        .and_then(|t| t.to_str().map(str::to_string))
        .filter(|t| is_ts_dir_name(t) && dir.join(t).is_dir());
    let old_paths = match &old_ts {
        Some(ts) => existing_files(&dir.join(ts))?,
        None => BTreeSet::new(),
    };
    let changed = match &old_ts {
        None => true,
        Some(ts) => payload_differs(&dir.join(ts), &payload, &old_paths),
    };
    if !changed && user_visible_ok(dir, &payload) {
        return Ok(false);
    }
    if changed {
        let ts = new_ts_dir(dir)?;
        let ts_path = dir.join(&ts);
        write_payload(&ts_path, &payload)?;
        let tmp = dir.join(DATA_DIR_TMP);
        remove_if_exists(&tmp)?;
        std::os::unix::fs::symlink(&ts, &tmp)
            .map_err(|e| VolumeError::io(format!("symlink {}", tmp.display()), e))?;
        std::fs::rename(&tmp, &data_link)
            .map_err(|e| VolumeError::io(format!("rename to {}", data_link.display()), e))?;
        debug!(context, ts, "volume content swapped");
    }
    // User-visible symlinks for the new top-level names.
    let new_top: BTreeSet<&str> = payload.keys().map(|p| top_level(p)).collect();
    for name in &new_top {
        let link = dir.join(name);
        let target = Path::new(DATA_DIR).join(name);
        match std::fs::read_link(&link) {
            Ok(t) if t == target => {}
            _ => {
                remove_if_exists(&link)?;
                std::os::unix::fs::symlink(&target, &link)
                    .map_err(|e| VolumeError::io(format!("symlink {}", link.display()), e))?;
            }
        }
    }
    // Old user-visible names no longer in the payload.
    let old_top: BTreeSet<&str> = old_paths.iter().map(|p| top_level(p)).collect();
    for name in old_top.difference(&new_top) {
        remove_if_exists(&dir.join(name))?;
    }
    // Old timestamped directories (the previous one, and leftovers of interrupted writes).
    let current = std::fs::read_link(&data_link)
        .ok()
        .and_then(|t| t.to_str().map(str::to_string));
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.filter_map(Result::ok) {
            let name = e.file_name().to_string_lossy().into_owned();
            if is_ts_dir_name(&name) && Some(&name) != current.as_ref() {
                std::fs::remove_dir_all(e.path()).map_err(|err| {
                    VolumeError::io(format!("remove {}", e.path().display()), err)
                })?;
            }
        }
    }
    Ok(changed)
}

/// Upstream's `validatePayload`: relative, no `..`, bounded lengths; paths are cleaned.
fn validate_payload(payload: &Payload) -> Result<Payload, VolumeError> {
    let mut out = Payload::new();
    for (p, f) in payload {
        if p.starts_with('/') {
            return Err(VolumeError::Invalid(format!(
                "invalid path: must be relative path: {p}"
            )));
        }
        if p.len() > MAX_PATH_LENGTH {
            return Err(VolumeError::Invalid(format!(
                "invalid path: must be less than or equal to {MAX_PATH_LENGTH} characters"
            )));
        }
        let mut parts = Vec::new();
        for c in Path::new(p).components() {
            match c {
                Component::Normal(n) => {
                    let n = n.to_string_lossy();
                    if n.len() > MAX_FILE_NAME_LENGTH {
                        return Err(VolumeError::Invalid(format!(
                            "invalid path: each path segment must be less than or equal to \
                             {MAX_FILE_NAME_LENGTH} characters"
                        )));
                    }
                    parts.push(n.into_owned());
                }
                Component::ParentDir => {
                    return Err(VolumeError::Invalid(format!(
                        "invalid path: must not contain '..': {p}"
                    )));
                }
                _ => {}
            }
        }
        if parts.is_empty() {
            return Err(VolumeError::Invalid(format!(
                "invalid path: must not be empty: {p}"
            )));
        }
        if parts[0].starts_with("..") {
            return Err(VolumeError::Invalid(format!(
                "invalid path: must not start with '..': {p}"
            )));
        }
        out.insert(parts.join("/"), f.clone());
    }
    Ok(out)
}

fn top_level(p: &str) -> &str {
    p.split('/').next().unwrap_or(p)
}

fn is_ts_dir_name(n: &str) -> bool {
    n.starts_with("..") && n != DATA_DIR && n != DATA_DIR_TMP && n.len() > 2
}

/// Relative paths of the regular files under `root`.
fn existing_files(root: &Path) -> Result<BTreeSet<String>, VolumeError> {
    let mut out = BTreeSet::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| VolumeError::io(format!("read {}", dir.display()), e))?;
        for e in entries.filter_map(Result::ok) {
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push((e.path(), rel)),
                Ok(_) => {
                    out.insert(rel);
                }
                Err(_) => {}
            }
        }
    }
    Ok(out)
}

fn payload_differs(ts_dir: &Path, payload: &Payload, old: &BTreeSet<String>) -> bool {
    if old.len() != payload.len() || payload.keys().any(|k| !old.contains(k)) {
        return true;
    }
    // Content only, as upstream: modes are fixed for a pod (volumes are immutable) and
    // fsGroup ownership adds group bits after writing.
    payload.iter().any(|(p, f)| {
        std::fs::read(ts_dir.join(p))
            .map(|d| d != f.data)
            .unwrap_or(true)
    })
}

fn user_visible_ok(dir: &Path, payload: &Payload) -> bool {
    payload.keys().all(|p| {
        let name = top_level(p);
        std::fs::read_link(dir.join(name)).is_ok_and(|t| t == Path::new(DATA_DIR).join(name))
    })
}

/// Creates `..YYYY_MM_DD_HH_MM_SS.<random>` (UTC) with mode 0755.
fn new_ts_dir(dir: &Path) -> Result<String, VolumeError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let (y, mo, d, h, mi, s) = civil(now);
    loop {
        let name = format!(
            "..{y:04}_{mo:02}_{d:02}_{h:02}_{mi:02}_{s:02}.{}",
            crate::mounts::random_u32()
        );
        let path = dir.join(&name);
        match std::fs::DirBuilder::new().mode(0o755).create(&path) {
            Ok(()) => {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                    .map_err(|e| VolumeError::io(format!("chmod {}", path.display()), e))?;
                return Ok(name);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(VolumeError::io(format!("create {}", path.display()), e)),
        }
    }
}

/// UTC calendar fields of a Unix time (days-from-civil inverse).
fn civil(secs: u64) -> (i64, u32, u32, u32, u32, u32) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        month,
        day,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
    )
}

fn write_payload(ts_dir: &Path, payload: &Payload) -> Result<(), VolumeError> {
    for (p, f) in payload {
        let path = ts_dir.join(p);
        if let Some(parent) = path.parent() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(parent)
                .map_err(|e| VolumeError::io(format!("create {}", parent.display()), e))?;
        }
        std::fs::write(&path, &f.data)
            .map_err(|e| VolumeError::io(format!("write {}", path.display()), e))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(f.mode & 0o7777))
            .map_err(|e| VolumeError::io(format!("chmod {}", path.display()), e))?;
        if let Some(uid) = f.fs_user {
            std::os::unix::fs::chown(&path, Some(uid), None)
                .map_err(|e| VolumeError::io(format!("chown {}", path.display()), e))?;
        }
    }
    Ok(())
}

fn remove_if_exists(path: &Path) -> Result<(), VolumeError> {
    let res = match std::fs::symlink_metadata(path) {
        Ok(md) if md.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(_) => return Ok(()),
    };
    res.map_err(|e| VolumeError::io(format!("remove {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::civil;

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1, 0, 0, 0));
        // 2026-11-25T03:05:22Z
        assert_eq!(civil(1_795_575_922), (2026, 11, 25, 3, 5, 22));
        // 2024-02-29T23:59:59Z
        assert_eq!(civil(1_709_251_199), (2024, 2, 29, 23, 59, 59));
    }
}
