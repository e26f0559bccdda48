//! securityContext -> CRI: user and groups, capabilities, privileged, read-only root, and
//! the runAsNonRoot check kubelet makes before creating a container.

use k8s_openapi::api::core::v1::{Container, Pod, PodSecurityContext, SecurityContext};
use kubehci_runtime::cri::api;

use crate::labels::format_pod;

/// The container's effective settings: its own securityContext over the pod's.
#[derive(Debug, Default, Clone)]
pub struct Effective {
    pub run_as_user: Option<i64>,
    pub run_as_group: Option<i64>,
    pub run_as_non_root: Option<bool>,
    pub read_only_root: bool,
    pub privileged: bool,
    pub add: Vec<String>,
    pub drop: Vec<String>,
    pub supplemental_groups: Vec<i64>,
    pub allow_privilege_escalation: Option<bool>,
}

pub fn effective(pod: &Pod, c: &Container) -> Effective {
    let psc: PodSecurityContext = pod
        .spec
        .as_ref()
        .and_then(|s| s.security_context.clone())
        .unwrap_or_default();
    let sc: SecurityContext = c.security_context.clone().unwrap_or_default();
    let caps = sc.capabilities.clone().unwrap_or_default();
    let mut groups: Vec<i64> = psc.supplemental_groups.clone().unwrap_or_default();
    if let Some(fs) = psc.fs_group
        && !groups.contains(&fs)
    {
        groups.push(fs);
    }
    Effective {
        run_as_user: sc.run_as_user.or(psc.run_as_user),
        run_as_group: sc.run_as_group.or(psc.run_as_group),
        run_as_non_root: sc.run_as_non_root.or(psc.run_as_non_root),
        read_only_root: sc.read_only_root_filesystem.unwrap_or(false),
        privileged: sc.privileged.unwrap_or(false),
        add: caps.add.unwrap_or_default(),
        drop: caps.drop.unwrap_or_default(),
        supplemental_groups: groups,
        allow_privilege_escalation: sc.allow_privilege_escalation,
    }
}

/// Upstream's `verifyRunAsNonRoot`: the image's user (uid or name) when the container sets
/// none. The error text is what the pod shows as CreateContainerConfigError.
pub fn verify_run_as_non_root(
    pod: &Pod,
    c: &Container,
    eff: &Effective,
    image_uid: Option<i64>,
    image_user: &str,
) -> Result<(), String> {
    if eff.run_as_non_root != Some(true) {
        return Ok(());
    }
    if let Some(u) = eff.run_as_user {
        if u == 0 {
            return Err(format!(
                "container's runAsUser breaks non-root policy (pod: \"{}\", container: {})",
                format_pod(pod),
                c.name
            ));
        }
        return Ok(());
    }
    match image_uid {
        Some(0) => Err(format!(
            "container has runAsNonRoot and image will run as root (pod: \"{}\", container: {})",
            format_pod(pod),
            c.name
        )),
        Some(_) => Ok(()),
        None if !image_user.is_empty() => Err(format!(
            "container has runAsNonRoot and image has non-numeric user ({image_user}), cannot verify user is non-root (pod: \"{}\", container: {})",
            format_pod(pod),
            c.name
        )),
        None => Err(format!(
            "container has runAsNonRoot and image will run as root (pod: \"{}\", container: {})",
            format_pod(pod),
            c.name
        )),
    }
}

fn host_ns(pod: &Pod) -> api::NamespaceOption {
    let spec = pod.spec.clone().unwrap_or_default();
    let mode = |host: Option<bool>, default: api::NamespaceMode| {
        if host.unwrap_or(false) {
            api::NamespaceMode::Node as i32
        } else {
            default as i32
        }
    };
    api::NamespaceOption {
        network: mode(spec.host_network, api::NamespaceMode::Pod),
        pid: mode(
            spec.host_pid,
            if spec.share_process_namespace.unwrap_or(false) {
                api::NamespaceMode::Pod
            } else {
                api::NamespaceMode::Container
            },
        ),
        ipc: mode(spec.host_ipc, api::NamespaceMode::Pod),
        ..Default::default()
    }
}

/// The container's CRI security context.
pub fn container_context(
    pod: &Pod,
    eff: &Effective,
    image_user: &str,
) -> api::LinuxContainerSecurityContext {
    api::LinuxContainerSecurityContext {
        capabilities: Some(api::Capability {
            add_capabilities: eff.add.clone(),
            drop_capabilities: eff.drop.clone(),
            ..Default::default()
        }),
        privileged: eff.privileged,
        namespace_options: Some(host_ns(pod)),
        run_as_user: eff.run_as_user.map(|value| api::Int64Value { value }),
        run_as_group: eff.run_as_group.map(|value| api::Int64Value { value }),
        run_as_username: if eff.run_as_user.is_none() {
            image_user.to_string()
        } else {
            String::new()
        },
        readonly_rootfs: eff.read_only_root,
        supplemental_groups: eff.supplemental_groups.clone(),
        no_new_privs: eff.allow_privilege_escalation == Some(false),
        ..Default::default()
    }
}

/// The sandbox's CRI security context (pod-level user, groups, host namespaces).
pub fn sandbox_context(pod: &Pod) -> api::LinuxSandboxSecurityContext {
    let psc: PodSecurityContext = pod
        .spec
        .as_ref()
        .and_then(|s| s.security_context.clone())
        .unwrap_or_default();
    let privileged = pod
        .spec
        .as_ref()
        .map(|s| {
            s.containers
                .iter()
                .chain(s.init_containers.iter().flatten())
                .any(|c| {
                    c.security_context
                        .as_ref()
                        .and_then(|sc| sc.privileged)
                        .unwrap_or(false)
                })
        })
        .unwrap_or(false);
    let mut groups = psc.supplemental_groups.clone().unwrap_or_default();
    if let Some(fs) = psc.fs_group
        && !groups.contains(&fs)
    {
        groups.push(fs);
    }
    api::LinuxSandboxSecurityContext {
        namespace_options: Some(host_ns(pod)),
        run_as_user: psc.run_as_user.map(|value| api::Int64Value { value }),
        run_as_group: psc.run_as_group.map(|value| api::Int64Value { value }),
        supplemental_groups: groups,
        privileged,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_root_refuses_root_images() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p", "namespace": "ns", "uid": "u"},
            "spec": {"securityContext": {"runAsNonRoot": true}, "containers": [{"name": "c"}]}
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let c = pod
            .spec
            .as_ref()
            .map(|s| s.containers[0].clone())
            .unwrap_or_else(|| unreachable!());
        let eff = effective(&pod, &c);
        assert_eq!(
            verify_run_as_non_root(&pod, &c, &eff, Some(0), ""),
            Err("container has runAsNonRoot and image will run as root (pod: \"p_ns(u)\", container: c)".into())
        );
        assert!(verify_run_as_non_root(&pod, &c, &eff, Some(1000), "").is_ok());
    }
}
