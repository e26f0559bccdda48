//! The namespace controller: a namespace being deleted (phase `Terminating`, the
//! `kubernetes` entry in `spec.finalizers`) is emptied of every namespaced object, then
//! finalized through `PUT /api/v1/namespaces/<ns>/finalize` with `spec.finalizers` minus
//! `kubernetes`; the API server deletes it once no finalizer is left. While content
//! remains the namespace's conditions say what and why (upstream's messages), and the
//! namespace is looked at again after the estimated time (half of it, plus a second).

#[path = "namespace_conditions.rs"]
mod conditions;
#[path = "namespace_deleter.rs"]
mod deleter;

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, NamespaceStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::watcher;

use crate::context::{Context, Error, drive};
use crate::gc::monitor::{Mapper, Mapping, discover};
use conditions::Findings;
use deleter::is_code;

/// The `spec.finalizers` token this controller owns.
const FINALIZER: &str = "kubernetes";
/// Retry delay after a failed pass (upstream rate-limits per item).
const RETRY: Duration = Duration::from_secs(2);
/// Re-examination of every namespace (upstream's namespace sync period).
const RESYNC: Duration = Duration::from_secs(300);

pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let api: Api<Namespace> = Api::all(ctx.client.clone());
    drive(
        Controller::new(api, watcher::Config::default()).run(reconcile, error_policy, ctx),
        "namespace",
    )
    .await;
    Ok(())
}

fn error_policy(ns: Arc<Namespace>, e: &Error, _ctx: Arc<Context>) -> Action {
    tracing::info!(namespace = ns.metadata.name.as_deref().unwrap_or(""), error = %e, "namespace deletion incomplete; retrying");
    Action::requeue(RETRY)
}

async fn reconcile(ns: Arc<Namespace>, ctx: Arc<Context>) -> Result<Action, Error> {
    if ns.metadata.deletion_timestamp.is_none() {
        return Ok(Action::requeue(RESYNC));
    }
    let name = ns.metadata.name.clone().unwrap_or_default();
    let api: Api<Namespace> = Api::all(ctx.client.clone());
    // Several writers touch a terminating namespace: work from its latest state.
    let Some(latest) = api.get_opt(&name).await? else {
        return Ok(Action::await_change());
    };
    if latest.metadata.deletion_timestamp.is_none() {
        return Ok(Action::await_change());
    }
    let latest = ensure_terminating(&api, latest).await?;
    if !has_finalizer(&latest) {
        // Finalized already: what is left is other finalizers' business.
        return Ok(Action::await_change());
    }
    let estimate = delete_all_content(&ctx.client, &latest).await?;
    if estimate > 0 {
        tracing::debug!(namespace = %name, estimate, "namespace content remains");
        let secs = u64::try_from(estimate / 2 + 1).unwrap_or(1);
        return Ok(Action::requeue(Duration::from_secs(secs)));
    }
    finalize(&api, &name).await?;
    tracing::info!(namespace = %name, "namespace emptied and finalized");
    Ok(Action::await_change())
}

/// Deletes the namespace's content once. Returns the seconds to wait before looking
/// again (0: all gone), or the errors met; records the conditions either way.
async fn delete_all_content(client: &kube::Client, ns: &Namespace) -> Result<i64, Error> {
    let name = ns.metadata.name.clone().unwrap_or_default();
    let deleted_at = ns.metadata.deletion_timestamp.clone();
    let mut findings = Findings::default();
    let mut errors = Vec::new();
    let mapper = match discover(client).await {
        Ok(d) => Mapper::from_discovery(&d),
        Err(e) => {
            // Not fatal: delete what is known, but do not finalize.
            let msg = match &e {
                Error::Kube(k) => deleter::message(k),
                other => other.to_string(),
            };
            findings.discovery_error = Some(msg.clone());
            errors.push(msg);
            Mapper::default()
        }
    };
    let mut estimate = 0;
    let mut resources: Vec<&Mapping> = mapper
        .all()
        .filter(|m| m.namespaced && m.supports("delete"))
        .collect();
    resources.sort_by(|a, b| (&a.ar.group, &a.ar.plural).cmp(&(&b.ar.group, &b.ar.plural)));
    for m in resources {
        let (left, result) = deleter::delete_resource(client, m, &name, deleted_at.as_ref()).await;
        if let Err(e) = result {
            tracing::debug!(namespace = %name, resource = %deleter::gvr(m), error = %e, "namespace: content deletion failed");
            findings.content_errors.push(e.clone());
            errors.push(e);
        }
        estimate = estimate.max(left.estimate);
        if left.count > 0 {
            findings
                .remaining
                .insert((m.ar.group.clone(), m.ar.plural.clone()), left.count);
            for (f, n) in left.finalizers {
                *findings.finalizers.entry(f).or_insert(0) += n;
            }
        }
    }
    // Always record the conditions: an earlier problem may be over.
    let mut latest = ns.clone();
    let mut status = latest.status.take().unwrap_or_default();
    if findings.apply(&mut status, Time(k8s_openapi::jiff::Timestamp::now())) {
        latest.status = Some(status);
        let api: Api<Namespace> = Api::all(client.clone());
        if let Err(e) = api
            .replace_status(&name, &PostParams::default(), &latest)
            .await
        {
            tracing::warn!(namespace = %name, error = %e, "couldn't update status conditions");
        }
    }
    if errors.is_empty() {
        Ok(estimate)
    } else {
        Err(Error::Other(errors.join("; ")))
    }
}

fn has_finalizer(ns: &Namespace) -> bool {
    ns.spec
        .as_ref()
        .and_then(|s| s.finalizers.as_ref())
        .is_some_and(|f| f.iter().any(|f| f == FINALIZER))
}

/// Sets phase `Terminating` if the server has not already.
async fn ensure_terminating(api: &Api<Namespace>, mut ns: Namespace) -> Result<Namespace, Error> {
    let name = ns.metadata.name.clone().unwrap_or_default();
    for _ in 0..5 {
        let phase = ns.status.as_ref().and_then(|s| s.phase.as_deref());
        if phase == Some("Terminating") {
            return Ok(ns);
        }
        ns.status.get_or_insert_with(NamespaceStatus::default).phase = Some("Terminating".into());
        match api.replace_status(&name, &PostParams::default(), &ns).await {
            Ok(updated) => return Ok(updated),
            Err(e) if is_code(&e, 409) => ns = api.get(&name).await?,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Other(format!(
        "conflicts while marking namespace {name} Terminating"
    )))
}

/// Removes `kubernetes` from `spec.finalizers` through the `finalize` subresource.
async fn finalize(api: &Api<Namespace>, name: &str) -> Result<(), Error> {
    for _ in 0..5 {
        let Some(mut ns) = api.get_opt(name).await? else {
            return Ok(());
        };
        if !has_finalizer(&ns) {
            return Ok(());
        }
        if let Some(f) = ns.spec.as_mut().and_then(|s| s.finalizers.as_mut()) {
            f.retain(|f| f != FINALIZER);
            f.sort();
            f.dedup();
        }
        match api
            .replace_subresource("finalize", name, &PostParams::default(), &ns)
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if is_code(&e, 404) => return Ok(()),
            Err(e) if is_code(&e, 409) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Other(format!(
        "conflicts while finalizing namespace {name}"
    )))
}
