//! The CronJob controller: creates a Job named `<cronjob>-<minutes since the epoch>` at
//! each activation of the schedule (in `timeZone`), honouring `suspend`,
//! `startingDeadlineSeconds` and `concurrencyPolicy` (Allow, Forbid, Replace); keeps
//! `status.active`, `lastScheduleTime` and `lastSuccessfulTime`, and deletes finished
//! Jobs beyond the history limits (upstream `cronjob_controllerv2.go`).

#[path = "cronjob_jobs.rs"]
mod children;
#[path = "cronjob_schedule.rs"]
mod schedule;

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{Api, ListParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::watcher;
use kube::{Resource, ResourceExt};

use crate::context::{Context, Ctl, Error, drive};
use crate::job::status::find_condition;
use crate::statefulset::podstate::{controller_uid, is_conflict, publish};
use schedule::Schedule;

/// Upstream's `nextScheduleDelta`: wake a little after the activation.
const DELTA: Duration = Duration::from_millis(100);

pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let client = ctx.client.clone();
    let ctl = ctx.ctl("cronjob-controller");
    drive(
        Controller::new(
            Api::<CronJob>::all(client.clone()),
            watcher::Config::default(),
        )
        .owns(Api::<Job>::all(client), watcher::Config::default())
        .run(reconcile, error_policy, ctl),
        "cronjob",
    )
    .await;
    Ok(())
}

fn error_policy(_cj: Arc<CronJob>, err: &Error, _ctl: Arc<Ctl>) -> Action {
    tracing::debug!(error = %err, "cronjob sync failed; retrying");
    Action::requeue(Duration::from_secs(5))
}

/// The condition that finished a job: `Complete` or `Failed`.
fn finished_as(j: &Job) -> Option<&'static str> {
    let conds = j
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or(&[]);
    if find_condition(conds, "Complete").is_some() {
        Some("Complete")
    } else if find_condition(conds, "Failed").is_some() {
        Some("Failed")
    } else {
        None
    }
}

fn job_ref(j: &Job) -> ObjectReference {
    let mut r = j.object_ref(&());
    r.field_path = None;
    r
}

async fn reconcile(cached: Arc<CronJob>, ctl: Arc<Ctl>) -> Result<Action, Error> {
    let ns = cached.namespace().unwrap_or_default();
    let api: Api<CronJob> = Api::namespaced(ctl.client.clone(), &ns);
    let Some(cj) = api.get_opt(&cached.name_any()).await? else {
        return Ok(Action::await_change());
    };
    let uid = cj.metadata.uid.clone().unwrap_or_default();
    let jobs_api: Api<Job> = Api::namespaced(ctl.client.clone(), &ns);
    let jobs: Vec<Job> = jobs_api
        .list(&ListParams::default())
        .await?
        .items
        .into_iter()
        .filter(|j| controller_uid(&j.metadata) == Some(uid.as_str()))
        .collect();
    let cref = cj.object_ref(&());
    let mut st = cj.status.clone().unwrap_or_default();
    let mut active = st.active.take().unwrap_or_default();
    for j in &jobs {
        let in_active = active.iter().any(|r| r.uid == j.metadata.uid);
        match (in_active, finished_as(j)) {
            (false, None) => {
                let note = format!(
                    "Saw a job that the controller did not create or forgot: {}",
                    j.name_any()
                );
                publish(&ctl.recorder, &cref, true, "UnexpectedJob", note).await;
            }
            (true, Some(how)) => {
                active.retain(|r| r.uid != j.metadata.uid);
                let note = format!("Saw completed job: {}, status: {how}", j.name_any());
                publish(&ctl.recorder, &cref, false, "SawCompletedJob", note).await;
            }
            _ => {}
        }
        if finished_as(j) == Some("Complete")
            && let Some(done) = j.status.as_ref().and_then(|s| s.completion_time.clone())
            && st
                .last_successful_time
                .as_ref()
                .is_none_or(|t| t.0 < done.0)
        {
            st.last_successful_time = Some(done);
        }
    }
    // Active jobs that are gone for good.
    let mut kept = Vec::new();
    for r in active {
        let listed = jobs.iter().any(|j| j.metadata.uid == r.uid);
        let name = r.name.clone().unwrap_or_default();
        if listed || jobs_api.get_opt(&name).await?.is_some() {
            kept.push(r);
        } else {
            let note = format!("Active job went missing: {name}");
            publish(&ctl.recorder, &cref, false, "MissingJob", note).await;
        }
    }
    st.active = Some(kept);

    let result = schedule_next(&ctl, &cj, &mut st).await;
    children::write_status(&api, &cj, &st).await?;
    children::cleanup(&ctl, &cj, &jobs).await;
    result
}

/// Starts the job of the latest missed activation, if due; returns when to look again.
async fn schedule_next(
    ctl: &Ctl,
    cj: &CronJob,
    st: &mut k8s_openapi::api::batch::v1::CronJobStatus,
) -> Result<Action, Error> {
    let cref = cj.object_ref(&());
    let Some(spec) = cj
        .spec
        .as_ref()
        .filter(|_| cj.metadata.deletion_timestamp.is_none())
    else {
        return Ok(Action::await_change());
    };
    let zone = spec.time_zone.clone().unwrap_or_default();
    if let Err(e) = schedule::load_zone(&zone) {
        let note = format!("invalid timeZone: {zone:?}: {e}");
        publish(&ctl.recorder, &cref, true, "UnknownTimeZone", note).await;
        return Ok(Action::await_change());
    }
    if spec.suspend == Some(true) {
        return Ok(Action::await_change());
    }
    let sched = match Schedule::parse(&spec.schedule, &zone) {
        Ok(s) => s,
        Err(e) => {
            let note = format!("unparseable schedule: {:?} : {e}", spec.schedule);
            publish(&ctl.recorder, &cref, true, "UnparseableSchedule", note).await;
            return Ok(Action::await_change());
        }
    };
    let now = Timestamp::now();
    let wake = || {
        let at = sched
            .next(now)
            .unwrap_or(now + SignedDuration::from_hours(24));
        Action::requeue(Duration::try_from(at.duration_since(now)).unwrap_or_default() + DELTA)
    };
    let created = cj
        .metadata
        .creation_timestamp
        .as_ref()
        .map(|t| t.0)
        .unwrap_or(now);
    let mut earliest = st
        .last_schedule_time
        .as_ref()
        .map(|t| t.0)
        .unwrap_or(created);
    let deadline = spec
        .starting_deadline_seconds
        .map(SignedDuration::from_secs);
    if let Some(d) = deadline {
        earliest = earliest.max(now.checked_sub(d).unwrap_or(earliest));
    }
    let (scheduled, missed) = schedule::most_recent(&sched, earliest, now);
    if missed > 100 {
        let note = "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew".to_string();
        publish(&ctl.recorder, &cref, true, "TooManyMissedTimes", note).await;
    }
    let Some(scheduled) = scheduled else {
        return Ok(wake());
    };
    if let Some(d) = deadline
        && scheduled.checked_add(d).is_ok_and(|t| t < now)
    {
        let when = scheduled.strftime("%a, %d %b %Y %H:%M:%S %z");
        let note = format!("Missed scheduled time to start a job: {when}");
        publish(&ctl.recorder, &cref, true, "MissSchedule", note).await;
        return Ok(wake());
    }
    let name = format!("{}-{}", cj.name_any(), scheduled.as_second().div_euclid(60));
    let active = st.active.get_or_insert_with(Vec::new);
    if active.iter().any(|r| r.name.as_deref() == Some(&name))
        || st
            .last_schedule_time
            .as_ref()
            .is_some_and(|t| t.0 == scheduled)
    {
        return Ok(wake());
    }
    let policy = spec.concurrency_policy.as_deref().unwrap_or("Allow");
    if policy == "Forbid" && !active.is_empty() {
        let note =
            "Not starting job because prior execution is running and concurrency policy is Forbid"
                .to_string();
        publish(&ctl.recorder, &cref, false, "JobAlreadyActive", note).await;
        return Ok(wake());
    }
    let jobs_api: Api<Job> =
        Api::namespaced(ctl.client.clone(), &cj.namespace().unwrap_or_default());
    if policy == "Replace" {
        for r in std::mem::take(active) {
            let jname = r.name.clone().unwrap_or_default();
            if let Err(e) = children::delete_job(ctl, &jobs_api, &cref, &jname).await {
                active.push(r);
                return Err(e.into());
            }
        }
    }
    let job = children::job_from_template(cj, &name, scheduled, &zone);
    let created = match jobs_api.create(&PostParams::default(), &job).await {
        Ok(j) => {
            publish(
                &ctl.recorder,
                &cref,
                false,
                "SuccessfulCreate",
                format!("Created job {name}"),
            )
            .await;
            j
        }
        Err(e) if is_conflict(&e) => {
            let existing = jobs_api.get(&name).await?;
            if controller_uid(&existing.metadata) != cj.metadata.uid.as_deref()
                || active.iter().any(|r| r.uid == existing.metadata.uid)
            {
                return Ok(wake());
            }
            existing
        }
        Err(e) => {
            publish(
                &ctl.recorder,
                &cref,
                true,
                "FailedCreate",
                format!("Error creating job: {e}"),
            )
            .await;
            return Err(e.into());
        }
    };
    active.push(job_ref(&created));
    st.last_schedule_time = Some(Time(scheduled));
    Ok(wake())
}
