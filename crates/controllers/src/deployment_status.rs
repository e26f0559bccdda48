//! Deployment status and conditions (upstream `sync.go` calculateStatus, `progress.go`,
//! `checkPausedConditions`): what `kubectl rollout status` reads, with upstream's
//! reasons and messages.

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

use super::util::{
    max_unavailable, replicas, rs_available, rs_ready, rs_replicas, rs_status_replicas,
};

pub(crate) const AVAILABLE: &str = "Available";
pub(crate) const PROGRESSING: &str = "Progressing";
const REPLICA_FAILURE: &str = "ReplicaFailure";

pub(crate) const RS_UPDATED: &str = "ReplicaSetUpdated";
pub(crate) const FAILED_RS_CREATE: &str = "ReplicaSetCreateError";
pub(crate) const NEW_RS_CREATED: &str = "NewReplicaSetCreated";
pub(crate) const FOUND_NEW_RS: &str = "FoundNewReplicaSet";
pub(crate) const NEW_RS_AVAILABLE: &str = "NewReplicaSetAvailable";
pub(crate) const TIMED_OUT: &str = "ProgressDeadlineExceeded";
const PAUSED: &str = "DeploymentPaused";
const RESUMED: &str = "DeploymentResumed";
const MIN_AVAILABLE: &str = "MinimumReplicasAvailable";
const MIN_UNAVAILABLE: &str = "MinimumReplicasUnavailable";

/// `metav1.Now()` as it is serialized (whole seconds).
pub(crate) fn now() -> Timestamp {
    let t = Timestamp::now();
    Timestamp::from_second(t.as_second()).unwrap_or(t)
}

pub(crate) fn condition(
    type_: &str,
    status: &str,
    reason: &str,
    message: String,
    now: Timestamp,
) -> DeploymentCondition {
    DeploymentCondition {
        type_: type_.into(),
        status: status.into(),
        reason: Some(reason.into()),
        message: Some(message),
        last_update_time: Some(Time(now)),
        last_transition_time: Some(Time(now)),
    }
}

pub(crate) fn get_condition<'a>(
    st: &'a DeploymentStatus,
    type_: &str,
) -> Option<&'a DeploymentCondition> {
    st.conditions.iter().flatten().find(|c| c.type_ == type_)
}

pub(crate) fn remove_condition(st: &mut DeploymentStatus, type_: &str) {
    if let Some(c) = st.conditions.as_mut() {
        c.retain(|c| c.type_ != type_);
        if c.is_empty() {
            st.conditions = None;
        }
    }
}

/// `SetDeploymentCondition`: no change when status and reason are the same; the
/// transition time is kept while the status stays.
pub(crate) fn set_condition(st: &mut DeploymentStatus, mut c: DeploymentCondition) {
    if let Some(cur) = get_condition(st, &c.type_) {
        if cur.status == c.status && cur.reason == c.reason {
            return;
        }
        if cur.status == c.status {
            c.last_transition_time = cur.last_transition_time.clone();
        }
    }
    remove_condition(st, &c.type_);
    st.conditions.get_or_insert_with(Vec::new).push(c);
}

/// Go's `omitempty` of an int: zero is absent.
fn nz(n: i32) -> Option<i32> {
    (n != 0).then_some(n)
}

pub(crate) fn has_progress_deadline(d: &Deployment) -> bool {
    d.spec
        .as_ref()
        .and_then(|s| s.progress_deadline_seconds)
        .is_some_and(|p| p != i32::MAX)
}

/// `calculateStatus`: counts from the ReplicaSets' statuses and the Available condition.
pub(crate) fn calculate_status(
    all: &[&ReplicaSet],
    new: Option<&ReplicaSet>,
    d: &Deployment,
    now: Timestamp,
) -> DeploymentStatus {
    let available: i32 = all.iter().map(|rs| rs_available(rs)).sum();
    let total: i32 = all.iter().map(|rs| rs_replicas(rs)).sum();
    let old = d.status.clone().unwrap_or_default();
    let mut st = DeploymentStatus {
        observed_generation: d.metadata.generation.filter(|g| *g != 0),
        replicas: nz(all.iter().map(|rs| rs_status_replicas(rs)).sum()),
        updated_replicas: nz(new.map_or(0, rs_status_replicas)),
        ready_replicas: nz(all.iter().map(|rs| rs_ready(rs)).sum()),
        available_replicas: nz(available),
        unavailable_replicas: nz((total - available).max(0)),
        collision_count: old.collision_count,
        conditions: old.conditions.clone(),
        terminating_replicas: None,
    };
    if available >= replicas(d) - max_unavailable(d) {
        let msg = "Deployment has minimum availability.".to_string();
        set_condition(
            &mut st,
            condition(AVAILABLE, "True", MIN_AVAILABLE, msg, now),
        );
    } else {
        let msg = "Deployment does not have minimum availability.".to_string();
        set_condition(
            &mut st,
            condition(AVAILABLE, "False", MIN_UNAVAILABLE, msg, now),
        );
    }
    st
}

/// `DeploymentComplete`: every desired replica updated and available, no old ones.
pub(crate) fn deployment_complete(d: &Deployment, st: &DeploymentStatus) -> bool {
    let want = replicas(d);
    st.updated_replicas.unwrap_or(0) == want
        && st.replicas.unwrap_or(0) == want
        && st.available_replicas.unwrap_or(0) == want
        && st.observed_generation.unwrap_or(0) >= d.metadata.generation.unwrap_or(0)
}

/// `DeploymentProgressing`: more updated/ready/available pods or fewer old ones.
fn deployment_progressing(d: &Deployment, st: &DeploymentStatus) -> bool {
    let old = d.status.clone().unwrap_or_default();
    let z = |v: Option<i32>| v.unwrap_or(0);
    let old_old = z(old.replicas) - z(old.updated_replicas);
    let new_old = z(st.replicas) - z(st.updated_replicas);
    z(st.updated_replicas) > z(old.updated_replicas)
        || new_old < old_old
        || z(st.ready_replicas) > z(old.ready_replicas)
        || z(st.available_replicas) > z(old.available_replicas)
}

fn deadline(d: &Deployment) -> i64 {
    d.spec
        .as_ref()
        .and_then(|s| s.progress_deadline_seconds)
        .map_or(0, i64::from)
}

/// `DeploymentTimedOut`: no progress reported within `progressDeadlineSeconds`.
fn deployment_timed_out(d: &Deployment, st: &DeploymentStatus, now: Timestamp) -> bool {
    if !has_progress_deadline(d) {
        return false;
    }
    let Some(c) = get_condition(st, PROGRESSING) else {
        return false;
    };
    match c.reason.as_deref() {
        Some(NEW_RS_AVAILABLE) => false,
        Some(TIMED_OUT) => true,
        _ => c
            .last_update_time
            .as_ref()
            .is_some_and(|t| t.0.as_second() + deadline(d) < now.as_second()),
    }
}

fn rs_name(rs: Option<&ReplicaSet>) -> Option<&str> {
    rs.and_then(|r| r.metadata.name.as_deref())
}

/// The status `syncRolloutStatus` writes: counts, Progressing (complete, progressing,
/// timed out) and ReplicaFailure promoted from the ReplicaSets.
pub(crate) fn rollout_status(
    all: &[&ReplicaSet],
    new: Option<&ReplicaSet>,
    d: &Deployment,
    now: Timestamp,
) -> DeploymentStatus {
    let mut st = calculate_status(all, new, d, now);
    if !has_progress_deadline(d) {
        remove_condition(&mut st, PROGRESSING);
    }
    let cur = d
        .status
        .as_ref()
        .and_then(|s| get_condition(s, PROGRESSING))
        .cloned();
    let complete_before = st.replicas == st.updated_replicas
        && cur.as_ref().and_then(|c| c.reason.as_deref()) == Some(NEW_RS_AVAILABLE);
    let name = d.metadata.name.clone().unwrap_or_default();
    let subject = match rs_name(new) {
        Some(rs) => format!("ReplicaSet \"{rs}\""),
        None => format!("Deployment \"{name}\""),
    };
    if has_progress_deadline(d) && !complete_before {
        if deployment_complete(d, &st) {
            let msg = format!("{subject} has successfully progressed.");
            set_condition(
                &mut st,
                condition(PROGRESSING, "True", NEW_RS_AVAILABLE, msg, now),
            );
        } else if deployment_progressing(d, &st) {
            let msg = format!("{subject} is progressing.");
            let mut c = condition(PROGRESSING, "True", RS_UPDATED, msg, now);
            if let Some(cur) = &cur {
                if cur.status == "True" {
                    c.last_transition_time = cur.last_transition_time.clone();
                }
                remove_condition(&mut st, PROGRESSING);
            }
            set_condition(&mut st, c);
        } else if deployment_timed_out(d, &st, now) {
            let msg = format!("{subject} has timed out progressing.");
            set_condition(
                &mut st,
                condition(PROGRESSING, "False", TIMED_OUT, msg, now),
            );
        }
    }
    match replica_failure(all, new) {
        Some(c) => set_condition(&mut st, c),
        None => remove_condition(&mut st, REPLICA_FAILURE),
    }
    st
}

/// The first ReplicaFailure condition, of the new ReplicaSet before the old ones.
fn replica_failure(all: &[&ReplicaSet], new: Option<&ReplicaSet>) -> Option<DeploymentCondition> {
    new.into_iter()
        .chain(all.iter().copied())
        .flat_map(|rs| rs.status.iter().flat_map(|s| s.conditions.iter().flatten()))
        .find(|c| c.type_ == REPLICA_FAILURE)
        .map(|c| DeploymentCondition {
            type_: c.type_.clone(),
            status: c.status.clone(),
            reason: c.reason.clone(),
            message: c.message.clone(),
            last_update_time: c.last_transition_time.clone(),
            last_transition_time: c.last_transition_time.clone(),
        })
}

/// `requeueStuckDeployment`: when to look again for a deadline check, if ever.
pub(crate) fn requeue_stuck(
    d: &Deployment,
    st: &DeploymentStatus,
    now: Timestamp,
) -> Option<Duration> {
    let cur = d
        .status
        .as_ref()
        .and_then(|s| get_condition(s, PROGRESSING))?;
    if !has_progress_deadline(d)
        || deployment_complete(d, st)
        || cur.reason.as_deref() == Some(TIMED_OUT)
    {
        return None;
    }
    let from = cur.last_update_time.as_ref()?.0.as_second();
    let after = from + deadline(d) - now.as_second();
    Some(Duration::from_secs(
        u64::try_from(after.max(0)).unwrap_or(0) + 1,
    ))
}

/// `checkPausedConditions`: a Progressing=Unknown condition while paused (and when
/// resumed) so that pausing never counts against the deadline. True when changed.
pub(crate) fn paused_conditions(d: &mut Deployment, now: Timestamp) -> bool {
    if !has_progress_deadline(d) {
        return false;
    }
    let paused = d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false);
    let st = d.status.get_or_insert_with(Default::default);
    let reason = get_condition(st, PROGRESSING).and_then(|c| c.reason.clone());
    if reason.as_deref() == Some(TIMED_OUT) {
        return false;
    }
    let paused_cond = reason.as_deref() == Some(PAUSED);
    if paused && !paused_cond {
        set_condition(
            st,
            condition(
                PROGRESSING,
                "Unknown",
                PAUSED,
                "Deployment is paused".into(),
                now,
            ),
        );
        true
    } else if !paused && paused_cond {
        set_condition(
            st,
            condition(
                PROGRESSING,
                "Unknown",
                RESUMED,
                "Deployment is resumed".into(),
                now,
            ),
        );
        true
    } else {
        false
    }
}
