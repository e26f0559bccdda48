//! Helpers for the runtime tests: a containerd per test in its own temp dir, a host-network
//! pod sandbox, and independent checks of what a teardown must leave behind.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kubehci_runtime::containerd::{Containerd, ContainerdConfig};
use kubehci_runtime::cri::api;
use kubehci_runtime::images;

/// A short temp dir (Unix socket paths must stay under 107 bytes).
pub fn short_tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("khrt")
        .tempdir_in("/tmp")
        .expect("temp dir")
}

/// Starts a containerd under `dir/ctd` and imports the built-in images (cache `dir/images`).
pub async fn start_with_images(dir: &Path) -> anyhow::Result<Containerd> {
    let ctd = Containerd::start(ContainerdConfig::new(dir.join("ctd"))).await?;
    images::ensure_builtin(ctd.socket(), &dir.join("images")).await?;
    Ok(ctd)
}

/// A unique cgroup parent for this test's pods.
pub fn cgroup_parent(tag: &str) -> String {
    format!("/kubehci-rt-{tag}-{}", std::process::id())
}

/// Runs a host-network sandbox; returns its id and config.
pub async fn run_host_sandbox(
    cri: &mut kubehci_runtime::Cri,
    name: &str,
    log_dir: &Path,
    cgroup_parent: &str,
) -> anyhow::Result<(String, api::PodSandboxConfig)> {
    std::fs::create_dir_all(log_dir)?;
    let config = api::PodSandboxConfig {
        metadata: Some(api::PodSandboxMetadata {
            name: name.to_string(),
            uid: format!("uid-{name}"),
            namespace: "default".to_string(),
            attempt: 0,
        }),
        // A host-network pod shares the node's UTS namespace: no hostname of its own.
        hostname: String::new(),
        log_directory: log_dir.display().to_string(),
        linux: Some(api::LinuxPodSandboxConfig {
            cgroup_parent: cgroup_parent.to_string(),
            security_context: Some(api::LinuxSandboxSecurityContext {
                namespace_options: Some(api::NamespaceOption {
                    network: api::NamespaceMode::Node as i32,
                    pid: api::NamespaceMode::Pod as i32,
                    ipc: api::NamespaceMode::Pod as i32,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let id = cri
        .runtime
        .run_pod_sandbox(api::RunPodSandboxRequest {
            config: Some(config.clone()),
            runtime_handler: String::new(),
        })
        .await?
        .into_inner()
        .pod_sandbox_id;
    Ok((id, config))
}

/// Creates and starts a busybox container running `script` in the sandbox.
pub async fn start_busybox(
    cri: &mut kubehci_runtime::Cri,
    sandbox: &str,
    sandbox_config: &api::PodSandboxConfig,
    name: &str,
    script: &str,
) -> anyhow::Result<String> {
    let config = api::ContainerConfig {
        metadata: Some(api::ContainerMetadata {
            name: name.to_string(),
            attempt: 0,
        }),
        image: Some(api::ImageSpec {
            image: images::BUSYBOX_IMAGE.to_string(),
            ..Default::default()
        }),
        command: vec!["sh".to_string(), "-c".to_string(), script.to_string()],
        log_path: format!("{name}.log"),
        ..Default::default()
    };
    let id = cri
        .runtime
        .create_container(api::CreateContainerRequest {
            pod_sandbox_id: sandbox.to_string(),
            config: Some(config),
            sandbox_config: Some(sandbox_config.clone()),
        })
        .await?
        .into_inner()
        .container_id;
    cri.runtime
        .start_container(api::StartContainerRequest {
            container_id: id.clone(),
        })
        .await?;
    Ok(id)
}

/// Waits for the container to exit; returns its exit code. Gives up after a minute.
pub async fn wait_exited(cri: &mut kubehci_runtime::Cri, id: &str) -> anyhow::Result<i32> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = cri
            .runtime
            .container_status(api::ContainerStatusRequest {
                container_id: id.to_string(),
                verbose: false,
            })
            .await?
            .into_inner()
            .status
            .ok_or_else(|| anyhow::anyhow!("no status"))?;
        if status.state == api::ContainerState::ContainerExited as i32 {
            return Ok(status.exit_code);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "container {id} did not exit: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Live containerd-shim processes started for the containerd at `socket` (from /proc).
pub fn shims_for(socket: &Path) -> Vec<u32> {
    let want = socket.display().to_string();
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(raw) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let args: Vec<String> = raw
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if args.first().is_some_and(|a| a.contains("containerd-shim"))
            && args.contains(&want)
            && alive(pid)
        {
            out.push(pid);
        }
    }
    out
}

/// The process exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(')')
                .is_some_and(|(_, r)| !r.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

/// Mount points at or under `dir` (from /proc/self/mountinfo).
pub fn mounts_under(dir: &Path) -> Vec<String> {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let info = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    info.lines()
        .filter_map(|l| l.split(' ').nth(4))
        .filter(|m| Path::new(m).starts_with(&dir))
        .map(str::to_string)
        .collect()
}

/// The memory (v1) or unified (v2) cgroup directory of `path`.
pub fn cgroup_dir(path: &str) -> PathBuf {
    let v1 = Path::new("/sys/fs/cgroup/memory");
    let root = if v1.is_dir() {
        v1
    } else {
        Path::new("/sys/fs/cgroup")
    };
    root.join(path.trim_start_matches('/'))
}
