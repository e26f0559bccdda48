//! Registration: the Node object with capacity, allocatable, addresses, nodeInfo, daemon
//! endpoints and the four kubelet conditions, created or updated at start and re-reported
//! periodically.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    ContainerImage, DaemonEndpoint, Node, NodeAddress, NodeCondition, NodeDaemonEndpoints,
    NodeSpec, NodeStatus, NodeSystemInfo,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, Patch, PatchParams, PostParams};

use crate::{NodeConfig, Result};

pub const KUBELET_VERSION: &str = "v1.33.0";

/// What the host offers, measured once at start.
#[derive(Debug, Clone)]
pub struct Machine {
    pub cpu_millis: i64,
    pub memory_bytes: i64,
    pub ephemeral_storage_bytes: i64,
    pub kernel: String,
    pub os_image: String,
    pub machine_id: String,
    pub system_uuid: String,
    pub boot_id: String,
    pub hostname: String,
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// The memory limit of this process's cgroup (v2 `memory.max`, v1 `memory.limit_in_bytes`).
fn cgroup_memory_limit() -> Option<i64> {
    let self_cg = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    for line in self_cg.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, ctrls, path) = (parts.next()?, parts.next()?, parts.next()?);
        let file = if ctrls.is_empty() {
            format!("/sys/fs/cgroup{path}/memory.max")
        } else if ctrls.split(',').any(|c| c == "memory") {
            format!("/sys/fs/cgroup/memory{path}/memory.limit_in_bytes")
        } else {
            continue;
        };
        if let Ok(v) = read(&file).parse::<i64>() {
            return Some(v);
        }
    }
    None
}

fn cgroup_cpu_limit_millis() -> Option<i64> {
    let self_cg = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    for line in self_cg.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, ctrls, path) = (parts.next()?, parts.next()?, parts.next()?);
        if ctrls.is_empty() {
            let v = read(&format!("/sys/fs/cgroup{path}/cpu.max"));
            let mut it = v.split_whitespace();
            if let (Some(q), Some(p)) = (it.next(), it.next())
                && let (Ok(q), Ok(p)) = (q.parse::<i64>(), p.parse::<i64>())
                && p > 0
            {
                return Some(q * 1000 / p);
            }
        } else if ctrls.split(',').any(|c| c == "cpu") {
            let q = read(&format!(
                "/sys/fs/cgroup/cpu,cpuacct{path}/cpu.cfs_quota_us"
            ))
            .parse::<i64>()
            .ok();
            let p = read(&format!(
                "/sys/fs/cgroup/cpu,cpuacct{path}/cpu.cfs_period_us"
            ))
            .parse::<i64>()
            .ok();
            if let (Some(q), Some(p)) = (q, p)
                && q > 0
                && p > 0
            {
                return Some(q * 1000 / p);
            }
        }
    }
    None
}

impl Machine {
    pub fn probe(root_dir: &std::path::Path) -> Machine {
        let cpus = std::thread::available_parallelism()
            .map(|n| n.get() as i64)
            .unwrap_or(1);
        let mut cpu_millis = cpus * 1000;
        if let Some(l) = cgroup_cpu_limit_millis() {
            // Whole CPUs, as cAdvisor reports them.
            cpu_millis = cpu_millis.min(((l + 999) / 1000).max(1) * 1000);
        }
        let mem_total = read("/proc/meminfo")
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<i64>().ok())
            .map(|kb| kb * 1024)
            .unwrap_or(0);
        let memory_bytes = match cgroup_memory_limit() {
            Some(l) if l > 0 && l < mem_total => l,
            _ => mem_total,
        };
        let ephemeral_storage_bytes = rustix::fs::statvfs(root_dir)
            .map(|s| (s.f_blocks * s.f_frsize) as i64)
            .unwrap_or(0);
        let os_image = read("/etc/os-release")
            .lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map(|v| v.trim_matches('"').to_string())
            .unwrap_or_else(|| "Linux".into());
        let machine_id = read("/etc/machine-id");
        let system_uuid = {
            let v = read("/sys/class/dmi/id/product_uuid");
            if v.is_empty() { machine_id.clone() } else { v }
        };
        Machine {
            cpu_millis,
            memory_bytes,
            ephemeral_storage_bytes,
            kernel: read("/proc/sys/kernel/osrelease"),
            os_image,
            machine_id,
            system_uuid,
            boot_id: read("/proc/sys/kernel/random/boot_id"),
            hostname: read("/proc/sys/kernel/hostname"),
        }
    }
}

/// Go's GOARCH for this build.
pub fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

fn cpu_quantity(millis: i64) -> Quantity {
    if millis % 1000 == 0 {
        Quantity((millis / 1000).to_string())
    } else {
        Quantity(format!("{millis}m"))
    }
}

fn ki(bytes: i64) -> Quantity {
    Quantity(format!("{}Ki", bytes / 1024))
}

/// Upstream's default hard eviction thresholds are subtracted from capacity: memory 100Mi,
/// nodefs 10 %.
pub fn allocatable(m: &Machine, max_pods: u32) -> BTreeMap<String, Quantity> {
    BTreeMap::from([
        ("cpu".into(), cpu_quantity(m.cpu_millis)),
        (
            "memory".into(),
            ki((m.memory_bytes - 100 * 1024 * 1024).max(0)),
        ),
        (
            "ephemeral-storage".into(),
            Quantity((m.ephemeral_storage_bytes / 10 * 9).to_string()),
        ),
        ("pods".into(), Quantity(max_pods.to_string())),
        ("hugepages-1Gi".into(), Quantity("0".into())),
        ("hugepages-2Mi".into(), Quantity("0".into())),
    ])
}

pub fn capacity(m: &Machine, max_pods: u32) -> BTreeMap<String, Quantity> {
    BTreeMap::from([
        ("cpu".into(), cpu_quantity(m.cpu_millis)),
        ("memory".into(), ki(m.memory_bytes)),
        ("ephemeral-storage".into(), ki(m.ephemeral_storage_bytes)),
        ("pods".into(), Quantity(max_pods.to_string())),
        ("hugepages-1Gi".into(), Quantity("0".into())),
        ("hugepages-2Mi".into(), Quantity("0".into())),
    ])
}

fn condition(
    type_: &str,
    status: &str,
    reason: &str,
    message: &str,
    now: &Time,
    old: Option<&NodeCondition>,
) -> NodeCondition {
    let transition = match old {
        Some(o) if o.status == status => o
            .last_transition_time
            .clone()
            .unwrap_or_else(|| now.clone()),
        _ => now.clone(),
    };
    NodeCondition {
        type_: type_.into(),
        status: status.into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
        last_heartbeat_time: Some(now.clone()),
        last_transition_time: Some(transition),
    }
}

/// The Node status the agent reports.
pub fn node_status(
    cfg: &NodeConfig,
    m: &Machine,
    runtime_version: &str,
    old: Option<&NodeStatus>,
) -> NodeStatus {
    let now = Time(k8s_openapi::jiff::Timestamp::now());
    let old_cond = |t: &str| {
        old.and_then(|s| s.conditions.as_ref())
            .and_then(|cs| cs.iter().find(|c| c.type_ == t))
    };
    let conditions = vec![
        condition(
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
            &now,
            old_cond("MemoryPressure"),
        ),
        condition(
            "DiskPressure",
            "False",
            "KubeletHasNoDiskPressure",
            "kubelet has no disk pressure",
            &now,
            old_cond("DiskPressure"),
        ),
        condition(
            "PIDPressure",
            "False",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available",
            &now,
            old_cond("PIDPressure"),
        ),
        condition(
            "Ready",
            "True",
            "KubeletReady",
            "kubelet is posting ready status",
            &now,
            old_cond("Ready"),
        ),
    ];
    NodeStatus {
        capacity: Some(capacity(m, cfg.max_pods)),
        allocatable: Some(allocatable(m, cfg.max_pods)),
        addresses: Some(vec![
            NodeAddress {
                type_: "InternalIP".into(),
                address: cfg.node_ip.to_string(),
            },
            NodeAddress {
                type_: "Hostname".into(),
                address: cfg.node_name.clone(),
            },
        ]),
        daemon_endpoints: Some(NodeDaemonEndpoints {
            kubelet_endpoint: Some(DaemonEndpoint {
                port: cfg.kubelet_port as i32,
            }),
        }),
        node_info: Some(NodeSystemInfo {
            architecture: go_arch().into(),
            boot_id: m.boot_id.clone(),
            container_runtime_version: runtime_version.into(),
            kernel_version: m.kernel.clone(),
            kube_proxy_version: String::new(),
            kubelet_version: KUBELET_VERSION.into(),
            machine_id: m.machine_id.clone(),
            operating_system: "linux".into(),
            os_image: m.os_image.clone(),
            system_uuid: m.system_uuid.clone(),
            swap: None,
        }),
        conditions: Some(conditions),
        ..Default::default()
    }
}

fn node_labels(cfg: &NodeConfig) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("beta.kubernetes.io/arch".into(), go_arch().into()),
        ("beta.kubernetes.io/os".into(), "linux".into()),
        ("kubernetes.io/arch".into(), go_arch().into()),
        ("kubernetes.io/hostname".into(), cfg.node_name.clone()),
        ("kubernetes.io/os".into(), "linux".into()),
    ])
}

/// Creates the Node if it does not exist, then reports its status. Returns the Node.
pub async fn register(
    client: &kube::Client,
    cfg: &NodeConfig,
    m: &Machine,
    runtime_version: &str,
    images: Vec<ContainerImage>,
) -> Result<Node> {
    let api: Api<Node> = Api::all(client.clone());
    let existing = api.get_opt(&cfg.node_name).await?;
    if existing.is_none() {
        let node = Node {
            metadata: kube::api::ObjectMeta {
                name: Some(cfg.node_name.clone()),
                labels: Some(node_labels(cfg)),
                annotations: Some(BTreeMap::from([(
                    "volumes.kubernetes.io/controller-managed-attach-detach".to_string(),
                    "true".to_string(),
                )])),
                ..Default::default()
            },
            spec: Some(NodeSpec::default()),
            status: None,
        };
        match api.create(&PostParams::default(), &node).await {
            Ok(_) => tracing::info!(node = %cfg.node_name, "registered the node"),
            Err(kube::Error::Api(e)) if e.code == 409 => {}
            Err(e) => return Err(e.into()),
        }
    } else {
        let patch = serde_json::json!({ "metadata": { "labels": node_labels(cfg) } });
        api.patch(
            &cfg.node_name,
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await?;
    }
    report(client, cfg, m, runtime_version, images).await
}

/// Patches the Node's status (conditions with a fresh heartbeat).
pub async fn report(
    client: &kube::Client,
    cfg: &NodeConfig,
    m: &Machine,
    runtime_version: &str,
    images: Vec<ContainerImage>,
) -> Result<Node> {
    let api: Api<Node> = Api::all(client.clone());
    let mut attempt = 0;
    loop {
        let current = api.get(&cfg.node_name).await?;
        let mut status = node_status(cfg, m, runtime_version, current.status.as_ref());
        status.images = (!images.is_empty()).then(|| images.clone());
        let patch = serde_json::json!({ "status": status });
        match api
            .patch_status(
                &cfg.node_name,
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await
        {
            Err(kube::Error::Api(e)) if e.code == 409 && attempt < 5 => attempt += 1,
            r => return Ok(r?),
        }
    }
}
