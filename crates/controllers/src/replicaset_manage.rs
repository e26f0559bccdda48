//! One sync of a replica owner: claim pods, create or delete the difference (slow-start
//! batches, upstream's deletion order) and compute/write the status.

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use k8s_openapi::api::apps::v1::{ReplicaSetCondition, ReplicaSetStatus};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use super::Selector;
use super::claim::{self, Claim, controller_of, is_status};
use super::engine::api_message;
use super::engine::{Owner, Shared};
use super::pods::{self, is_available, is_ready, ready_since};
use crate::context::Error;

/// Upstream's `burstReplicas`: at most this many creates or deletes per sync.
const BURST: usize = 500;

/// `claimPods`: the active pods this owner controls after adopting matching orphans and
/// releasing owned pods it no longer selects.
pub(crate) async fn claim_pods<K: Owner>(
    sh: &Shared<K>,
    owner: &K,
    active: Vec<Arc<Pod>>,
    api: &Api<Pod>,
) -> Result<Vec<Arc<Pod>>, Error> {
    let selector = owner.selector();
    let uid = owner.meta().uid.clone().unwrap_or_default();
    let deleting = owner.meta().deletion_timestamp.is_some();
    let mut owned = Vec::new();
    let mut can_adopt: Option<bool> = None;
    for pod in active {
        let selected = selector.matches(pod.metadata.labels.as_ref());
        match claim::decide(&pod.metadata, &uid, deleting, selected) {
            Claim::Owned => owned.push(pod),
            Claim::Ignore => {}
            Claim::Release => {
                claim::release(api, pod.as_ref(), &uid).await?;
            }
            Claim::Adopt => {
                // Recheck with a live read that the owner is not being deleted (#42639).
                if can_adopt.is_none() {
                    let fresh = Api::<K>::namespaced(
                        sh.client.clone(),
                        &owner.namespace().unwrap_or_default(),
                    )
                    .get_opt(&owner.name_any())
                    .await?;
                    can_adopt = Some(fresh.is_some_and(|f| {
                        f.meta().uid.as_deref() == Some(uid.as_str())
                            && f.meta().deletion_timestamp.is_none()
                    }));
                }
                let Some(oref) = claim::controller_ref(owner) else {
                    continue;
                };
                if can_adopt == Some(true) && claim::adopt(api, pod.as_ref(), oref).await? {
                    owned.push(pod);
                }
            }
        }
    }
    Ok(owned)
}

/// Pods controlled by owners that share this owner's controller (for deletion ranks).
fn related_pods<K: Owner>(sh: &Shared<K>, owner: &K, ns: &str) -> Vec<Arc<Pod>> {
    let Some(boss) = controller_of(owner.meta()).map(|r| r.uid.clone()) else {
        return Vec::new();
    };
    let siblings: Vec<_> = sh
        .owners
        .state()
        .into_iter()
        .filter(|o| o.meta().namespace.as_deref() == Some(ns))
        .filter(|o| controller_of(o.meta()).is_some_and(|r| r.uid == boss))
        .map(|o| o.selector())
        .collect();
    sh.pods
        .state()
        .into_iter()
        .filter(|p| p.metadata.namespace.as_deref() == Some(ns))
        .filter(|p| {
            siblings
                .iter()
                .any(|s| s.matches(p.metadata.labels.as_ref()))
        })
        .collect()
}

/// `manageReplicas`: creates or deletes pods so that `owned` has `spec.replicas` pods.
pub(crate) async fn manage_replicas<K: Owner>(
    sh: &Shared<K>,
    owner: &K,
    key: &str,
    owned: &[Arc<Pod>],
    api: &Api<Pod>,
) -> Result<(), Error> {
    let want = usize::try_from(owner.replicas()).unwrap_or(0);
    let regarding = owner.object_ref(&());
    if owned.len() < want {
        let count = (want - owned.len()).min(BURST);
        let template = owner
            .template()
            .ok_or_else(|| Error::Other("the pod template is missing".into()))?;
        let oref = claim::controller_ref(owner)
            .ok_or_else(|| Error::Other("the owner has no name or uid".into()))?;
        let pod = pods::pod_from_template(template, &owner.name_any(), oref);
        if pod.metadata.labels.as_ref().is_none_or(|l| l.is_empty()) {
            return Err(Error::Other("unable to create pods, no labels".into()));
        }
        // Slow start: batches of 1, 2, 4, ... stop at the first batch with a failure.
        let mut done = 0;
        let mut batch = count.min(1);
        let pp = PostParams::default();
        while batch > 0 {
            let results = join_all((0..batch).map(|_| api.create(&pp, &pod))).await;
            let mut failure = None;
            for r in results {
                match r {
                    Ok(p) => {
                        let n = p.name_any();
                        sh.events.normal(
                            &regarding,
                            "SuccessfulCreate",
                            format!("Created pod: {n}"),
                        );
                        sh.expectations.created(key, n);
                    }
                    Err(e) if namespace_terminating(&e) => return Ok(()),
                    Err(e) => {
                        let msg = format!("Error creating: {}", api_message(&e));
                        sh.events.warning(&regarding, "FailedCreate", msg);
                        failure.get_or_insert(e);
                    }
                }
            }
            if let Some(e) = failure {
                return Err(e.into());
            }
            done += batch;
            batch = (2 * batch).min(count - done);
        }
    } else if owned.len() > want {
        let count = (owned.len() - want).min(BURST);
        let ns = owner.namespace().unwrap_or_default();
        let related = related_pods(sh, owner, &ns);
        let victims = pods::pods_to_delete(owned.to_vec(), &related, count, Timestamp::now());
        sh.expectations
            .deleting(key, victims.iter().map(|p| p.name_any()));
        let results = join_all(victims.iter().map(|p| async move {
            (
                p.name_any(),
                api.delete(&p.name_any(), &DeleteParams::default()).await,
            )
        }))
        .await;
        let mut failure = None;
        for (name, r) in results {
            match r {
                Ok(_) => sh.events.normal(
                    &regarding,
                    "SuccessfulDelete",
                    format!("Deleted pod: {name}"),
                ),
                Err(e) if is_status(&e, 404) => {}
                Err(e) => {
                    sh.expectations.delete_failed(key, &name);
                    let msg = format!("Error deleting: {}", api_message(&e));
                    sh.events.warning(&regarding, "FailedDelete", msg);
                    failure.get_or_insert(e);
                }
            }
        }
        if let Some(e) = failure {
            return Err(e.into());
        }
    }
    Ok(())
}

fn namespace_terminating(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.details.as_ref().is_some_and(|d| {
        d.causes.iter().any(|c| c.reason == "NamespaceTerminating")
    }))
}

/// `calculateStatus`: counts of the owned pods, and the ReplicaFailure condition.
pub(crate) fn calculate_status<K: Owner>(
    owner: &K,
    owned: &[Arc<Pod>],
    failure: Option<&Error>,
    now: Timestamp,
) -> ReplicaSetStatus {
    let mut status = owner.status();
    let template_labels = Selector::Labels(
        owner
            .template()
            .and_then(|t| t.metadata.as_ref())
            .and_then(|m| m.labels.clone())
            .unwrap_or_default(),
    );
    let fully = owned
        .iter()
        .filter(|p| template_labels.matches(p.metadata.labels.as_ref()))
        .count();
    let ready = owned.iter().filter(|p| is_ready(p)).count();
    let min_ready = owner.min_ready_seconds();
    let available = owned
        .iter()
        .filter(|p| is_available(p, min_ready, now))
        .count();
    let conds = status.conditions.take().unwrap_or_default();
    let has_failure = conds.iter().any(|c| c.type_ == "ReplicaFailure");
    let mut conds: Vec<ReplicaSetCondition> = conds;
    match failure {
        Some(err) if !has_failure => {
            let diff = owned.len() as i64 - i64::from(owner.replicas());
            let reason = if diff < 0 {
                "FailedCreate"
            } else {
                "FailedDelete"
            };
            conds.push(ReplicaSetCondition {
                type_: "ReplicaFailure".into(),
                status: "True".into(),
                reason: Some(reason.into()),
                message: Some(match err {
                    Error::Kube(e) => api_message(e),
                    other => other.to_string(),
                }),
                last_transition_time: Some(Time(
                    Timestamp::from_second(now.as_second()).unwrap_or(now),
                )),
            });
        }
        None if has_failure => conds.retain(|c| c.type_ != "ReplicaFailure"),
        _ => {}
    }
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    status.replicas = count(owned.len());
    status.fully_labeled_replicas = Some(count(fully));
    status.ready_replicas = Some(count(ready));
    status.available_replicas = Some(count(available));
    status.conditions = (!conds.is_empty()).then_some(conds);
    status
}

/// How long until the next ready-but-not-yet-available pod becomes available.
pub(crate) fn next_available_in(
    owned: &[Arc<Pod>],
    min_ready: i32,
    now: Timestamp,
) -> Option<Duration> {
    if min_ready <= 0 {
        return None;
    }
    owned
        .iter()
        .filter(|p| !is_available(p, min_ready, now))
        .filter_map(|p| ready_since(p).flatten())
        .map(|t| t.as_second() + i64::from(min_ready) + 1 - now.as_second())
        .min()
        .map(|secs| Duration::from_secs(u64::try_from(secs.max(1)).unwrap_or(1)))
}

fn nonzero(v: Option<i32>) -> Value {
    match v {
        Some(n) if n != 0 => json!(n),
        _ => Value::Null,
    }
}

/// `updateReplicaSetStatus`: writes the status (and observedGeneration) when it changed.
pub(crate) async fn update_status<K: Owner>(
    sh: &Shared<K>,
    owner: &K,
    status: ReplicaSetStatus,
) -> Result<(), Error> {
    let old = owner.status();
    let generation = owner.meta().generation.unwrap_or(0);
    let z = |v: Option<i32>| v.unwrap_or(0);
    let same = old.replicas == status.replicas
        && z(old.fully_labeled_replicas) == z(status.fully_labeled_replicas)
        && z(old.ready_replicas) == z(status.ready_replicas)
        && z(old.available_replicas) == z(status.available_replicas)
        && old.observed_generation.unwrap_or(0) >= generation
        && old.conditions.as_deref().unwrap_or_default()
            == status.conditions.as_deref().unwrap_or_default();
    if same {
        return Ok(());
    }
    let conditions = status.conditions.as_ref().map_or(Value::Null, |c| {
        serde_json::to_value(c).unwrap_or(Value::Null)
    });
    let patch = json!({"status": {
        "replicas": status.replicas,
        "fullyLabeledReplicas": nonzero(status.fully_labeled_replicas),
        "readyReplicas": nonzero(status.ready_replicas),
        "availableReplicas": nonzero(status.available_replicas),
        "observedGeneration": if generation == 0 { Value::Null } else { json!(generation) },
        "conditions": conditions,
    }});
    let api: Api<K> = Api::namespaced(sh.client.clone(), &owner.namespace().unwrap_or_default());
    match api
        .patch_status(
            &owner.name_any(),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_status(&e, 404) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
