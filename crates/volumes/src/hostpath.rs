//! hostPath volumes: the type check (and creation for the `...OrCreate` types) upstream's
//! hostPath plugin does at set-up.

use std::os::unix::fs::{DirBuilderExt, FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::path::PathBuf;

use k8s_openapi::api::core::v1::HostPathVolumeSource;

use crate::VolumeError;

/// Checks (and for `DirectoryOrCreate` / `FileOrCreate` creates) the host path; returns it.
/// Messages are upstream's, e.g. `hostPath type check failed: /x is not a directory`.
pub(crate) fn setup(src: &HostPathVolumeSource) -> Result<PathBuf, VolumeError> {
    let path = PathBuf::from(&src.path);
    let kind = src.type_.as_deref().unwrap_or("");
    let failed = |what: &str| {
        VolumeError::Invalid(format!(
            "hostPath type check failed: {} is not {what}",
            src.path
        ))
    };
    let md = std::fs::metadata(&path).ok();
    let ft = md.as_ref().map(|m| m.file_type());
    match kind {
        "" => {}
        "DirectoryOrCreate" | "Directory" => {
            if kind == "DirectoryOrCreate" && md.is_none() {
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o755)
                    .create(&path)
                    .map_err(|e| VolumeError::Invalid(format!("mkdir {}: {e}", src.path)))?;
                return Ok(path);
            }
            if !ft.is_some_and(|t| t.is_dir()) {
                return Err(failed("a directory"));
            }
        }
        "FileOrCreate" | "File" => {
            if kind == "FileOrCreate" && md.is_none() {
                // Like upstream, the parent directory is not created.
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .mode(0o644)
                    .open(&path)
                    .map_err(|e| VolumeError::Invalid(format!("open {}: {e}", src.path)))?;
                f.set_permissions(std::fs::Permissions::from_mode(0o644))
                    .map_err(|e| VolumeError::Invalid(format!("chmod {}: {e}", src.path)))?;
                return Ok(path);
            }
            if !ft.is_some_and(|t| t.is_file()) {
                return Err(failed("a file"));
            }
        }
        "Socket" => {
            if !ft.is_some_and(|t| t.is_socket()) {
                return Err(failed("a socket file"));
            }
        }
        "CharDevice" => {
            if !ft.is_some_and(|t| t.is_char_device()) {
                return Err(failed("a character device"));
            }
        }
        "BlockDevice" => {
            if !ft.is_some_and(|t| t.is_block_device()) {
                return Err(failed("a block device"));
            }
        }
        other => {
            return Err(VolumeError::Invalid(format!(
                "{other} is an invalid volume type"
            )));
        }
    }
    Ok(path)
}
