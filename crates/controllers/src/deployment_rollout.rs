//! The deployment controller's strategies (upstream `rolling.go`, `recreate.go`,
//! `rollback.go` and the scaling part of `sync.go`). Each returns how long until the
//! Deployment must be looked at again without any watch event (progress deadline
//! checks, terminating pods), if at all.

use std::collections::HashSet;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use kube::api::{Api, ListParams, PostParams};

use super::plan::{self, Step, rolling_step};
use super::status;
use super::sync::{self, Dc, new_and_old, scale_rs, scale_rs_and_record};
use super::util::{self, replicas, rs_replicas};
use crate::context::Error;
use crate::replicaset::Selector;
use crate::replicaset::claim::controller_of;

type Requeue = Option<Duration>;

fn refs<'a>(olds: &'a [ReplicaSet], new: Option<&'a ReplicaSet>) -> Vec<&'a ReplicaSet> {
    olds.iter().chain(new).collect()
}

fn active(rss: &[ReplicaSet]) -> Vec<ReplicaSet> {
    rss.iter()
        .filter(|rs| rs_replicas(rs) > 0)
        .cloned()
        .collect()
}

/// `syncRolloutStatus`: writes the status with progress conditions when it changed;
/// otherwise says when a deadline check is due.
pub(crate) async fn sync_rollout_status(
    dc: &Dc,
    olds: &[ReplicaSet],
    new: Option<&ReplicaSet>,
    d: &mut Deployment,
) -> Result<Requeue, Error> {
    let now = status::now();
    let st = status::rollout_status(&refs(olds, new), new, d, now);
    if d.status.as_ref() == Some(&st) {
        return Ok(status::requeue_stuck(d, &st, now));
    }
    d.status = Some(st);
    sync::update_status(dc, d).await?;
    Ok(None)
}

/// `rolloutRolling`: one step of a rolling update.
pub(crate) async fn rolling(
    dc: &Dc,
    d: &mut Deployment,
    rss: &[ReplicaSet],
) -> Result<Requeue, Error> {
    let (new, mut olds) = new_and_old(dc, d, rss, true).await?;
    let Some(mut new) = new else {
        return sync_rollout_status(dc, &olds, None, d).await;
    };
    let mut active_olds = active(&olds);
    active_olds.sort_by(util::by_creation);
    match rolling_step(d, &new, &active_olds) {
        Step::ScaleNew(n) => {
            let (scaled, updated) = scale_rs_and_record(dc, &new, n, d).await?;
            new = updated;
            if scaled {
                return sync_rollout_status(dc, &olds, Some(&new), d).await;
            }
        }
        Step::ScaleOld(changes) => {
            for (i, n) in changes {
                let (_, updated) = scale_rs_and_record(dc, &active_olds[i], n, d).await?;
                if let Some(o) = olds
                    .iter_mut()
                    .find(|o| o.metadata.uid == updated.metadata.uid)
                {
                    *o = updated;
                }
            }
            return sync_rollout_status(dc, &olds, Some(&new), d).await;
        }
        Step::Wait => {}
    }
    if status::deployment_complete(d, &d.status.clone().unwrap_or_default()) {
        sync::cleanup(dc, &olds, d).await?;
    }
    sync_rollout_status(dc, &olds, Some(&new), d).await
}

/// `oldPodsRunning`: old ReplicaSets still report pods, or pods of theirs are not
/// terminated yet (Recreate waits for them to be gone).
async fn old_pods_running(
    dc: &Dc,
    d: &Deployment,
    new: Option<&ReplicaSet>,
    olds: &[ReplicaSet],
) -> Result<bool, Error> {
    if olds.iter().map(util::rs_status_replicas).sum::<i32>() > 0 {
        return Ok(true);
    }
    let old_uids: HashSet<&str> = olds
        .iter()
        .filter_map(|rs| rs.metadata.uid.as_deref())
        .collect();
    let new_uid = new.and_then(|n| n.metadata.uid.as_deref());
    let Some(query) = Selector::typed(d.spec.as_ref().map(|s| &s.selector)).query() else {
        return Ok(false);
    };
    let api: Api<Pod> = Api::namespaced(dc.client.clone(), &d.namespace().unwrap_or_default());
    let pods = api.list(&ListParams::default().labels(&query)).await?;
    Ok(pods.items.iter().any(|p| {
        let owner = controller_of(&p.metadata).map(|r| r.uid.as_str());
        let phase = p
            .status
            .as_ref()
            .and_then(|s| s.phase.as_deref())
            .unwrap_or("");
        owner.is_some_and(|u| old_uids.contains(u))
            && owner != new_uid
            && !matches!(phase, "Failed" | "Succeeded")
    }))
}

/// `rolloutRecreate`: all old pods go before any new one is created.
pub(crate) async fn recreate(
    dc: &Dc,
    d: &mut Deployment,
    rss: &[ReplicaSet],
) -> Result<Requeue, Error> {
    let (mut new, mut olds) = new_and_old(dc, d, rss, false).await?;
    let mut scaled_down = false;
    for o in olds.iter_mut().filter(|o| rs_replicas(o) > 0) {
        let (scaled, updated) = scale_rs_and_record(dc, o, 0, d).await?;
        scaled_down |= scaled;
        *o = updated;
    }
    if scaled_down {
        return sync_rollout_status(dc, &olds, new.as_ref(), d).await;
    }
    // Once the new ReplicaSet has been scaled up the old pods were gone: skip the LIST.
    let new_full = new.as_ref().is_some_and(|n| rs_replicas(n) == replicas(d));
    if !new_full && old_pods_running(dc, d, new.as_ref(), &olds).await? {
        let requeue = sync_rollout_status(dc, &olds, new.as_ref(), d).await?;
        return Ok(Some(requeue.map_or(Duration::from_secs(1), |r| {
            r.min(Duration::from_secs(1))
        })));
    }
    if new.is_none() {
        (new, olds) = new_and_old(dc, d, rss, true).await?;
    }
    if let Some(n) = new.as_mut() {
        let (_, updated) = scale_rs_and_record(dc, n, replicas(d), d).await?;
        *n = updated;
    }
    if status::deployment_complete(d, &d.status.clone().unwrap_or_default()) {
        sync::cleanup(dc, &olds, d).await?;
    }
    sync_rollout_status(dc, &olds, new.as_ref(), d).await
}

/// `FindActiveOrLatest`: the only active ReplicaSet, or the newest when none is.
fn active_or_latest<'a>(
    new: Option<&'a ReplicaSet>,
    olds: &'a [ReplicaSet],
) -> Option<&'a ReplicaSet> {
    let mut sorted: Vec<&ReplicaSet> = olds.iter().collect();
    sorted.sort_by(|a, b| util::by_creation(b, a));
    let actives: Vec<&ReplicaSet> = sorted
        .iter()
        .copied()
        .chain(new)
        .filter(|rs| rs_replicas(rs) > 0)
        .collect();
    match actives.len() {
        0 => new.or(sorted.first().copied()),
        1 => Some(actives[0]),
        _ => None,
    }
}

/// `scale`: a scaling event (or a paused Deployment) resizes the ReplicaSets,
/// proportionally when a rollout is in flight.
async fn scale(
    dc: &Dc,
    d: &Deployment,
    new: Option<&ReplicaSet>,
    olds: &[ReplicaSet],
) -> Result<(), Error> {
    if let Some(rs) = active_or_latest(new, olds) {
        if rs_replicas(rs) != replicas(d) {
            scale_rs_and_record(dc, rs, replicas(d), d).await?;
        }
        return Ok(());
    }
    if new.is_some_and(|n| plan::is_saturated(d, n)) {
        for o in olds.iter().filter(|o| rs_replicas(o) > 0) {
            scale_rs_and_record(dc, o, 0, d).await?;
        }
        return Ok(());
    }
    if !util::is_rolling(d) {
        return Ok(());
    }
    let mut all: Vec<&ReplicaSet> = olds
        .iter()
        .chain(new)
        .filter(|rs| rs_replicas(rs) > 0)
        .collect();
    let current: i32 = all.iter().map(|rs| rs_replicas(rs)).sum();
    let allowed = if replicas(d) > 0 {
        replicas(d) + util::max_surge(d)
    } else {
        0
    };
    let to_add = allowed - current;
    let op = if to_add > 0 { "up" } else { "down" };
    all.sort_by(|a, b| util::by_size(a, b, to_add > 0));
    let mut added = 0;
    let mut sizes: Vec<i32> = Vec::with_capacity(all.len());
    for rs in &all {
        let p = if to_add != 0 {
            plan::proportion(rs, d, to_add, added)
        } else {
            0
        };
        sizes.push(rs_replicas(rs) + p);
        added += p;
    }
    if to_add != 0
        && let Some(first) = sizes.first_mut()
    {
        *first = (*first + to_add - added).max(0);
    }
    for (rs, size) in all.iter().zip(sizes) {
        scale_rs(dc, rs, size, d, op).await?;
    }
    Ok(())
}

/// `sync`: scaling events and paused Deployments (no rollout progress is made).
pub(crate) async fn sync_scale(
    dc: &Dc,
    d: &mut Deployment,
    rss: &[ReplicaSet],
) -> Result<Requeue, Error> {
    let (new, olds) = new_and_old(dc, d, rss, false).await?;
    scale(dc, d, new.as_ref(), &olds).await?;
    let paused = d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false);
    if paused && rollback_to(d).is_none() {
        sync::cleanup(dc, &olds, d).await?;
    }
    sync::sync_status(dc, &refs(&olds, new.as_ref()), new.as_ref(), d).await?;
    Ok(None)
}

/// `isScalingEvent`: an active ReplicaSet was sized for another replica count. (The
/// revision sync upstream does first happens in whatever runs next.)
pub(crate) fn is_scaling_event(d: &Deployment, rss: &[ReplicaSet]) -> bool {
    let want = replicas(d);
    rss.iter()
        .filter(|rs| rs_replicas(rs) > 0)
        .any(|rs| util::desired_annotation(rs).is_some_and(|n| n != want))
}

/// The revision of the deprecated `rollbackTo` annotation, if any.
pub(crate) fn rollback_to(d: &Deployment) -> Option<i64> {
    d.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(util::ROLLBACK_TO))
        .and_then(|v| v.parse().ok())
}

/// `rollback` (the deprecated server-side path; kubectl rolls back client-side).
pub(crate) async fn rollback(
    dc: &Dc,
    d: &mut Deployment,
    rss: &[ReplicaSet],
) -> Result<Requeue, Error> {
    let (new, olds) = new_and_old(dc, d, rss, true).await?;
    let all = refs(&olds, new.as_ref());
    let mut to = rollback_to(d).unwrap_or(0);
    if to == 0 {
        to = util::last_revision(&all);
    }
    let target = (to != 0)
        .then(|| all.iter().find(|rs| util::revision(rs) == Some(to)))
        .flatten()
        .map(|rs| (*rs).clone());
    let name = d.name_any();
    let mut done = None;
    match target {
        None => {
            let msg = if to == 0 {
                "Unable to find last revision."
            } else {
                "Unable to find the revision to rollback to."
            };
            dc.event(d, true, "DeploymentRollbackRevisionNotFound", msg.into());
        }
        Some(rs) => {
            let rs_template = rs
                .spec
                .as_ref()
                .and_then(|s| s.template.clone())
                .unwrap_or_default();
            let spec = d.spec.get_or_insert_with(Default::default);
            if util::equal_ignore_hash(&spec.template, &rs_template) {
                let msg = format!(
                    "The rollback revision contains the same template as current deployment \"{name}\""
                );
                dc.event(d, true, "DeploymentRollbackTemplateUnchanged", msg);
            } else {
                let mut t = rs_template;
                if let Some(l) = t.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
                    l.remove(util::HASH_LABEL);
                }
                spec.template = t;
                util::set_deployment_annotations_to(d, &rs);
                done = Some(format!(
                    "Rolled back deployment \"{name}\" to revision {to}"
                ));
            }
        }
    }
    if let Some(a) = d.metadata.annotations.as_mut() {
        a.remove(util::ROLLBACK_TO);
    }
    let api: Api<Deployment> =
        Api::namespaced(dc.client.clone(), &d.namespace().unwrap_or_default());
    *d = api.replace(&name, &PostParams::default(), d).await?;
    if let Some(msg) = done {
        dc.event(d, false, "DeploymentRollback", msg);
    }
    Ok(None)
}
