//! What the Job controller reads off pods and writes into `status`, without I/O: which
//! pods count as failed, completion indexes and their interval form (`"0-2,4"`),
//! conditions with upstream's reasons and messages, and the pod-failure back-off.

use std::collections::BTreeSet;
use std::time::Duration;

use k8s_openapi::api::batch::v1::{Job, JobCondition};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::{SignedDuration, Timestamp};

use crate::statefulset::podstate::{is_terminating, phase};

/// Keeps a finished pod around until the controller has counted it.
pub(crate) const TRACKING_FINALIZER: &str = "batch.kubernetes.io/job-tracking";
/// Annotation and label holding an Indexed Job pod's index.
pub(crate) const INDEX_KEY: &str = "batch.kubernetes.io/job-completion-index";

pub(crate) const REASON_COMPLETIONS: &str = "CompletionsReached";
pub(crate) const MSG_COMPLETIONS: &str = "Reached expected number of succeeded pods";
pub(crate) const REASON_BACKOFF: &str = "BackoffLimitExceeded";
pub(crate) const MSG_BACKOFF: &str = "Job has reached the specified backoff limit";
pub(crate) const REASON_DEADLINE: &str = "DeadlineExceeded";
pub(crate) const MSG_DEADLINE: &str = "Job was active longer than specified deadline";

/// Upstream's `DefaultJobPodFailureBackOff` and `MaxJobPodFailureBackOff`.
const BACKOFF_BASE: Duration = Duration::from_secs(10);
const BACKOFF_MAX: Duration = Duration::from_secs(600);

pub(crate) fn has_finalizer(p: &Pod) -> bool {
    p.metadata
        .finalizers
        .as_ref()
        .is_some_and(|f| f.iter().any(|f| f == TRACKING_FINALIZER))
}

pub(crate) fn is_indexed(job: &Job) -> bool {
    job.spec.as_ref().and_then(|s| s.completion_mode.as_deref()) == Some("Indexed")
}

pub(crate) fn completions(job: &Job) -> Option<i32> {
    job.spec.as_ref().and_then(|s| s.completions)
}

pub(crate) fn is_suspended(job: &Job) -> bool {
    job.spec.as_ref().and_then(|s| s.suspend) == Some(true)
}

/// `podReplacementPolicy: Failed` (or a pod failure policy): terminating pods are not
/// replaced until they have failed.
pub(crate) fn only_replace_failed(job: &Job) -> bool {
    let spec = job.spec.as_ref();
    spec.and_then(|s| s.pod_replacement_policy.as_deref()) == Some("Failed")
        || spec.is_some_and(|s| s.pod_failure_policy.is_some())
}

/// `isPodFailed`: failed, or deleted before it could succeed.
pub(crate) fn is_pod_failed(p: &Pod, job: &Job) -> bool {
    if phase(p) == "Failed" {
        return true;
    }
    !only_replace_failed(job) && is_terminating(p) && phase(p) != "Succeeded"
}

/// The completion index of a pod (from its annotation, else its label).
pub(crate) fn completion_index(p: &Pod) -> Option<i32> {
    let from = |m: &Option<std::collections::BTreeMap<String, String>>| {
        m.as_ref()?
            .get(INDEX_KEY)?
            .parse::<i32>()
            .ok()
            .filter(|i| *i >= 0)
    };
    from(&p.metadata.annotations).or_else(|| from(&p.metadata.labels))
}

/// An index that belongs to the job (`0 <= ix < completions`).
pub(crate) fn valid_index(job: &Job, p: &Pod) -> Option<i32> {
    completion_index(p).filter(|ix| *ix < completions(job).unwrap_or(0))
}

/// Parses `"1,3-5"` into indexes below `limit`.
pub(crate) fn parse_intervals(s: &str, limit: i32) -> BTreeSet<i32> {
    let mut out = BTreeSet::new();
    for part in s.split(',').filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        if let (Ok(a), Ok(b)) = (a.parse::<i32>(), b.parse::<i32>()) {
            out.extend((a.max(0)..=b.min(limit.saturating_sub(1))).take(1_000_000));
        }
    }
    out
}

/// Formats indexes as `"1,3-5"`.
pub(crate) fn format_intervals(set: &BTreeSet<i32>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut it = set.iter().copied().peekable();
    while let Some(start) = it.next() {
        let mut end = start;
        while it.peek() == Some(&(end + 1)) {
            end += 1;
            it.next();
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
    }
    parts.join(",")
}

pub(crate) fn find_condition<'a>(
    conds: &'a [JobCondition],
    type_: &str,
) -> Option<&'a JobCondition> {
    conds
        .iter()
        .find(|c| c.type_ == type_ && c.status == "True")
}

pub(crate) fn new_condition(
    type_: &str,
    status: &str,
    reason: &str,
    message: &str,
    now: Timestamp,
) -> JobCondition {
    JobCondition {
        type_: type_.into(),
        status: status.into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
        last_probe_time: Some(Time(now)),
        last_transition_time: Some(Time(now)),
    }
}

/// `ensureJobConditionStatus`: sets or adds the condition; a False condition that did
/// not exist is not added. Returns whether anything changed.
pub(crate) fn ensure_condition(
    conds: &mut Vec<JobCondition>,
    type_: &str,
    status: &str,
    reason: &str,
    message: &str,
    now: Timestamp,
) -> bool {
    if let Some(c) = conds.iter_mut().find(|c| c.type_ == type_) {
        if c.status != status
            || c.reason.as_deref() != Some(reason)
            || c.message.as_deref() != Some(message)
        {
            *c = new_condition(type_, status, reason, message, now);
            return true;
        }
        return false;
    }
    if status != "False" {
        conds.push(new_condition(type_, status, reason, message, now));
        return true;
    }
    false
}

/// Whether the job carries a final Complete or Failed condition.
pub(crate) fn is_finished(job: &Job) -> bool {
    let conds = job
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or(&[]);
    find_condition(conds, "Complete").is_some() || find_condition(conds, "Failed").is_some()
}

/// When the job finished (completion time, else the final condition's time).
pub(crate) fn finish_time(job: &Job) -> Option<Timestamp> {
    let st = job.status.as_ref()?;
    if let Some(t) = &st.completion_time {
        return Some(t.0);
    }
    let conds = st.conditions.as_deref().unwrap_or(&[]);
    find_condition(conds, "Complete")
        .or_else(|| find_condition(conds, "Failed"))
        .and_then(|c| c.last_transition_time.as_ref().map(|t| t.0))
}

/// With `restartPolicy: OnFailure`, container restarts count against the back-off limit.
pub(crate) fn past_backoff_limit_on_failure(job: &Job, pods: &[Pod]) -> bool {
    let Some(spec) = job.spec.as_ref() else {
        return false;
    };
    let on_failure = spec
        .template
        .spec
        .as_ref()
        .and_then(|s| s.restart_policy.as_deref())
        == Some("OnFailure");
    if !on_failure {
        return false;
    }
    let restarts: i32 = pods
        .iter()
        .filter(|p| matches!(phase(p), "Running" | "Pending"))
        .filter_map(|p| p.status.as_ref())
        .flat_map(|s| {
            s.init_container_statuses
                .iter()
                .flatten()
                .chain(s.container_statuses.iter().flatten())
        })
        .map(|c| c.restart_count)
        .sum();
    let limit = spec.backoff_limit.unwrap_or(6);
    if limit == 0 {
        restarts > 0
    } else {
        restarts >= limit
    }
}

/// Consecutive pod failures since the last success, for the creation back-off.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backoff {
    pub failures: u32,
    pub last_failure: Option<Timestamp>,
}

impl Backoff {
    /// Folds in newly counted pods.
    pub fn record(self, new_succeeded: usize, new_failed: usize, now: Timestamp) -> Backoff {
        if new_succeeded > 0 {
            return Backoff {
                failures: 0,
                last_failure: self.last_failure,
            };
        }
        if new_failed == 0 {
            return self;
        }
        Backoff {
            failures: self.failures + u32::try_from(new_failed).unwrap_or(u32::MAX),
            last_failure: Some(now),
        }
    }

    /// How long pod creation must still wait: 10 s doubling per failure, at most 10 min.
    pub fn remaining(&self, now: Timestamp) -> Duration {
        let (Some(last), n) = (self.last_failure, self.failures) else {
            return Duration::ZERO;
        };
        if n == 0 {
            return Duration::ZERO;
        }
        let delay = BACKOFF_BASE
            .checked_mul(1u32 << (n - 1).min(16))
            .unwrap_or(BACKOFF_MAX)
            .min(BACKOFF_MAX);
        let elapsed = now.duration_since(last);
        let left = SignedDuration::try_from(delay).unwrap_or(SignedDuration::ZERO) - elapsed;
        Duration::try_from(left).unwrap_or(Duration::ZERO)
    }
}

#[cfg(test)]
#[path = "job_status_tests.rs"]
mod tests;
