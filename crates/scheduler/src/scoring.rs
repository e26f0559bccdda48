//! Score plugins over feasible nodes, with upstream's weights and normalisation:
//! NodeResourcesFit (LeastAllocated, weight 1), NodeResourcesBalancedAllocation (1),
//! NodeAffinity preferred terms (2), TaintToleration PreferNoSchedule (3),
//! InterPodAffinity (2) and PodTopologySpread (2).

use k8s_openapi::api::core::v1::{NodeSelectorTerm, PreferredSchedulingTerm, Taint, Toleration};

use crate::cache::Cache;
use crate::interpod;
use crate::nodeinfo::NodeInfo;
use crate::podinfo::PodInfo;
use crate::selector::{NodeTerm, RequiredNodeAffinity, tolerates};
use crate::spread;

pub const MAX_NODE_SCORE: i64 = 100;

/// LeastAllocated over cpu and memory (equal weights), from non-zero requests.
pub fn least_allocated(pod: &PodInfo, node: &NodeInfo) -> i64 {
    let pairs = [
        (
            node.non_zero_requested.milli_cpu + pod.non_zero.milli_cpu,
            node.allocatable.milli_cpu,
        ),
        (
            node.non_zero_requested.memory + pod.non_zero.memory,
            node.allocatable.memory,
        ),
    ];
    let (mut sum, mut weights) = (0, 0);
    for (requested, capacity) in pairs {
        if capacity == 0 {
            continue;
        }
        sum += if requested > capacity {
            0
        } else {
            (capacity - requested) * MAX_NODE_SCORE / capacity
        };
        weights += 1;
    }
    if weights == 0 { 0 } else { sum / weights }
}

/// BalancedAllocation: 100 × (1 − std of the cpu and memory fractions), from real requests.
pub fn balanced_allocation(pod: &PodInfo, node: &NodeInfo) -> i64 {
    let pairs = [
        (
            node.requested.milli_cpu + pod.requests.milli_cpu,
            node.allocatable.milli_cpu,
        ),
        (
            node.requested.memory + pod.requests.memory,
            node.allocatable.memory,
        ),
    ];
    let fractions: Vec<f64> = pairs
        .iter()
        .filter(|(_, cap)| *cap != 0)
        .map(|(req, cap)| (*req as f64 / *cap as f64).min(1.0))
        .collect();
    let std = if fractions.len() == 2 {
        ((fractions[0] - fractions[1]) / 2.0).abs()
    } else {
        0.0
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}

/// The pod's preferred node affinity terms, compiled.
pub fn preferred_terms(pod: &PodInfo) -> Vec<(NodeTerm, i64)> {
    let spec = pod.pod.spec.as_ref();
    let prefs: Option<&Vec<PreferredSchedulingTerm>> = spec
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| {
            n.preferred_during_scheduling_ignored_during_execution
                .as_ref()
        });
    prefs
        .into_iter()
        .flatten()
        .filter(|p| p.weight != 0)
        .map(|p| (NodeTerm::from_api(&p.preference), i64::from(p.weight)))
        .collect()
}

/// The pod's required placement (nodeSelector and required node affinity).
pub fn required_affinity(pod: &PodInfo) -> RequiredNodeAffinity {
    use crate::selector::{Op, Requirement};
    let spec = pod.pod.spec.as_ref();
    let node_selector = spec
        .and_then(|s| s.node_selector.as_ref())
        .into_iter()
        .flatten()
        .map(|(k, v)| Requirement::new(k, Op::In, vec![v.clone()]))
        .collect();
    let terms: Option<&Vec<NodeSelectorTerm>> = spec
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| {
            n.required_during_scheduling_ignored_during_execution
                .as_ref()
        })
        .map(|r| &r.node_selector_terms);
    RequiredNodeAffinity {
        node_selector,
        terms: terms.map(|ts| ts.iter().map(NodeTerm::from_api).collect()),
    }
}

fn prefer_no_schedule_intolerable(taints: &[Taint], tolerations: &[Toleration]) -> i64 {
    let tols: Vec<&Toleration> = tolerations
        .iter()
        .filter(|t| {
            matches!(
                t.effect.as_deref(),
                None | Some("") | Some("PreferNoSchedule")
            )
        })
        .collect();
    taints
        .iter()
        .filter(|t| t.effect == "PreferNoSchedule" && !tols.iter().any(|tol| tolerates(tol, t)))
        .count() as i64
}

/// Upstream's `DefaultNormalizeScore`.
pub fn default_normalize(scores: &mut [i64], reverse: bool) {
    let max = scores.iter().copied().max().unwrap_or(0);
    for s in scores.iter_mut() {
        if max == 0 {
            if reverse {
                *s = MAX_NODE_SCORE;
            }
            continue;
        }
        let v = MAX_NODE_SCORE * *s / max;
        *s = if reverse { MAX_NODE_SCORE - v } else { v };
    }
}

/// Total weighted scores of the feasible nodes, in their order.
pub fn score_nodes(
    pod: &PodInfo,
    feasible: &[&NodeInfo],
    tolerations: &[Toleration],
    required: &RequiredNodeAffinity,
    cache: &Cache,
) -> Vec<i64> {
    let n = feasible.len();
    let mut total = vec![0i64; n];
    let mut add = |scores: &[i64], weight: i64| {
        for (t, s) in total.iter_mut().zip(scores) {
            *t += s * weight;
        }
    };
    let fit: Vec<i64> = feasible
        .iter()
        .map(|node| least_allocated(pod, node))
        .collect();
    add(&fit, 1);
    if !pod.requests.is_zero() {
        let bal: Vec<i64> = feasible
            .iter()
            .map(|node| balanced_allocation(pod, node))
            .collect();
        add(&bal, 1);
    }
    let prefs = preferred_terms(pod);
    if !prefs.is_empty() {
        let mut s: Vec<i64> = feasible
            .iter()
            .map(|node| {
                prefs
                    .iter()
                    .filter(|(t, _)| t.matches(&node.name, &node.labels))
                    .map(|(_, w)| w)
                    .sum()
            })
            .collect();
        default_normalize(&mut s, false);
        add(&s, 2);
    }
    let mut taints: Vec<i64> = feasible
        .iter()
        .map(|node| prefer_no_schedule_intolerable(&node.taints, tolerations))
        .collect();
    default_normalize(&mut taints, true);
    add(&taints, 3);
    if let Some(state) = interpod::prescore(pod, cache) {
        let mut s: Vec<i64> = feasible
            .iter()
            .map(|node| interpod::score(&state, node))
            .collect();
        interpod::normalize(&mut s);
        add(&s, 2);
    }
    if let Some(state) = spread::prescore(pod, feasible, required, tolerations, cache) {
        let names: Vec<&str> = feasible.iter().map(|n| n.name.as_str()).collect();
        let mut s: Vec<i64> = feasible
            .iter()
            .map(|node| spread::score(&state, pod, node))
            .collect();
        spread::normalize(&state, &names, &mut s);
        add(&s, 2);
    }
    total
}
