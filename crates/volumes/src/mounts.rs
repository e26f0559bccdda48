//! Container mounts from `volumeMounts` (kubelet's `makeMounts`): readOnly, subPath,
//! subPathExpr, mountPropagation, and the termination-message file.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use k8s_openapi::api::core::v1::{Container, VolumeMount};

use crate::{ContainerMount, MountPropagation, PodVolumes, SetUpVolume, VolumeError};

impl PodVolumes {
    /// The pod uid.
    pub fn pod_uid(&self) -> &str {
        &self.pod_uid
    }

    /// `root_dir/pods/<uid>`.
    pub fn pod_dir(&self) -> &Path {
        &self.pod_dir
    }

    /// One set-up volume by name.
    pub fn volume(&self, name: &str) -> Option<&SetUpVolume> {
        self.volumes.get(name)
    }

    /// Every set-up volume, by name.
    pub fn volumes(&self) -> impl Iterator<Item = (&str, &SetUpVolume)> {
        self.volumes.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The mounts of `container`'s `volumeMounts`, in order. `env` is the container's fully
    /// resolved environment (later entries win), used to expand `subPathExpr` (`$(VAR)`).
    /// A missing subPath directory is created with the volume root's mode; absolute subPaths,
    /// `..` components and subPaths that resolve (through symlinks) outside the volume are
    /// refused with upstream's messages. A subPath is bind-mounted (opened without following
    /// symlinks) to `pods/<uid>/volume-subpaths/<volume>/<container>/<index>` and that path
    /// is returned, so it cannot be redirected between this check and the container start;
    /// calling again for a restarted container replaces the bind. [`VolumeManager::teardown`]
    /// unmounts them.
    ///
    /// [`VolumeManager::teardown`]: crate::VolumeManager::teardown
    pub fn mounts_for(
        &self,
        container: &Container,
        env: &[(String, String)],
    ) -> Result<Vec<ContainerMount>, VolumeError> {
        let mut out = Vec::new();
        for (index, m) in container.volume_mounts.iter().flatten().enumerate() {
            out.push(self.mount_one(container, index, m, env)?);
        }
        Ok(out)
    }

    fn mount_one(
        &self,
        container: &Container,
        index: usize,
        m: &VolumeMount,
        env: &[(String, String)],
    ) -> Result<ContainerMount, VolumeError> {
        let vol = self
            .volumes
            .get(&m.name)
            .ok_or_else(|| VolumeError::UnknownVolume {
                volume: m.name.clone(),
                container: container.name.clone(),
            })?;
        let propagation = match m.mount_propagation.as_deref() {
            None | Some("None") => MountPropagation::Private,
            Some("HostToContainer") => MountPropagation::HostToContainer,
            Some("Bidirectional") => MountPropagation::Bidirectional,
            Some(other) => {
                return Err(VolumeError::Invalid(format!(
                    "invalid MountPropagation mode: {other:?}"
                )));
            }
        };
        let mut sub_path = m.sub_path.clone().unwrap_or_default();
        if let Some(expr) = m.sub_path_expr.as_deref().filter(|e| !e.is_empty()) {
            sub_path = expand_sub_path(expr, env)?;
        }
        let mut host_path = vol.host_path.clone();
        if !sub_path.is_empty() {
            host_path = crate::subpath::prepare(&crate::subpath::SubPathRequest {
                pod_dir: &self.pod_dir,
                volume: &m.name,
                volume_path: &vol.host_path,
                container: &container.name,
                index,
                sub_path: &sub_path,
            })?;
        }
        Ok(ContainerMount {
            volume: m.name.clone(),
            host_path,
            container_path: m.mount_path.clone(),
            read_only: m.read_only.unwrap_or(false) || vol.read_only,
            propagation,
            selinux_relabel: vol.selinux_relabel,
        })
    }

    /// Creates the file kubelet bind-mounts at `terminationMessagePath`
    /// (`pods/<uid>/containers/<name>/<8 hex digits>`, mode 0666) and returns its mount, or
    /// `None` when the container has no terminationMessagePath. A new file is made per call
    /// (per container start); after the container exits the node agent reads it through
    /// `host_path` (e.g. for `terminationMessagePolicy`).
    pub fn termination_message_mount(
        &self,
        container: &Container,
    ) -> Result<Option<ContainerMount>, VolumeError> {
        let Some(path) = container
            .termination_message_path
            .as_deref()
            .filter(|p| !p.is_empty())
        else {
            return Ok(None);
        };
        let dir = self.pod_dir.join("containers").join(&container.name);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o750)
            .create(&dir)
            .map_err(|e| VolumeError::io(format!("create {}", dir.display()), e))?;
        let file = loop {
            let id = format!("{:08x}", random_u32());
            let candidate = dir.join(id);
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&candidate)
            {
                Ok(mut f) => {
                    f.flush().map_err(|e| {
                        VolumeError::io(format!("write {}", candidate.display()), e)
                    })?;
                    break candidate;
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(VolumeError::io(
                        format!("create {}", candidate.display()),
                        e,
                    ));
                }
            }
        };
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666))
            .map_err(|e| VolumeError::io(format!("chmod {}", file.display()), e))?;
        Ok(Some(ContainerMount {
            volume: String::new(),
            host_path: file,
            container_path: path.to_string(),
            read_only: false,
            propagation: MountPropagation::Private,
            selinux_relabel: true,
        }))
    }
}

/// kubelet's `ExpandContainerVolumeMounts`: `$(VAR)` from `env`, `$$` for `$`; a variable
/// that is unset or empty is an error listing the missing names.
pub(crate) fn expand_sub_path(expr: &str, env: &[(String, String)]) -> Result<String, VolumeError> {
    let lookup = |key: &str| {
        env.iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let mut missing = std::collections::BTreeSet::new();
    let mut out = String::new();
    let bytes = expr.as_bytes();
    let mut i = 0;
    let mut last = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' && i + 1 < bytes.len() {
            if bytes[i + 1] == b'$' {
                out.push_str(&expr[last..i]);
                out.push('$');
                i += 2;
                last = i;
                continue;
            }
            if bytes[i + 1] == b'('
                && let Some(close) = expr[i + 2..].find(')')
            {
                out.push_str(&expr[last..i]);
                let key = &expr[i + 2..i + 2 + close];
                match lookup(key) {
                    Some(v) if !v.is_empty() => out.push_str(v),
                    _ => {
                        missing.insert(key.to_string());
                    }
                }
                i += close + 3;
                last = i;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&expr[last..]);
    if !missing.is_empty() {
        return Err(VolumeError::SubPath(format!(
            "missing value for {}",
            missing.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }
    Ok(out)
}

/// A random-enough 32-bit id (time, pid and a counter mixed; uniqueness is enforced by
/// `create_new` / `create_dir`, so no cryptographic quality is needed).
pub(crate) fn random_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.write_u32(std::process::id());
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    // Truncation intended: any 32 bits of the hash will do.
    (h.finish() & 0xffff_ffff) as u32
}
