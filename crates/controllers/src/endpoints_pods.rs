//! How a pod and a Service meet, shared by the endpoints and endpointslice controllers:
//! readiness, which pods belong in endpoints, port resolution (named target ports), the
//! pod-change filter that decides which Services to resync, and the trigger-time tracker
//! behind the `endpoints.kubernetes.io/last-change-trigger-time` annotation.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Pod, Service, ServicePort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::Timestamp;

pub(crate) type Labels = BTreeMap<String, String>;

/// The annotation both controllers stamp with the time of the change they reflect.
pub(crate) const TRIGGER_TIME_ANNOTATION: &str = "endpoints.kubernetes.io/last-change-trigger-time";

fn ready_condition(pod: &Pod) -> Option<&k8s_openapi::api::core::v1::PodCondition> {
    pod.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")
}

/// The pod's `Ready` condition is `True`.
pub(crate) fn is_ready(pod: &Pod) -> bool {
    ready_condition(pod).is_some_and(|c| c.status == "True")
}

fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("")
}

/// The pod's IPs: `status.podIPs`, or `status.podIP` when the list is absent.
pub(crate) fn pod_ips(pod: &Pod) -> Vec<String> {
    let Some(status) = pod.status.as_ref() else {
        return Vec::new();
    };
    match status.pod_ips.as_ref().filter(|ips| !ips.is_empty()) {
        Some(ips) => ips.iter().map(|ip| ip.ip.clone()).collect(),
        None => status
            .pod_ip
            .iter()
            .filter(|ip| !ip.is_empty())
            .cloned()
            .collect(),
    }
}

pub(crate) fn is_ipv6(ip: &str) -> bool {
    ip.contains(':')
}

/// Upstream's ShouldPodBeInEndpoints: not terminal, has an IP, and not terminating unless
/// terminating pods are wanted.
pub(crate) fn should_be_in_endpoints(pod: &Pod, include_terminating: bool) -> bool {
    if matches!(phase(pod), "Succeeded" | "Failed") || pod_ips(pod).is_empty() {
        return false;
    }
    include_terminating || pod.metadata.deletion_timestamp.is_none()
}

/// The pod's hostname is published when it sets one and its subdomain names the Service.
pub(crate) fn hostname_for(pod: &Pod, svc: &Service) -> Option<String> {
    let spec = pod.spec.as_ref()?;
    let hostname = spec.hostname.as_deref().filter(|h| !h.is_empty())?;
    (spec.subdomain.as_deref() == svc.metadata.name.as_deref()
        && pod.metadata.namespace == svc.metadata.namespace)
        .then(|| hostname.to_string())
}

/// The container port a Service port targets on this pod: the number itself, or the port
/// of that name and protocol in a container (or a restartable init container).
pub(crate) fn find_port(pod: &Pod, sp: &ServicePort) -> Option<i32> {
    let name = match &sp.target_port {
        None => return Some(sp.port),
        Some(IntOrString::Int(n)) => return Some(*n),
        Some(IntOrString::String(name)) => name,
    };
    let protocol = sp.protocol.as_deref().unwrap_or("TCP");
    let spec = pod.spec.as_ref()?;
    let sidecars = spec
        .init_containers
        .iter()
        .flatten()
        .filter(|c| c.restart_policy.as_deref() == Some("Always"));
    spec.containers
        .iter()
        .chain(sidecars)
        .flat_map(|c| c.ports.iter().flatten())
        .find(|p| {
            p.name.as_deref() == Some(name.as_str())
                && p.protocol.as_deref().unwrap_or("TCP") == protocol
        })
        .map(|p| p.container_port)
}

/// A Service's selector; `None` when it selects nothing (absent or empty, which the API
/// cannot tell apart).
pub(crate) fn selector(svc: &Service) -> Option<&Labels> {
    svc.spec
        .as_ref()?
        .selector
        .as_ref()
        .filter(|s| !s.is_empty())
}

pub(crate) fn selects(selector: &Labels, labels: Option<&Labels>) -> bool {
    selector
        .iter()
        .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
}

/// The Service has a cluster IP (it is not headless).
pub(crate) fn has_cluster_ip(svc: &Service) -> bool {
    svc.spec
        .as_ref()
        .and_then(|s| s.cluster_ip.as_deref())
        .is_some_and(|ip| !ip.is_empty() && ip != "None")
}

pub(crate) fn service_type(svc: &Service) -> &str {
    svc.spec
        .as_ref()
        .and_then(|s| s.type_.as_deref())
        .unwrap_or("ClusterIP")
}

pub(crate) fn publish_not_ready(svc: &Service) -> bool {
    svc.spec
        .as_ref()
        .and_then(|s| s.publish_not_ready_addresses)
        .unwrap_or(false)
}

/// What of a pod can change its endpoints: a changed projection means a resync.
#[derive(Clone, PartialEq, Eq)]
struct PodFacts {
    labels: Labels,
    hostname: Option<String>,
    subdomain: Option<String>,
    ready: bool,
    terminating: bool,
    phase: String,
    ips: Vec<String>,
    node: Option<String>,
}

impl PodFacts {
    fn of(pod: &Pod) -> Self {
        let spec = pod.spec.as_ref();
        Self {
            labels: pod.metadata.labels.clone().unwrap_or_default(),
            hostname: spec.and_then(|s| s.hostname.clone()),
            subdomain: spec.and_then(|s| s.subdomain.clone()),
            ready: is_ready(pod),
            terminating: pod.metadata.deletion_timestamp.is_some(),
            phase: phase(pod).to_string(),
            ips: pod_ips(pod),
            node: spec.and_then(|s| s.node_name.clone()),
        }
    }
}

/// The last seen facts of every pod, to tell which events matter and which label sets
/// (old and new) the Services to resync are selected by.
#[derive(Default)]
pub(crate) struct PodIndex {
    facts: HashMap<String, PodFacts>,
}

fn pod_key(pod: &Pod) -> String {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("");
    let name = pod.metadata.name.as_deref().unwrap_or("");
    format!("{ns}/{name}")
}

impl PodIndex {
    pub(crate) fn clear(&mut self) {
        self.facts.clear();
    }

    /// Records an added or changed pod; returns the label sets whose Services need a sync
    /// (none when nothing that matters changed).
    pub(crate) fn apply(&mut self, pod: &Pod) -> Vec<Labels> {
        let new = PodFacts::of(pod);
        match self.facts.insert(pod_key(pod), new.clone()) {
            Some(old) if old == new => Vec::new(),
            Some(old) if old.labels != new.labels => vec![new.labels, old.labels],
            _ => vec![new.labels],
        }
    }

    /// Forgets a deleted pod; returns its label sets.
    pub(crate) fn delete(&mut self, pod: &Pod) -> Vec<Labels> {
        let old = self.facts.remove(&pod_key(pod));
        let mut sets = vec![pod.metadata.labels.clone().unwrap_or_default()];
        sets.extend(old.map(|o| o.labels).filter(|l| Some(l) != sets.first()));
        sets
    }
}

#[derive(Default)]
struct ServiceTimes {
    service: Option<Timestamp>,
    pods: HashMap<String, Timestamp>,
}

/// Upstream's TriggerTimeTracker: the earliest change (a pod's Ready transition or the
/// Service's creation) not yet reflected, per Service.
#[derive(Default)]
pub(crate) struct TriggerTimes {
    services: HashMap<String, ServiceTimes>,
}

impl TriggerTimes {
    pub(crate) fn compute(
        &mut self,
        key: &str,
        svc: &Service,
        pods: &[Arc<Pod>],
    ) -> Option<Timestamp> {
        let known = self.services.contains_key(key);
        let state = self.services.entry(key.to_string()).or_default();
        let mut earliest: Option<Timestamp> = None;
        let mut seen = HashMap::new();
        for pod in pods {
            let Some(t) = ready_condition(pod)
                .and_then(|c| c.last_transition_time.as_ref())
                .map(|t| t.0)
            else {
                continue;
            };
            let name = pod.metadata.name.clone().unwrap_or_default();
            if state.pods.get(&name).is_none_or(|last| t > *last) {
                earliest = Some(earliest.map_or(t, |e| e.min(t)));
            }
            seen.insert(name, t);
        }
        let created = svc.metadata.creation_timestamp.as_ref().map(|t| t.0);
        if let Some(c) = created
            && state.service.is_none_or(|last| c > last)
        {
            earliest = Some(earliest.map_or(c, |e| e.min(c)));
        }
        state.pods = seen;
        state.service = created;
        if known { earliest } else { created }
    }

    pub(crate) fn delete(&mut self, key: &str) {
        self.services.remove(key);
    }
}

/// Go's RFC3339Nano rendering of a UTC time (fraction only when non-zero).
pub(crate) fn format_time(t: Timestamp) -> String {
    t.to_string()
}

#[cfg(test)]
#[path = "endpoints_pods_tests.rs"]
pub(crate) mod tests;
