//! Creating and deleting a Job's pods (upstream `manageJob`): as many as should run,
//! slow-start batches, surplus and suspended pods released from tracking and deleted,
//! the creation back-off after failures; and the release of pods whose Job is gone.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Resource, ResourceExt};
use serde_json::json;

use super::status::{self, Backoff, TRACKING_FINALIZER};
use super::{Ctl, count, pods};
use crate::context::Error;
use crate::statefulset::podstate::{self, controller_uid, is_not_found, is_ready, publish};

const ORPHAN_SWEEP: Duration = Duration::from_secs(10);
const MAX_PER_SYNC: i32 = 500;

pub(crate) struct Managed {
    pub active: i32,
    pub deleted: i32,
    pub deleted_ready: i32,
    pub wait: Option<Duration>,
}

/// Creates or deletes pods so that the right number run (upstream `manageJob`).
pub(crate) async fn manage(
    ctl: &Ctl,
    job: &Job,
    active: &[&Pod],
    succeeded: i32,
    succeeded_ix: &BTreeSet<i32>,
    terminating: i32,
    backoff: Backoff,
    now: Timestamp,
) -> Result<Managed, Error> {
    let spec = job.spec.clone().unwrap_or_default();
    let mut m = Managed {
        active: count(active.len()),
        deleted: 0,
        deleted_ready: 0,
        wait: None,
    };
    let want = if status::is_suspended(job) {
        0
    } else {
        let parallelism = spec.parallelism.unwrap_or(1);
        match spec.completions {
            None if succeeded > 0 => m.active,
            None => parallelism,
            Some(c) => (c - succeeded).min(parallelism).max(0),
        }
    };
    let surplus = usize::try_from(m.active - want).unwrap_or(0);
    let remove = pods::pods_for_removal(job, active, surplus);
    if !remove.is_empty() {
        let cut = usize::try_from(MAX_PER_SYNC).unwrap_or(500);
        let (deleted, deleted_ready, _) =
            delete_pods(ctl, job, &remove[..remove.len().min(cut)], true).await;
        m.active -= deleted;
        m.deleted = deleted;
        m.deleted_ready = deleted_ready;
        return Ok(m);
    }
    let pending = if status::only_replace_failed(job) {
        terminating
    } else {
        0
    };
    let diff = (want - pending - m.active).min(MAX_PER_SYNC);
    if diff <= 0 {
        return Ok(m);
    }
    let wait = backoff.remaining(now);
    if !wait.is_zero() {
        m.wait = Some(wait);
        return Ok(m);
    }
    let diff = usize::try_from(diff).unwrap_or(0);
    let slots: Vec<Option<i32>> = if status::is_indexed(job) {
        pods::pending_indexes(job, succeeded_ix, active, diff)
            .into_iter()
            .map(Some)
            .collect()
    } else {
        vec![None; diff]
    };
    let api: Api<Pod> = Api::namespaced(ctl.client.clone(), &job.namespace().unwrap_or_default());
    let r = job.object_ref(&());
    let mut slots = slots.into_iter();
    for batch in podstate::slow_start_batches(slots.len()) {
        let calls = slots.by_ref().take(batch).map(|ix| {
            let pod = pods::new_pod(job, ix);
            let api = api.clone();
            async move { api.create(&PostParams::default(), &pod).await }
        });
        let mut failed = None;
        for res in futures::future::join_all(calls).await {
            match res {
                Ok(p) => {
                    m.active += 1;
                    publish(
                        &ctl.recorder,
                        &r,
                        false,
                        "SuccessfulCreate",
                        format!("Created pod: {}", p.name_any()),
                    )
                    .await;
                }
                Err(e) => {
                    publish(
                        &ctl.recorder,
                        &r,
                        true,
                        "FailedCreate",
                        format!("Error creating: {e}"),
                    )
                    .await;
                    failed = Some(e);
                }
            }
        }
        if let Some(e) = failed {
            return Err(e.into());
        }
    }
    Ok(m)
}

/// Deletes pods (removing the tracking finalizer first when `release`); returns
/// (deleted, of which ready, all succeeded).
pub(crate) async fn delete_pods(
    ctl: &Ctl,
    job: &Job,
    victims: &[&Pod],
    release: bool,
) -> (i32, i32, bool) {
    let api: Api<Pod> = Api::namespaced(ctl.client.clone(), &job.namespace().unwrap_or_default());
    let r = job.object_ref(&());
    let (mut deleted, mut deleted_ready, mut ok) = (0, 0, true);
    for p in victims {
        let name = p.name_any();
        if release && status::has_finalizer(p) {
            let patch =
                json!({"metadata": {"$deleteFromPrimitiveList/finalizers": [TRACKING_FINALIZER]}});
            if let Err(e) = api
                .patch(&name, &PatchParams::default(), &Patch::Strategic(patch))
                .await
                && !is_not_found(&e)
            {
                ok = false;
                continue;
            }
        }
        match api.delete(&name, &DeleteParams::default()).await {
            Ok(_) => {
                publish(
                    &ctl.recorder,
                    &r,
                    false,
                    "SuccessfulDelete",
                    format!("Deleted pod: {name}"),
                )
                .await
            }
            Err(e) if is_not_found(&e) => {}
            Err(e) => {
                tracing::debug!(pod = %name, error = %e, "could not delete job pod");
                ok = false;
                continue;
            }
        }
        deleted += 1;
        deleted_ready += i32::from(is_ready(p));
    }
    (deleted, deleted_ready, ok)
}

/// Removes the tracking finalizer from pods whose Job is gone (upstream's orphan
/// queue), so that they can be deleted.
pub(crate) async fn sweep_orphans(ctl: Arc<Ctl>) -> Result<(), Error> {
    let pods: Api<Pod> = Api::all(ctl.client.clone());
    let jobs: Api<Job> = Api::all(ctl.client.clone());
    loop {
        tokio::time::sleep(ORPHAN_SWEEP).await;
        // Pods first: any job that owns a listed pod existed before it, so it is listed next.
        let Ok(list) = pods
            .list(&ListParams::default().labels("batch.kubernetes.io/controller-uid"))
            .await
        else {
            continue;
        };
        let tracked: Vec<Pod> = list
            .items
            .into_iter()
            .filter(status::has_finalizer)
            .collect();
        if tracked.is_empty() {
            continue;
        }
        let Ok(jl) = jobs.list(&ListParams::default()).await else {
            continue;
        };
        let live: HashSet<String> = jl
            .items
            .iter()
            .filter_map(|j| j.metadata.uid.clone())
            .collect();
        for p in tracked {
            if controller_uid(&p.metadata).is_some_and(|u| live.contains(u)) {
                continue;
            }
            let api: Api<Pod> =
                Api::namespaced(ctl.client.clone(), &p.namespace().unwrap_or_default());
            let patch =
                json!({"metadata": {"$deleteFromPrimitiveList/finalizers": [TRACKING_FINALIZER]}});
            if let Err(e) = api
                .patch(
                    &p.name_any(),
                    &PatchParams::default(),
                    &Patch::Strategic(patch),
                )
                .await
            {
                tracing::debug!(pod = %p.name_any(), error = %e, "could not release orphan job pod");
            }
        }
    }
}
