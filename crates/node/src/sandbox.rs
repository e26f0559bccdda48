//! The pod sandbox: its CRI config (hostname, DNS, port mappings, labels, log directory,
//! cgroup parent, namespaces) and its network status.

use std::collections::HashMap;
use std::path::PathBuf;

use k8s_openapi::api::core::v1::Pod;
use kubehci_runtime::cri::{Cri, api};

use crate::labels::{self, pod_key};
use crate::{NodeConfig, cgroups, security};

/// `<pod log dir>/<ns>_<name>_<uid>`.
pub fn log_directory(cfg: &NodeConfig, pod: &Pod) -> PathBuf {
    let (uid, name, ns) = pod_key(pod);
    cfg.pod_log_dir.join(format!("{ns}_{name}_{uid}"))
}

fn host_resolv() -> (Vec<String>, Vec<String>, Vec<String>) {
    let text = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let (mut servers, mut searches, mut options) = (Vec::new(), Vec::new(), Vec::new());
    for line in text.lines() {
        let mut it = line.split_whitespace();
        match it.next() {
            Some("nameserver") => servers.extend(it.map(str::to_string)),
            Some("search") => searches = it.map(str::to_string).collect(),
            Some("options") => options.extend(it.map(str::to_string)),
            _ => {}
        }
    }
    (servers, searches, options)
}

/// DNS by dnsPolicy: ClusterFirst (cluster DNS, or the host's when the cluster has none),
/// Default (the host's), None (dnsConfig only); dnsConfig is merged in.
pub fn dns_config(cfg: &NodeConfig, pod: &Pod) -> api::DnsConfig {
    let spec = pod.spec.clone().unwrap_or_default();
    let ns = pod
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into());
    let mut policy = spec
        .dns_policy
        .clone()
        .unwrap_or_else(|| "ClusterFirst".into());
    if policy == "ClusterFirstWithHostNet" {
        policy = "ClusterFirst".into();
    } else if policy == "ClusterFirst" && spec.host_network.unwrap_or(false) {
        policy = "Default".into();
    }
    let (mut servers, mut searches, mut options) = match policy.as_str() {
        "None" => (Vec::new(), Vec::new(), Vec::new()),
        "ClusterFirst" if !cfg.cluster_dns.is_empty() => {
            let d = &cfg.cluster_domain;
            let (_, host_search, _) = host_resolv();
            let mut s = vec![format!("{ns}.svc.{d}"), format!("svc.{d}"), d.clone()];
            s.extend(host_search);
            (
                cfg.cluster_dns.iter().map(|ip| ip.to_string()).collect(),
                s,
                vec!["ndots:5".to_string()],
            )
        }
        _ => host_resolv(),
    };
    if let Some(dc) = &spec.dns_config {
        servers.extend(dc.nameservers.clone().unwrap_or_default());
        searches.extend(dc.searches.clone().unwrap_or_default());
        for o in dc.options.clone().unwrap_or_default() {
            let name = o.name.unwrap_or_default();
            options.retain(|x| x.split(':').next() != Some(name.as_str()));
            options.push(match o.value {
                Some(v) => format!("{name}:{v}"),
                None => name,
            });
        }
    }
    searches.dedup();
    api::DnsConfig {
        servers,
        searches,
        options,
    }
}

/// Upstream's warning when a ClusterFirst pod lands on a node without cluster DNS.
pub fn missing_cluster_dns(cfg: &NodeConfig, pod: &Pod) -> Option<String> {
    let spec = pod.spec.as_ref()?;
    let policy = spec.dns_policy.as_deref().unwrap_or("ClusterFirst");
    let host_net = spec.host_network.unwrap_or(false);
    let cluster_first =
        policy == "ClusterFirstWithHostNet" || (policy == "ClusterFirst" && !host_net);
    (cluster_first && cfg.cluster_dns.is_empty()).then(|| {
        format!(
            "pod: {:?}. kubelet does not have ClusterDNS IP configured and cannot create Pod using {policy:?} policy. Falling back to \"Default\" policy.",
            crate::labels::format_pod(pod)
        )
    })
}

fn port_mappings(pod: &Pod) -> Vec<api::PortMapping> {
    let mut out = Vec::new();
    for c in pod.spec.iter().flat_map(|s| s.containers.iter()) {
        for p in c.ports.iter().flatten() {
            let Some(hp) = p.host_port.filter(|h| *h > 0) else {
                continue;
            };
            let protocol = match p.protocol.as_deref() {
                Some("UDP") => api::Protocol::Udp,
                Some("SCTP") => api::Protocol::Sctp,
                _ => api::Protocol::Tcp,
            };
            out.push(api::PortMapping {
                protocol: protocol as i32,
                container_port: p.container_port,
                host_port: hp,
                host_ip: p.host_ip.clone().unwrap_or_default(),
            });
        }
    }
    out
}

/// The sandbox config of `pod` (attempt = how many sandboxes it had before).
pub fn config(cfg: &NodeConfig, pod: &Pod, attempt: u32) -> api::PodSandboxConfig {
    let (uid, name, ns) = pod_key(pod);
    let spec = pod.spec.clone().unwrap_or_default();
    let hostname = if spec.host_network.unwrap_or(false) {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_default()
    } else {
        let h = spec.hostname.clone().unwrap_or_else(|| name.clone());
        h.chars()
            .take(63)
            .collect::<String>()
            .trim_end_matches(['-', '.'])
            .to_string()
    };
    let mut annotations: HashMap<String, String> = pod
        .metadata
        .annotations
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    annotations.insert(
        labels::POD_TERMINATION_GRACE.into(),
        spec.termination_grace_period_seconds
            .unwrap_or(30)
            .to_string(),
    );
    api::PodSandboxConfig {
        metadata: Some(api::PodSandboxMetadata {
            name,
            uid,
            namespace: ns,
            attempt,
        }),
        hostname,
        log_directory: log_directory(cfg, pod).to_string_lossy().into_owned(),
        dns_config: Some(dns_config(cfg, pod)),
        port_mappings: port_mappings(pod),
        labels: labels::sandbox_labels(pod, &cfg.node_name),
        annotations,
        linux: Some(api::LinuxPodSandboxConfig {
            cgroup_parent: cgroups::pod_cgroup_parent(&cfg.cgroup_root, pod),
            security_context: Some(security::sandbox_context(pod)),
            sysctls: spec
                .security_context
                .and_then(|s| s.sysctls)
                .unwrap_or_default()
                .into_iter()
                .map(|s| (s.name, s.value))
                .collect(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Runs a new sandbox; returns its id.
pub async fn run(cri: &Cri, config: api::PodSandboxConfig) -> Result<String, tonic::Status> {
    if !config.log_directory.is_empty() {
        let _ = std::fs::create_dir_all(&config.log_directory);
    }
    let mut rt = cri.runtime.clone();
    Ok(rt
        .run_pod_sandbox(api::RunPodSandboxRequest {
            config: Some(config),
            runtime_handler: String::new(),
        })
        .await?
        .into_inner()
        .pod_sandbox_id)
}

/// The sandbox's IPs (empty for host-network sandboxes or when it has none).
pub async fn ips(cri: &Cri, id: &str) -> Result<Vec<String>, tonic::Status> {
    let mut rt = cri.runtime.clone();
    let st = rt
        .pod_sandbox_status(api::PodSandboxStatusRequest {
            pod_sandbox_id: id.into(),
            verbose: false,
        })
        .await?
        .into_inner()
        .status;
    let mut out = Vec::new();
    if let Some(net) = st.and_then(|s| s.network) {
        if !net.ip.is_empty() {
            out.push(net.ip);
        }
        out.extend(net.additional_ips.into_iter().map(|p| p.ip));
    }
    Ok(out)
}
