//! One node as the scheduler sees it: the Node object, its allocatable resources, and the
//! pods assigned (or assumed) to it with their summed requests and used host ports.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Taint};

use crate::podinfo::{HostPort, PodInfo};
use crate::resources::{Resource, allocatable};
use crate::selector::Labels;

#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub name: String,
    /// `None` while pods refer to a node the watch has not shown (yet).
    pub node: Option<Arc<Node>>,
    pub labels: Labels,
    pub taints: Vec<Taint>,
    pub unschedulable: bool,
    pub allocatable: Resource,
    pub requested: Resource,
    pub non_zero_requested: Resource,
    pub pods: Vec<Arc<PodInfo>>,
    pub used_ports: Vec<HostPort>,
    /// Pods with any inter-pod (anti-)affinity.
    pub with_affinity: usize,
    pub with_required_anti_affinity: usize,
}

impl NodeInfo {
    pub fn empty(name: &str) -> Self {
        Self {
            name: name.to_string(),
            node: None,
            labels: Labels::new(),
            taints: Vec::new(),
            unschedulable: false,
            allocatable: Resource::default(),
            requested: Resource::default(),
            non_zero_requested: Resource::default(),
            pods: Vec::new(),
            used_ports: Vec::new(),
            with_affinity: 0,
            with_required_anti_affinity: 0,
        }
    }

    pub fn new(node: Arc<Node>) -> Self {
        let mut n = NodeInfo::empty(node.metadata.name.as_deref().unwrap_or(""));
        n.set_node(node);
        n
    }

    pub fn set_node(&mut self, node: Arc<Node>) {
        self.labels = node.metadata.labels.clone().unwrap_or_default();
        let spec = node.spec.as_ref();
        self.taints = spec.and_then(|s| s.taints.clone()).unwrap_or_default();
        self.unschedulable = spec.and_then(|s| s.unschedulable).unwrap_or(false);
        self.allocatable = allocatable(&node);
        self.node = Some(node);
    }

    /// Whether a node update can make pods schedulable that were not before (labels,
    /// taints, unschedulable or allocatable changed).
    pub fn scheduling_relevant_change(&self, node: &Node) -> bool {
        let spec = node.spec.as_ref();
        self.labels != node.metadata.labels.clone().unwrap_or_default()
            || self.taints != spec.and_then(|s| s.taints.clone()).unwrap_or_default()
            || self.unschedulable != spec.and_then(|s| s.unschedulable).unwrap_or(false)
            || self.allocatable != allocatable(node)
    }

    pub fn add_pod(&mut self, pod: Arc<PodInfo>) {
        self.requested.add(&pod.requests);
        self.non_zero_requested.add(&pod.non_zero);
        self.used_ports.extend(pod.host_ports.iter().cloned());
        if pod.has_affinity() {
            self.with_affinity += 1;
        }
        if pod.has_required_anti_affinity() {
            self.with_required_anti_affinity += 1;
        }
        self.pods.push(pod);
    }

    /// Removes the pod with this UID; returns it when it was there.
    pub fn remove_pod(&mut self, uid: &str) -> Option<Arc<PodInfo>> {
        let i = self.pods.iter().position(|p| p.uid == uid)?;
        let pod = self.pods.swap_remove(i);
        self.requested.sub(&pod.requests);
        self.non_zero_requested.sub(&pod.non_zero);
        for hp in &pod.host_ports {
            if let Some(j) = self.used_ports.iter().position(|u| u == hp) {
                self.used_ports.swap_remove(j);
            }
        }
        if pod.has_affinity() {
            self.with_affinity = self.with_affinity.saturating_sub(1);
        }
        if pod.has_required_anti_affinity() {
            self.with_required_anti_affinity = self.with_required_anti_affinity.saturating_sub(1);
        }
        Some(pod)
    }

    pub fn pod_count(&self) -> usize {
        self.pods.len()
    }
}
