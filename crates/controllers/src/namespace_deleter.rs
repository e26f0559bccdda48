//! Deleting everything in a terminating namespace, as upstream's
//! `namespacedResourcesDeleter`: every namespaced resource that can be deleted is emptied
//! (deletecollection where served, else item by item, background propagation), then
//! listed again; what is left is reported (and waited for) by the caller.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams};
use kube::core::PartialObjectMeta;

use crate::gc::monitor::Mapping;

/// Seconds assumed for finalizers to complete when objects carrying them remain.
const FINALIZER_ESTIMATE: i64 = 15;

/// What is left of one resource after a pass.
#[derive(Debug, Default)]
pub struct Left {
    pub estimate: i64,
    pub count: usize,
    pub finalizers: BTreeMap<String, usize>,
}

pub fn is_code(e: &kube::Error, code: u16) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == code)
}

/// An error as the server worded it (the `Status` message), else as the client did.
pub fn message(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) if !s.message.is_empty() => s.message.clone(),
        other => other.to_string(),
    }
}

/// `group/version, Resource=plural`, as Go prints a GroupVersionResource.
pub fn gvr(m: &Mapping) -> String {
    format!("{}/{}, Resource={}", m.ar.group, m.ar.version, m.ar.plural)
}

/// Deletes one resource's objects in the namespace and reports what is left.
pub async fn delete_resource(
    client: &kube::Client,
    m: &Mapping,
    ns: &str,
    deleted_at: Option<&Time>,
) -> (Left, Result<(), String>) {
    let mut estimate = 0;
    if m.ar.group.is_empty() && m.ar.plural == "pods" {
        estimate = estimate_pods(client, ns, deleted_at).await.unwrap_or(0);
    }
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &m.ar);
    let meta: Api<PartialObjectMeta<DynamicObject>> =
        Api::namespaced_with(client.clone(), ns, &m.ar);
    let bail = |e: kube::Error| {
        let left = Left {
            estimate,
            ..Left::default()
        };
        (left, Err(message(&e)))
    };
    let mut each = !m.supports("deletecollection");
    if !each {
        match api
            .delete_collection(&DeleteParams::background(), &ListParams::default())
            .await
        {
            Ok(_) => {}
            Err(e) if is_code(&e, 405) || is_code(&e, 404) => each = true,
            Err(e) => return bail(e),
        }
    }
    if !m.supports("list") {
        return (
            Left {
                estimate,
                ..Left::default()
            },
            Ok(()),
        );
    }
    if each {
        let items = match meta.list(&ListParams::default()).await {
            Ok(l) => l.items,
            Err(e) => return bail(e),
        };
        for item in items {
            let Some(n) = item.metadata.name.as_deref() else {
                continue;
            };
            match api.delete(n, &DeleteParams::background()).await {
                Ok(_) => {}
                Err(e) if is_code(&e, 404) || is_code(&e, 405) => {}
                Err(e) => return bail(e),
            }
        }
    }
    // What is left?
    let items = match meta.list(&ListParams::default()).await {
        Ok(l) => l.items,
        Err(e) => return bail(e),
    };
    if items.is_empty() {
        return (Left::default(), Ok(()));
    }
    let mut finalizers = BTreeMap::new();
    for item in &items {
        for f in item.metadata.finalizers.iter().flatten() {
            *finalizers.entry(f.clone()).or_insert(0) += 1;
        }
    }
    let count = items.len();
    if estimate == 0 && !finalizers.is_empty() {
        // Finalizers are a normal reason to wait (the collector, or their owner).
        estimate = FINALIZER_ESTIMATE;
    }
    let left = Left {
        estimate,
        count,
        finalizers,
    };
    if left.estimate != 0 {
        return (left, Ok(()));
    }
    let msg = format!(
        "unexpected items still remain in namespace: {ns} for gvr: {}",
        gvr(m)
    );
    (left, Err(msg))
}

/// The longest grace period of the namespace's non-terminal pods, if the namespace has
/// not been terminating for that long yet.
async fn estimate_pods(
    client: &kube::Client,
    ns: &str,
    deleted_at: Option<&Time>,
) -> Result<i64, kube::Error> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let mut estimate = 0;
    for p in pods.list(&ListParams::default()).await?.items {
        let phase = p.status.as_ref().and_then(|s| s.phase.as_deref());
        if matches!(phase, Some("Succeeded" | "Failed")) {
            continue;
        }
        if let Some(g) = p
            .spec
            .as_ref()
            .and_then(|s| s.termination_grace_period_seconds)
        {
            estimate = estimate.max(g);
        }
    }
    if let Some(at) = deleted_at {
        let since = k8s_openapi::jiff::Timestamp::now().duration_since(at.0);
        if since.as_secs() >= estimate {
            estimate = 0;
        }
    }
    Ok(estimate)
}
