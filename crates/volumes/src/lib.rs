//! Pod volumes on a node: emptyDir, configMap, secret, projected, downwardAPI, hostPath.
//!
//! The node agent owns one [`VolumeManager`]. On every pod sync it calls
//! [`VolumeManager::setup`], which (idempotently) creates or refreshes every volume of the pod
//! under `<root_dir>/pods/<uid>/volumes/<plugin>/<name>` exactly where kubelet puts them
//! (`kubernetes.io~empty-dir`, `kubernetes.io~configmap`, `kubernetes.io~secret`,
//! `kubernetes.io~projected`, `kubernetes.io~downward-api`; hostPath volumes live on the host
//! path itself). configMap, secret, projected and downwardAPI content is written like kubelet's
//! AtomicWriter: a `..<timestamp>` directory, a `..data` symlink swapped with `rename`, and one
//! user-visible symlink per top-level key, so a container never sees a half-written update.
//! Like upstream, secret, projected and downwardAPI volumes sit on a tmpfs (sized like a
//! memory-backed emptyDir) so their content never reaches the disk; configMap ones on disk.
//! Service-account tokens of projected volumes are re-requested once 80% of their lifetime
//! has passed (or they are 24 h old), as kubelet's token manager does.
//!
//! The returned [`PodVolumes`] turns a container's `volumeMounts` into [`ContainerMount`]s for
//! the CRI `CreateContainer` request ([`PodVolumes::mounts_for`]) and creates the per-container
//! termination-message file ([`PodVolumes::termination_message_mount`]). SubPaths are
//! bind-mounted under `pods/<uid>/volume-subpaths/` after a symlink-safe open, as kubelet
//! does.
//! [`VolumeManager::teardown`] unmounts (tmpfs) and removes everything of a pod;
//! [`VolumeManager::orphaned_pods`] lists pod directories left on disk, for cleanup after a
//! node-agent restart.
//!
//! Ownership: with `securityContext.fsGroup`, every volume but hostPath gets the group
//! recursively, the setgid bit on directories and `g+rw` (`g+r` for the read-only kinds), as
//! upstream's `SetVolumeOwnership`; like upstream, `fsGroupChangePolicy` only matters for
//! persistent volumes, so these ephemeral kinds are always changed (see
//! [`set_volume_ownership`] for the policy itself).

mod atomic_writer;
mod downward;
mod emptydir;
mod hostpath;
mod manager;
mod mountinfo;
mod mounts;
mod ownership;
mod payload;
mod subpath;
mod token;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use k8s_openapi::api::core::v1::{ConfigMap, Secret};

pub use ownership::{fs_user_from, set_volume_ownership};

/// Where the API objects a pod's volumes project come from. The node agent implements it with
/// its API client; tests use a fake.
#[async_trait::async_trait]
pub trait ObjectSource: Send + Sync {
    /// GET `configmaps/<name>` in `namespace`; `Ok(None)` when the API answers 404.
    async fn config_map(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Option<ConfigMap>, VolumeError>;

    /// GET `secrets/<name>` in `namespace`; `Ok(None)` when the API answers 404.
    async fn secret(&self, namespace: &str, name: &str) -> Result<Option<Secret>, VolumeError>;

    /// POST a TokenRequest to `serviceaccounts/<service_account>/token` with the given
    /// audiences (empty: the API server's defaults), `expirationSeconds`, and a
    /// `boundObjectRef` to the pod (`apiVersion: v1, kind: Pod, name, uid`). Returns the token
    /// and `status.expirationTimestamp`.
    async fn service_account_token(
        &self,
        namespace: &str,
        service_account: &str,
        audiences: &[String],
        expiration_seconds: i64,
        pod_name: &str,
        pod_uid: &str,
    ) -> Result<(String, SystemTime), VolumeError>;
}

/// The node's allocatable resources, used as the default of unset container limits in
/// `resourceFieldRef` (as kubelet does) and as the ceiling of memory-backed emptyDir sizes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeAllocatable {
    /// CPU in millicores.
    pub cpu_millis: i64,
    /// Memory in bytes.
    pub memory_bytes: i64,
    /// Ephemeral storage in bytes.
    pub ephemeral_storage_bytes: i64,
}

/// Sets up, refreshes and tears down pod volumes under one node-agent root directory.
pub struct VolumeManager {
    root_dir: PathBuf,
    source: Arc<dyn ObjectSource>,
    allocatable: NodeAllocatable,
    tokens: token::TokenCache,
    /// Serializes setup/teardown of one pod (concurrent AtomicWriter runs on one directory
    /// would remove each other's timestamped directories).
    pod_locks: parking_lot::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// One volume of a pod as set up on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetUpVolume {
    /// The volume's directory (or file, for a hostPath of a file) on the host.
    pub host_path: PathBuf,
    /// The plugin kind: `empty-dir`, `configmap`, `secret`, `projected`, `downward-api`,
    /// `host-path`.
    pub kind: &'static str,
    /// Whether the kind is always mounted read-only (configMap, secret, projected,
    /// downwardAPI), whatever the volumeMount says.
    pub read_only: bool,
    /// Whether the runtime should SELinux-relabel the mount (all kinds but hostPath).
    pub selinux_relabel: bool,
}

/// The volumes of one pod after [`VolumeManager::setup`], keyed by volume name.
#[derive(Debug, Clone)]
pub struct PodVolumes {
    pod_uid: String,
    pod_dir: PathBuf,
    volumes: std::collections::BTreeMap<String, SetUpVolume>,
}

/// Mount propagation of a container mount (CRI `MountPropagation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MountPropagation {
    /// `None` or unset: `PROPAGATION_PRIVATE`.
    #[default]
    Private,
    /// `HostToContainer`: `PROPAGATION_HOST_TO_CONTAINER` (rslave).
    HostToContainer,
    /// `Bidirectional`: `PROPAGATION_BIDIRECTIONAL` (rshared).
    Bidirectional,
}

/// One mount for the CRI `CreateContainer` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerMount {
    /// The volume name (empty for the termination-message file).
    pub volume: String,
    /// What to bind-mount from the host (a subPath is already resolved and checked).
    pub host_path: PathBuf,
    /// `volumeMounts[].mountPath`.
    pub container_path: String,
    /// `volumeMounts[].readOnly`, or forced for configMap/secret/projected/downwardAPI.
    pub read_only: bool,
    /// `volumeMounts[].mountPropagation`.
    pub propagation: MountPropagation,
    /// Whether the runtime should SELinux-relabel it.
    pub selinux_relabel: bool,
}

/// One volume that failed to set up; kubelet reports each as a `FailedMount` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeFailure {
    /// The volume name.
    pub volume: String,
    /// Upstream's message, e.g. `configmap "x" not found`.
    pub message: String,
}

impl VolumeFailure {
    /// The `FailedMount` event message kubelet writes:
    /// `MountVolume.SetUp failed for volume "v" : <message>`.
    pub fn event_message(&self) -> String {
        format!(
            "MountVolume.SetUp failed for volume \"{}\" : {}",
            self.volume, self.message
        )
    }
}

/// Errors of this crate. Messages are upstream kubelet's where a user sees them.
#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    /// The referenced configMap or secret does not exist (`configmap "x" not found`).
    #[error("{kind} \"{name}\" not found")]
    NotFound {
        /// `configmap` or `secret`.
        kind: &'static str,
        /// The object name.
        name: String,
    },
    /// An error the [`ObjectSource`] reported (API failure), passed through verbatim.
    #[error("{0}")]
    Source(String),
    /// A volume's content or check is invalid (missing key, hostPath type check, downward
    /// API field); the message is upstream's.
    #[error("{0}")]
    Invalid(String),
    /// Some volumes of a pod failed to set up (the others were set up).
    #[error("{}", .0.iter().map(VolumeFailure::event_message).collect::<Vec<_>>().join("; "))]
    SetUp(Vec<VolumeFailure>),
    /// A volumeMount names a volume the pod does not have.
    #[error("cannot find volume \"{volume}\" to mount into container \"{container}\"")]
    UnknownVolume {
        /// The volume name in the volumeMount.
        volume: String,
        /// The container name.
        container: String,
    },
    /// A subPath / subPathExpr was refused (absolute, `..`, escapes the volume, or an
    /// expansion is missing).
    #[error("{0}")]
    SubPath(String),
    /// A mount or unmount syscall failed.
    #[error("{context}: {source}")]
    Mount {
        /// What was being done.
        context: String,
        /// The errno.
        source: std::io::Error,
    },
    /// A filesystem operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl VolumeError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        VolumeError::Io {
            context: context.into(),
            source,
        }
    }
}
