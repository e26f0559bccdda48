//! One scheduling attempt over the cache: PreFilter, Filter over the nodes (taking
//! nominated pods into account, starting where the last attempt stopped, stopping at
//! upstream's number of feasible nodes), Score, and a host chosen among the best at random.

use std::collections::HashMap;
use std::sync::Arc;

use rand::Rng as _;

use crate::cache::Cache;
use crate::filters::prefilter;
use crate::nodeinfo::NodeInfo;
use crate::podinfo::PodInfo;
use crate::scoring;
use crate::status::{self, NodeStatuses, Plugin, Status};

/// Pending pods nominated to nodes by preemption, by node name.
pub type Nominated = HashMap<String, Vec<Arc<PodInfo>>>;

/// Why no node was found.
#[derive(Debug, Clone)]
pub struct Diagnosis {
    pub num_all_nodes: usize,
    pub statuses: NodeStatuses,
    pub pre_filter_msg: Option<String>,
    /// Plugins that rejected some node (bits of [`Plugin::bit`]).
    pub plugins: u16,
}

impl Diagnosis {
    pub fn message(&self, post_filter_msg: &str) -> String {
        status::fit_error(
            self.num_all_nodes,
            &self.statuses,
            self.pre_filter_msg.as_deref(),
            post_filter_msg,
        )
    }
}

#[derive(Debug, Clone)]
pub enum Outcome {
    Scheduled(String),
    Unschedulable(Diagnosis),
    NoNodes,
}

/// Upstream's `numFeasibleNodesToFind` with the adaptive percentage.
pub fn num_feasible_to_find(all: usize) -> usize {
    const MIN: usize = 100;
    if all < MIN {
        return all;
    }
    let pct = 50usize.saturating_sub(all / 125).max(5);
    (all * pct / 100).max(MIN)
}

/// The scheduling algorithm's state kept between attempts.
#[derive(Debug, Default)]
pub struct Algorithm {
    next_start: usize,
}

impl Algorithm {
    pub fn schedule(
        &mut self,
        pod: &Arc<PodInfo>,
        cache: &Cache,
        nominated: &Nominated,
    ) -> Outcome {
        let all: Vec<&NodeInfo> = cache.real_nodes().collect();
        if all.is_empty() {
            return Outcome::NoNodes;
        }
        let (prepared, names) = match prefilter(pod, cache) {
            Ok(p) => p,
            Err(s) => {
                let plugins = s.plugin.map(Plugin::bit).unwrap_or(0);
                return Outcome::Unschedulable(Diagnosis {
                    num_all_nodes: all.len(),
                    pre_filter_msg: s.reasons.first().cloned(),
                    statuses: NodeStatuses {
                        explicit: Vec::new(),
                        absent: Some(s),
                    },
                    plugins,
                });
            }
        };
        if let Some(nn) = cache.node(&pod.nominated_node)
            && prepared
                .filter_with_nominated(nn, nominated, cache)
                .is_none()
        {
            return Outcome::Scheduled(nn.name.clone());
        }
        let mut statuses = NodeStatuses::default();
        let mut plugins = 0u16;
        let candidates: Vec<&NodeInfo> = match &names {
            None => all.clone(),
            Some(names) => {
                statuses.absent = Some(Status::unresolvable(
                    Plugin::NodeAffinity,
                    "node(s) didn't satisfy plugin(s) [NodeAffinity]",
                ));
                plugins |= Plugin::NodeAffinity.bit();
                all.iter()
                    .filter(|n| names.contains(&n.name))
                    .copied()
                    .collect()
            }
        };
        let want = if names.is_some() {
            candidates.len()
        } else {
            num_feasible_to_find(candidates.len())
        };
        let mut feasible: Vec<&NodeInfo> = Vec::new();
        let len = candidates.len();
        let start = if names.is_some() || len == 0 {
            0
        } else {
            self.next_start % len
        };
        let mut processed = 0;
        for i in 0..len {
            if feasible.len() >= want {
                break;
            }
            let node = candidates[(start + i) % len];
            processed += 1;
            match prepared.filter_with_nominated(node, nominated, cache) {
                None => feasible.push(node),
                Some(s) => {
                    plugins |= s.plugin.map(Plugin::bit).unwrap_or(0);
                    statuses.explicit.push((node.name.clone(), s));
                }
            }
        }
        if names.is_none() && !all.is_empty() {
            self.next_start = (self.next_start + processed) % all.len();
        }
        match feasible.len() {
            0 => Outcome::Unschedulable(Diagnosis {
                num_all_nodes: all.len(),
                statuses,
                pre_filter_msg: None,
                plugins,
            }),
            1 => Outcome::Scheduled(feasible[0].name.clone()),
            _ => {
                let scores = scoring::score_nodes(
                    pod,
                    &feasible,
                    &prepared.tolerations,
                    &prepared.required,
                    cache,
                );
                Outcome::Scheduled(select_host(&feasible, &scores))
            }
        }
    }
}

/// The highest score; ties broken uniformly at random (reservoir sampling).
pub fn select_host(nodes: &[&NodeInfo], scores: &[i64]) -> String {
    let mut rng = rand::rng();
    let mut best = 0;
    let mut best_score = i64::MIN;
    let mut ties = 0u32;
    for (i, s) in scores.iter().enumerate() {
        if *s > best_score {
            best_score = *s;
            best = i;
            ties = 1;
        } else if *s == best_score {
            ties += 1;
            if rng.random_range(0..ties) == 0 {
                best = i;
            }
        }
    }
    nodes.get(best).map(|n| n.name.clone()).unwrap_or_default()
}
