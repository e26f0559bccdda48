//! The deployment controller (upstream `pkg/controller/deployment`): one ReplicaSet per
//! pod template (named by the pod-template hash), RollingUpdate within
//! maxSurge/maxUnavailable and Recreate, revisions and the annotations `kubectl rollout
//! history|undo` read, scaling (proportional during rollouts), pause, history cleanup,
//! and the status and conditions `kubectl rollout status` waits on.

use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, stream};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use kube::ResourceExt;
use kube::api::Api;
use kube::runtime::controller::{self, Action, ReconcileRequest, trigger_self, trigger_with};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, applier, watcher};

use crate::context::{Context, Error};
use crate::replicaset::Selector;
use crate::replicaset::claim::controller_of;
use crate::replicaset::engine::EventSink;
use crate::replicaset::expect::Backoff;

#[path = "deployment_plan.rs"]
mod plan;
#[path = "deployment_rollout.rs"]
mod rollout;
#[path = "deployment_status.rs"]
mod status;
#[path = "deployment_sync.rs"]
mod sync;
#[path = "deployment_util.rs"]
mod util;

#[cfg(test)]
#[path = "deployment_tests.rs"]
mod tests;

use sync::Dc;

/// Deployments to sync for a ReplicaSet change: its controlling Deployment, or for an
/// orphan every Deployment in its namespace whose selector matches it.
fn deployments_of_rs(
    deployments: &Store<Deployment>,
    rs: &ReplicaSet,
) -> Vec<ObjectRef<Deployment>> {
    let ns = rs.metadata.namespace.clone().unwrap_or_default();
    if let Some(r) = controller_of(&rs.metadata) {
        return if r.kind == "Deployment" && r.api_version == "apps/v1" {
            vec![ObjectRef::new(&r.name).within(&ns)]
        } else {
            Vec::new()
        };
    }
    let labels = rs.metadata.labels.as_ref();
    deployments
        .state()
        .iter()
        .filter(|d| d.metadata.namespace.as_deref() == Some(ns.as_str()))
        .filter(|d| {
            let s = Selector::typed(d.spec.as_ref().map(|s| &s.selector));
            !s.is_everything() && s.matches(labels)
        })
        .map(|d| ObjectRef::from_obj(d.as_ref()))
        .collect()
}

pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let client = ctx.client.clone();
    let (deployments, d_writer) = reflector::store::<Deployment>();
    let (rss, rs_writer) = reflector::store::<ReplicaSet>();
    let cfg = || watcher::Config::default().any_semantic();
    let d_events = watcher(Api::<Deployment>::all(client.clone()), cfg())
        .default_backoff()
        .reflect(d_writer)
        .touched_objects();
    let rs_events = watcher(Api::<ReplicaSet>::all(client.clone()), cfg())
        .default_backoff()
        .reflect(rs_writer)
        .touched_objects();
    let mapping = deployments.clone();
    let queue = stream::select(
        trigger_self(d_events, ()).boxed(),
        trigger_with(rs_events, move |rs: ReplicaSet| {
            deployments_of_rs(&mapping, &rs)
        })
        .boxed(),
    )
    .filter_map(
        |r: Result<ReconcileRequest<Deployment>, watcher::Error>| async move {
            match r {
                Ok(req) => Some(Ok::<_, watcher::Error>(req)),
                Err(e) => {
                    tracing::debug!(error = %e, "deployment controller watch error; retrying");
                    None
                }
            }
        },
    );
    let dc = Arc::new(Dc {
        events: EventSink::start(
            client.clone(),
            "deployment-controller",
            &ctx.options.identity,
        ),
        client,
        rss: rss.clone(),
        backoff: Backoff::default(),
    });
    let after = dc.clone();
    applier(
        |d, dc| Box::pin(reconcile(d, dc)),
        error_policy,
        dc,
        deployments,
        queue,
        controller::Config::default(),
    )
    .for_each(|res| {
        match res {
            Ok(_) => {}
            Err(controller::Error::ObjectNotFound(r)) => {
                after
                    .backoff
                    .reset(&format!("{}/{}", r.namespace.unwrap_or_default(), r.name));
            }
            Err(e) => tracing::debug!(error = %e, "deployment sync failed"),
        }
        std::future::ready(())
    })
    .await;
    Ok(())
}

fn key(d: &Deployment) -> String {
    format!("{}/{}", d.namespace().unwrap_or_default(), d.name_any())
}

fn error_policy(d: Arc<Deployment>, err: &Error, dc: Arc<Dc>) -> Action {
    let delay = dc.backoff.next(&key(&d));
    tracing::debug!(deployment = %key(&d), error = %err, ?delay, "deployment sync failed; retrying");
    Action::requeue(delay)
}

fn selects_everything(d: &Deployment) -> bool {
    d.spec.as_ref().is_some_and(|s| {
        s.selector
            .match_labels
            .as_ref()
            .is_none_or(|m| m.is_empty())
            && s.selector
                .match_expressions
                .as_ref()
                .is_none_or(|e| e.is_empty())
    })
}

/// `syncDeployment`.
async fn reconcile(obj: Arc<Deployment>, dc: Arc<Dc>) -> Result<Action, Error> {
    dc.rss
        .wait_until_ready()
        .await
        .map_err(|e| Error::Other(format!("replica set cache: {e}")))?;
    let mut d = obj.as_ref().clone();
    if selects_everything(&d) {
        let msg = "This deployment is selecting all pods. A non-empty selector is required.";
        dc.event(&d, true, "SelectingAll", msg.into());
        let observed = d
            .status
            .as_ref()
            .and_then(|s| s.observed_generation)
            .unwrap_or(0);
        if observed < d.metadata.generation.unwrap_or(0) {
            d.status
                .get_or_insert_with(Default::default)
                .observed_generation = d.metadata.generation;
            sync::update_status(&dc, &mut d).await?;
        }
        return Ok(Action::await_change());
    }
    let rss = sync::claim_replica_sets(&dc, &d).await?;
    let requeue = if d.metadata.deletion_timestamp.is_some() {
        // Being deleted: only the status is kept up to date.
        let (new, olds) = sync::new_and_old(&dc, &mut d, &rss, false).await?;
        let all: Vec<&ReplicaSet> = olds.iter().chain(new.as_ref()).collect();
        sync::sync_status(&dc, &all, new.as_ref(), &mut d).await?;
        None
    } else {
        if status::paused_conditions(&mut d, status::now()) {
            sync::update_status(&dc, &mut d).await?;
        }
        let paused = d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false);
        let strategy = d
            .spec
            .as_ref()
            .and_then(|s| s.strategy.as_ref())
            .and_then(|s| s.type_.clone())
            .unwrap_or_else(|| "RollingUpdate".into());
        if paused {
            rollout::sync_scale(&dc, &mut d, &rss).await?
        } else if rollout::rollback_to(&d).is_some() {
            rollout::rollback(&dc, &mut d, &rss).await?
        } else if rollout::is_scaling_event(&d, &rss) {
            rollout::sync_scale(&dc, &mut d, &rss).await?
        } else if strategy == "Recreate" {
            rollout::recreate(&dc, &mut d, &rss).await?
        } else if strategy == "RollingUpdate" {
            rollout::rolling(&dc, &mut d, &rss).await?
        } else {
            return Err(Error::Other(format!(
                "unexpected deployment strategy type: {strategy}"
            )));
        }
    };
    dc.backoff.reset(&key(&d));
    Ok(Action::requeue(requeue.unwrap_or(Duration::from_secs(600))))
}
