//! What one StatefulSet sync does, decided without I/O (upstream
//! `stateful_set_control.go`): fill missing ordinals (one at a time under OrderedReady,
//! waiting for each pod to be Running and Ready; all at once under Parallel), replace
//! failed pods, remove condemned ordinals highest first, then roll pods at or above the
//! partition onto the update revision, highest ordinal first, one at a time.

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;

use super::history::REVISION_HASH_LABEL;
use super::pods::ordinal_of;
use super::podstate::{is_available, is_finished, is_ready, is_terminating, phase};

/// One action of a sync, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Create the pod (and its claims) for `ordinal`, at the current revision when
    /// `current`, else at the update revision.
    Create { ordinal: i32, current: bool },
    /// The pod is Pending: make sure its claims exist.
    EnsureClaims { ordinal: i32 },
    /// Delete a pod that failed or succeeded; it is recreated on a later sync.
    RecreateFailed { name: String },
    /// Delete a pod: a condemned ordinal (scale down) or an outdated one (update).
    Delete {
        name: String,
        ordinal: i32,
        condemned: bool,
    },
}

/// What the planner needs to know about the set.
pub(crate) struct Input<'a> {
    pub set_name: &'a str,
    pub replicas: i32,
    pub start: i32,
    /// OrderedReady (true) or Parallel.
    pub monotonic: bool,
    /// RollingUpdate (true) or OnDelete.
    pub rolling: bool,
    pub partition: i32,
    pub min_ready_seconds: i32,
    pub update_revision: &'a str,
    pub now: Timestamp,
}

pub(crate) fn revision_of(p: &Pod) -> &str {
    p.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(REVISION_HASH_LABEL))
        .map(String::as_str)
        .unwrap_or("")
}

fn running_ready(p: &Pod) -> bool {
    phase(p) == "Running" && is_ready(p)
}

fn healthy(p: &Pod) -> bool {
    running_ready(p) && !is_terminating(p)
}

fn name(p: &Pod) -> String {
    p.metadata.name.clone().unwrap_or_default()
}

/// The steps of one sync over the set's pods.
pub(crate) fn plan(i: &Input<'_>, pods: &[Pod]) -> Vec<Step> {
    let n = usize::try_from(i.replicas.max(0)).unwrap_or(0);
    let mut slots: Vec<Option<&Pod>> = vec![None; n];
    let mut condemned: Vec<(i32, &Pod)> = Vec::new();
    for p in pods {
        let Some(ord) = ordinal_of(i.set_name, p.metadata.name.as_deref().unwrap_or("")) else {
            continue;
        };
        match usize::try_from(ord - i.start).ok().filter(|ix| *ix < n) {
            Some(ix) => slots[ix] = Some(p),
            None => condemned.push((ord, p)),
        }
    }
    condemned.sort_by_key(|c| std::cmp::Reverse(c.0));
    let first_unhealthy: Option<String> = slots
        .iter()
        .flatten()
        .copied()
        .chain(condemned.iter().rev().map(|(_, p)| *p))
        .find(|p| !healthy(p))
        .map(name);
    let mut steps = Vec::new();
    let available = |p: &Pod| is_available(p, i.min_ready_seconds, i.now);

    for (ix, slot) in slots.iter().enumerate() {
        let ordinal = i.start + i32::try_from(ix).unwrap_or(0);
        let Some(p) = slot else {
            steps.push(Step::Create {
                ordinal,
                current: i.rolling && (ix as i64) < i64::from(i.partition),
            });
            if i.monotonic {
                return steps;
            }
            continue;
        };
        if is_finished(p) {
            if !is_terminating(p) {
                steps.push(Step::RecreateFailed { name: name(p) });
            }
            if i.monotonic {
                return steps;
            }
            continue;
        }
        if phase(p) == "Pending" {
            steps.push(Step::EnsureClaims { ordinal });
        }
        if i.monotonic && (is_terminating(p) || !running_ready(p) || !available(p)) {
            return steps;
        }
    }

    for (ordinal, p) in &condemned {
        if is_terminating(p) {
            if i.monotonic {
                return steps;
            }
            continue;
        }
        let first = first_unhealthy.as_deref() == p.metadata.name.as_deref();
        if i.monotonic && (!running_ready(p) || !available(p)) && !first {
            return steps;
        }
        steps.push(Step::Delete {
            name: name(p),
            ordinal: *ordinal,
            condemned: true,
        });
        if i.monotonic {
            return steps;
        }
    }

    if !i.rolling {
        return steps;
    }
    let min = usize::try_from(i.partition.max(0)).unwrap_or(0);
    for ix in (min..n).rev() {
        let Some(p) = slots[ix] else {
            // Just created (Parallel): not healthy yet, wait for it.
            return steps;
        };
        if revision_of(p) != i.update_revision && !is_terminating(p) {
            steps.push(Step::Delete {
                name: name(p),
                ordinal: i.start + i32::try_from(ix).unwrap_or(0),
                condemned: false,
            });
            return steps;
        }
        if !healthy(p) {
            return steps;
        }
    }
    steps
}

/// The counters of `status` (upstream counts every pod of the set).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    pub replicas: i32,
    pub ready: i32,
    pub available: i32,
    pub current: i32,
    pub updated: i32,
}

pub(crate) fn counts(
    pods: &[Pod],
    current_revision: &str,
    update_revision: &str,
    min_ready_seconds: i32,
    now: Timestamp,
) -> Counts {
    let mut c = Counts::default();
    for p in pods {
        c.replicas += 1;
        if running_ready(p) {
            c.ready += 1;
            if is_available(p, min_ready_seconds, now) {
                c.available += 1;
            }
        }
        if !phase(p).is_empty() && !is_terminating(p) {
            if revision_of(p) == current_revision {
                c.current += 1;
            }
            if revision_of(p) == update_revision {
                c.updated += 1;
            }
        }
    }
    c
}

#[cfg(test)]
#[path = "statefulset_plan_tests.rs"]
mod tests;
