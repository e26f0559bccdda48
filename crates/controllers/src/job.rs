//! The Job controller: runs pods until `completions` succeed (`parallelism` at a time,
//! NonIndexed or Indexed), replaces failed pods with an exponential back-off until
//! `backoffLimit`, enforces `activeDeadlineSeconds`, honours `suspend`, tracks pods with
//! the `batch.kubernetes.io/job-tracking` finalizer, writes the conditions `kubectl wait
//! --for=condition=complete` reads, and deletes finished Jobs after
//! `ttlSecondsAfterFinished` (upstream's TTL-after-finished controller).

#[path = "job_manage.rs"]
mod manage;
#[path = "job_pods.rs"]
mod pods;
#[path = "job_status.rs"]
pub(crate) mod status;
#[path = "job_track.rs"]
mod track;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{Api, DeleteParams, Preconditions};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::Recorder;
use kube::runtime::watcher;
use kube::{Resource, ResourceExt};

use crate::context::{Context, Error, drive};
use crate::statefulset::podstate::{
    self, is_finished as pod_finished, is_not_found, is_ready, is_terminating, phase, publish,
};
use status::Backoff;

const RESYNC: Duration = Duration::from_secs(300);

pub(crate) struct Ctl {
    client: kube::Client,
    recorder: Recorder,
    /// Pod-failure back-off per job uid (in memory, as upstream's).
    backoff: Mutex<HashMap<String, Backoff>>,
}

pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let client = ctx.client.clone();
    let ctl = Arc::new(Ctl {
        client: client.clone(),
        recorder: ctx.recorder_for("job-controller"),
        backoff: Mutex::new(HashMap::new()),
    });
    let controller = Controller::new(Api::<Job>::all(client.clone()), watcher::Config::default())
        .owns(Api::<Pod>::all(client), watcher::Config::default())
        .run(reconcile, error_policy, ctl.clone());
    let controller = drive(controller, "job");
    tokio::select! {
        () = controller => Ok(()),
        r = manage::sweep_orphans(ctl) => r,
    }
}

fn error_policy(_job: Arc<Job>, err: &Error, _ctl: Arc<Ctl>) -> Action {
    tracing::debug!(error = %err, "job sync failed; retrying");
    Action::requeue(Duration::from_secs(1))
}

impl Ctl {
    fn backoff_of(&self, uid: &str) -> Backoff {
        self.backoff
            .lock()
            .map(|m| m.get(uid).copied().unwrap_or_default())
            .unwrap_or_default()
    }
    fn set_backoff(&self, uid: &str, b: Option<Backoff>) {
        if let Ok(mut m) = self.backoff.lock() {
            match b {
                Some(b) => m.insert(uid.to_string(), b),
                None => m.remove(uid),
            };
        }
    }
}

async fn reconcile(cached: Arc<Job>, ctl: Arc<Ctl>) -> Result<Action, Error> {
    let ns = cached.namespace().unwrap_or_default();
    let api: Api<Job> = Api::namespaced(ctl.client.clone(), &ns);
    // Work from the stored object, never from a cache that may lag our own writes.
    let Some(job) = api.get_opt(&cached.name_any()).await? else {
        ctl.set_backoff(cached.metadata.uid.as_deref().unwrap_or(""), None);
        return Ok(Action::await_change());
    };
    let uid = job.metadata.uid.clone().unwrap_or_default();
    if Some(&uid) != cached.metadata.uid.as_ref() {
        return Ok(Action::await_change());
    }
    if status::is_finished(&job) {
        ctl.set_backoff(&uid, None);
        return expire(&ctl, &job).await;
    }
    let selector = job
        .spec
        .as_ref()
        .and_then(|s| s.selector.clone())
        .unwrap_or_default();
    let pods = podstate::owned_pods(&ctl.client, &ns, &selector, &uid).await?;
    sync(&ctl, job, pods).await
}

/// Deletes a finished job once `ttlSecondsAfterFinished` has passed.
async fn expire(ctl: &Ctl, job: &Job) -> Result<Action, Error> {
    let ttl = job.spec.as_ref().and_then(|s| s.ttl_seconds_after_finished);
    let (Some(ttl), Some(done)) = (ttl, status::finish_time(job)) else {
        return Ok(Action::await_change());
    };
    let at = done + SignedDuration::from_secs(i64::from(ttl));
    let now = Timestamp::now();
    if at > now {
        let wait = Duration::try_from(at.duration_since(now)).unwrap_or_default();
        return Ok(Action::requeue(wait + Duration::from_millis(100)));
    }
    let api: Api<Job> = Api::namespaced(ctl.client.clone(), &job.namespace().unwrap_or_default());
    let dp = DeleteParams::background().preconditions(Preconditions {
        uid: job.metadata.uid.clone(),
        resource_version: None,
    });
    match api.delete(&job.name_any(), &dp).await {
        Ok(_) => tracing::debug!(job = %job.name_any(), "deleted finished job after its TTL"),
        Err(e) if is_not_found(&e) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(Action::await_change())
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

async fn sync(ctl: &Ctl, job: Job, pods: Vec<Pod>) -> Result<Action, Error> {
    let now = Timestamp::now();
    let uid = job.metadata.uid.clone().unwrap_or_default();
    let spec = job.spec.clone().unwrap_or_default();
    let mut st = job.status.clone().unwrap_or_default();
    let unc = st.uncounted_terminated_pods.clone().unwrap_or_default();
    let unc_succ: HashSet<String> = unc.succeeded.unwrap_or_default().into_iter().collect();
    let unc_fail: HashSet<String> = unc.failed.unwrap_or_default().into_iter().collect();
    let indexed = status::is_indexed(&job);
    let valid = |p: &Pod| !indexed || status::valid_index(&job, p).is_some();
    let pod_uid = |p: &Pod| p.metadata.uid.clone().unwrap_or_default();

    let active: Vec<&Pod> = pods
        .iter()
        .filter(|p| !pod_finished(p) && !is_terminating(p))
        .collect();
    let mut terminating = count(
        pods.iter()
            .filter(|p| is_terminating(p) && !pod_finished(p))
            .count(),
    );
    let mut ready = count(active.iter().filter(|p| is_ready(p)).count());
    let counted = |p: &&Pod| status::has_finalizer(p) && valid(p);
    let new_succ = pods
        .iter()
        .filter(counted)
        .filter(|p| phase(p) == "Succeeded" && !unc_succ.contains(&pod_uid(p)))
        .count();
    let new_fail = pods
        .iter()
        .filter(counted)
        .filter(|p| status::is_pod_failed(p, &job) && !unc_fail.contains(&pod_uid(p)))
        .count();
    let mut succeeded = st.succeeded.unwrap_or(0) + count(new_succ) + count(unc_succ.len());
    let failed = st.failed.unwrap_or(0) + count(new_fail) + count(unc_fail.len());
    let suspended = status::is_suspended(&job);
    if st.start_time.is_none() && !suspended {
        st.start_time = Some(Time(now));
    }
    let backoff = ctl.backoff_of(&uid).record(new_succ, new_fail, now);
    ctl.set_backoff(&uid, Some(backoff));

    let mut requeue = RESYNC;
    let conds = st.conditions.clone().unwrap_or_default();
    let existing = |t: &'static str| {
        status::find_condition(&conds, t).map(|c| {
            (
                t,
                c.reason.clone().unwrap_or_default(),
                c.message.clone().unwrap_or_default(),
            )
        })
    };
    let mut finish: track::Finish =
        existing("SuccessCriteriaMet").or_else(|| existing("FailureTarget"));
    let deadline = spec.active_deadline_seconds.filter(|_| !suspended);
    let started = st.start_time.as_ref().map(|t| t.0).unwrap_or(now);
    if finish.is_none() {
        let fail = |r: &str, m: &str| Some(("FailureTarget", r.to_string(), m.to_string()));
        if failed > spec.backoff_limit.unwrap_or(6)
            || status::past_backoff_limit_on_failure(&job, &pods)
        {
            finish = fail(status::REASON_BACKOFF, status::MSG_BACKOFF);
        } else if let Some(d) = deadline {
            let end = started + SignedDuration::from_secs(d);
            if now >= end {
                finish = fail(status::REASON_DEADLINE, status::MSG_DEADLINE);
            } else {
                requeue =
                    requeue.min(Duration::try_from(end.duration_since(now)).unwrap_or_default());
            }
        }
    }
    let completions = spec.completions;
    let mut succeeded_ix = BTreeSet::new();
    if indexed {
        let limit = completions.unwrap_or(0);
        succeeded_ix =
            status::parse_intervals(st.completed_indexes.as_deref().unwrap_or(""), limit);
        succeeded_ix.extend(
            pods.iter()
                .filter(|p| phase(p) == "Succeeded")
                .filter_map(|p| status::valid_index(&job, p)),
        );
        succeeded = count(succeeded_ix.len());
    }

    let mut active_n = count(active.len());
    if finish.is_some() {
        // Stop what still runs; the pods keep their finalizers and are counted as failed.
        let (deleted, deleted_ready, ok) = manage::delete_pods(ctl, &job, &active, false).await;
        if !ok {
            finish = None;
        }
        active_n -= deleted;
        terminating += deleted;
        ready -= deleted_ready;
    } else {
        let managed = job.metadata.deletion_timestamp.is_none();
        if managed {
            let m = manage::manage(
                ctl,
                &job,
                &active,
                succeeded,
                &succeeded_ix,
                terminating,
                backoff,
                now,
            )
            .await?;
            active_n = m.active;
            terminating += m.deleted;
            ready -= m.deleted_ready;
            if let Some(w) = m.wait {
                requeue = requeue.min(w);
            }
        }
        let complete = match completions {
            None => succeeded > 0 && active_n == 0,
            Some(c) => succeeded >= c && active_n == 0,
        };
        if complete {
            finish = Some((
                "SuccessCriteriaMet",
                status::REASON_COMPLETIONS.into(),
                status::MSG_COMPLETIONS.into(),
            ));
        } else if managed {
            suspend_conditions(ctl, &job, &mut st, suspended, now).await;
        }
    }
    st.active = (active_n > 0).then_some(active_n);
    st.ready = Some(ready.max(0));
    st.terminating = Some(terminating.max(0));
    track::track(ctl, job, st, &pods, finish, succeeded_ix, now).await?;
    Ok(Action::requeue(requeue + Duration::from_millis(100)))
}

/// The Suspended condition (and its events); resuming restarts the deadline clock.
async fn suspend_conditions(
    ctl: &Ctl,
    job: &Job,
    st: &mut k8s_openapi::api::batch::v1::JobStatus,
    suspended: bool,
    now: Timestamp,
) {
    let mut conds = st.conditions.take().unwrap_or_default();
    let r = job.object_ref(&());
    if suspended {
        if status::ensure_condition(
            &mut conds,
            "Suspended",
            "True",
            "JobSuspended",
            "Job suspended",
            now,
        ) {
            publish(
                &ctl.recorder,
                &r,
                false,
                "Suspended",
                "Job suspended".into(),
            )
            .await;
        }
    } else if status::ensure_condition(
        &mut conds,
        "Suspended",
        "False",
        "JobResumed",
        "Job resumed",
        now,
    ) {
        publish(&ctl.recorder, &r, false, "Resumed", "Job resumed".into()).await;
        st.start_time = Some(Time(now));
    }
    st.conditions = (!conds.is_empty()).then_some(conds);
}
