//! The deployment controller's writes (upstream `sync.go`): claiming ReplicaSets,
//! finding or creating the new one (revision, annotations, collision count), scaling
//! with events, proportional scaling, history cleanup and status updates.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, ReplicaSetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, PostParams};
use kube::runtime::reflector::Store;
use kube::{Resource, ResourceExt};

use super::plan;
use super::status::{self, FAILED_RS_CREATE, FOUND_NEW_RS, NEW_RS_CREATED, PROGRESSING};
use super::util::{self, replicas, rs_replicas};
use crate::context::Error;
use crate::replicaset::Selector;
use crate::replicaset::claim::{self, Claim, controller_of, is_status};
use crate::replicaset::engine::{EventSink, api_message};
use crate::replicaset::expect::Backoff;

/// What every deployment sync shares.
pub(crate) struct Dc {
    pub(crate) client: kube::Client,
    pub(crate) rss: Store<ReplicaSet>,
    pub(crate) events: EventSink,
    pub(crate) backoff: Backoff,
}

impl Dc {
    pub(crate) fn rs_api(&self, ns: &str) -> Api<ReplicaSet> {
        Api::namespaced(self.client.clone(), ns)
    }

    pub(crate) fn event(&self, d: &Deployment, warning: bool, reason: &str, note: String) {
        let r = d.object_ref(&());
        if warning {
            self.events.warning(&r, reason, note);
        } else {
            self.events.normal(&r, reason, note);
        }
    }
}

/// `UpdateStatus` of the Deployment as it is now in `d`; `d` becomes the stored object.
pub(crate) async fn update_status(dc: &Dc, d: &mut Deployment) -> Result<(), Error> {
    let ns = d.namespace().unwrap_or_default();
    let api: Api<Deployment> = Api::namespaced(dc.client.clone(), &ns);
    *d = api
        .replace_status(&d.name_any(), &PostParams::default(), d)
        .await?;
    Ok(())
}

/// `getReplicaSetsForDeployment`: the ReplicaSets this Deployment controls, after
/// adopting orphans its selector matches and releasing those it no longer matches.
pub(crate) async fn claim_replica_sets(dc: &Dc, d: &Deployment) -> Result<Vec<ReplicaSet>, Error> {
    let ns = d.namespace().unwrap_or_default();
    let selector = Selector::typed(d.spec.as_ref().map(|s| &s.selector));
    let uid = d.metadata.uid.clone().unwrap_or_default();
    let deleting = d.metadata.deletion_timestamp.is_some();
    let api = dc.rs_api(&ns);
    let mut owned = Vec::new();
    let mut can_adopt: Option<bool> = None;
    for rs in dc.rss.state() {
        if rs.metadata.namespace.as_deref() != Some(ns.as_str()) {
            continue;
        }
        let selected = selector.matches(rs.metadata.labels.as_ref());
        match claim::decide(&rs.metadata, &uid, deleting, selected) {
            Claim::Owned => owned.push(rs.as_ref().clone()),
            Claim::Ignore => {}
            Claim::Release => {
                claim::release(&api, rs.as_ref(), &uid).await?;
            }
            Claim::Adopt => {
                if can_adopt.is_none() {
                    let fresh = Api::<Deployment>::namespaced(dc.client.clone(), &ns)
                        .get_opt(&d.name_any())
                        .await?;
                    can_adopt = Some(fresh.is_some_and(|f| {
                        f.metadata.uid.as_deref() == Some(uid.as_str())
                            && f.metadata.deletion_timestamp.is_none()
                    }));
                }
                let Some(oref) = claim::controller_ref(d) else {
                    continue;
                };
                if can_adopt == Some(true) && claim::adopt(&api, rs.as_ref(), oref).await? {
                    owned.push(rs.as_ref().clone());
                }
            }
        }
    }
    Ok(owned)
}

/// `getAllReplicaSetsAndSyncRevision`: the new ReplicaSet (created when `create`) and
/// all old ones.
pub(crate) async fn new_and_old(
    dc: &Dc,
    d: &mut Deployment,
    rss: &[ReplicaSet],
    create: bool,
) -> Result<(Option<ReplicaSet>, Vec<ReplicaSet>), Error> {
    let new_idx = util::find_new(d, rss);
    let olds: Vec<ReplicaSet> = rss
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != new_idx)
        .map(|(_, rs)| rs.clone())
        .collect();
    let new = get_new_rs(dc, d, new_idx.map(|i| &rss[i]), &olds, create).await?;
    Ok((new, olds))
}

async fn get_new_rs(
    dc: &Dc,
    d: &mut Deployment,
    existing: Option<&ReplicaSet>,
    olds: &[ReplicaSet],
    create: bool,
) -> Result<Option<ReplicaSet>, Error> {
    let ns = d.namespace().unwrap_or_default();
    let old_refs: Vec<&ReplicaSet> = olds.iter().collect();
    let new_revision = util::max_revision(&old_refs) + 1;
    let min_ready = d.spec.as_ref().and_then(|s| s.min_ready_seconds);
    if let Some(existing) = existing {
        let mut rs = existing.clone();
        let changed = util::set_new_rs_annotations(d, &mut rs, new_revision, true);
        let spec = rs.spec.get_or_insert_with(Default::default);
        let min_ready_changed = spec.min_ready_seconds.unwrap_or(0) != min_ready.unwrap_or(0);
        if changed || min_ready_changed {
            spec.min_ready_seconds = min_ready;
            let updated = dc
                .rs_api(&ns)
                .replace(&rs.name_any(), &PostParams::default(), &rs)
                .await?;
            return Ok(Some(updated));
        }
        let rev = rs
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(util::REVISION))
            .cloned()
            .unwrap_or_default();
        let mut needs_update = util::set_deployment_revision(d, &rev);
        let no_progress = d
            .status
            .as_ref()
            .is_none_or(|s| status::get_condition(s, PROGRESSING).is_none());
        if status::has_progress_deadline(d) && no_progress {
            let msg = format!("Found new replica set \"{}\"", rs.name_any());
            let c = status::condition(PROGRESSING, "True", FOUND_NEW_RS, msg, status::now());
            status::set_condition(d.status.get_or_insert_with(Default::default), c);
            needs_update = true;
        }
        if needs_update {
            update_status(dc, d).await?;
        }
        return Ok(Some(rs));
    }
    if !create {
        return Ok(None);
    }
    let spec = d.spec.clone().unwrap_or_default();
    let collisions = d.status.as_ref().and_then(|s| s.collision_count);
    let hash = util::compute_hash(&spec.template, collisions);
    let mut template = spec.template.clone();
    let tmeta = template.metadata.get_or_insert_with(ObjectMeta::default);
    tmeta
        .labels
        .get_or_insert_with(BTreeMap::new)
        .insert(util::HASH_LABEL.into(), hash.clone());
    let labels = tmeta.labels.clone();
    let mut selector = spec.selector.clone();
    selector
        .match_labels
        .get_or_insert_with(BTreeMap::new)
        .insert(util::HASH_LABEL.into(), hash.clone());
    let name = format!("{}-{hash}", d.name_any());
    let mut rs = ReplicaSet {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(ns.clone()),
            owner_references: claim::controller_ref(d).map(|r| vec![r]),
            labels,
            ..Default::default()
        },
        spec: Some(ReplicaSetSpec {
            replicas: Some(0),
            min_ready_seconds: min_ready,
            selector,
            template: Some(template),
        }),
        status: None,
    };
    let mut all: Vec<&ReplicaSet> = olds.iter().collect();
    all.push(&rs);
    let count = plan::new_rs_new_replicas(d, &all, &rs);
    util::set_rs_replicas(&mut rs, count);
    util::set_new_rs_annotations(d, &mut rs, new_revision, false);
    let (created, already_existed) = match dc.rs_api(&ns).create(&PostParams::default(), &rs).await
    {
        Ok(c) => (c, false),
        Err(e) if is_status(&e, 409) => {
            let found = dc.rs_api(&ns).get_opt(&name).await?;
            let ours = found.filter(|f| {
                controller_of(&f.metadata).is_some_and(|r| Some(&r.uid) == d.metadata.uid.as_ref())
                    && f.spec
                        .as_ref()
                        .and_then(|s| s.template.as_ref())
                        .is_some_and(|t| util::equal_ignore_hash(&spec.template, t))
            });
            match ours {
                Some(f) => (f, true),
                None => {
                    // A hash collision: bump collisionCount and try again with a new hash.
                    let st = d.status.get_or_insert_with(Default::default);
                    st.collision_count = Some(st.collision_count.unwrap_or(0) + 1);
                    update_status(dc, d).await?;
                    return Err(e.into());
                }
            }
        }
        Err(e) => {
            let msg = format!(
                "Failed to create new replica set \"{name}\": {}",
                api_message(&e)
            );
            if status::has_progress_deadline(d) {
                let c = status::condition(
                    PROGRESSING,
                    "False",
                    FAILED_RS_CREATE,
                    msg.clone(),
                    status::now(),
                );
                status::set_condition(d.status.get_or_insert_with(Default::default), c);
                let _ = update_status(dc, d).await;
            }
            dc.event(d, true, FAILED_RS_CREATE, msg);
            return Err(e.into());
        }
    };
    if !already_existed && count > 0 {
        dc.event(
            d,
            false,
            "ScalingReplicaSet",
            format!("Scaled up replica set {name} to {count}"),
        );
    }
    let mut needs_update = util::set_deployment_revision(d, &new_revision.to_string());
    if !already_existed && status::has_progress_deadline(d) {
        let msg = format!("Created new replica set \"{name}\"");
        let c = status::condition(PROGRESSING, "True", NEW_RS_CREATED, msg, status::now());
        status::set_condition(d.status.get_or_insert_with(Default::default), c);
        needs_update = true;
    }
    if needs_update {
        update_status(dc, d).await?;
    }
    Ok(Some(created))
}

/// `scaleReplicaSet`: sets the size and the desired/max annotations; records
/// `ScalingReplicaSet` when the size changed. Returns (scaled, the stored ReplicaSet).
pub(crate) async fn scale_rs(
    dc: &Dc,
    rs: &ReplicaSet,
    to: i32,
    d: &Deployment,
    op: &str,
) -> Result<(bool, ReplicaSet), Error> {
    let from = rs_replicas(rs);
    let (desired, max) = (replicas(d), replicas(d) + util::max_surge(d));
    let resize = from != to;
    if !resize && !util::replicas_annotations_need_update(rs, desired, max) {
        return Ok((false, rs.clone()));
    }
    let mut copy = rs.clone();
    util::set_rs_replicas(&mut copy, to);
    util::set_replicas_annotations(&mut copy, desired, max);
    let ns = rs.namespace().unwrap_or_default();
    let updated = dc
        .rs_api(&ns)
        .replace(&rs.name_any(), &PostParams::default(), &copy)
        .await?;
    if resize {
        let msg = format!(
            "Scaled {op} replica set {} to {to} from {from}",
            rs.name_any()
        );
        dc.event(d, false, "ScalingReplicaSet", msg);
    }
    Ok((resize, updated))
}

/// `scaleReplicaSetAndRecordEvent`.
pub(crate) async fn scale_rs_and_record(
    dc: &Dc,
    rs: &ReplicaSet,
    to: i32,
    d: &Deployment,
) -> Result<(bool, ReplicaSet), Error> {
    if rs_replicas(rs) == to {
        return Ok((false, rs.clone()));
    }
    let op = if rs_replicas(rs) < to { "up" } else { "down" };
    scale_rs(dc, rs, to, d, op).await
}

/// `cleanupDeployment`: deletes the oldest empty ReplicaSets beyond revisionHistoryLimit.
pub(crate) async fn cleanup(dc: &Dc, olds: &[ReplicaSet], d: &Deployment) -> Result<(), Error> {
    let Some(limit) = d
        .spec
        .as_ref()
        .and_then(|s| s.revision_history_limit)
        .filter(|l| *l != i32::MAX)
    else {
        return Ok(());
    };
    let mut alive: Vec<&ReplicaSet> = olds
        .iter()
        .filter(|rs| rs.metadata.deletion_timestamp.is_none())
        .collect();
    let excess = alive.len() as i64 - i64::from(limit);
    if excess <= 0 {
        return Ok(());
    }
    alive.sort_by(|a, b| match (util::revision(a), util::revision(b)) {
        (Some(x), Some(y)) if x != y => x.cmp(&y),
        _ => util::by_creation(a, b),
    });
    for rs in alive.into_iter().take(usize::try_from(excess).unwrap_or(0)) {
        let observed = rs
            .status
            .as_ref()
            .and_then(|s| s.observed_generation)
            .unwrap_or(0);
        if util::rs_status_replicas(rs) != 0
            || rs_replicas(rs) != 0
            || rs.metadata.generation.unwrap_or(0) > observed
        {
            continue;
        }
        let ns = rs.namespace().unwrap_or_default();
        match dc
            .rs_api(&ns)
            .delete(&rs.name_any(), &DeleteParams::default())
            .await
        {
            Ok(_) => {}
            Err(e) if is_status(&e, 404) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// `syncDeploymentStatus`: writes the calculated status when it changed.
pub(crate) async fn sync_status(
    dc: &Dc,
    all: &[&ReplicaSet],
    new: Option<&ReplicaSet>,
    d: &mut Deployment,
) -> Result<(), Error> {
    let st = status::calculate_status(all, new, d, status::now());
    if d.status.as_ref() == Some(&st) {
        return Ok(());
    }
    d.status = Some(st);
    update_status(dc, d).await
}
