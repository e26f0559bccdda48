//! What one DaemonSet sync does, without I/O: `manage` puts exactly one pod on every
//! eligible node (removing failed pods, duplicates and pods on nodes they no longer
//! belong on); `rolling` replaces outdated pods within `maxUnavailable`, or with
//! `maxSurge` starts the new pod first and removes the old one once the new one is
//! available (upstream `daemon_controller.go` and `update.go`).

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::Timestamp;

use crate::statefulset::history::REVISION_HASH_LABEL;
use crate::statefulset::podstate::{is_available, is_ready, is_terminating, phase};

/// A node and the daemon pods that target it (oldest first).
pub(crate) struct NodePods<'a> {
    pub node: String,
    pub should_run: bool,
    pub should_continue: bool,
    pub pods: Vec<&'a Pod>,
}

/// Why a pod is deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Removal {
    /// It failed: upstream's FailedDaemonPod warning is recorded.
    Failed {
        node: String,
    },
    Surplus,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    pub create_on: Vec<String>,
    pub delete: Vec<(String, Removal)>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.create_on.is_empty() && self.delete.is_empty()
    }
}

fn name(p: &Pod) -> String {
    p.metadata.name.clone().unwrap_or_default()
}

pub(crate) fn is_updated(p: &Pod, hash: &str) -> bool {
    p.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(REVISION_HASH_LABEL))
        .is_some_and(|h| h == hash)
}

/// `GetScaledValueFromIntOrPercent(v, total, roundUp=true)`.
pub(crate) fn scaled(v: Option<&IntOrString>, total: i32, default: i32) -> i32 {
    match v {
        None => default,
        Some(IntOrString::Int(n)) => *n,
        Some(IntOrString::String(s)) => {
            let pct = s.trim_end_matches('%').parse::<i64>().unwrap_or(0);
            let n = (pct * i64::from(total) + 99) / 100;
            i32::try_from(n).unwrap_or(i32::MAX)
        }
    }
}

/// One pod per eligible node, nothing elsewhere.
pub(crate) fn manage(
    nodes: &[NodePods<'_>],
    hash: &str,
    surge: bool,
    min_ready: i32,
    now: Timestamp,
) -> Plan {
    let mut plan = Plan::default();
    for n in nodes {
        let exists = !n.pods.is_empty();
        if n.should_run && !exists {
            plan.create_on.push(n.node.clone());
        } else if n.should_continue {
            let mut running = Vec::new();
            for p in &n.pods {
                if is_terminating(p) {
                    continue;
                }
                if phase(p) == "Failed" {
                    plan.delete.push((
                        name(p),
                        Removal::Failed {
                            node: n.node.clone(),
                        },
                    ));
                    continue;
                }
                running.push(*p);
            }
            if !surge {
                for p in running.iter().skip(1) {
                    plan.delete.push((name(p), Removal::Surplus));
                }
                continue;
            }
            // With surge, an old and a new pod may coexist while the new one starts.
            let (mut oldest_new, mut oldest_old) = (None, None);
            for p in running {
                let slot = if is_updated(p, hash) {
                    &mut oldest_new
                } else {
                    &mut oldest_old
                };
                if slot.is_none() {
                    *slot = Some(p);
                } else {
                    plan.delete.push((name(p), Removal::Surplus));
                }
            }
            if let (Some(new), Some(old)) = (oldest_new, oldest_old)
                && (!is_ready(old) || is_available(new, min_ready, now))
            {
                plan.delete.push((name(old), Removal::Surplus));
            }
        } else if exists {
            for p in n.pods.iter().filter(|p| !is_terminating(p)) {
                plan.delete.push((name(p), Removal::Surplus));
            }
        }
    }
    plan
}

/// The node's live new and old pod; `None` when there is more than one of either.
fn new_and_old<'a>(n: &NodePods<'a>, hash: &str) -> Option<(Option<&'a Pod>, Option<&'a Pod>)> {
    let (mut new, mut old) = (None, None);
    for p in n.pods.iter().filter(|p| !is_terminating(p)) {
        let slot = if is_updated(p, hash) {
            &mut new
        } else {
            &mut old
        };
        if slot.is_some() {
            return None;
        }
        *slot = Some(*p);
    }
    Some((new, old))
}

/// The rolling update step.
pub(crate) fn rolling(
    nodes: &[NodePods<'_>],
    hash: &str,
    max_unavailable: i32,
    max_surge: i32,
    min_ready: i32,
    now: Timestamp,
) -> Plan {
    let avail = |p: &Pod| is_available(p, min_ready, now);
    let mut plan = Plan::default();
    if max_surge == 0 {
        let mut unavailable = 0;
        let (mut allowed, mut candidates) = (Vec::new(), Vec::new());
        for n in nodes {
            let Some((new, old)) = new_and_old(n, hash) else {
                unavailable += 1;
                continue;
            };
            match (new, old) {
                (None, None) => {}
                (Some(new), None) => unavailable += i32::from(!avail(new)),
                (_, Some(old)) if !avail(old) => {
                    allowed.push(name(old));
                    unavailable += 1;
                }
                (_, Some(_)) if unavailable >= max_unavailable => {}
                (_, Some(old)) => candidates.push(name(old)),
            }
        }
        let room = usize::try_from((max_unavailable - unavailable).max(0)).unwrap_or(0);
        for p in allowed.into_iter().chain(candidates.into_iter().take(room)) {
            plan.delete.push((p, Removal::Surplus));
        }
        return plan;
    }
    let mut surging = 0;
    let (mut allowed, mut candidates) = (Vec::new(), Vec::new());
    for n in nodes.iter().filter(|n| n.should_run) {
        let Some((new, old)) = new_and_old(n, hash) else {
            continue;
        };
        match (new, old) {
            (None, Some(old)) if !avail(old) => allowed.push(n.node.clone()),
            (None, Some(_)) if surging >= max_surge => {}
            (None, Some(_)) => candidates.push(n.node.clone()),
            (Some(new), Some(old)) => {
                if avail(new) {
                    plan.delete.push((name(old), Removal::Surplus));
                } else {
                    surging += 1;
                }
            }
            _ => {}
        }
    }
    let room = usize::try_from((max_surge - surging).max(0)).unwrap_or(0);
    plan.create_on = allowed
        .into_iter()
        .chain(candidates.into_iter().take(room))
        .collect();
    plan
}

#[cfg(test)]
#[path = "daemonset_update_tests.rs"]
mod tests;
