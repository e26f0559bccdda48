//! [`VolumeManager`]: setting up every volume of a pod on each sync, tearing a pod's volumes
//! down, and finding pod directories left on disk.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Pod, Volume};
use tracing::{debug, warn};

use crate::atomic_writer::{self, Payload};
use crate::ownership::{fs_user_from, set_volume_ownership};
use crate::{
    NodeAllocatable, ObjectSource, PodVolumes, SetUpVolume, VolumeError, VolumeFailure,
    VolumeManager, emptydir, hostpath, mountinfo, payload, token,
};

/// What the volume-building code needs to know about the pod beyond its spec.
pub(crate) struct PodContext<'a> {
    pub pod: &'a Pod,
    pub namespace: &'a str,
    pub name: &'a str,
    pub uid: &'a str,
    pub fs_group: Option<u32>,
    pub fs_user: Option<u32>,
    pub allocatable: NodeAllocatable,
}

impl VolumeManager {
    /// A manager keeping pods under `root_dir/pods/<uid>` (kubelet's layout) and reading the
    /// objects volumes project from `source`.
    pub fn new(root_dir: PathBuf, source: Arc<dyn ObjectSource>) -> Self {
        VolumeManager {
            root_dir,
            source,
            allocatable: NodeAllocatable::default(),
            tokens: token::TokenCache::default(),
            pod_locks: Default::default(),
        }
    }

    fn pod_lock(&self, uid: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.pod_locks
            .lock()
            .entry(uid.to_string())
            .or_default()
            .clone()
    }

    /// Sets the node's allocatable resources (defaults of unset limits in `resourceFieldRef`,
    /// ceiling of memory-backed emptyDirs). Zero fields are ignored.
    pub fn with_node_allocatable(mut self, allocatable: NodeAllocatable) -> Self {
        self.allocatable = allocatable;
        self
    }

    /// `root_dir/pods/<uid>`.
    pub fn pod_dir(&self, pod_uid: &str) -> PathBuf {
        self.root_dir.join("pods").join(pod_uid)
    }

    /// Sets up (first call) or refreshes (later calls) every volume of `pod`. Volumes that
    /// fail do not stop the others; the error then lists every failure
    /// ([`VolumeError::SetUp`]) and the pod must not start. Idempotent: an emptyDir keeps its
    /// content, configMap/secret/projected/downwardAPI content is rewritten atomically only
    /// when it changed, tokens are re-requested only when due.
    pub async fn setup(&self, pod: &Pod) -> Result<PodVolumes, VolumeError> {
        let uid = pod.metadata.uid.as_deref().unwrap_or_default();
        if uid.is_empty() || uid.contains('/') || uid.starts_with('.') {
            return Err(VolumeError::Invalid(format!("invalid pod uid {uid:?}")));
        }
        let spec = pod.spec.as_ref();
        let sc = spec.and_then(|s| s.security_context.as_ref());
        let ctx = PodContext {
            pod,
            namespace: pod.metadata.namespace.as_deref().unwrap_or("default"),
            name: pod.metadata.name.as_deref().unwrap_or_default(),
            uid,
            fs_group: sc
                .and_then(|s| s.fs_group)
                .and_then(|g| u32::try_from(g).ok()),
            fs_user: fs_user_from(pod).and_then(|u| u32::try_from(u).ok()),
            allocatable: self.allocatable,
        };
        let lock = self.pod_lock(uid);
        let _guard = lock.lock().await;
        let pod_dir = self.pod_dir(uid);
        let mut volumes = BTreeMap::new();
        let mut failures = Vec::new();
        for vol in spec.and_then(|s| s.volumes.as_ref()).into_iter().flatten() {
            match self.setup_volume(&ctx, &pod_dir, vol).await {
                Ok(v) => {
                    volumes.insert(vol.name.clone(), v);
                }
                Err(e) => {
                    warn!(pod = %ctx.name, volume = %vol.name, error = %e, "volume set-up failed");
                    failures.push(VolumeFailure {
                        volume: vol.name.clone(),
                        message: e.to_string(),
                    });
                }
            }
        }
        if !failures.is_empty() {
            return Err(VolumeError::SetUp(failures));
        }
        Ok(PodVolumes {
            pod_uid: uid.to_string(),
            pod_dir,
            volumes,
        })
    }

    async fn setup_volume(
        &self,
        ctx: &PodContext<'_>,
        pod_dir: &Path,
        vol: &Volume,
    ) -> Result<SetUpVolume, VolumeError> {
        let vols = pod_dir.join("volumes");
        if let Some(ed) = &vol.empty_dir {
            let dir = vols.join("kubernetes.io~empty-dir").join(&vol.name);
            emptydir::setup(ctx, pod_dir, &vol.name, &dir, ed)?;
            return Ok(managed(dir, "empty-dir", false));
        }
        if let Some(hp) = &vol.host_path {
            let path = hostpath::setup(hp)?;
            return Ok(SetUpVolume {
                host_path: path,
                kind: "host-path",
                read_only: false,
                selinux_relabel: false,
            });
        }
        let (plugin, kind, data): (&str, &'static str, Payload) = if let Some(cm) = &vol.config_map
        {
            let data = payload::config_map_volume(self.source.as_ref(), ctx, cm).await?;
            ("kubernetes.io~configmap", "configmap", data)
        } else if let Some(s) = &vol.secret {
            let data = payload::secret_volume(self.source.as_ref(), ctx, s).await?;
            ("kubernetes.io~secret", "secret", data)
        } else if let Some(d) = &vol.downward_api {
            let mode = mode_or_default(d.default_mode);
            let data = crate::downward::collect(d.items.as_deref().unwrap_or_default(), ctx, mode)?;
            ("kubernetes.io~downward-api", "downward-api", data)
        } else if let Some(p) = &vol.projected {
            let data =
                payload::projected_volume(self.source.as_ref(), &self.tokens, ctx, &vol.name, p)
                    .await?;
            ("kubernetes.io~projected", "projected", data)
        } else {
            return Err(VolumeError::Invalid(
                "volume type is not supported by the kubehci node agent (supported: emptyDir, \
                 configMap, secret, projected, downwardAPI, hostPath)"
                    .to_string(),
            ));
        };
        let dir = vols.join(plugin).join(&vol.name);
        emptydir::make_dir_0777(&dir)?;
        // Upstream wraps secret, projected and downwardAPI volumes in a memory-backed
        // emptyDir (configMap in a disk one).
        if kind != "configmap" {
            let size =
                emptydir::memory_size(ctx.pod, &Default::default(), ctx.allocatable.memory_bytes);
            emptydir::mount_tmpfs(&dir, size)?;
        }
        let context = format!("pod {}/{} volume {}", ctx.namespace, ctx.name, vol.name);
        atomic_writer::write(&dir, &data, &context)?;
        if let Some(group) = ctx.fs_group {
            set_volume_ownership(&dir, group, true, false)?;
        }
        Ok(managed(dir, kind, true))
    }

    /// Unmounts every mount under the pod's directory (memory-backed emptyDirs, and anything
    /// else left mounted there) and removes the directory. Idempotent; hostPath volumes are
    /// never touched.
    pub async fn teardown(&self, pod_uid: &str) -> Result<(), VolumeError> {
        if pod_uid.is_empty() || pod_uid.contains('/') || pod_uid.starts_with('.') {
            return Err(VolumeError::Invalid(format!("invalid pod uid {pod_uid:?}")));
        }
        let lock = self.pod_lock(pod_uid);
        let _guard = lock.lock().await;
        self.tokens.forget_pod(pod_uid);
        let dir = self.pod_dir(pod_uid);
        mountinfo::unmount_all_under(&dir)?;
        let left = mountinfo::mounts_under(&dir)?;
        if !left.is_empty() {
            return Err(VolumeError::Invalid(format!(
                "refusing to remove {}: still mounted: {}",
                dir.display(),
                left.iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {
                debug!(pod_uid, "pod volumes torn down");
                self.pod_locks.lock().remove(pod_uid);
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.pod_locks.lock().remove(pod_uid);
                Ok(())
            }
            Err(e) => Err(VolumeError::io(format!("remove {}", dir.display()), e)),
        }
    }

    /// The pod uids that have a directory under `root_dir/pods` (after a restart: compare
    /// with the pods bound to the node and [`teardown`](Self::teardown) the rest).
    pub fn orphaned_pods(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.root_dir.join("pods")) else {
            return Vec::new();
        };
        let mut uids: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        uids.sort();
        uids
    }
}

fn managed(host_path: PathBuf, kind: &'static str, read_only: bool) -> SetUpVolume {
    SetUpVolume {
        host_path,
        kind,
        read_only,
        selinux_relabel: true,
    }
}

/// A volume's `defaultMode`, or the API default 0644.
pub(crate) fn mode_or_default(mode: Option<i32>) -> u32 {
    mode.and_then(|m| u32::try_from(m).ok()).unwrap_or(0o644)
}
