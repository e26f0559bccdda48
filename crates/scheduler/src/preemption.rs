//! DefaultPreemption (the PostFilter): when a pod fits nowhere, find nodes where deleting
//! lower-priority pods would make room, pick the one that hurts least, and report with
//! upstream's words when preemption cannot help.

use std::sync::Arc;

use rand::Rng as _;

use crate::cache::Cache;
use crate::filters::{Prepared, prefilter};
use crate::framework::{Diagnosis, Nominated};
use crate::nodeinfo::NodeInfo;
use crate::podinfo::{PodInfo, more_important};
use crate::status::{self, Code, NodeStatuses, Plugin, Status};

#[derive(Debug, Clone)]
pub enum Preemption {
    /// The pod may not preempt; the message explains why.
    NotEligible(String),
    /// Preemption cannot help on any node; the message is a FitError of its own.
    NoCandidate(String),
    /// Delete `victims` on `node`, nominate the pod there, clear `demoted`'s nominations.
    Candidate {
        node: String,
        victims: Vec<Arc<PodInfo>>,
        demoted: Vec<Arc<PodInfo>>,
    },
}

impl Preemption {
    /// The PostFilter message that completes the FitError ("" on success).
    pub fn message(&self) -> String {
        match self {
            Preemption::NotEligible(m) | Preemption::NoCandidate(m) => format!("preemption: {m}"),
            Preemption::Candidate { .. } => String::new(),
        }
    }
}

fn now_nanos() -> i128 {
    i128::from(chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX))
}

/// Upstream's `PodEligibleToPreemptOthers`.
fn eligible(pod: &PodInfo, diag: &Diagnosis, cache: &Cache) -> Result<(), String> {
    if pod.preempt_never {
        return Err(status::NOT_ELIGIBLE_NEVER.into());
    }
    if pod.nominated_node.is_empty() {
        return Ok(());
    }
    if diag
        .statuses
        .get(&pod.nominated_node)
        .is_some_and(|s| s.code == Code::Unresolvable)
    {
        return Ok(());
    }
    let terminating_victim = cache
        .pods_on(&pod.nominated_node)
        .iter()
        .any(|p| p.priority < pod.priority && p.terminating && p.preempted);
    if terminating_victim {
        return Err(status::NOT_ELIGIBLE_TERMINATING.into());
    }
    Ok(())
}

/// Upstream's `SelectVictimsOnNode` (no PodDisruptionBudgets: none is violated).
fn select_victims(
    prepared: &Prepared,
    node: &NodeInfo,
    nominated: &Nominated,
    cache: &Cache,
    now: i128,
) -> Result<Vec<Arc<PodInfo>>, Status> {
    let pod = &prepared.pod;
    let mut state = prepared.clone();
    let mut node = node.clone();
    let mut potential: Vec<Arc<PodInfo>> = node
        .pods
        .iter()
        .filter(|p| p.priority < pod.priority)
        .cloned()
        .collect();
    if potential.is_empty() {
        return Err(Status::unresolvable(
            Plugin::DefaultPreemption,
            status::NO_VICTIMS,
        ));
    }
    for p in &potential {
        node.remove_pod(&p.uid);
        state.update(p, &node, cache, -1);
    }
    if let Some(s) = state.filter_with_nominated(&node, nominated, cache) {
        return Err(s);
    }
    potential.sort_by(|a, b| {
        if more_important(a, b, now) {
            std::cmp::Ordering::Less
        } else if more_important(b, a, now) {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    });
    let mut victims = Vec::new();
    for p in potential {
        node.add_pod(p.clone());
        state.update(&p, &node, cache, 1);
        if state
            .filter_with_nominated(&node, nominated, cache)
            .is_some()
        {
            node.remove_pod(&p.uid);
            state.update(&p, &node, cache, -1);
            victims.push(p);
        }
    }
    Ok(victims)
}

/// Upstream's `GetOffsetAndNumCandidates` (10 %, at least 100).
fn offset_and_count(n: usize) -> (usize, usize) {
    let count = (n / 10).max(100).min(n);
    let offset = if n == 0 {
        0
    } else {
        rand::rng().random_range(0..n)
    };
    (offset, count)
}

/// Upstream's `pickOneNodeForPreemption` without PDBs.
fn pick(candidates: &[(String, Vec<Arc<PodInfo>>)], now: i128) -> usize {
    type Score = fn(&[Arc<PodInfo>], i128) -> i128;
    let funcs: [Score; 4] = [
        |v, _| -i128::from(v.first().map(|p| p.priority).unwrap_or(0)),
        |v, _| {
            -v.iter()
                .map(|p| i128::from(p.priority) + (1i128 << 31))
                .sum::<i128>()
        },
        |v, _| -(v.len() as i128),
        |v, now| {
            let mut max_prio = i32::MIN;
            let mut earliest = now;
            for p in v {
                let t = p.start_time.unwrap_or(now);
                if p.priority > max_prio {
                    max_prio = p.priority;
                    earliest = t;
                } else if p.priority == max_prio && t < earliest {
                    earliest = t;
                }
            }
            earliest
        },
    ];
    let mut left: Vec<usize> = (0..candidates.len()).collect();
    for f in funcs {
        let scores: Vec<i128> = left.iter().map(|&i| f(&candidates[i].1, now)).collect();
        let Some(best) = scores.iter().copied().max() else {
            break;
        };
        left = left
            .iter()
            .zip(&scores)
            .filter(|(_, s)| **s == best)
            .map(|(i, _)| *i)
            .collect();
        if left.len() == 1 {
            break;
        }
    }
    left.first().copied().unwrap_or(0)
}

/// Upstream's `Evaluator.Preempt` up to choosing the candidate.
pub fn preempt(
    pod: &Arc<PodInfo>,
    diag: &Diagnosis,
    cache: &Cache,
    nominated: &Nominated,
) -> Preemption {
    if let Err(msg) = eligible(pod, diag, cache) {
        return Preemption::NotEligible(msg);
    }
    let all: Vec<&NodeInfo> = cache.real_nodes().collect();
    let potential: Vec<&NodeInfo> = all
        .iter()
        .filter(|n| {
            diag.statuses
                .get(&n.name)
                .is_some_and(|s| s.code == Code::Unschedulable)
        })
        .copied()
        .collect();
    let mut statuses = NodeStatuses {
        explicit: Vec::new(),
        absent: Some(Status::unresolvable(
            Plugin::DefaultPreemption,
            status::PREEMPTION_NOT_HELPFUL,
        )),
    };
    let mut candidates: Vec<(String, Vec<Arc<PodInfo>>)> = Vec::new();
    if !potential.is_empty() {
        let Ok((prepared, _)) = prefilter(pod, cache) else {
            return Preemption::NoCandidate(status::fit_error(all.len(), &statuses, None, ""));
        };
        let now = now_nanos();
        let (offset, want) = offset_and_count(potential.len());
        for i in 0..potential.len() {
            let node = potential[(offset + i) % potential.len()];
            match select_victims(&prepared, node, nominated, cache, now) {
                Ok(v) if !v.is_empty() => {
                    candidates.push((node.name.clone(), v));
                    if candidates.len() >= want {
                        break;
                    }
                }
                Ok(_) => statuses.explicit.push((
                    node.name.clone(),
                    Status::unschedulable(
                        Plugin::DefaultPreemption,
                        format!("expected at least one victim pod on node {:?}", node.name),
                    ),
                )),
                Err(s) => statuses.explicit.push((node.name.clone(), s)),
            }
        }
    }
    if candidates.is_empty() {
        return Preemption::NoCandidate(status::fit_error(all.len(), &statuses, None, ""));
    }
    let now = now_nanos();
    let best = pick(&candidates, now);
    let (node, victims) = candidates.swap_remove(best);
    let demoted = nominated
        .get(&node)
        .into_iter()
        .flatten()
        .filter(|p| p.priority < pod.priority && p.uid != pod.uid)
        .cloned()
        .collect();
    Preemption::Candidate {
        node,
        victims,
        demoted,
    }
}
