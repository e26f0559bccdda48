//! What the scheduler needs to know about a pod, computed once per pod version: its
//! requests, host ports, priority and compiled inter-pod (anti-)affinity terms.

use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Pod, PodAffinityTerm};

use crate::resources::{Resource, pod_requests};
use crate::selector::{Labels, Op, Requirement, Selector};

/// PriorityClasses by name: (value, preemptionPolicy is Never), and the global default.
#[derive(Debug, Clone, Default)]
pub struct PriorityClasses {
    pub by_name: HashMap<String, (i32, bool)>,
    pub global_default: Option<(i32, bool)>,
}

/// A host port a container asks for (`ip` defaults to 0.0.0.0, protocol to TCP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    pub ip: String,
    pub protocol: String,
    pub port: i32,
}

impl HostPort {
    /// Upstream's `HostPortInfo.CheckConflict` between two ports.
    pub fn conflicts(&self, other: &HostPort) -> bool {
        self.port == other.port
            && self.protocol == other.protocol
            && (self.ip == "0.0.0.0" || other.ip == "0.0.0.0" || self.ip == other.ip)
    }
}

/// A processed `PodAffinityTerm`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffinityTerm {
    pub namespaces: Vec<String>,
    /// `Nothing` when the term has no namespaceSelector.
    pub namespace_selector: Selector,
    pub selector: Selector,
    pub topology_key: String,
}

impl AffinityTerm {
    fn new(owner_ns: &str, owner_labels: &Labels, t: &PodAffinityTerm) -> Self {
        let mut selector = Selector::from_api(t.label_selector.as_ref());
        for key in t.match_label_keys.iter().flatten() {
            if let Some(v) = owner_labels.get(key) {
                selector = selector.and(Requirement::new(key, Op::In, vec![v.clone()]));
            }
        }
        for key in t.mismatch_label_keys.iter().flatten() {
            if let Some(v) = owner_labels.get(key) {
                selector = selector.and(Requirement::new(key, Op::NotIn, vec![v.clone()]));
            }
        }
        let namespaces = t.namespaces.clone().unwrap_or_default();
        let namespaces = if namespaces.is_empty() && t.namespace_selector.is_none() {
            vec![owner_ns.to_string()]
        } else {
            namespaces
        };
        Self {
            namespaces,
            namespace_selector: Selector::from_api(t.namespace_selector.as_ref()),
            selector,
            topology_key: t.topology_key.clone(),
        }
    }

    /// Whether `pod` (whose namespace carries `ns_labels`) is selected by this term.
    pub fn matches(&self, pod: &PodInfo, ns_labels: &Labels) -> bool {
        (self.namespaces.contains(&pod.namespace) || self.namespace_selector.matches(ns_labels))
            && self.selector.matches(&pod.labels)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightedTerm {
    pub term: AffinityTerm,
    pub weight: i64,
}

/// The scheduler's view of one pod.
#[derive(Debug, Clone)]
pub struct PodInfo {
    pub pod: Arc<Pod>,
    pub uid: String,
    pub namespace: String,
    pub name: String,
    pub labels: Labels,
    pub node_name: String,
    pub priority: i32,
    pub preempt_never: bool,
    /// Requests for fitting.
    pub requests: Resource,
    /// Requests with upstream's defaults for containers without CPU/memory requests.
    pub non_zero: Resource,
    pub host_ports: Vec<HostPort>,
    pub required_affinity: Vec<AffinityTerm>,
    pub required_anti_affinity: Vec<AffinityTerm>,
    pub preferred_affinity: Vec<WeightedTerm>,
    pub preferred_anti_affinity: Vec<WeightedTerm>,
    pub terminating: bool,
    /// Deleted by a preemption (DisruptionTarget condition, reason PreemptionByScheduler).
    pub preempted: bool,
    /// `status.startTime` in nanoseconds since the epoch.
    pub start_time: Option<i128>,
    /// UID of the controlling ReplicaSet, ReplicationController or StatefulSet.
    pub controller_uid: Option<String>,
    pub nominated_node: String,
    pub phase: String,
}

impl PodInfo {
    pub fn new(pod: Arc<Pod>, classes: &PriorityClasses) -> Self {
        let md = &pod.metadata;
        let namespace = md.namespace.clone().unwrap_or_default();
        let labels = md.labels.clone().unwrap_or_default();
        let spec = pod.spec.clone().unwrap_or_default();
        let status = pod.status.as_ref();
        let class = spec
            .priority_class_name
            .as_deref()
            .filter(|c| !c.is_empty())
            .and_then(|c| classes.by_name.get(c).copied())
            .or(
                if spec.priority_class_name.as_deref().unwrap_or("").is_empty() {
                    classes.global_default
                } else {
                    None
                },
            );
        let priority = spec.priority.or(class.map(|c| c.0)).unwrap_or(0);
        let preempt_never = match spec.preemption_policy.as_deref() {
            Some(p) => p == "Never",
            None => class.is_some_and(|c| c.1),
        };
        let mut host_ports = Vec::new();
        let sidecars = spec
            .init_containers
            .iter()
            .flatten()
            .filter(|c| c.restart_policy.as_deref() == Some("Always"));
        for c in spec.containers.iter().chain(sidecars) {
            for p in c.ports.iter().flatten() {
                let port = p.host_port.unwrap_or(0);
                if port <= 0 {
                    continue;
                }
                host_ports.push(HostPort {
                    ip: p
                        .host_ip
                        .clone()
                        .filter(|i| !i.is_empty())
                        .unwrap_or_else(|| "0.0.0.0".into()),
                    protocol: p
                        .protocol
                        .clone()
                        .filter(|i| !i.is_empty())
                        .unwrap_or_else(|| "TCP".into()),
                    port,
                });
            }
        }
        let terms = |ts: Option<&Vec<PodAffinityTerm>>| {
            ts.into_iter()
                .flatten()
                .map(|t| AffinityTerm::new(&namespace, &labels, t))
                .collect::<Vec<_>>()
        };
        let aff = spec.affinity.as_ref();
        let pa = aff.and_then(|a| a.pod_affinity.as_ref());
        let paa = aff.and_then(|a| a.pod_anti_affinity.as_ref());
        let weighted = |ts: Option<&Vec<k8s_openapi::api::core::v1::WeightedPodAffinityTerm>>| {
            ts.into_iter()
                .flatten()
                .map(|w| WeightedTerm {
                    term: AffinityTerm::new(&namespace, &labels, &w.pod_affinity_term),
                    weight: i64::from(w.weight),
                })
                .collect::<Vec<_>>()
        };
        let controller_uid = md
            .owner_references
            .iter()
            .flatten()
            .find(|o| {
                o.controller == Some(true)
                    && matches!(
                        o.kind.as_str(),
                        "ReplicaSet" | "ReplicationController" | "StatefulSet"
                    )
            })
            .map(|o| o.uid.clone());
        let preempted = status
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| {
                cs.iter().any(|c| {
                    c.type_ == "DisruptionTarget"
                        && c.reason.as_deref() == Some("PreemptionByScheduler")
                })
            });
        Self {
            uid: md.uid.clone().unwrap_or_default(),
            name: md.name.clone().unwrap_or_default(),
            node_name: spec.node_name.clone().unwrap_or_default(),
            priority,
            preempt_never,
            requests: pod_requests(&spec, false),
            non_zero: pod_requests(&spec, true),
            host_ports,
            required_affinity: terms(pa.and_then(|p| {
                p.required_during_scheduling_ignored_during_execution
                    .as_ref()
            })),
            required_anti_affinity: terms(paa.and_then(|p| {
                p.required_during_scheduling_ignored_during_execution
                    .as_ref()
            })),
            preferred_affinity: weighted(pa.and_then(|p| {
                p.preferred_during_scheduling_ignored_during_execution
                    .as_ref()
            })),
            preferred_anti_affinity: weighted(paa.and_then(|p| {
                p.preferred_during_scheduling_ignored_during_execution
                    .as_ref()
            })),
            terminating: md.deletion_timestamp.is_some(),
            preempted,
            start_time: status
                .and_then(|s| s.start_time.as_ref())
                .map(|t| t.0.as_nanosecond()),
            controller_uid,
            nominated_node: status
                .and_then(|s| s.nominated_node_name.clone())
                .unwrap_or_default(),
            phase: status.and_then(|s| s.phase.clone()).unwrap_or_default(),
            namespace,
            labels,
            pod,
        }
    }

    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// Has any inter-pod affinity or anti-affinity (upstream's `PodsWithAffinity`).
    pub fn has_affinity(&self) -> bool {
        let aff = self.pod.spec.as_ref().and_then(|s| s.affinity.as_ref());
        aff.is_some_and(|a| a.pod_affinity.is_some() || a.pod_anti_affinity.is_some())
    }

    pub fn has_required_anti_affinity(&self) -> bool {
        !self.required_anti_affinity.is_empty()
    }

    pub fn is_terminal(&self) -> bool {
        self.phase == "Succeeded" || self.phase == "Failed"
    }
}

/// Upstream's `MoreImportantPod`: higher priority, then the earlier start time.
pub fn more_important(a: &PodInfo, b: &PodInfo, now: i128) -> bool {
    if a.priority != b.priority {
        return a.priority > b.priority;
    }
    a.start_time.unwrap_or(now) < b.start_time.unwrap_or(now)
}
