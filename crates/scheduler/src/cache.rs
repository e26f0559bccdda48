//! The scheduler's cache and snapshot in one: nodes with their assigned and assumed pods,
//! namespace labels and PriorityClasses, updated incrementally from watch events (never
//! rebuilt per pod). One task owns it, so scheduling reads it without copying.

use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexMap;
use k8s_openapi::api::core::v1::Node;

use crate::nodeinfo::NodeInfo;
use crate::podinfo::{PodInfo, PriorityClasses};
use crate::selector::Labels;

/// How a node event changed the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeChange {
    Added,
    /// Labels, taints, unschedulable or allocatable changed.
    Relevant,
    /// Only status noise (heartbeats, conditions).
    Irrelevant,
}

#[derive(Debug, Clone)]
struct Placed {
    node: String,
    /// Bound by us, the watch has not shown the binding yet.
    assumed: bool,
}

#[derive(Debug, Default)]
pub struct Cache {
    /// Every node name pods or Node objects mention, in a stable order.
    pub nodes: IndexMap<String, NodeInfo>,
    placed: HashMap<String, Placed>,
    pub namespaces: HashMap<String, Labels>,
    pub classes: PriorityClasses,
    empty: Labels,
}

impl Cache {
    pub fn new() -> Self {
        Self::default()
    }

    /// Nodes that exist as objects (what upstream's snapshot lists).
    pub fn real_nodes(&self) -> impl Iterator<Item = &NodeInfo> {
        self.nodes.values().filter(|n| n.node.is_some())
    }

    pub fn num_nodes(&self) -> usize {
        self.real_nodes().count()
    }

    pub fn node(&self, name: &str) -> Option<&NodeInfo> {
        self.nodes.get(name).filter(|n| n.node.is_some())
    }

    pub fn ns_labels(&self, ns: &str) -> &Labels {
        self.namespaces.get(ns).unwrap_or(&self.empty)
    }

    pub fn apply_node(&mut self, node: Arc<Node>) -> NodeChange {
        let name = node.metadata.name.clone().unwrap_or_default();
        match self.nodes.get_mut(&name) {
            Some(n) if n.node.is_some() => {
                let change = if n.scheduling_relevant_change(&node) {
                    NodeChange::Relevant
                } else {
                    NodeChange::Irrelevant
                };
                n.set_node(node);
                change
            }
            Some(n) => {
                n.set_node(node);
                NodeChange::Added
            }
            None => {
                self.nodes.insert(name, NodeInfo::new(node));
                NodeChange::Added
            }
        }
    }

    pub fn delete_node(&mut self, name: &str) {
        let Some(n) = self.nodes.get_mut(name) else {
            return;
        };
        if n.pods.is_empty() {
            self.nodes.swap_remove(name);
        } else {
            n.node = None;
        }
    }

    /// Replaces the node set after a (re)list.
    pub fn replace_nodes(&mut self, nodes: Vec<Arc<Node>>) {
        let keep: std::collections::HashSet<String> = nodes
            .iter()
            .filter_map(|n| n.metadata.name.clone())
            .collect();
        let gone: Vec<String> = self
            .nodes
            .keys()
            .filter(|k| !keep.contains(*k))
            .cloned()
            .collect();
        for g in gone {
            self.delete_node(&g);
        }
        for n in nodes {
            self.apply_node(n);
        }
    }

    /// Adds or updates an assigned pod (one with `spec.nodeName`); returns the previous
    /// version when there was one.
    pub fn apply_assigned(&mut self, pod: Arc<PodInfo>) -> Option<Arc<PodInfo>> {
        let prev = self.remove_pod(&pod.uid);
        let node = pod.node_name.clone();
        self.nodes
            .entry(node.clone())
            .or_insert_with(|| NodeInfo::empty(&node))
            .add_pod(pod.clone());
        self.placed.insert(
            pod.uid.clone(),
            Placed {
                node,
                assumed: false,
            },
        );
        prev
    }

    /// Counts a pod we are binding against `node` before the binding is seen.
    pub fn assume(&mut self, pod: Arc<PodInfo>, node: &str) {
        let mut info = (*pod).clone();
        info.node_name = node.to_string();
        self.apply_assigned(Arc::new(info));
        if let Some(p) = self.placed.get_mut(&pod.uid) {
            p.assumed = true;
        }
    }

    pub fn is_assumed(&self, uid: &str) -> bool {
        self.placed.get(uid).is_some_and(|p| p.assumed)
    }

    pub fn is_placed(&self, uid: &str) -> bool {
        self.placed.contains_key(uid)
    }

    /// Removes a pod wherever it is counted.
    pub fn remove_pod(&mut self, uid: &str) -> Option<Arc<PodInfo>> {
        let placed = self.placed.remove(uid)?;
        let n = self.nodes.get_mut(&placed.node)?;
        let pod = n.remove_pod(uid);
        if n.node.is_none() && n.pods.is_empty() {
            self.nodes.swap_remove(&placed.node);
        }
        pod
    }

    /// Replaces every non-assumed assigned pod after a (re)list.
    pub fn replace_assigned(&mut self, pods: Vec<Arc<PodInfo>>) {
        let keep: std::collections::HashSet<&str> = pods.iter().map(|p| p.uid.as_str()).collect();
        let gone: Vec<String> = self
            .placed
            .iter()
            .filter(|(uid, p)| !p.assumed && !keep.contains(uid.as_str()))
            .map(|(uid, _)| uid.clone())
            .collect();
        for uid in gone {
            self.remove_pod(&uid);
        }
        for p in pods {
            self.apply_assigned(p);
        }
    }

    /// Assigned pods on `node`.
    pub fn pods_on(&self, node: &str) -> &[Arc<PodInfo>] {
        self.nodes
            .get(node)
            .map(|n| n.pods.as_slice())
            .unwrap_or(&[])
    }
}
