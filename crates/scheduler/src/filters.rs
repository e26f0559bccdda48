//! Filtering: the PreFilter states of the incoming pod, the filter plugins run in
//! upstream's order (NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, NodePorts,
//! NodeResourcesFit, then PodTopologySpread and InterPodAffinity from their own modules),
//! and filtering with nominated pods counted.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Taint, Toleration};

use crate::cache::Cache;
use crate::framework::Nominated;
use crate::interpod;
use crate::nodeinfo::NodeInfo;
use crate::podinfo::PodInfo;
use crate::scoring;
use crate::selector::{RequiredNodeAffinity, first_untolerated, tolerated};
use crate::spread;
use crate::status::{self, Code, Plugin, Status};

/// The incoming pod with its PreFilter states.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub pod: Arc<PodInfo>,
    pub tolerations: Vec<Toleration>,
    pub required: RequiredNodeAffinity,
    interpod: Option<interpod::FilterState>,
    spread: Option<spread::FilterState>,
}

/// Runs the PreFilters; the node names NodeAffinity restricts the pod to come back too.
pub fn prefilter(
    pod: &Arc<PodInfo>,
    cache: &Cache,
) -> Result<(Prepared, Option<Vec<String>>), Status> {
    let tolerations = pod
        .pod
        .spec
        .as_ref()
        .and_then(|s| s.tolerations.clone())
        .unwrap_or_default();
    let required = scoring::required_affinity(pod);
    let mut names: Option<Vec<String>> = None;
    for t in required.terms.iter().flatten() {
        match t.name_restriction() {
            None => {
                names = None;
                break;
            }
            Some(n) => names.get_or_insert_with(Vec::new).extend(n),
        }
    }
    if names.as_ref().is_some_and(Vec::is_empty) {
        return Err(Status::unresolvable(
            Plugin::NodeAffinity,
            status::ERR_AFFINITY_CONFLICT,
        ));
    }
    let spread = spread::prefilter(pod, &required, &tolerations, cache);
    let interpod = interpod::prefilter(pod, cache);
    Ok((
        Prepared {
            pod: pod.clone(),
            tolerations,
            required,
            interpod,
            spread,
        },
        names,
    ))
}

impl Prepared {
    /// The filter plugins in upstream's order; the first rejection wins.
    pub fn filter(&self, node: &NodeInfo, cache: &Cache) -> Option<Status> {
        let pod = &self.pod;
        node_unschedulable(node, &self.tolerations)
            .or_else(|| node_name(pod, node))
            .or_else(|| taint_toleration(node, &self.tolerations))
            .or_else(|| node_affinity(&self.required, node))
            .or_else(|| node_ports(pod, node))
            .or_else(|| node_resources_fit(pod, node))
            .or_else(|| {
                self.spread
                    .as_ref()
                    .and_then(|s| spread::filter(s, pod, node))
            })
            .or_else(|| {
                self.interpod
                    .as_ref()
                    .and_then(|s| interpod::filter(s, pod, node, cache))
            })
    }

    /// Accounts another pod being added to (`by` = 1) or removed from (-1) `node`.
    pub fn update(&mut self, other: &PodInfo, node: &NodeInfo, cache: &Cache, by: i64) {
        if let Some(s) = &mut self.interpod {
            s.update(&self.pod, other, node, cache, by);
        }
        if let Some(s) = &mut self.spread {
            s.update(&self.pod, other, node, by);
        }
    }

    /// Upstream's `RunFilterPluginsWithNominatedPods`: with the nominated pods of equal or
    /// higher priority counted on the node, then without them.
    pub fn filter_with_nominated(
        &self,
        node: &NodeInfo,
        nominated: &Nominated,
        cache: &Cache,
    ) -> Option<Status> {
        let extra: Vec<&Arc<PodInfo>> = nominated
            .get(&node.name)
            .into_iter()
            .flatten()
            .filter(|p| p.uid != self.pod.uid && p.priority >= self.pod.priority)
            .collect();
        if !extra.is_empty() {
            let mut with = node.clone();
            let mut state = self.clone();
            for p in extra {
                with.add_pod(p.clone());
                state.update(p, &with, cache, 1);
            }
            if let Some(s) = state.filter(&with, cache) {
                return Some(s);
            }
        }
        self.filter(node, cache)
    }
}

pub fn node_unschedulable(node: &NodeInfo, tolerations: &[Toleration]) -> Option<Status> {
    if !node.unschedulable {
        return None;
    }
    let taint = Taint {
        key: "node.kubernetes.io/unschedulable".into(),
        effect: "NoSchedule".into(),
        ..Default::default()
    };
    if tolerated(tolerations, &taint) {
        return None;
    }
    Some(Status::unresolvable(
        Plugin::NodeUnschedulable,
        status::ERR_UNSCHEDULABLE,
    ))
}

pub fn node_name(pod: &PodInfo, node: &NodeInfo) -> Option<Status> {
    if pod.node_name.is_empty() || pod.node_name == node.name {
        return None;
    }
    Some(Status::unresolvable(
        Plugin::NodeName,
        status::ERR_NODE_NAME,
    ))
}

pub fn taint_toleration(node: &NodeInfo, tolerations: &[Toleration]) -> Option<Status> {
    let taint = first_untolerated(&node.taints, tolerations)?;
    Some(Status::unresolvable(
        Plugin::TaintToleration,
        status::untolerated_taint(&taint.key, taint.value.as_deref().unwrap_or("")),
    ))
}

pub fn node_affinity(required: &RequiredNodeAffinity, node: &NodeInfo) -> Option<Status> {
    if required.matches(&node.name, &node.labels) {
        return None;
    }
    Some(Status::unresolvable(
        Plugin::NodeAffinity,
        status::ERR_NODE_AFFINITY,
    ))
}

pub fn node_ports(pod: &PodInfo, node: &NodeInfo) -> Option<Status> {
    let conflict = pod
        .host_ports
        .iter()
        .any(|want| node.used_ports.iter().any(|used| used.conflicts(want)));
    conflict.then(|| Status::unschedulable(Plugin::NodePorts, status::ERR_NODE_PORTS))
}

/// NodeResourcesFit: every insufficient resource is a reason of its own.
pub fn node_resources_fit(pod: &PodInfo, node: &NodeInfo) -> Option<Status> {
    let mut reasons = Vec::new();
    let alloc = &node.allocatable;
    let used = &node.requested;
    if node.pod_count() as i64 + 1 > alloc.allowed_pods {
        reasons.push("Too many pods".to_string());
    }
    let req = &pod.requests;
    if !req.is_zero() {
        if req.milli_cpu > 0 && req.milli_cpu > alloc.milli_cpu.saturating_sub(used.milli_cpu) {
            reasons.push("Insufficient cpu".to_string());
        }
        if req.memory > 0 && req.memory > alloc.memory.saturating_sub(used.memory) {
            reasons.push("Insufficient memory".to_string());
        }
        if req.ephemeral_storage > 0
            && req.ephemeral_storage
                > alloc
                    .ephemeral_storage
                    .saturating_sub(used.ephemeral_storage)
        {
            reasons.push("Insufficient ephemeral-storage".to_string());
        }
        for (name, want) in &req.scalar {
            if *want == 0 {
                continue;
            }
            let have = alloc.scalar.get(name).copied().unwrap_or(0);
            let taken = used.scalar.get(name).copied().unwrap_or(0);
            if *want > have.saturating_sub(taken) {
                reasons.push(format!("Insufficient {name}"));
            }
        }
    }
    if reasons.is_empty() {
        return None;
    }
    Some(Status {
        code: Code::Unschedulable,
        reasons,
        plugin: Some(Plugin::NodeResourcesFit),
    })
}
