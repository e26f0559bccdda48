//! Exactly-once counting of finished Job pods (upstream
//! `trackJobStatusAndRemoveFinalizers`): a finished pod's uid is first written to
//! `status.uncountedTerminatedPods`, then its `batch.kubernetes.io/job-tracking`
//! finalizer is removed, then the uid moves into the `succeeded`/`failed` counters. The
//! terminal condition (Complete or Failed) follows its interim one (SuccessCriteriaMet or
//! FailureTarget) once nothing is left uncounted and no pod is terminating. Status is
//! written with the object's resourceVersion, so a stale view can never double-count.

use std::collections::{BTreeSet, HashSet};

use k8s_openapi::api::batch::v1::{Job, JobStatus, UncountedTerminatedPods};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Resource, ResourceExt};
use serde_json::json;

use super::Ctl;
use super::status::{
    TRACKING_FINALIZER, completions, ensure_condition, find_condition, format_intervals,
    has_finalizer, is_indexed, is_pod_failed, valid_index,
};
use crate::context::Error;
use crate::statefulset::podstate::{is_not_found, phase, publish};

/// The interim condition reached this sync, if any: (type, reason, message).
pub(crate) type Finish = Option<(&'static str, String, String)>;

fn uid(p: &Pod) -> String {
    p.metadata.uid.clone().unwrap_or_default()
}

/// Moves uncounted uids whose pods no longer carry the finalizer into the counters.
fn clean_uncounted(st: &mut JobStatus, with_finalizer: &HashSet<String>) {
    let unc = st
        .uncounted_terminated_pods
        .get_or_insert_with(Default::default);
    let (succ, fail) = (
        unc.succeeded.take().unwrap_or_default(),
        unc.failed.take().unwrap_or_default(),
    );
    let (keep_s, done_s): (Vec<String>, Vec<String>) =
        succ.into_iter().partition(|u| with_finalizer.contains(u));
    let (keep_f, done_f): (Vec<String>, Vec<String>) =
        fail.into_iter().partition(|u| with_finalizer.contains(u));
    unc.succeeded = (!keep_s.is_empty()).then_some(keep_s);
    unc.failed = (!keep_f.is_empty()).then_some(keep_f);
    let add = |v: Option<i32>, n: usize| {
        let total = v.unwrap_or(0) + i32::try_from(n).unwrap_or(i32::MAX);
        (total != 0).then_some(total)
    };
    // Indexed Jobs never list succeeded uids: they count indexes.
    st.succeeded = add(st.succeeded, done_s.len());
    st.failed = add(st.failed, done_f.len());
}

/// Writes `st` if it differs from what `job` holds; returns the stored job.
async fn flush(ctl: &Ctl, job: Job, st: &JobStatus) -> Result<Job, Error> {
    if job.status.as_ref() == Some(st) {
        return Ok(job);
    }
    let api: Api<Job> = Api::namespaced(ctl.client.clone(), &job.namespace().unwrap_or_default());
    let mut next = job.clone();
    next.status = Some(st.clone());
    Ok(api
        .replace_status(&job.name_any(), &PostParams::default(), &next)
        .await?)
}

async fn remove_finalizer(api: &Api<Pod>, p: &Pod) -> Result<(), Error> {
    let patch = json!({"metadata": {"$deleteFromPrimitiveList/finalizers": [TRACKING_FINALIZER]}});
    match api
        .patch(
            &p.name_any(),
            &PatchParams::default(),
            &Patch::Strategic(patch),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Counts finished pods, removes their finalizers and records the job's end.
pub(crate) async fn track(
    ctl: &Ctl,
    job: Job,
    mut st: JobStatus,
    pods: &[Pod],
    finish: Finish,
    mut succeeded_ix: BTreeSet<i32>,
    now: Timestamp,
) -> Result<(), Error> {
    let indexed = is_indexed(&job);
    let mut with_finalizer: HashSet<String> =
        pods.iter().filter(|p| has_finalizer(p)).map(uid).collect();
    clean_uncounted(&mut st, &with_finalizer);
    let unc = st.uncounted_terminated_pods.clone().unwrap_or_default();
    let mut unc_succ = unc.succeeded.unwrap_or_default();
    let mut unc_fail = unc.failed.unwrap_or_default();
    let deleting = job.metadata.deletion_timestamp.is_some();
    let failing = finish.as_ref().is_some_and(|f| f.0 != "SuccessCriteriaMet");
    let mut to_release: Vec<&Pod> = Vec::new();
    for p in pods.iter().filter(|p| has_finalizer(p)) {
        let failed = is_pod_failed(p, &job);
        let succeeded = phase(p) == "Succeeded";
        if !(deleting || finish.is_some() || succeeded || failed) {
            continue;
        }
        to_release.push(p);
        let u = uid(p);
        if succeeded && !unc_fail.contains(&u) {
            if indexed {
                if let Some(ix) = valid_index(&job, p) {
                    succeeded_ix.insert(ix);
                }
            } else if !unc_succ.contains(&u) {
                unc_succ.push(u);
            }
        } else if (failed || failing)
            && !unc_fail.contains(&u)
            && (!indexed || valid_index(&job, p).is_some())
        {
            unc_fail.push(u);
        }
        if unc_succ.len() + unc_fail.len() >= 500 {
            break;
        }
    }
    st.uncounted_terminated_pods = Some(UncountedTerminatedPods {
        succeeded: (!unc_succ.is_empty()).then_some(unc_succ),
        failed: (!unc_fail.is_empty()).then_some(unc_fail),
    });
    if indexed {
        st.completed_indexes = Some(format_intervals(&succeeded_ix));
        let n = i32::try_from(succeeded_ix.len()).unwrap_or(i32::MAX);
        st.succeeded = (n != 0).then_some(n);
    }
    // The interim condition goes in before any finalizer is removed.
    let mut conds = st.conditions.take().unwrap_or_default();
    let final_cond = finish.map(|(kind, reason, message)| {
        if find_condition(&conds, kind).is_none() {
            conds.push(super::status::new_condition(
                kind, "True", &reason, &message, now,
            ));
        }
        let terminal = if kind == "SuccessCriteriaMet" {
            "Complete"
        } else {
            "Failed"
        };
        (terminal, reason, message)
    });
    st.conditions = (!conds.is_empty()).then_some(conds);
    let job = flush(ctl, job, &st).await?;

    let pods_api: Api<Pod> =
        Api::namespaced(ctl.client.clone(), &job.namespace().unwrap_or_default());
    let results =
        futures::future::join_all(to_release.iter().map(|p| remove_finalizer(&pods_api, p))).await;
    let mut first_err = None;
    for (p, r) in to_release.iter().zip(results) {
        match r {
            Ok(()) => {
                with_finalizer.remove(&uid(p));
            }
            Err(e) => first_err = first_err.or(Some(e)),
        }
    }
    clean_uncounted(&mut st, &with_finalizer);
    let unc_empty = st
        .uncounted_terminated_pods
        .as_ref()
        .is_none_or(|u| u.succeeded.is_none() && u.failed.is_none());
    let mut finished = None;
    if let Some((terminal, reason, message)) = final_cond
        && unc_empty
        && first_err.is_none()
        && st.terminating.unwrap_or(0) == 0
    {
        let mut conds = st.conditions.take().unwrap_or_default();
        ensure_condition(&mut conds, terminal, "True", &reason, &message, now);
        st.conditions = Some(conds);
        if terminal == "Complete" {
            st.completion_time = Some(Time(now));
        }
        finished = Some((terminal, reason, message));
    }
    let job = flush(ctl, job, &st).await?;
    if let Some(e) = first_err {
        return Err(e);
    }
    if let Some((terminal, reason, message)) = finished {
        let r = job.object_ref(&());
        if terminal == "Complete" {
            if completions(&job).is_some_and(|c| st.succeeded.unwrap_or(0) > c) {
                let note =
                    "Too many succeeded pods running after completion count reached".to_string();
                publish(&ctl.recorder, &r, true, "TooManySucceededPods", note).await;
            }
            publish(
                &ctl.recorder,
                &r,
                false,
                "Completed",
                "Job completed".into(),
            )
            .await;
        } else {
            publish(&ctl.recorder, &r, true, &reason, message).await;
        }
    }
    Ok(())
}
