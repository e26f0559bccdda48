//! The StatefulSet controller: pods with stable names and storage, created and removed
//! in ordinal order (OrderedReady) or all at once (Parallel), claims from
//! `volumeClaimTemplates` that outlive their pods (unless the retention policy says
//! otherwise), rolling updates with a partition or OnDelete, and ControllerRevisions as
//! the template history (`kubectl rollout history|undo statefulset`).

#[path = "statefulset_history.rs"]
pub(crate) mod history;
#[path = "statefulset_plan.rs"]
mod plan;
#[path = "statefulset_pods.rs"]
mod pods;
#[path = "statefulset_podstate.rs"]
pub(crate) mod podstate;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ObjectReference, PersistentVolumeClaim, Pod, PodTemplateSpec};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::watcher;
use kube::{Resource, ResourceExt};
use serde_json::json;

use crate::context::{Context, Ctl, Error, drive};
use plan::{Counts, Step};
use podstate::{is_conflict, is_not_found, nonzero, publish};

const RESYNC: Duration = Duration::from_secs(300);

pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let client = ctx.client.clone();
    let ctl = ctx.ctl("statefulset-controller");
    drive(
        Controller::new(
            Api::<StatefulSet>::all(client.clone()),
            watcher::Config::default(),
        )
        .owns(Api::<Pod>::all(client), watcher::Config::default())
        .run(reconcile, error_policy, ctl),
        "statefulset",
    )
    .await;
    Ok(())
}

fn error_policy(_set: Arc<StatefulSet>, err: &Error, _ctl: Arc<Ctl>) -> Action {
    tracing::debug!(error = %err, "statefulset sync failed; retrying");
    Action::requeue(Duration::from_secs(2))
}

/// The templates of the current and update revisions, with the revisions' names.
struct Revisions {
    current: String,
    current_template: PodTemplateSpec,
    update: String,
    update_template: PodTemplateSpec,
}

async fn reconcile(set: Arc<StatefulSet>, ctl: Arc<Ctl>) -> Result<Action, Error> {
    let (Some(spec), None) = (set.spec.as_ref(), set.metadata.deletion_timestamp.as_ref()) else {
        return Ok(Action::await_change());
    };
    let ns = set.namespace().unwrap_or_default();
    let name = set.name_any();
    let uid = set.metadata.uid.clone().unwrap_or_default();
    let pods: Vec<Pod> = podstate::owned_pods(&ctl.client, &ns, &spec.selector, &uid)
        .await?
        .into_iter()
        .filter(|p| pods::ordinal_of(&name, p.metadata.name.as_deref().unwrap_or("")).is_some())
        .collect();

    let owner = history::Owner {
        meta: &set.metadata,
        api_version: "apps/v1",
        kind: "StatefulSet",
        selector: &spec.selector,
        template_labels: spec
            .template
            .metadata
            .as_ref()
            .and_then(|m| m.labels.clone())
            .unwrap_or_default(),
    };
    let status = set.status.clone().unwrap_or_default();
    let mut all_revisions = history::list(&ctl.client, &owner).await?;
    let mut collision = status.collision_count.unwrap_or(0);
    let data = history::template_patch(&spec.template)?;
    let update = history::ensure(
        &ctl.client,
        &owner,
        &mut all_revisions,
        data,
        &mut collision,
    )
    .await?;
    let update_name = update.metadata.name.clone().unwrap_or_default();
    let current = status
        .current_revision
        .as_deref()
        .and_then(|n| {
            all_revisions
                .iter()
                .find(|r| r.metadata.name.as_deref() == Some(n))
        })
        .unwrap_or(&update);
    let revs = Revisions {
        current: current.metadata.name.clone().unwrap_or_default(),
        current_template: history::template_of(current).unwrap_or_else(|| spec.template.clone()),
        update: update_name,
        update_template: spec.template.clone(),
    };

    let now = Timestamp::now();
    let strategy = spec.update_strategy.clone().unwrap_or_default();
    let rolling = strategy.type_.as_deref() != Some("OnDelete");
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    let input = plan::Input {
        set_name: &name,
        replicas: spec.replicas.unwrap_or(1),
        start: spec.ordinals.as_ref().and_then(|o| o.start).unwrap_or(0),
        monotonic: spec.pod_management_policy.as_deref() != Some("Parallel"),
        rolling,
        partition: strategy
            .rolling_update
            .and_then(|r| r.partition)
            .unwrap_or(0),
        min_ready_seconds: min_ready,
        update_revision: &revs.update,
        now,
    };
    fix_identities(&ctl, &set, &pods).await?;
    if pods::retention(&set) != ("Retain".into(), "Retain".into()) {
        let start = spec.ordinals.as_ref().and_then(|o| o.start).unwrap_or(0);
        let end = start + spec.replicas.unwrap_or(1);
        for p in &pods {
            let ord = pods::ordinal_of(&name, p.metadata.name.as_deref().unwrap_or(""));
            if let Some(ord) = ord.filter(|o| (start..end).contains(o)) {
                sync_claim_owners(&ctl, &set, ord, Some(p), false).await?;
            }
        }
    }
    let steps = plan::plan(&input, &pods);
    let mut counts = plan::counts(&pods, &revs.current, &revs.update, min_ready, now);
    let result = execute(&ctl, &set, &revs, &pods, steps, &mut counts).await;

    // Status, even when a step failed.
    let (mut current_name, mut current_count) = (revs.current.clone(), counts.current);
    if rolling && counts.updated == counts.replicas && counts.ready == counts.replicas {
        current_name = revs.update.clone();
        current_count = counts.updated;
    }
    let new = json!({
        "observedGeneration": set.metadata.generation,
        "replicas": counts.replicas,
        "readyReplicas": nonzero(counts.ready),
        "currentReplicas": nonzero(current_count),
        "updatedReplicas": nonzero(counts.updated),
        "availableReplicas": counts.available,
        "currentRevision": current_name,
        "updateRevision": revs.update,
        "collisionCount": collision,
    });
    let old = set
        .status
        .as_ref()
        .and_then(|s| serde_json::to_value(s).ok());
    let api: Api<StatefulSet> = Api::namespaced(ctl.client.clone(), &ns);
    podstate::patch_status(&api, &name, old.as_ref(), new).await?;

    let mut live: HashSet<String> = pods
        .iter()
        .map(|p| plan::revision_of(p).to_string())
        .collect();
    live.insert(current_name);
    live.insert(revs.update.clone());
    let limit = spec.revision_history_limit.unwrap_or(10);
    history::truncate(&ctl.client, &owner, &all_revisions, &live, limit).await?;
    result?;

    let wait = pods
        .iter()
        .filter_map(|p| podstate::until_available(p, min_ready, now))
        .min()
        .map(|d| d + Duration::from_millis(100))
        .unwrap_or(RESYNC);
    Ok(Action::requeue(wait.min(RESYNC)))
}

/// Restores identity labels removed from live pods.
async fn fix_identities(ctl: &Ctl, set: &StatefulSet, live: &[Pod]) -> Result<(), Error> {
    let api: Api<Pod> = Api::namespaced(ctl.client.clone(), &set.namespace().unwrap_or_default());
    for p in live {
        let pname = p.metadata.name.as_deref().unwrap_or("");
        let Some(ord) = pods::ordinal_of(&set.name_any(), pname) else {
            continue;
        };
        if let Some(fix) = pods::identity_fix(p, ord).filter(|_| !podstate::is_terminating(p)) {
            let patch = json!({"metadata": {"labels": fix}});
            api.patch(pname, &PatchParams::default(), &Patch::Merge(patch))
                .await?;
        }
    }
    Ok(())
}

fn set_ref(set: &StatefulSet) -> ObjectReference {
    set.object_ref(&())
}

async fn execute(
    ctl: &Ctl,
    set: &StatefulSet,
    revs: &Revisions,
    existing: &[Pod],
    steps: Vec<Step>,
    counts: &mut Counts,
) -> Result<(), Error> {
    let ns = set.namespace().unwrap_or_default();
    let name = set.name_any();
    let api: Api<Pod> = Api::namespaced(ctl.client.clone(), &ns);
    for step in steps {
        match step {
            Step::Create { ordinal, current } => {
                let (t, rev) = if current {
                    (&revs.current_template, &revs.current)
                } else {
                    (&revs.update_template, &revs.update)
                };
                create_claims(ctl, set, ordinal).await?;
                let pod = pods::new_pod(set, t, rev, ordinal);
                let pname = pod.metadata.name.clone().unwrap_or_default();
                match api.create(&PostParams::default(), &pod).await {
                    Ok(_) => {
                        let note = format!("create Pod {pname} in StatefulSet {name} successful");
                        publish(
                            &ctl.recorder,
                            &set_ref(set),
                            false,
                            "SuccessfulCreate",
                            note,
                        )
                        .await;
                        counts.replicas += 1;
                        counts.current += i32::from(*rev == revs.current);
                        counts.updated += i32::from(*rev == revs.update);
                    }
                    Err(e) if is_conflict(&e) => {}
                    Err(e) => {
                        let note =
                            format!("create Pod {pname} in StatefulSet {name} failed error: {e}");
                        publish(&ctl.recorder, &set_ref(set), true, "FailedCreate", note).await;
                        return Err(e.into());
                    }
                }
            }
            Step::EnsureClaims { ordinal } => create_claims(ctl, set, ordinal).await?,
            Step::RecreateFailed { name: pname } => {
                let note = format!("StatefulSet {ns}/{name} is recreating failed Pod {pname}");
                publish(
                    &ctl.recorder,
                    &set_ref(set),
                    true,
                    "RecreatingFailedPod",
                    note,
                )
                .await;
                delete_pod(ctl, set, &api, &pname).await?;
            }
            Step::Delete {
                name: pname,
                ordinal,
                condemned,
            } => {
                let pod = existing
                    .iter()
                    .find(|p| p.metadata.name.as_deref() == Some(&pname));
                if condemned {
                    sync_claim_owners(ctl, set, ordinal, pod, true).await?;
                }
                delete_pod(ctl, set, &api, &pname).await?;
                if let Some(p) = pod {
                    counts.current -= i32::from(plan::revision_of(p) == revs.current);
                    counts.updated -= i32::from(plan::revision_of(p) == revs.update);
                }
            }
        }
    }
    Ok(())
}

async fn delete_pod(ctl: &Ctl, set: &StatefulSet, api: &Api<Pod>, pod: &str) -> Result<(), Error> {
    let name = set.name_any();
    match api.delete(pod, &DeleteParams::default()).await {
        Ok(_) => {
            let note = format!("delete Pod {pod} in StatefulSet {name} successful");
            publish(
                &ctl.recorder,
                &set_ref(set),
                false,
                "SuccessfulDelete",
                note,
            )
            .await;
            Ok(())
        }
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => {
            let note = format!("delete Pod {pod} in StatefulSet {name} failed error: {e}");
            publish(&ctl.recorder, &set_ref(set), true, "FailedDelete", note).await;
            Err(e.into())
        }
    }
}

/// Creates the claims of `ordinal` that do not exist yet.
async fn create_claims(ctl: &Ctl, set: &StatefulSet, ordinal: i32) -> Result<(), Error> {
    let ns = set.namespace().unwrap_or_default();
    let api: Api<PersistentVolumeClaim> = Api::namespaced(ctl.client.clone(), &ns);
    let pod = pods::pod_name(&set.name_any(), ordinal);
    for mut claim in pods::claims_for(set, ordinal) {
        let cname = claim.metadata.name.clone().unwrap_or_default();
        if api.get_opt(&cname).await?.is_some() {
            continue;
        }
        if let Some(refs) = pods::claim_owners(set, &claim, None, false) {
            claim.metadata.owner_references = Some(refs);
        }
        let set_name = set.name_any();
        match api.create(&PostParams::default(), &claim).await {
            Ok(_) => {
                let note =
                    format!("create Claim {cname} Pod {pod} in StatefulSet {set_name} success");
                publish(
                    &ctl.recorder,
                    &set_ref(set),
                    false,
                    "SuccessfulCreate",
                    note,
                )
                .await;
            }
            Err(e) if is_conflict(&e) => {}
            Err(e) => {
                let note = format!(
                    "create Claim {cname} for Pod {pod} in StatefulSet {set_name} failed error: {e}"
                );
                publish(&ctl.recorder, &set_ref(set), true, "FailedCreate", note).await;
                return Err(e.into());
            }
        }
    }
    Ok(())
}

/// Points the claims of `ordinal` at their owners under the retention policy (the pod
/// owns them when it is condemned and `whenScaled: Delete`).
async fn sync_claim_owners(
    ctl: &Ctl,
    set: &StatefulSet,
    ordinal: i32,
    pod: Option<&Pod>,
    condemned: bool,
) -> Result<(), Error> {
    let ns = set.namespace().unwrap_or_default();
    let api: Api<PersistentVolumeClaim> = Api::namespaced(ctl.client.clone(), &ns);
    for want in pods::claims_for(set, ordinal) {
        let cname = want.metadata.name.clone().unwrap_or_default();
        let Some(claim) = api.get_opt(&cname).await? else {
            continue;
        };
        if let Some(refs) = pods::claim_owners(set, &claim, pod, condemned) {
            let patch = json!({"metadata": {"ownerReferences": refs}});
            api.patch(&cname, &PatchParams::default(), &Patch::Merge(patch))
                .await?;
        }
    }
    Ok(())
}
