//! Images without a registry: the built-in images (built locally, reproducibly) and importing
//! image archives into a node's containerd (`k8s.io` namespace, the one CRI uses).

mod builtin;
mod layout;

use std::path::{Path, PathBuf};

use tokio::process::Command;

use crate::RuntimeError;
use crate::cri::api;

pub use builtin::BUSYBOX_BIN;

/// The pod sandbox image every kubehci node has.
pub const PAUSE_IMAGE: &str = "kubehci.local/pause:3.10";
/// A small general-purpose image (busybox; `httpd -f -p 80 -h /var/www` serves a page).
pub const BUSYBOX_IMAGE: &str = "kubehci.local/busybox:1.35";

/// containerd's command-line client (Debian package containerd).
pub const CTR_BIN: &str = "/usr/bin/ctr";
/// The containerd namespace the CRI plugin uses.
pub const K8S_NAMESPACE: &str = "k8s.io";

/// A built-in image written to the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltImage {
    /// Its reference, e.g. [`PAUSE_IMAGE`].
    pub name: String,
    /// The OCI archive.
    pub archive: PathBuf,
    /// The digest of its config: the image ID CRI reports.
    pub id: String,
}

/// Writes the built-in images' OCI archives under `cache_dir` (pause.tar, busybox.tar) and
/// returns their paths. Idempotent: an archive already there with the same bytes is kept.
pub fn build_builtin(cache_dir: &Path) -> Result<Vec<PathBuf>, RuntimeError> {
    Ok(build_builtin_images(cache_dir)?
        .into_iter()
        .map(|i| i.archive)
        .collect())
}

/// [`build_builtin`], with each image's name and ID.
pub fn build_builtin_images(cache_dir: &Path) -> Result<Vec<BuiltImage>, RuntimeError> {
    std::fs::create_dir_all(cache_dir).map_err(RuntimeError::io("cannot create", cache_dir))?;
    let mut out = Vec::new();
    for (file, name, archive) in [
        ("pause.tar", PAUSE_IMAGE, builtin::pause()?),
        ("busybox.tar", BUSYBOX_IMAGE, builtin::busybox()?),
    ] {
        let path = cache_dir.join(file);
        let current = std::fs::read(&path).ok();
        if current.as_deref() != Some(archive.bytes.as_slice()) {
            let tmp = cache_dir.join(format!(".{file}.tmp"));
            std::fs::write(&tmp, &archive.bytes).map_err(RuntimeError::io("cannot write", &tmp))?;
            std::fs::rename(&tmp, &path).map_err(RuntimeError::io("cannot write", &path))?;
            tracing::info!(image = name, path = %path.display(), "built-in image written");
        }
        out.push(BuiltImage {
            name: name.to_string(),
            archive: path,
            id: archive.config_digest,
        });
    }
    Ok(out)
}

/// Imports an image archive (OCI layout or `docker save` tar) into the containerd at `socket`,
/// namespace `k8s.io`, with containerd's own `ctr images import`; returns the imported names.
pub async fn import(socket: &Path, archive: &Path) -> Result<Vec<String>, RuntimeError> {
    if !archive.is_file() {
        return Err(RuntimeError::Import {
            archive: archive.to_path_buf(),
            message: "no such file (give the path of a `docker save` or OCI image archive)"
                .to_string(),
        });
    }
    let out = Command::new(CTR_BIN)
        .arg("--address")
        .arg(socket)
        .args(["-n", K8S_NAMESPACE, "images", "import", "--all-platforms"])
        .arg(archive)
        .output()
        .await
        .map_err(|source| RuntimeError::MissingProgram {
            program: CTR_BIN.to_string(),
            package: "containerd",
            source,
        })?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last_line = |s: &str| {
            s.lines()
                .map(str::trim)
                .rfind(|l| !l.is_empty())
                .map(str::to_string)
        };
        let message = last_line(&stderr)
            .or_else(|| last_line(&stdout))
            .unwrap_or_else(|| format!("ctr failed ({})", out.status));
        let message = message.trim_start_matches("ctr: ");
        return Err(RuntimeError::Import {
            archive: archive.to_path_buf(),
            message: message.to_string(),
        });
    }
    let names = parse_import_output(&stdout);
    if names.is_empty() {
        return Err(RuntimeError::Import {
            archive: archive.to_path_buf(),
            message: "the archive holds no named image (an OCI archive needs an \
                      io.containerd.image.name or full org.opencontainers.image.ref.name annotation)"
                .to_string(),
        });
    }
    tracing::debug!(archive = %archive.display(), ?names, "images imported");
    Ok(names)
}

/// `ctr images import` prints `unpacking NAME (sha256:...)...done` per image.
fn parse_import_output(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("unpacking ")?
                .split(" (")
                .next()
                .map(str::to_string)
        })
        .filter(|n| !n.is_empty())
        .collect()
}

/// Builds the built-in images (if needed) and imports those the containerd at `socket` does
/// not already have with the same ID.
pub async fn ensure_builtin(socket: &Path, cache_dir: &Path) -> Result<(), RuntimeError> {
    let images = build_builtin_images(cache_dir)?;
    let mut cri = crate::cri::connect(socket).await?;
    for image in images {
        let status = cri
            .images
            .image_status(api::ImageStatusRequest {
                image: Some(api::ImageSpec {
                    image: image.name.clone(),
                    ..Default::default()
                }),
                verbose: false,
            })
            .await
            .map_err(RuntimeError::cri("ImageStatus"))?
            .into_inner();
        if status.image.is_some_and(|i| i.id == image.id) {
            continue;
        }
        import(socket, &image.archive).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ctr_import_output() {
        let out = "unpacking kubehci.local/pause:3.10 (sha256:ab12)...done\nunpacking docker.io/library/x:1 (sha256:cd)...done\n";
        assert_eq!(
            parse_import_output(out),
            ["kubehci.local/pause:3.10", "docker.io/library/x:1"]
        );
        assert!(parse_import_output("").is_empty());
    }
}
