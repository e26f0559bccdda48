//! PodTopologySpread: DoNotSchedule constraints filter (skew against the global
//! minimum), ScheduleAnyway constraints score; pods without constraints that belong to a
//! ReplicaSet, ReplicationController or StatefulSet get upstream's system defaults
//! (hostname maxSkew 3, zone maxSkew 5, ScheduleAnyway).

use std::collections::{HashMap, HashSet};

use k8s_openapi::api::core::v1::Toleration;

use crate::cache::Cache;
use crate::nodeinfo::NodeInfo;
use crate::podinfo::PodInfo;
use crate::selector::{Op, RequiredNodeAffinity, Requirement, Selector, first_untolerated};
use crate::status::{self, Plugin, Status};

const HOSTNAME: &str = "kubernetes.io/hostname";
const ZONE: &str = "topology.kubernetes.io/zone";

/// Which pods a constraint counts.
#[derive(Debug, Clone)]
pub enum PodSelector {
    Labels(Selector),
    /// System default: pods of the same controller (stands for its selector).
    Controller(String),
}

impl PodSelector {
    fn matches(&self, p: &PodInfo) -> bool {
        match self {
            PodSelector::Labels(s) => s.matches(&p.labels),
            PodSelector::Controller(uid) => p.controller_uid.as_deref() == Some(uid.as_str()),
        }
    }

    /// Upstream counts nothing for an empty selector.
    fn counts_anything(&self) -> bool {
        !matches!(self, PodSelector::Labels(Selector::Match(r)) if r.is_empty())
    }
}

#[derive(Debug, Clone)]
pub struct Constraint {
    pub max_skew: i64,
    pub key: String,
    pub selector: PodSelector,
    pub min_domains: usize,
    pub honor_affinity: bool,
    pub honor_taints: bool,
}

/// The pod's constraints with the given `whenUnsatisfiable`.
pub fn constraints(pod: &PodInfo, action: &str) -> Vec<Constraint> {
    let spec = pod.pod.spec.as_ref();
    let list = spec.and_then(|s| s.topology_spread_constraints.as_ref());
    let Some(list) = list.filter(|l| !l.is_empty()) else {
        return match (&pod.controller_uid, action) {
            (Some(uid), "ScheduleAnyway") => [(HOSTNAME, 3), (ZONE, 5)]
                .into_iter()
                .map(|(key, skew)| Constraint {
                    max_skew: skew,
                    key: key.into(),
                    selector: PodSelector::Controller(uid.clone()),
                    min_domains: 1,
                    honor_affinity: true,
                    honor_taints: false,
                })
                .collect(),
            _ => Vec::new(),
        };
    };
    list.iter()
        .filter(|c| c.when_unsatisfiable == action)
        .map(|c| {
            let mut sel = Selector::from_api(c.label_selector.as_ref());
            for k in c.match_label_keys.iter().flatten() {
                if let Some(v) = pod.labels.get(k) {
                    sel = sel.and(Requirement::new(k, Op::In, vec![v.clone()]));
                }
            }
            Constraint {
                max_skew: i64::from(c.max_skew),
                key: c.topology_key.clone(),
                selector: PodSelector::Labels(sel),
                min_domains: usize::try_from(c.min_domains.unwrap_or(1)).unwrap_or(1),
                honor_affinity: c.node_affinity_policy.as_deref() != Some("Ignore"),
                honor_taints: c.node_taints_policy.as_deref() == Some("Honor"),
            }
        })
        .collect()
}

fn has_all_keys(node: &NodeInfo, cs: &[Constraint]) -> bool {
    cs.iter().all(|c| node.labels.contains_key(&c.key))
}

fn included(
    c: &Constraint,
    node: &NodeInfo,
    aff: &RequiredNodeAffinity,
    tol: &[Toleration],
) -> bool {
    (!c.honor_affinity || aff.matches(&node.name, &node.labels))
        && (!c.honor_taints || first_untolerated(&node.taints, tol).is_none())
}

fn count_matching(node: &NodeInfo, sel: &PodSelector, ns: &str) -> i64 {
    if !sel.counts_anything() {
        return 0;
    }
    node.pods
        .iter()
        .filter(|p| !p.terminating && p.namespace == ns && sel.matches(p))
        .count() as i64
}

/// PreFilter state: matching pods per domain, per DoNotSchedule constraint.
#[derive(Debug, Clone)]
pub struct FilterState {
    constraints: Vec<Constraint>,
    counts: Vec<HashMap<String, i64>>,
    affinity: RequiredNodeAffinity,
    tolerations: Vec<Toleration>,
}

pub fn prefilter(
    pod: &PodInfo,
    affinity: &RequiredNodeAffinity,
    tolerations: &[Toleration],
    cache: &Cache,
) -> Option<FilterState> {
    let constraints = constraints(pod, "DoNotSchedule");
    if constraints.is_empty() {
        return None;
    }
    let mut counts = vec![HashMap::new(); constraints.len()];
    for node in cache.real_nodes() {
        if !has_all_keys(node, &constraints) {
            continue;
        }
        for (i, c) in constraints.iter().enumerate() {
            if !included(c, node, affinity, tolerations) {
                continue;
            }
            let v = node.labels.get(&c.key).cloned().unwrap_or_default();
            *counts[i].entry(v).or_insert(0) += count_matching(node, &c.selector, &pod.namespace);
        }
    }
    Some(FilterState {
        constraints,
        counts,
        affinity: affinity.clone(),
        tolerations: tolerations.to_vec(),
    })
}

impl FilterState {
    /// Accounts `other` on `node` being added (`by` = 1) or removed (-1).
    pub fn update(&mut self, incoming: &PodInfo, other: &PodInfo, node: &NodeInfo, by: i64) {
        if other.terminating || other.namespace != incoming.namespace {
            return;
        }
        if !has_all_keys(node, &self.constraints) {
            return;
        }
        for (i, c) in self.constraints.iter().enumerate() {
            if !included(c, node, &self.affinity, &self.tolerations)
                || !c.selector.counts_anything()
                || !c.selector.matches(other)
            {
                continue;
            }
            if let Some(v) = node.labels.get(&c.key) {
                *self.counts[i].entry(v.clone()).or_insert(0) += by;
            }
        }
    }
}

pub fn filter(s: &FilterState, pod: &PodInfo, node: &NodeInfo) -> Option<Status> {
    for (i, c) in s.constraints.iter().enumerate() {
        let Some(value) = node.labels.get(&c.key) else {
            return Some(Status::unresolvable(
                Plugin::PodTopologySpread,
                status::ERR_SPREAD_LABEL,
            ));
        };
        let counts = &s.counts[i];
        let mut min = counts.values().copied().min().unwrap_or(0);
        if counts.len() < c.min_domains {
            min = 0;
        }
        let self_match = i64::from(c.selector.matches(pod));
        let skew = counts.get(value).copied().unwrap_or(0) + self_match - min;
        if skew > c.max_skew {
            return Some(Status::unschedulable(
                Plugin::PodTopologySpread,
                status::ERR_SPREAD,
            ));
        }
    }
    None
}

/// PreScore state for ScheduleAnyway constraints.
#[derive(Debug, Clone)]
pub struct ScoreState {
    constraints: Vec<Constraint>,
    counts: Vec<HashMap<String, i64>>,
    weights: Vec<f64>,
    ignored: HashSet<String>,
}

pub fn prescore(
    pod: &PodInfo,
    feasible: &[&NodeInfo],
    affinity: &RequiredNodeAffinity,
    tolerations: &[Toleration],
    cache: &Cache,
) -> Option<ScoreState> {
    let constraints = constraints(pod, "ScheduleAnyway");
    if constraints.is_empty() || feasible.is_empty() {
        return None;
    }
    let require_all = pod
        .pod
        .spec
        .as_ref()
        .and_then(|s| s.topology_spread_constraints.as_ref())
        .is_some_and(|l| !l.is_empty());
    let mut counts: Vec<HashMap<String, i64>> = vec![HashMap::new(); constraints.len()];
    let mut ignored = HashSet::new();
    for node in feasible {
        if require_all && !has_all_keys(node, &constraints) {
            ignored.insert(node.name.clone());
            continue;
        }
        for (i, c) in constraints.iter().enumerate() {
            if c.key != HOSTNAME {
                let v = node.labels.get(&c.key).cloned().unwrap_or_default();
                counts[i].entry(v).or_insert(0);
            }
        }
    }
    let weights = constraints
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let size = if c.key == HOSTNAME {
                feasible.len() - ignored.len()
            } else {
                counts[i].len()
            };
            ((size + 2) as f64).ln()
        })
        .collect();
    let empty_value: Vec<bool> = constraints
        .iter()
        .map(|c| {
            feasible
                .iter()
                .any(|n| n.labels.get(&c.key).is_some_and(String::is_empty))
        })
        .collect();
    for node in cache.real_nodes() {
        if require_all && !has_all_keys(node, &constraints) {
            continue;
        }
        for (i, c) in constraints.iter().enumerate() {
            if c.key == HOSTNAME {
                continue;
            }
            // Nodes without the key only feed the "" domain, which scoring reads only
            // for feasible nodes labelled with an empty value.
            let v = match node.labels.get(&c.key) {
                Some(v) => v.as_str(),
                None if empty_value[i] => "",
                None => continue,
            };
            if !included(c, node, affinity, tolerations) {
                continue;
            }
            if let Some(n) = counts[i].get_mut(v) {
                *n += count_matching(node, &c.selector, &pod.namespace);
            }
        }
    }
    Some(ScoreState {
        constraints,
        counts,
        weights,
        ignored,
    })
}

/// The raw score: matching pods in the node's domains, weighted (lower is better).
pub fn score(s: &ScoreState, pod: &PodInfo, node: &NodeInfo) -> i64 {
    if s.ignored.contains(&node.name) {
        return 0;
    }
    let mut total = 0.0;
    for (i, c) in s.constraints.iter().enumerate() {
        let Some(v) = node.labels.get(&c.key) else {
            continue;
        };
        let cnt = if c.key == HOSTNAME {
            count_matching(node, &c.selector, &pod.namespace)
        } else {
            s.counts[i].get(v).copied().unwrap_or(0)
        };
        total += cnt as f64 * s.weights[i] + (c.max_skew - 1) as f64;
    }
    total.round() as i64
}

/// Upstream's NormalizeScore: fewer matching pods scores higher; ignored nodes get 0.
pub fn normalize(s: &ScoreState, names: &[&str], scores: &mut [i64]) {
    let valid = |i: usize| names.get(i).is_some_and(|n| !s.ignored.contains(*n));
    let mut min = i64::MAX;
    let mut max = 0;
    for (i, sc) in scores.iter().enumerate() {
        if valid(i) {
            min = min.min(*sc);
            max = max.max(*sc);
        }
    }
    for (i, sc) in scores.iter_mut().enumerate() {
        *sc = if !valid(i) {
            0
        } else if max == 0 {
            100
        } else {
            100 * (max + min - *sc) / max
        };
    }
}
