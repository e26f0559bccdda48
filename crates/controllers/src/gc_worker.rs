//! The collector's decisions, each checked against the live object first (the graph may
//! lag): upstream's `attemptToDeleteItem`, `processDeletingDependentsItem` and
//! `attemptToOrphanWorker`. Deletes carry a uid precondition; patches carry the uid and
//! the resourceVersion they were computed from, so a stale decision fails instead of
//! clobbering a newer object.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::api::{DeleteParams, Patch, PatchParams, Preconditions, PropagationPolicy};
use serde_json::{Value, json};

use super::graph::{FOREGROUND, Node, ORPHAN, Work};
use super::{Resolved, Shared, Target, is_code, live, resolve, resolve_identity};
use crate::context::Error;

pub enum Outcome {
    Done,
    /// Try again after a backoff (unknown kind, not yet observed, lost a race).
    Retry,
}

pub async fn process(sh: &Shared, w: &Work) -> Result<Outcome, Error> {
    match w {
        Work::Delete(uid) => attempt_to_delete(sh, uid).await,
        Work::Orphan(uid) => orphan(sh, uid).await,
    }
}

async fn attempt_to_delete(sh: &Shared, uid: &str) -> Result<Outcome, Error> {
    let Some(node) = sh.graph().node(uid).cloned() else {
        return Ok(Outcome::Done);
    };
    let t = match resolve_identity(sh, &node.identity) {
        Resolved::Found(t) => t,
        Resolved::Unknown => return Ok(Outcome::Retry),
        // Dependents resolve their own references (to "absent") when they are checked.
        Resolved::Invalid => return Ok(Outcome::Done),
    };
    let Some(latest) = live(&t, uid).await? else {
        // Gone (or replaced by a namesake): its dependents are checked now.
        tracing::debug!(object = %t.key, "gc: object is absent");
        sh.mark_absent(t.key.clone());
        let work = sh.graph().forget(uid);
        sh.queue.add_all(work);
        return Ok(Outcome::Done);
    };
    if !node.observed {
        // It exists: wait until its watch reports it (upstream requeues likewise).
        return Ok(Outcome::Retry);
    }
    let finalizers = latest.finalizers.clone().unwrap_or_default();
    if latest.deletion_timestamp.is_some() {
        if finalizers.iter().any(|f| f == FOREGROUND) {
            return deleting_dependents(sh, &node, &t).await;
        }
        return Ok(Outcome::Done);
    }
    let refs = latest.owner_references.clone().unwrap_or_default();
    if refs.is_empty() {
        return Ok(Outcome::Done);
    }
    let (mut solid, mut dangling, mut waiting) = (Vec::new(), Vec::new(), Vec::new());
    for r in refs {
        match owner_state(sh, &r, &node.identity.namespace).await? {
            None => return Ok(Outcome::Retry),
            Some(OwnerState::Solid) => solid.push(r),
            Some(OwnerState::Dangling) => dangling.push(r),
            Some(OwnerState::Waiting) => waiting.push(r),
        }
    }
    if !solid.is_empty() {
        if dangling.is_empty() && waiting.is_empty() {
            return Ok(Outcome::Done);
        }
        // Other owners still live: only the references to the dead (or departing) go.
        tracing::info!(object = %t.key, "gc: removing references to absent or deleting owners");
        set_owner_refs(&t, &latest, Some(solid)).await?;
        return Ok(Outcome::Done);
    }
    let policy = if !waiting.is_empty() && !node.dependents.is_empty() {
        // An owner waits for this object, which has dependents of its own: delete it in
        // the foreground too. If one of those dependents is itself deleting its
        // dependents there may be a cycle: stop blocking our owners first.
        if sh.graph().has_dependent_deleting_dependents(uid) {
            let unblocked = unblock(
                latest.owner_references.clone().unwrap_or_default(),
                &waiting,
            );
            set_owner_refs(&t, &latest, Some(unblocked)).await?;
        }
        PropagationPolicy::Foreground
    } else if finalizers.iter().any(|f| f == ORPHAN) {
        PropagationPolicy::Orphan
    } else if finalizers.iter().any(|f| f == FOREGROUND) {
        PropagationPolicy::Foreground
    } else {
        PropagationPolicy::Background
    };
    tracing::info!(object = %t.key, ?policy, "gc: deleting object whose owners are gone");
    delete(&t, uid, policy).await?;
    Ok(Outcome::Done)
}

fn unblock(refs: Vec<OwnerReference>, waiting: &[OwnerReference]) -> Vec<OwnerReference> {
    refs.into_iter()
        .map(|mut r| {
            if waiting.iter().any(|w| w.uid == r.uid) && r.block_owner_deletion == Some(true) {
                r.block_owner_deletion = Some(false);
            }
            r
        })
        .collect()
}

enum OwnerState {
    /// Exists and is not being deleted in the foreground.
    Solid,
    /// Does not exist (or another object holds its name).
    Dangling,
    /// Exists, being deleted in the foreground: waits for its dependents.
    Waiting,
}

/// Looks an owner up (`None`: its kind is unknown for now).
async fn owner_state(
    sh: &Shared,
    r: &OwnerReference,
    dependent_ns: &str,
) -> Result<Option<OwnerState>, Error> {
    let t = match resolve(sh, &r.api_version, &r.kind, dependent_ns, &r.name, &r.uid) {
        Resolved::Found(t) => t,
        Resolved::Unknown => return Ok(None),
        Resolved::Invalid => return Ok(Some(OwnerState::Dangling)),
    };
    if sh.is_absent(&t.key) {
        return Ok(Some(OwnerState::Dangling));
    }
    let Some(m) = live(&t, &r.uid).await? else {
        sh.mark_absent(t.key);
        return Ok(Some(OwnerState::Dangling));
    };
    let foreground = m.finalizers.iter().flatten().any(|f| f == FOREGROUND);
    Ok(Some(if m.deletion_timestamp.is_some() && foreground {
        OwnerState::Waiting
    } else {
        OwnerState::Solid
    }))
}

/// An owner deleting its dependents: releases it once no dependent blocks it, otherwise
/// makes sure the blocking dependents are being deleted.
async fn deleting_dependents(sh: &Shared, node: &Node, t: &Target) -> Result<Outcome, Error> {
    let uid = &node.identity.uid;
    let blocking = sh.graph().blocking_dependents(uid);
    if blocking.is_empty() {
        tracing::info!(object = %t.key, "gc: dependents gone; removing the foregroundDeletion finalizer");
        remove_finalizer(t, uid, FOREGROUND).await?;
        return Ok(Outcome::Done);
    }
    for (dep, deleting) in blocking {
        if !deleting {
            sh.queue.add(Work::Delete(dep.uid));
        }
    }
    Ok(Outcome::Done)
}

/// Removes the owner's references from its dependents, then its `orphan` finalizer.
async fn orphan(sh: &Shared, uid: &str) -> Result<Outcome, Error> {
    let (owner, dependents) = {
        let g = sh.graph();
        let Some(n) = g.node(uid) else {
            return Ok(Outcome::Done);
        };
        (n.identity.clone(), g.dependents(uid))
    };
    for dep in dependents {
        let t = match resolve_identity(sh, &dep) {
            Resolved::Found(t) => t,
            Resolved::Unknown => return Ok(Outcome::Retry),
            Resolved::Invalid => continue,
        };
        let Some(latest) = live(&t, &dep.uid).await? else {
            continue;
        };
        let refs = latest.owner_references.clone().unwrap_or_default();
        if refs.iter().any(|r| r.uid == uid) {
            let kept: Vec<OwnerReference> = refs.into_iter().filter(|r| r.uid != uid).collect();
            tracing::info!(object = %t.key, owner = %owner.name, "gc: orphaning dependent");
            set_owner_refs(&t, &latest, Some(kept)).await?;
        }
    }
    let t = match resolve_identity(sh, &owner) {
        Resolved::Found(t) => t,
        Resolved::Unknown => return Ok(Outcome::Retry),
        Resolved::Invalid => return Ok(Outcome::Done),
    };
    remove_finalizer(&t, uid, ORPHAN).await?;
    Ok(Outcome::Done)
}

/// A merge patch of metadata computed from `latest` (uid and resourceVersion preconditions).
fn meta_patch(latest: &ObjectMeta, field: &str, value: Value) -> Value {
    json!({"metadata": {
        field: value,
        "uid": latest.uid,
        "resourceVersion": latest.resource_version,
    }})
}

async fn set_owner_refs(
    t: &Target,
    latest: &ObjectMeta,
    refs: Option<Vec<OwnerReference>>,
) -> Result<(), Error> {
    let value = match refs {
        Some(r) if !r.is_empty() => serde_json::to_value(r)
            .map_err(|e| Error::Other(format!("encoding ownerReferences: {e}")))?,
        _ => Value::Null,
    };
    let patch = meta_patch(latest, "ownerReferences", value);
    match t
        .write
        .patch(&t.name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_code(&e, 404) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Removes one finalizer from the object with `uid`, retrying on conflicts; the server
/// deletes an object being deleted once its last finalizer goes.
async fn remove_finalizer(t: &Target, uid: &str, finalizer: &str) -> Result<(), Error> {
    for _ in 0..5 {
        let Some(latest) = live(t, uid).await? else {
            return Ok(());
        };
        let fins = latest.finalizers.clone().unwrap_or_default();
        if !fins.iter().any(|f| f == finalizer) {
            return Ok(());
        }
        let rest: Vec<&String> = fins.iter().filter(|f| *f != finalizer).collect();
        let value = if rest.is_empty() {
            Value::Null
        } else {
            json!(rest)
        };
        let patch = meta_patch(&latest, "finalizers", value);
        match t
            .write
            .patch(&t.name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if is_code(&e, 404) => return Ok(()),
            Err(e) if is_code(&e, 409) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Other(format!(
        "conflicts while removing finalizer {finalizer} from {}",
        t.key
    )))
}

/// Deletes the object with `uid` (a namesake created since is left alone).
async fn delete(t: &Target, uid: &str, policy: PropagationPolicy) -> Result<(), Error> {
    let dp = DeleteParams {
        propagation_policy: Some(policy),
        preconditions: Some(Preconditions {
            uid: Some(uid.to_string()),
            resource_version: None,
        }),
        ..Default::default()
    };
    match t.write.delete(&t.name, &dp).await {
        Ok(_) => Ok(()),
        // Gone, or the uid precondition failed: the object we meant is gone either way.
        Err(e) if is_code(&e, 404) || is_code(&e, 409) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
