//! The resource-quota controller: keeps every ResourceQuota's `status.hard` and
//! `status.used` true as objects come and go (admission only adds; deletions are counted
//! here), recomputing from the namespace's objects every few seconds.

use std::sync::Arc;
use std::time::Duration;

use kube::api::{Api, ListParams, Patch, PatchParams};
use kubehci_api::quota::{Usage, contribution, counted_on, format_amount};
use serde_json::{Value, json};

use crate::context::{Context, Error};

const RESYNC: Duration = Duration::from_secs(5);

async fn list_path(
    client: &kube::Client,
    group: &str,
    resource: &str,
    ns: &str,
) -> Result<Option<String>, Error> {
    if group.is_empty() {
        return Ok(Some(format!("/api/v1/namespaces/{ns}/{resource}")));
    }
    let Ok(g) = kube::discovery::group(client, group).await else {
        return Ok(None);
    };
    Ok(Some(format!(
        "/apis/{group}/{}/namespaces/{ns}/{resource}",
        g.preferred_version_or_latest()
    )))
}

async fn usage(
    client: &kube::Client,
    ns: &str,
    group: &str,
    resource: &str,
) -> Result<Usage, Error> {
    let mut total = Usage::new();
    let Some(path) = list_path(client, group, resource, ns).await? else {
        return Ok(total);
    };
    let req = http::Request::get(path)
        .body(Vec::new())
        .map_err(|e| Error::Other(e.to_string()))?;
    let list: Value = client.request(req).await?;
    for obj in list
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for (k, v) in contribution(group, resource, obj) {
            *total.entry(k).or_default() += v;
        }
    }
    Ok(total)
}

async fn sync_quota(client: &kube::Client, quota: &Value) -> Result<(), Error> {
    let ns = kubehci_api::meta::namespace(quota);
    let name = kubehci_api::meta::name(quota);
    let hard = quota
        .pointer("/spec/hard")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let mut used = serde_json::Map::new();
    let mut cache: Vec<((String, String), Usage)> = Vec::new();
    for k in hard
        .as_object()
        .map(|m| m.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default()
    {
        let Some(target) = counted_on(&k) else {
            continue;
        };
        let u = match cache.iter().find(|(t, _)| *t == target) {
            Some((_, u)) => u.clone(),
            None => {
                let u = usage(client, ns, &target.0, &target.1).await?;
                cache.push((target.clone(), u.clone()));
                u
            }
        };
        used.insert(
            k.clone(),
            json!(format_amount(&k, u.get(&k).copied().unwrap_or(0))),
        );
    }
    let status = json!({"hard": hard, "used": used});
    if quota.get("status") == Some(&status) {
        return Ok(());
    }
    let api: Api<k8s_openapi::api::core::v1::ResourceQuota> = Api::namespaced(client.clone(), ns);
    api.patch_status(
        name,
        &PatchParams::default(),
        &Patch::Merge(json!({"status": status})),
    )
    .await?;
    Ok(())
}

pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let api: Api<k8s_openapi::api::core::v1::ResourceQuota> = Api::all(ctx.client.clone());
    loop {
        match api.list(&ListParams::default()).await {
            Ok(list) => {
                for q in list.items {
                    let Ok(v) = serde_json::to_value(&q) else {
                        continue;
                    };
                    if let Err(e) = sync_quota(&ctx.client, &v).await {
                        tracing::debug!(error = %e, quota = %kubehci_api::meta::name(&v), "quota sync failed");
                    }
                }
            }
            Err(e) => tracing::debug!(error = %e, "listing quotas failed"),
        }
        tokio::time::sleep(RESYNC).await;
    }
}
