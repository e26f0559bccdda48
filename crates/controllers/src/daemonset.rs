//! The DaemonSet controller: one pod on every eligible node (node selector, required node
//! affinity, taints against tolerations), created with an affinity that pins it to its
//! node for the scheduler to bind; rolling updates within `maxUnavailable`/`maxSurge`;
//! ControllerRevisions as history; status as `kubectl get ds` and `kubectl rollout
//! status` read it. Node changes resync every DaemonSet.

#[path = "daemonset_placement.rs"]
mod placement;
#[path = "daemonset_update.rs"]
mod update;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::watcher::{self, watcher};
use kube::runtime::{PredicateConfig, WatchStreamExt};
use kube::{Resource, ResourceExt};
use serde_json::json;

use futures::StreamExt as _;

use crate::context::{Context, Ctl, Error, drive};
use crate::statefulset::history::{self, REVISION_HASH_LABEL};
use crate::statefulset::podstate::{self, is_available, is_not_found, is_ready, publish};
use update::{NodePods, Plan, Removal};

const RESYNC: Duration = Duration::from_secs(300);

pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let client = ctx.client.clone();
    let ctl = ctx.ctl("daemonset-controller");
    // Only changes that can move a daemon pod (labels, taints, cordoning) resync the sets.
    let node_changes = watcher(Api::<Node>::all(client.clone()), watcher::Config::default())
        .default_backoff()
        .touched_objects()
        .predicate_filter(placement_hash, PredicateConfig::default())
        .filter_map(|r| futures::future::ready(r.ok().map(|_| ())));
    drive(
        Controller::new(
            Api::<DaemonSet>::all(client.clone()),
            watcher::Config::default(),
        )
        .owns(Api::<Pod>::all(client), watcher::Config::default())
        .reconcile_all_on(node_changes)
        .run(reconcile, error_policy, ctl),
        "daemonset",
    )
    .await;
    Ok(())
}

/// What of a node decides where daemon pods go.
fn placement_hash(node: &Node) -> Option<u64> {
    let spec = node.spec.as_ref();
    let key = (
        &node.metadata.labels,
        spec.and_then(|s| s.taints.as_ref()),
        spec.and_then(|s| s.unschedulable),
    );
    let text = serde_json::to_string(&key).ok()?;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::hash::Hash::hash(&text, &mut h);
    Some(std::hash::Hasher::finish(&h))
}

fn error_policy(_ds: Arc<DaemonSet>, err: &Error, _ctl: Arc<Ctl>) -> Action {
    tracing::debug!(error = %err, "daemonset sync failed; retrying");
    Action::requeue(Duration::from_secs(2))
}

async fn reconcile(ds: Arc<DaemonSet>, ctl: Arc<Ctl>) -> Result<Action, Error> {
    let (Some(spec), None) = (ds.spec.as_ref(), ds.metadata.deletion_timestamp.as_ref()) else {
        return Ok(Action::await_change());
    };
    let ns = ds.namespace().unwrap_or_default();
    let uid = ds.metadata.uid.clone().unwrap_or_default();
    let now = Timestamp::now();
    let min_ready = spec.min_ready_seconds.unwrap_or(0);

    let owner = history::Owner {
        meta: &ds.metadata,
        api_version: "apps/v1",
        kind: "DaemonSet",
        selector: &spec.selector,
        template_labels: template_labels(&ds),
    };
    let status = ds.status.clone().unwrap_or_default();
    let mut revisions = history::list(&ctl.client, &owner).await?;
    let mut collision = status.collision_count.unwrap_or(0);
    let data = history::template_patch(&spec.template)?;
    let cur = history::ensure(&ctl.client, &owner, &mut revisions, data, &mut collision).await?;
    let hash = cur
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(REVISION_HASH_LABEL).cloned())
        .unwrap_or_default();

    let nodes = Api::<Node>::all(ctl.client.clone())
        .list(&ListParams::default())
        .await?
        .items;
    let mut pods = podstate::owned_pods(&ctl.client, &ns, &spec.selector, &uid).await?;
    pods.sort_by_key(|p| p.metadata.creation_timestamp.as_ref().map(|t| t.0));
    let mut template_spec = spec.template.spec.clone().unwrap_or_default();
    placement::add_daemon_tolerations(&mut template_spec);

    let mut by_node: HashMap<String, Vec<&Pod>> = HashMap::new();
    for p in &pods {
        if let Some(n) = placement::target_node(p) {
            by_node.entry(n).or_default().push(p);
        }
    }
    let node_names: HashSet<String> = nodes.iter().map(|n| n.name_any()).collect();
    let mut per_node: Vec<NodePods<'_>> = nodes
        .iter()
        .map(|n| {
            let (should_run, should_continue) = placement::should_run(&template_spec, n);
            NodePods {
                node: n.name_any(),
                should_run,
                should_continue,
                pods: by_node.get(&n.name_any()).cloned().unwrap_or_default(),
            }
        })
        .collect();
    // Pods for nodes that are gone go too.
    for (n, ps) in &by_node {
        if !node_names.contains(n) {
            per_node.push(NodePods {
                node: n.clone(),
                should_run: false,
                should_continue: false,
                pods: ps.clone(),
            });
        }
    }

    let surge_spec = spec
        .update_strategy
        .as_ref()
        .and_then(|s| s.rolling_update.as_ref());
    let rolling_update = spec
        .update_strategy
        .as_ref()
        .and_then(|s| s.type_.as_deref())
        != Some("OnDelete");
    let desired = per_node.iter().filter(|n| n.should_run).count();
    let desired = i32::try_from(desired).unwrap_or(i32::MAX);
    let max_surge = if rolling_update {
        update::scaled(surge_spec.and_then(|r| r.max_surge.as_ref()), desired, 0)
    } else {
        0
    };
    let mut plan = update::manage(&per_node, &hash, max_surge > 0, min_ready, now);
    if plan.is_empty() && rolling_update {
        let max_unavailable = update::scaled(
            surge_spec.and_then(|r| r.max_unavailable.as_ref()),
            desired,
            1,
        );
        plan = update::rolling(&per_node, &hash, max_unavailable, max_surge, min_ready, now);
    }
    let result = execute(&ctl, &ds, &template_spec, &hash, plan).await;

    write_status(&ctl, &ds, &per_node, &hash, collision, now).await?;
    let mut live: HashSet<String> = HashSet::from([cur.metadata.name.clone().unwrap_or_default()]);
    for r in &revisions {
        let h = r
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(REVISION_HASH_LABEL));
        if pods
            .iter()
            .any(|p| h.is_some_and(|h| update::is_updated(p, h)))
        {
            live.insert(r.metadata.name.clone().unwrap_or_default());
        }
    }
    let limit = spec.revision_history_limit.unwrap_or(10);
    history::truncate(&ctl.client, &owner, &revisions, &live, limit).await?;
    result?;

    let wait = pods
        .iter()
        .filter_map(|p| podstate::until_available(p, min_ready, now))
        .min()
        .map(|d| d + Duration::from_millis(100))
        .unwrap_or(RESYNC);
    Ok(Action::requeue(wait.min(RESYNC)))
}

fn template_labels(ds: &DaemonSet) -> BTreeMap<String, String> {
    ds.spec
        .as_ref()
        .and_then(|s| s.template.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default()
}

/// A daemon pod for `node` (generateName `<ds>-`).
fn new_pod(
    ds: &DaemonSet,
    spec: &k8s_openapi::api::core::v1::PodSpec,
    hash: &str,
    node: &str,
) -> Pod {
    let tmeta = ds
        .spec
        .as_ref()
        .and_then(|s| s.template.metadata.clone())
        .unwrap_or_default();
    let mut labels = tmeta.labels.unwrap_or_default();
    labels.insert(REVISION_HASH_LABEL.into(), hash.into());
    labels.insert(
        "pod-template-generation".into(),
        ds.metadata.generation.unwrap_or(1).to_string(),
    );
    let mut spec = spec.clone();
    spec.affinity = Some(placement::pin_to_node(spec.affinity.take(), node));
    Pod {
        metadata: ObjectMeta {
            generate_name: Some(format!("{}-", ds.name_any())),
            namespace: ds.metadata.namespace.clone(),
            labels: Some(labels),
            annotations: tmeta.annotations,
            finalizers: tmeta.finalizers,
            owner_references: Some(vec![podstate::controller_ref(
                &ds.metadata,
                "apps/v1",
                "DaemonSet",
            )]),
            ..Default::default()
        },
        spec: Some(spec),
        status: None,
    }
}

async fn execute(
    ctl: &Ctl,
    ds: &DaemonSet,
    spec: &k8s_openapi::api::core::v1::PodSpec,
    hash: &str,
    plan: Plan,
) -> Result<(), Error> {
    let ns = ds.namespace().unwrap_or_default();
    let api: Api<Pod> = Api::namespaced(ctl.client.clone(), &ns);
    let dref = ds.object_ref(&());
    for (pod, why) in plan.delete {
        if let Removal::Failed { node } = &why {
            let note =
                format!("Found failed daemon pod {ns}/{pod} on node {node}, will try to kill it");
            publish(&ctl.recorder, &dref, true, "FailedDaemonPod", note).await;
        }
        match api.delete(&pod, &DeleteParams::default()).await {
            Ok(_) => {
                publish(
                    &ctl.recorder,
                    &dref,
                    false,
                    "SuccessfulDelete",
                    format!("Deleted pod: {pod}"),
                )
                .await
            }
            Err(e) if is_not_found(&e) => {}
            Err(e) => {
                publish(
                    &ctl.recorder,
                    &dref,
                    true,
                    "FailedDelete",
                    format!("Error deleting: {e}"),
                )
                .await;
                return Err(e.into());
            }
        }
    }
    let mut nodes = plan.create_on.into_iter();
    for batch in podstate::slow_start_batches(nodes.len()) {
        let calls = nodes.by_ref().take(batch).map(|node| {
            let pod = new_pod(ds, spec, hash, &node);
            let api = api.clone();
            async move { api.create(&PostParams::default(), &pod).await }
        });
        let mut failed = None;
        for r in futures::future::join_all(calls).await {
            match r {
                Ok(p) => {
                    let note = format!("Created pod: {}", p.name_any());
                    publish(&ctl.recorder, &dref, false, "SuccessfulCreate", note).await;
                }
                Err(e) => {
                    publish(
                        &ctl.recorder,
                        &dref,
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
    Ok(())
}

async fn write_status(
    ctl: &Ctl,
    ds: &DaemonSet,
    per_node: &[NodePods<'_>],
    hash: &str,
    collision: i32,
    now: Timestamp,
) -> Result<(), Error> {
    let min_ready = ds
        .spec
        .as_ref()
        .and_then(|s| s.min_ready_seconds)
        .unwrap_or(0);
    let (mut desired, mut scheduled, mut misscheduled) = (0, 0, 0);
    let (mut ready, mut available, mut updated) = (0, 0, 0);
    for n in per_node {
        let live: Vec<&&Pod> = n
            .pods
            .iter()
            .filter(|p| !(podstate::is_terminating(p) && podstate::is_finished(p)))
            .collect();
        if !n.should_run {
            misscheduled += i32::from(!live.is_empty());
            continue;
        }
        desired += 1;
        let Some(oldest) = live.first() else {
            continue;
        };
        scheduled += 1;
        if is_ready(oldest) {
            ready += 1;
            available += i32::from(is_available(oldest, min_ready, now));
        }
        updated += i32::from(update::is_updated(oldest, hash));
    }
    let new = json!({
        "observedGeneration": ds.metadata.generation,
        "desiredNumberScheduled": desired,
        "currentNumberScheduled": scheduled,
        "numberMisscheduled": misscheduled,
        "numberReady": ready,
        "numberAvailable": podstate::nonzero(available),
        "numberUnavailable": podstate::nonzero(desired - available),
        "updatedNumberScheduled": podstate::nonzero(updated),
        "collisionCount": podstate::nonzero(collision),
    });
    let old = ds
        .status
        .as_ref()
        .and_then(|s| serde_json::to_value(s).ok());
    let api: Api<DaemonSet> =
        Api::namespaced(ctl.client.clone(), &ds.namespace().unwrap_or_default());
    podstate::patch_status(&api, &ds.name_any(), old.as_ref(), new).await?;
    Ok(())
}
