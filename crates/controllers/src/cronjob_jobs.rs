//! The Jobs a CronJob makes and keeps: the Job for an activation (named after it, with
//! the scheduled-timestamp annotation), the CronJob's status, and the removal of
//! finished Jobs beyond the history limits.

use k8s_openapi::api::batch::v1::{CronJob, CronJobStatus, Job};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams};
use kube::{Resource, ResourceExt};
use serde_json::{Value, json};

use super::{Ctl, finished_as, schedule};
use crate::context::Error;
use crate::job::status::is_finished;
use crate::statefulset::podstate::{self, controller_ref, is_not_found, publish};

const SCHEDULED_ANNOTATION: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";

/// `getJobFromTemplate2`.
pub(crate) fn job_from_template(cj: &CronJob, name: &str, scheduled: Timestamp, zone: &str) -> Job {
    let template = cj
        .spec
        .as_ref()
        .map(|s| s.job_template.clone())
        .unwrap_or_default();
    let tmeta = template.metadata.unwrap_or_default();
    let mut annotations = tmeta.annotations.unwrap_or_default();
    let tz = schedule::load_zone(zone).unwrap_or(k8s_openapi::jiff::tz::TimeZone::UTC);
    let z = scheduled.to_zoned(tz);
    let stamp = if z.offset().seconds() == 0 {
        z.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
    };
    annotations.insert(SCHEDULED_ANNOTATION.into(), stamp);
    Job {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: cj.metadata.namespace.clone(),
            labels: tmeta.labels,
            annotations: Some(annotations),
            owner_references: Some(vec![controller_ref(&cj.metadata, "batch/v1", "CronJob")]),
            ..Default::default()
        },
        spec: Some(template.spec.unwrap_or_default()),
        status: None,
    }
}

pub(crate) async fn write_status(
    api: &Api<CronJob>,
    cj: &CronJob,
    st: &CronJobStatus,
) -> Result<(), Error> {
    let active = st.active.as_ref().filter(|a| !a.is_empty());
    let new = json!({
        "active": active.map(|a| serde_json::to_value(a).unwrap_or(Value::Null)),
        "lastScheduleTime": st.last_schedule_time,
        "lastSuccessfulTime": st.last_successful_time,
    });
    let old = cj
        .status
        .as_ref()
        .and_then(|s| serde_json::to_value(s).ok());
    podstate::patch_status(api, &cj.name_any(), old.as_ref(), new).await?;
    Ok(())
}

/// Deletes the oldest finished jobs beyond `successfulJobsHistoryLimit` and
/// `failedJobsHistoryLimit` (best effort).
pub(crate) async fn cleanup(ctl: &Ctl, cj: &CronJob, jobs: &[Job]) {
    let Some(spec) = cj.spec.as_ref() else {
        return;
    };
    let api: Api<Job> = Api::namespaced(ctl.client.clone(), &cj.namespace().unwrap_or_default());
    let cref = cj.object_ref(&());
    for (how, limit) in [
        ("Complete", spec.successful_jobs_history_limit),
        ("Failed", spec.failed_jobs_history_limit),
    ] {
        let Some(limit) = limit else {
            continue;
        };
        let mut done: Vec<&Job> = jobs
            .iter()
            .filter(|j| is_finished(j) && finished_as(j) == Some(how))
            .collect();
        // Oldest first by start time (jobs without one last), then by name.
        done.sort_by(|a, b| {
            let start = |j: &Job| {
                j.status
                    .as_ref()
                    .and_then(|s| s.start_time.as_ref())
                    .map(|t| t.0)
            };
            match (start(a), start(b)) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
            .then_with(|| a.name_any().cmp(&b.name_any()))
        });
        let excess = done
            .len()
            .saturating_sub(usize::try_from(limit).unwrap_or(0));
        for j in done.into_iter().take(excess) {
            // A failure is an event already; the next sync tries again.
            let _ = delete_job(ctl, &api, &cref, &j.name_any()).await;
        }
    }
}

/// Deletes one of the CronJob's Jobs (background propagation) with upstream's events:
/// `SuccessfulDelete`, or `FailedDelete` and the error. A Job already gone is success.
pub(crate) async fn delete_job(
    ctl: &Ctl,
    api: &Api<Job>,
    cref: &k8s_openapi::api::core::v1::ObjectReference,
    name: &str,
) -> Result<(), kube::Error> {
    match api.delete(name, &DeleteParams::background()).await {
        Ok(_) => {
            let note = format!("Deleted job {name}");
            publish(&ctl.recorder, cref, false, "SuccessfulDelete", note).await;
            Ok(())
        }
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => {
            let note = format!("Deleted job: {e}");
            publish(&ctl.recorder, cref, true, "FailedDelete", note).await;
            Err(e)
        }
    }
}
