//! Mount points from `/proc/self/mountinfo`, and unmounting everything below a directory.

use std::path::{Path, PathBuf};

use rustix::mount::{UnmountFlags, unmount};
use tracing::debug;

use crate::VolumeError;

/// Mount points at or below `dir`, deepest first.
pub(crate) fn mounts_under(dir: &Path) -> Result<Vec<PathBuf>, VolumeError> {
    let text = std::fs::read_to_string("/proc/self/mountinfo")
        .map_err(|e| VolumeError::io("read /proc/self/mountinfo", e))?;
    let mut out: Vec<PathBuf> = text
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(|p| PathBuf::from(unescape(p)))
        .filter(|p| p.starts_with(dir))
        .collect();
    out.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    out.dedup();
    Ok(out)
}

/// Whether `path` itself is a mount point.
pub(crate) fn is_mount_point(path: &Path) -> Result<bool, VolumeError> {
    Ok(mounts_under(path)?.iter().any(|p| p == path))
}

/// Unmounts every mount at or below `dir` (stacked mounts included), deepest first. A busy
/// mount is detached lazily.
pub(crate) fn unmount_all_under(dir: &Path) -> Result<(), VolumeError> {
    // Stacked mounts show up once per layer; a few passes clear them.
    for _ in 0..8 {
        let mounts = mounts_under(dir)?;
        if mounts.is_empty() {
            return Ok(());
        }
        for m in mounts {
            debug!(path = %m.display(), "unmounting");
            match unmount(&m, UnmountFlags::empty()) {
                Ok(()) => {}
                Err(rustix::io::Errno::INVAL) | Err(rustix::io::Errno::NOENT) => {}
                Err(rustix::io::Errno::BUSY) => {
                    unmount(&m, UnmountFlags::DETACH).map_err(|e| VolumeError::Mount {
                        context: format!("unmount {}", m.display()),
                        source: e.into(),
                    })?;
                }
                Err(e) => {
                    return Err(VolumeError::Mount {
                        context: format!("unmount {}", m.display()),
                        source: e.into(),
                    });
                }
            }
        }
    }
    Ok(())
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo`.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = u32::from(b[i + 1] - b'0') * 64
                + u32::from(b[i + 2] - b'0') * 8
                + u32::from(b[i + 3] - b'0');
            out.push(u8::try_from(v).unwrap_or(b'?'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn unescapes_octal() {
        assert_eq!(super::unescape(r"/a\040b\134c"), "/a b\\c");
        assert_eq!(super::unescape("/plain"), "/plain");
    }
}
