//! emptyDir volumes: a directory on the node's disk, or a tmpfs for `medium: Memory`, set up
//! once per pod (a `ready` marker under `pods/<uid>/plugins/kubernetes.io~empty-dir/<name>`
//! as kubelet keeps) and given to `fsGroup`.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

use k8s_openapi::api::core::v1::{Container, EmptyDirVolumeSource, Pod};
use kubehci_api::quantity::Quantity;
use rustix::mount::{MountFlags, mount};
use tracing::debug;

use crate::manager::PodContext;
use crate::ownership::set_volume_ownership;
use crate::{VolumeError, mountinfo};

/// Sets up the emptyDir `name` at `dir` unless it already is.
pub(crate) fn setup(
    ctx: &PodContext<'_>,
    pod_dir: &Path,
    name: &str,
    dir: &Path,
    src: &EmptyDirVolumeSource,
) -> Result<(), VolumeError> {
    let medium = src.medium.as_deref().unwrap_or("");
    let meta = pod_dir
        .join("plugins")
        .join("kubernetes.io~empty-dir")
        .join(name);
    let ready = meta.join("ready");
    let memory = match medium {
        "" => false,
        "Memory" => true,
        other => {
            return Err(VolumeError::Invalid(format!(
                "emptyDir medium {other:?} is not supported by the kubehci node agent"
            )));
        }
    };
    if ready.exists() && (!memory || mountinfo::is_mount_point(dir)?) {
        return Ok(());
    }
    make_dir_0777(dir)?;
    if memory {
        mount_tmpfs(dir, memory_size(ctx.pod, src, ctx.allocatable.memory_bytes))?;
    }
    if let Some(group) = ctx.fs_group {
        set_volume_ownership(dir, group, false, false)?;
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o750)
        .create(&meta)
        .map_err(|e| VolumeError::io(format!("create {}", meta.display()), e))?;
    std::fs::write(&ready, b"")
        .map_err(|e| VolumeError::io(format!("write {}", ready.display()), e))?;
    Ok(())
}

/// Mounts a tmpfs of `size` bytes (kernel default when `None`) at `dir` unless one already
/// is there. Secret, projected and downwardAPI volumes live on one too, as upstream wraps
/// them in a memory-backed emptyDir, so their content never reaches the disk.
pub(crate) fn mount_tmpfs(dir: &Path, size: Option<i128>) -> Result<(), VolumeError> {
    if mountinfo::is_mount_point(dir)? {
        return Ok(());
    }
    let data = match size {
        Some(bytes) => format!("size={bytes}"),
        None => String::new(),
    };
    debug!(path = %dir.display(), options = %data, "mounting tmpfs");
    let data = std::ffi::CString::new(data)
        .map_err(|_| VolumeError::Invalid("tmpfs options hold a NUL byte".to_string()))?;
    mount("tmpfs", dir, "tmpfs", MountFlags::empty(), data.as_c_str()).map_err(|e| {
        VolumeError::Mount {
            context: format!("mount tmpfs at {}", dir.display()),
            source: e.into(),
        }
    })
}

/// Creates `dir` (and parents) and makes it mode 0777, keeping a setgid bit it may have.
pub(crate) fn make_dir_0777(dir: &Path) -> Result<(), VolumeError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o777)
        .create(dir)
        .map_err(|e| VolumeError::io(format!("create {}", dir.display()), e))?;
    let md = std::fs::metadata(dir)
        .map_err(|e| VolumeError::io(format!("stat {}", dir.display()), e))?;
    let mode = md.permissions().mode();
    if mode & 0o777 != 0o777 {
        std::fs::set_permissions(
            dir,
            std::fs::Permissions::from_mode((mode & 0o7000) | 0o777),
        )
        .map_err(|e| VolumeError::io(format!("chmod {}", dir.display()), e))?;
    }
    Ok(())
}

/// Upstream's `calculateEmptyDirMemorySize`: the node's allocatable memory, lowered to the
/// pod's memory limit and then to `sizeLimit` when those are smaller (and positive). `None`
/// leaves the kernel default (half of RAM) when nothing is known.
pub(crate) fn memory_size(pod: &Pod, src: &EmptyDirVolumeSource, allocatable: i64) -> Option<i128> {
    let mut size: Option<i128> = (allocatable > 0).then_some(i128::from(allocatable));
    let lower = |size: Option<i128>, v: i128| match size {
        Some(s) if v > 0 && v <= s => Some(v),
        None if v > 0 => Some(v),
        other => other,
    };
    if let Some(limit) = pod_memory_limit(pod) {
        size = lower(size, limit);
    }
    if let Some(q) = &src.size_limit
        && let Ok(q) = Quantity::parse(&q.0)
    {
        size = lower(size, q.scaled(0));
    }
    size
}

/// The pod's memory limit as its cgroup gets it: the sum over app containers when every one
/// declares a memory limit, raised to the largest init container limit, plus overhead.
fn pod_memory_limit(pod: &Pod) -> Option<i128> {
    let spec = pod.spec.as_ref()?;
    let limit_of = |c: &Container| -> Option<i128> {
        let q = c.resources.as_ref()?.limits.as_ref()?.get("memory")?;
        Quantity::parse(&q.0).ok().map(|q| q.scaled(0))
    };
    let mut sum = 0i128;
    for c in &spec.containers {
        sum += limit_of(c)?;
    }
    for c in spec.init_containers.iter().flatten() {
        sum = sum.max(limit_of(c)?);
    }
    if let Some(q) = spec.overhead.as_ref().and_then(|o| o.get("memory"))
        && let Ok(q) = Quantity::parse(&q.0)
    {
        sum += q.scaled(0);
    }
    Some(sum)
}
