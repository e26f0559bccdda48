//! InterPodAffinity: required affinity/anti-affinity of the incoming pod, required
//! anti-affinity of existing pods (filter), and preferred terms both ways (score), as
//! upstream counts them per topology pair.

use std::collections::HashMap;

use crate::cache::Cache;
use crate::nodeinfo::NodeInfo;
use crate::podinfo::{AffinityTerm, PodInfo, WeightedTerm};
use crate::selector::Labels;
use crate::status::{self, Plugin, Status};

type Counts = HashMap<(String, String), i64>;

/// PreFilter state (upstream's `preFilterState`).
#[derive(Debug, Clone, Default)]
pub struct FilterState {
    /// Pairs where existing pods match all the incoming pod's required affinity terms.
    affinity: Counts,
    /// Pairs where existing pods match the incoming pod's required anti-affinity terms.
    anti: Counts,
    /// Pairs where existing pods' required anti-affinity terms match the incoming pod.
    existing_anti: Counts,
}

fn bump(m: &mut Counts, key: &str, labels: &Labels, by: i64) {
    if let Some(v) = labels.get(key) {
        let e = m.entry((key.to_string(), v.clone())).or_default();
        *e += by;
        if *e == 0 {
            m.remove(&(key.to_string(), v.clone()));
        }
    }
}

fn matches_all(terms: &[AffinityTerm], pod: &PodInfo, ns: &Labels) -> bool {
    !terms.is_empty() && terms.iter().all(|t| t.matches(pod, ns))
}

impl FilterState {
    /// Accounts `other` (on `node`) being added (`by` = 1) or removed (-1).
    pub fn update(
        &mut self,
        incoming: &PodInfo,
        other: &PodInfo,
        node: &NodeInfo,
        cache: &Cache,
        by: i64,
    ) {
        let incoming_ns = cache.ns_labels(&incoming.namespace);
        for t in &other.required_anti_affinity {
            if t.matches(incoming, incoming_ns) {
                bump(&mut self.existing_anti, &t.topology_key, &node.labels, by);
            }
        }
        let other_ns = cache.ns_labels(&other.namespace);
        if matches_all(&incoming.required_affinity, other, other_ns) {
            for t in &incoming.required_affinity {
                bump(&mut self.affinity, &t.topology_key, &node.labels, by);
            }
        }
        for t in &incoming.required_anti_affinity {
            if t.matches(other, other_ns) {
                bump(&mut self.anti, &t.topology_key, &node.labels, by);
            }
        }
    }
}

/// Upstream's PreFilter; `None` when the plugin has nothing to check (Skip).
pub fn prefilter(pod: &PodInfo, cache: &Cache) -> Option<FilterState> {
    let own = !pod.required_affinity.is_empty() || !pod.required_anti_affinity.is_empty();
    let existing = cache
        .real_nodes()
        .any(|n| n.with_required_anti_affinity > 0);
    if !own && !existing {
        return None;
    }
    let mut s = FilterState::default();
    for node in cache.real_nodes() {
        if own {
            for other in &node.pods {
                s.update(pod, other, node, cache, 1);
            }
        } else if node.with_required_anti_affinity > 0 {
            let ns = cache.ns_labels(&pod.namespace);
            for other in node.pods.iter().filter(|p| p.has_required_anti_affinity()) {
                for t in &other.required_anti_affinity {
                    if t.matches(pod, ns) {
                        bump(&mut s.existing_anti, &t.topology_key, &node.labels, 1);
                    }
                }
            }
        }
    }
    Some(s)
}

pub fn filter(s: &FilterState, pod: &PodInfo, node: &NodeInfo, cache: &Cache) -> Option<Status> {
    if !satisfies_affinity(s, pod, node, cache) {
        return Some(Status::unresolvable(
            Plugin::InterPodAffinity,
            status::ERR_POD_AFFINITY,
        ));
    }
    let anti_hit = !s.anti.is_empty()
        && pod.required_anti_affinity.iter().any(|t| {
            node.labels.get(&t.topology_key).is_some_and(|v| {
                s.anti
                    .get(&(t.topology_key.clone(), v.clone()))
                    .copied()
                    .unwrap_or(0)
                    > 0
            })
        });
    if anti_hit {
        return Some(Status::unschedulable(
            Plugin::InterPodAffinity,
            status::ERR_POD_ANTI_AFFINITY,
        ));
    }
    let existing_hit = !s.existing_anti.is_empty()
        && node.labels.iter().any(|(k, v)| {
            s.existing_anti
                .get(&(k.clone(), v.clone()))
                .copied()
                .unwrap_or(0)
                > 0
        });
    if existing_hit {
        return Some(Status::unschedulable(
            Plugin::InterPodAffinity,
            status::ERR_EXISTING_ANTI_AFFINITY,
        ));
    }
    None
}

fn satisfies_affinity(s: &FilterState, pod: &PodInfo, node: &NodeInfo, cache: &Cache) -> bool {
    let mut pods_exist = true;
    for t in &pod.required_affinity {
        let Some(v) = node.labels.get(&t.topology_key) else {
            return false;
        };
        if s.affinity
            .get(&(t.topology_key.clone(), v.clone()))
            .copied()
            .unwrap_or(0)
            <= 0
        {
            pods_exist = false;
        }
    }
    if pods_exist {
        return true;
    }
    // The first pod of a group with affinity to itself may go anywhere the topology
    // labels exist, as long as no pod matches yet.
    s.affinity.is_empty()
        && matches_all(&pod.required_affinity, pod, cache.ns_labels(&pod.namespace))
}

/// PreScore state: the summed term weights per topology key and value.
#[derive(Debug, Clone, Default)]
pub struct ScoreState {
    topology: HashMap<String, HashMap<String, i64>>,
}

impl ScoreState {
    fn add_terms(
        &mut self,
        terms: &[WeightedTerm],
        target: &PodInfo,
        ns: &Labels,
        node: &NodeInfo,
        sign: i64,
    ) {
        for w in terms {
            self.add(&w.term, w.weight * sign, target, ns, node);
        }
    }

    fn add(
        &mut self,
        t: &AffinityTerm,
        weight: i64,
        target: &PodInfo,
        ns: &Labels,
        node: &NodeInfo,
    ) {
        if !t.matches(target, ns) {
            return;
        }
        if let Some(v) = node.labels.get(&t.topology_key) {
            *self
                .topology
                .entry(t.topology_key.clone())
                .or_default()
                .entry(v.clone())
                .or_default() += weight;
        }
    }
}

/// Upstream's PreScore (hard pod affinity weight 1); `None` when nothing scores.
pub fn prescore(pod: &PodInfo, cache: &Cache) -> Option<ScoreState> {
    let own = !pod.preferred_affinity.is_empty() || !pod.preferred_anti_affinity.is_empty();
    let mut s = ScoreState::default();
    let incoming_ns = cache.ns_labels(&pod.namespace);
    for node in cache.real_nodes() {
        if node.labels.is_empty() || (!own && node.with_affinity == 0) {
            continue;
        }
        for other in &node.pods {
            if !own && !other.has_affinity() {
                continue;
            }
            let other_ns = cache.ns_labels(&other.namespace);
            s.add_terms(&pod.preferred_affinity, other, other_ns, node, 1);
            s.add_terms(&pod.preferred_anti_affinity, other, other_ns, node, -1);
            for t in &other.required_affinity {
                s.add(t, 1, pod, incoming_ns, node);
            }
            s.add_terms(&other.preferred_affinity, pod, incoming_ns, node, 1);
            s.add_terms(&other.preferred_anti_affinity, pod, incoming_ns, node, -1);
        }
    }
    (!s.topology.is_empty()).then_some(s)
}

pub fn score(s: &ScoreState, node: &NodeInfo) -> i64 {
    s.topology
        .iter()
        .filter_map(|(k, vals)| node.labels.get(k).and_then(|v| vals.get(v)))
        .sum()
}

/// Upstream's NormalizeScore: min-max scaling to 0..=100.
pub fn normalize(scores: &mut [i64]) {
    let (Some(min), Some(max)) = (scores.iter().min().copied(), scores.iter().max().copied())
    else {
        return;
    };
    let diff = max - min;
    for s in scores.iter_mut() {
        *s = if diff > 0 {
            (100.0 * ((*s - min) as f64 / diff as f64)) as i64
        } else {
            0
        };
    }
}
