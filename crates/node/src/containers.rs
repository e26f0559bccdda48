//! Creating and starting one container of a pod: the CRI config (command, args, env, working
//! dir, mounts, resources, security context, log path, labels and the annotations adoption
//! reads back), and stopping containers with their grace period.

use std::collections::HashMap;

use k8s_openapi::api::core::v1::{Container, Pod};
use kubehci_runtime::cri::{Cri, api};

use crate::env::parse_quantity;
use crate::labels;
use crate::security::{self, Effective};
use crate::status::qos_class;

pub const TERMINATION_MESSAGE_HOST_PATH: &str = "io.kubehci.container.terminationMessageHostPath";

const CPU_PERIOD: i64 = 100_000;
const MIN_SHARES: i64 = 2;
const MIN_QUOTA: i64 = 1000;

fn milli_cpu(q: Option<&k8s_openapi::apimachinery::pkg::api::resource::Quantity>) -> i64 {
    q.and_then(|q| parse_quantity(&q.0))
        .map(|v| (v * 1000.0).round() as i64)
        .unwrap_or(0)
}

fn bytes(q: Option<&k8s_openapi::apimachinery::pkg::api::resource::Quantity>) -> i64 {
    q.and_then(|q| parse_quantity(&q.0))
        .map(|v| v as i64)
        .unwrap_or(0)
}

/// Upstream's mapping of requests/limits to cgroup values.
pub fn resources(pod: &Pod, c: &Container, node_memory: i64) -> api::LinuxContainerResources {
    let res = c.resources.clone().unwrap_or_default();
    let req = res.requests.unwrap_or_default();
    let lim = res.limits.unwrap_or_default();
    let mut cpu_req = milli_cpu(req.get("cpu"));
    let cpu_lim = milli_cpu(lim.get("cpu"));
    if cpu_req == 0 && cpu_lim != 0 {
        cpu_req = cpu_lim;
    }
    let cpu_shares = if cpu_req == 0 {
        MIN_SHARES
    } else {
        (cpu_req * 1024 / 1000).max(MIN_SHARES)
    };
    let cpu_quota = if cpu_lim > 0 {
        (cpu_lim * CPU_PERIOD / 1000).max(MIN_QUOTA)
    } else {
        0
    };
    let mem_req = bytes(req.get("memory"));
    let mem_lim = bytes(lim.get("memory"));
    let oom = match qos_class(pod) {
        "Guaranteed" => -997,
        "BestEffort" => 1000,
        _ => {
            let mem = if mem_req > 0 { mem_req } else { mem_lim };
            let v = if node_memory > 0 {
                1000 - (1000 * mem) / node_memory
            } else {
                999
            };
            v.clamp(2, 999)
        }
    };
    api::LinuxContainerResources {
        cpu_period: if cpu_quota > 0 { CPU_PERIOD } else { 0 },
        cpu_quota,
        cpu_shares,
        memory_limit_in_bytes: mem_lim,
        oom_score_adj: oom,
        ..Default::default()
    }
}

/// A short hash of the container spec, stored in an annotation like kubelet's.
pub fn spec_hash(c: &Container) -> String {
    use sha2::Digest as _;
    let text = serde_json::to_string(c).unwrap_or_default();
    let h = sha2::Sha256::digest(text.as_bytes());
    format!("{:02x}{:02x}{:02x}{:02x}", h[0], h[1], h[2], h[3])
}

fn to_cri_mount(m: &kubehci_volumes::ContainerMount) -> api::Mount {
    use kubehci_volumes::MountPropagation as P;
    api::Mount {
        container_path: m.container_path.clone(),
        host_path: m.host_path.to_string_lossy().into_owned(),
        readonly: m.read_only,
        selinux_relabel: m.selinux_relabel,
        propagation: match m.propagation {
            P::Private => api::MountPropagation::PropagationPrivate,
            P::HostToContainer => api::MountPropagation::PropagationHostToContainer,
            P::Bidirectional => api::MountPropagation::PropagationBidirectional,
        } as i32,
        ..Default::default()
    }
}

/// Everything a container's CRI config is built from.
pub struct Spec<'a> {
    pub pod: &'a Pod,
    pub container: &'a Container,
    pub init: bool,
    pub restart_count: i32,
    pub node: &'a str,
    pub image: &'a api::Image,
    pub env: Vec<(String, String)>,
    pub mounts: Vec<kubehci_volumes::ContainerMount>,
    pub termination_file: Option<kubehci_volumes::ContainerMount>,
    pub security: Effective,
    pub node_memory: i64,
}

/// The container's CRI config.
pub fn config(s: &Spec<'_>) -> api::ContainerConfig {
    let c = s.container;
    let vars: HashMap<String, String> = s.env.iter().cloned().collect();
    let expand = |v: &Vec<String>| {
        v.iter()
            .map(|a| crate::env::expand(a, &vars))
            .collect::<Vec<_>>()
    };
    let mut annotations: HashMap<String, String> = HashMap::new();
    annotations.insert(labels::CONTAINER_HASH.into(), spec_hash(c));
    annotations.insert(
        labels::CONTAINER_RESTART_COUNT.into(),
        s.restart_count.to_string(),
    );
    annotations.insert(
        labels::POD_TERMINATION_GRACE.into(),
        s.pod
            .spec
            .as_ref()
            .and_then(|p| p.termination_grace_period_seconds)
            .unwrap_or(30)
            .to_string(),
    );
    annotations.insert(
        labels::CONTAINER_TERMINATION_MESSAGE_PATH.into(),
        c.termination_message_path
            .clone()
            .unwrap_or_else(|| "/dev/termination-log".into()),
    );
    annotations.insert(
        labels::CONTAINER_TERMINATION_MESSAGE_POLICY.into(),
        c.termination_message_policy
            .clone()
            .unwrap_or_else(|| "File".into()),
    );
    let mut mounts: Vec<api::Mount> = s.mounts.iter().map(to_cri_mount).collect();
    if let Some(t) = &s.termination_file {
        annotations.insert(
            TERMINATION_MESSAGE_HOST_PATH.into(),
            t.host_path.to_string_lossy().into_owned(),
        );
        mounts.push(to_cri_mount(t));
    }
    let image_user = s.image.username.clone();
    api::ContainerConfig {
        metadata: Some(api::ContainerMetadata {
            name: c.name.clone(),
            attempt: s.restart_count as u32,
        }),
        image: Some(api::ImageSpec {
            image: s.image.id.clone(),
            user_specified_image: c.image.clone().unwrap_or_default(),
            ..Default::default()
        }),
        command: expand(&c.command.clone().unwrap_or_default()),
        args: expand(&c.args.clone().unwrap_or_default()),
        working_dir: c.working_dir.clone().unwrap_or_default(),
        envs: s
            .env
            .iter()
            .map(|(key, value)| api::KeyValue {
                key: key.clone(),
                value: value.clone(),
            })
            .collect(),
        mounts,
        labels: labels::container_labels(s.pod, s.node, &c.name, s.init),
        annotations,
        log_path: format!("{}/{}.log", c.name, s.restart_count),
        stdin: c.stdin.unwrap_or(false),
        stdin_once: c.stdin_once.unwrap_or(false),
        tty: c.tty.unwrap_or(false),
        linux: Some(api::LinuxContainerConfig {
            resources: Some(resources(s.pod, c, s.node_memory)),
            security_context: Some(security::container_context(s.pod, &s.security, &image_user)),
        }),
        ..Default::default()
    }
}

/// Creates the container in `sandbox_id`; returns its id.
pub async fn create(
    cri: &Cri,
    sandbox_id: &str,
    sandbox_config: api::PodSandboxConfig,
    config: api::ContainerConfig,
) -> Result<String, tonic::Status> {
    let mut rt = cri.runtime.clone();
    Ok(rt
        .create_container(api::CreateContainerRequest {
            pod_sandbox_id: sandbox_id.into(),
            config: Some(config),
            sandbox_config: Some(sandbox_config),
        })
        .await?
        .into_inner()
        .container_id)
}

pub async fn start(cri: &Cri, id: &str) -> Result<(), tonic::Status> {
    let mut rt = cri.runtime.clone();
    rt.start_container(api::StartContainerRequest {
        container_id: id.into(),
    })
    .await?;
    Ok(())
}

/// SIGTERM, then SIGKILL after `grace_seconds`.
pub async fn stop(cri: &Cri, id: &str, grace_seconds: i64) -> Result<(), tonic::Status> {
    let mut rt = cri.runtime.clone();
    match rt
        .stop_container(api::StopContainerRequest {
            container_id: id.into(),
            timeout: grace_seconds.max(0),
        })
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.code() == tonic::Code::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// The termination message of an exited container: the file's content (4096 bytes at most),
/// or with `FallbackToLogsOnError` and a failure, the log's last 80 lines.
pub fn termination_message(status: &api::ContainerStatus) -> Option<String> {
    let file = status.annotations.get(TERMINATION_MESSAGE_HOST_PATH)?;
    let mut text = std::fs::read(file)
        .ok()
        .map(|b| String::from_utf8_lossy(&b[..b.len().min(4096)]).into_owned())
        .unwrap_or_default();
    let policy = status
        .annotations
        .get(labels::CONTAINER_TERMINATION_MESSAGE_POLICY)
        .map(String::as_str);
    if text.is_empty()
        && policy == Some("FallbackToLogsOnError")
        && status.exit_code != 0
        && !status.log_path.is_empty()
    {
        let log = std::fs::read_to_string(&status.log_path).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = &lines[lines.len().saturating_sub(80)..];
        // CRI log lines: `<time> <stream> <tag> <content>`.
        text = tail
            .iter()
            .map(|l| l.splitn(4, ' ').nth(3).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n");
        if text.len() > 2048 {
            let mut start = text.len() - 2048;
            while !text.is_char_boundary(start) {
                start += 1;
            }
            text = text[start..].to_string();
        }
    }
    (!text.is_empty()).then_some(text)
}
