//! The pod status as kubelet reports it: phase, conditions, container statuses, IPs, QoS.

use std::collections::HashMap;

use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateRunning, ContainerStateTerminated,
    ContainerStateWaiting, ContainerStatus, HostIP, Pod, PodCondition, PodIP, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::runtime_view::{ContainerInstance, PodRuntime};

pub use crate::phase::{phase, qos_class};

pub const CONTAINER_CREATING: &str = "ContainerCreating";
pub const POD_INITIALIZING: &str = "PodInitializing";

/// Per-pod facts the worker keeps between syncs.
#[derive(Debug, Default, Clone)]
pub struct WorkerFacts {
    /// Waiting reason and message per container name, from the last sync (ErrImagePull,
    /// CrashLoopBackOff, CreateContainerConfigError, ...).
    pub waiting: HashMap<String, (String, String)>,
    /// Readiness probe results per container id.
    pub ready: HashMap<String, bool>,
    /// Startup probe results per container id (absent: no startup probe or not yet run).
    pub started: HashMap<String, bool>,
    /// The sandbox's IPs (first is podIP).
    pub pod_ips: Vec<String>,
    /// Whether the sandbox is ready with its network.
    pub sandbox_ready: bool,
    /// A pod-level failure (reason, message), e.g. DeadlineExceeded: the pod is Failed.
    pub pod_failure: Option<(String, String)>,
}

fn time_ns(ns: i64) -> Option<Time> {
    if ns <= 0 {
        return None;
    }
    k8s_openapi::jiff::Timestamp::from_nanosecond(ns as i128)
        .ok()
        .map(Time)
}

fn terminated(c: &ContainerInstance) -> ContainerState {
    let s = &c.status;
    let reason = if !s.reason.is_empty() {
        s.reason.clone()
    } else if s.exit_code == 0 {
        "Completed".into()
    } else {
        "Error".into()
    };
    ContainerState {
        terminated: Some(ContainerStateTerminated {
            exit_code: s.exit_code,
            reason: Some(reason),
            message: crate::containers::termination_message(s)
                .or_else(|| (!s.message.is_empty()).then(|| s.message.clone())),
            started_at: time_ns(s.started_at),
            finished_at: time_ns(s.finished_at),
            container_id: Some(format!("containerd://{}", c.id)),
            signal: None,
        }),
        ..Default::default()
    }
}

fn waiting(reason: &str, message: Option<&str>) -> ContainerState {
    ContainerState {
        waiting: Some(ContainerStateWaiting {
            reason: Some(reason.into()),
            message: message.map(str::to_string),
        }),
        ..Default::default()
    }
}

fn container_status(
    spec: &Container,
    rt: &PodRuntime,
    facts: &WorkerFacts,
    default_reason: &str,
) -> ContainerStatus {
    let inst = rt.instances(&spec.name);
    let latest = inst.first().copied();
    let prev = inst.get(1).copied();
    let cached = facts.waiting.get(&spec.name);
    let mut st = ContainerStatus {
        name: spec.name.clone(),
        image: spec.image.clone().unwrap_or_default(),
        ..Default::default()
    };
    let Some(l) = latest else {
        let (r, m) = cached
            .map(|(r, m)| (r.as_str(), Some(m.as_str())))
            .unwrap_or((default_reason, None));
        st.state = Some(waiting(r, m.filter(|m| !m.is_empty())));
        st.started = Some(false);
        return st;
    };
    if let Some(img) = &l.status.image
        && !img.image.is_empty()
    {
        st.image = img.image.clone();
    }
    st.image_id = l.status.image_ref.clone();
    st.container_id = Some(format!("containerd://{}", l.id));
    st.restart_count = l.restart_count;
    st.last_state = prev.filter(|p| p.exited()).map(terminated);
    if l.running() {
        st.state = Some(ContainerState {
            running: Some(ContainerStateRunning {
                started_at: time_ns(l.status.started_at),
            }),
            ..Default::default()
        });
        let started = facts
            .started
            .get(&l.id)
            .copied()
            .unwrap_or(spec.startup_probe.is_none());
        st.started = Some(started);
        st.ready = started
            && facts
                .ready
                .get(&l.id)
                .copied()
                .unwrap_or(spec.readiness_probe.is_none());
    } else if l.exited() {
        st.started = Some(false);
        match cached {
            Some((r, m)) => {
                st.state = Some(waiting(r, Some(m.as_str()).filter(|m| !m.is_empty())));
                st.last_state = Some(terminated(l));
            }
            None => st.state = Some(terminated(l)),
        }
    } else {
        st.started = Some(false);
        let (r, m) = cached
            .map(|(r, m)| (r.as_str(), Some(m.as_str())))
            .unwrap_or((default_reason, None));
        st.state = Some(waiting(r, m.filter(|m| !m.is_empty())));
    }
    st
}

fn cond(
    type_: &str,
    ok: bool,
    reason: Option<&str>,
    message: Option<String>,
    old: Option<&PodStatus>,
) -> PodCondition {
    let status = if ok { "True" } else { "False" };
    let now = Time(k8s_openapi::jiff::Timestamp::now());
    let prev = old
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == type_));
    let transition = match prev {
        Some(p) if p.status == status => p.last_transition_time.clone().unwrap_or(now),
        _ => now,
    };
    PodCondition {
        type_: type_.into(),
        status: status.into(),
        reason: reason.map(str::to_string),
        message,
        last_transition_time: Some(transition),
        last_probe_time: None,
        observed_generation: None,
    }
}

/// The full status the agent reports for `pod`.
pub fn compute(pod: &Pod, rt: &PodRuntime, facts: &WorkerFacts, host_ip: &str) -> PodStatus {
    let old = pod.status.as_ref();
    let spec = pod.spec.clone().unwrap_or_default();
    let inits = spec.init_containers.clone().unwrap_or_default();
    let default_reason = if inits.is_empty() {
        CONTAINER_CREATING
    } else {
        POD_INITIALIZING
    };
    let is_sidecar = |name: &str| {
        inits
            .iter()
            .any(|c| c.name == name && c.restart_policy.as_deref() == Some("Always"))
    };
    let init_statuses: Vec<ContainerStatus> = inits
        .iter()
        .map(|c| {
            let mut st = container_status(c, rt, facts, default_reason);
            // A completed init container reports ready, as upstream does; a sidecar is
            // ready like a regular container.
            if !is_sidecar(&c.name) {
                st.ready = st
                    .state
                    .as_ref()
                    .and_then(|s| s.terminated.as_ref())
                    .is_some_and(|t| t.exit_code == 0);
            }
            st
        })
        .collect();
    let statuses: Vec<ContainerStatus> = spec
        .containers
        .iter()
        .map(|c| container_status(c, rt, facts, default_reason))
        .collect();
    let mut phase = phase(pod, &init_statuses, &statuses);
    // A terminal phase is final.
    if let Some(p) = old.and_then(|s| s.phase.as_deref())
        && (p == "Succeeded" || p == "Failed")
    {
        phase = if p == "Succeeded" {
            "Succeeded"
        } else {
            "Failed"
        };
    }
    if facts.pod_failure.is_some() {
        phase = "Failed";
    }
    let terminal = phase == "Succeeded" || phase == "Failed";

    let incomplete: Vec<&str> = init_statuses
        .iter()
        .filter(|s| {
            let done = s
                .state
                .as_ref()
                .and_then(|st| st.terminated.as_ref())
                .is_some_and(|t| t.exit_code == 0);
            let started_sidecar = is_sidecar(&s.name) && s.container_id.is_some();
            !(done || started_sidecar)
        })
        .map(|s| s.name.as_str())
        .collect();
    let initialized = if incomplete.is_empty() || phase == "Succeeded" {
        cond(
            "Initialized",
            true,
            (phase == "Succeeded" && !incomplete.is_empty()).then_some("PodCompleted"),
            None,
            old,
        )
    } else {
        cond(
            "Initialized",
            false,
            Some("ContainersNotInitialized"),
            Some(format!(
                "containers with incomplete status: [{}]",
                incomplete.join(" ")
            )),
            old,
        )
    };
    let unready: Vec<&str> = init_statuses
        .iter()
        .filter(|s| is_sidecar(&s.name))
        .chain(statuses.iter())
        .filter(|s| !s.ready)
        .map(|s| s.name.as_str())
        .collect();
    let (ready, reason, message) = if terminal {
        (false, Some("PodCompleted"), None)
    } else if !unready.is_empty() {
        (
            false,
            Some("ContainersNotReady"),
            Some(format!(
                "containers with unready status: [{}]",
                unready.join(" ")
            )),
        )
    } else {
        (true, None, None)
    };
    let mut conditions = vec![
        cond(
            "PodReadyToStartContainers",
            facts.sandbox_ready,
            None,
            None,
            old,
        ),
        initialized,
        cond("Ready", ready, reason, message.clone(), old),
        cond("ContainersReady", ready, reason, message, old),
    ];
    if let Some(s) = old
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "PodScheduled"))
    {
        conditions.push(s.clone());
    }
    let mut pod_ips = facts.pod_ips.clone();
    if pod_ips.is_empty()
        && let Some(old_ips) = old.and_then(|s| s.pod_ips.as_ref())
    {
        pod_ips = old_ips.iter().map(|p| p.ip.clone()).collect();
    }
    PodStatus {
        phase: Some(phase.into()),
        conditions: Some(conditions),
        host_ip: Some(host_ip.into()),
        host_ips: Some(vec![HostIP { ip: host_ip.into() }]),
        pod_ip: pod_ips.first().cloned(),
        pod_ips: (!pod_ips.is_empty())
            .then(|| pod_ips.iter().map(|ip| PodIP { ip: ip.clone() }).collect()),
        start_time: old
            .and_then(|s| s.start_time.clone())
            .or_else(|| Some(Time(k8s_openapi::jiff::Timestamp::now()))),
        qos_class: Some(qos_class(pod).into()),
        init_container_statuses: (!init_statuses.is_empty()).then_some(init_statuses),
        container_statuses: Some(statuses),
        nominated_node_name: old.and_then(|s| s.nominated_node_name.clone()),
        reason: facts
            .pod_failure
            .as_ref()
            .map(|f| f.0.clone())
            .or_else(|| old.and_then(|s| s.reason.clone())),
        message: facts
            .pod_failure
            .as_ref()
            .map(|f| f.1.clone())
            .or_else(|| old.and_then(|s| s.message.clone())),
        ..Default::default()
    }
}

/// Whether two statuses differ in anything but heartbeat-like times of unchanged conditions.
pub fn differs(a: &PodStatus, b: &PodStatus) -> bool {
    let strip = |s: &PodStatus| {
        let mut v = serde_json::to_value(s).unwrap_or_default();
        if let Some(cs) = v.get_mut("conditions").and_then(|c| c.as_array_mut()) {
            for c in cs {
                if let Some(o) = c.as_object_mut() {
                    o.remove("lastProbeTime");
                }
            }
        }
        v
    };
    strip(a) != strip(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(json: serde_json::Value) -> Pod {
        serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn pending_until_created() {
        let p = pod(
            serde_json::json!({"metadata": {"uid": "u"}, "spec": {"containers": [{"name": "a", "image": "i"}]}}),
        );
        let st = compute(
            &p,
            &PodRuntime::default(),
            &WorkerFacts::default(),
            "10.0.0.1",
        );
        assert_eq!(st.phase.as_deref(), Some("Pending"));
        let cs = &st.container_statuses.unwrap_or_default()[0];
        assert_eq!(
            cs.state
                .as_ref()
                .and_then(|s| s.waiting.as_ref())
                .and_then(|w| w.reason.as_deref()),
            Some("ContainerCreating")
        );
        let ready = st
            .conditions
            .unwrap_or_default()
            .into_iter()
            .find(|c| c.type_ == "Ready")
            .unwrap_or_else(|| unreachable!());
        assert_eq!(
            ready.message.as_deref(),
            Some("containers with unready status: [a]")
        );
    }
}
