//! ResourceQuota admission: a new object may not push a namespace's usage past any
//! quota's `spec.hard` (403 `exceeded quota: ...`), pods must state the requests/limits a
//! quota constrains (403 `failed quota: ...`), and the quota's `status.used` is updated as
//! objects are admitted. Usage is computed from the stored objects, so it is exact at
//! admission time.

use std::collections::BTreeMap;

use kubehci_api::quota::{Usage, contribution, counted_on, format_amount, milli};
use kubehci_api::{ApiError, ResourceInfo};
use serde_json::{Value, json};

use crate::state::State;

async fn usage_of(state: &State, ns: &str, group: &str, resource: &str) -> Result<Usage, ApiError> {
    let g = if group.is_empty() { "core" } else { group };
    let page = state
        .backend
        .list(&format!("/registry/{g}/{resource}/{ns}/"), None, None, None)
        .await
        .map_err(ApiError::internal)?;
    let mut total = Usage::new();
    for kv in &page.items {
        let Ok(obj) = serde_json::from_slice::<Value>(&kv.value) else {
            continue;
        };
        for (k, v) in contribution(group, resource, &obj) {
            *total.entry(k).or_default() += v;
        }
    }
    Ok(total)
}

fn list(u: &Usage, keys: &[String]) -> String {
    keys.iter()
        .map(|k| format!("{k}={}", format_amount(k, u.get(k).copied().unwrap_or(0))))
        .collect::<Vec<_>>()
        .join(",")
}

/// Admits a new object against every quota of its namespace.
pub async fn admit(
    state: &State,
    info: &ResourceInfo,
    obj: &Value,
    dry_run: bool,
) -> Result<(), ApiError> {
    let ns = kubehci_api::meta::namespace(obj).to_string();
    if ns.is_empty() {
        return Ok(());
    }
    let page = state
        .backend
        .list(
            &format!("/registry/core/resourcequotas/{ns}/"),
            None,
            None,
            None,
        )
        .await
        .map_err(ApiError::internal)?;
    if page.items.is_empty() {
        return Ok(());
    }
    let delta = contribution(&info.group, &info.resource, obj);
    let name = kubehci_api::meta::name(obj).to_string();
    let forbid = |msg: String| {
        ApiError::forbidden(
            &info.group_resource(),
            &name,
            format!("{} {name:?} is forbidden: {msg}", info.group_resource()),
        )
    };
    let mut updates = Vec::new();
    for kv in &page.items {
        let Ok(quota) = serde_json::from_slice::<Value>(&kv.value) else {
            continue;
        };
        let qname = kubehci_api::meta::name(&quota).to_string();
        let hard: BTreeMap<String, Value> = quota
            .pointer("/spec/hard")
            .and_then(Value::as_object)
            .map(|m| m.clone().into_iter().collect())
            .unwrap_or_default();
        let relevant: Vec<String> = hard
            .keys()
            .filter(|k| counted_on(k).is_some_and(|(g, r)| g == info.group && r == info.resource))
            .cloned()
            .collect();
        if relevant.is_empty() {
            continue;
        }
        if info.group.is_empty() && info.resource == "pods" {
            let missing: Vec<String> = relevant
                .iter()
                .filter(|k| {
                    k.starts_with("requests.")
                        || k.starts_with("limits.")
                        || matches!(k.as_str(), "cpu" | "memory")
                })
                .filter_map(|k| {
                    let (sub, r) = k.split_once('.').unwrap_or(("requests", k));
                    let lacking: Vec<String> = obj
                        .pointer("/spec/containers")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter(|c| c.pointer(&format!("/resources/{sub}/{r}")).is_none())
                        .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
                        .collect();
                    (!lacking.is_empty()).then(|| format!("{k} for: {}", lacking.join(",")))
                })
                .collect();
            if !missing.is_empty() {
                return Err(forbid(format!(
                    "failed quota: {qname}: must specify {}",
                    missing.join("; ")
                )));
            }
        }
        let used = usage_of(state, &ns, &info.group, &info.resource).await?;
        let exceeded: Vec<String> = relevant
            .iter()
            .filter(|k| {
                used.get(*k).copied().unwrap_or(0) + delta.get(*k).copied().unwrap_or(0)
                    > milli(hard.get(*k))
            })
            .cloned()
            .collect();
        if !exceeded.is_empty() {
            let limited: Usage = exceeded
                .iter()
                .map(|k| (k.clone(), milli(hard.get(k))))
                .collect();
            return Err(forbid(format!(
                "exceeded quota: {qname}, requested: {}, used: {}, limited: {}",
                list(&delta, &exceeded),
                list(&used, &exceeded),
                list(&limited, &exceeded)
            )));
        }
        updates.push((kv.clone(), quota, relevant, used));
    }
    if dry_run {
        return Ok(());
    }
    for (kv, mut quota, relevant, used) in updates {
        // Best effort: a conflict means another writer updated the quota; the next
        // admission recomputes usage from the objects anyway.
        let status = quota
            .as_object_mut()
            .map(|q| q.entry("status").or_insert_with(|| json!({})));
        if let Some(Value::Object(st)) = status {
            let hard = kv_hard(&kv);
            st.insert("hard".into(), hard);
            let u = st.entry("used").or_insert_with(|| json!({}));
            if let Some(u) = u.as_object_mut() {
                for k in &relevant {
                    let total =
                        used.get(k).copied().unwrap_or(0) + delta.get(k).copied().unwrap_or(0);
                    u.insert(k.clone(), json!(format_amount(k, total)));
                }
            }
        }
        if let Ok(bytes) = crate::objects::encode(&quota) {
            let _ = state.backend.update(&kv.key, bytes, kv.mod_revision).await;
        }
    }
    Ok(())
}

fn kv_hard(kv: &kubehci_store::KeyValue) -> Value {
    serde_json::from_slice::<Value>(&kv.value)
        .ok()
        .and_then(|q| q.pointer("/spec/hard").cloned())
        .unwrap_or_else(|| json!({}))
}

/// The full `status` of a quota computed from the namespace's objects (on quota create).
pub async fn initial_status(state: &State, quota: &mut Value) -> Result<(), ApiError> {
    let ns = kubehci_api::meta::namespace(quota).to_string();
    let hard = quota
        .pointer("/spec/hard")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let mut used = serde_json::Map::new();
    if let Some(h) = hard.as_object() {
        for k in h.keys() {
            let Some((g, r)) = counted_on(k) else {
                continue;
            };
            let mut u = usage_of(state, &ns, &g, &r).await?;
            if g.is_empty() && r == "resourcequotas" {
                *u.entry(k.clone()).or_default() += 1000;
            }
            used.insert(
                k.clone(),
                json!(format_amount(k, u.get(k).copied().unwrap_or(0))),
            );
        }
    }
    quota["status"] = json!({"hard": hard, "used": used});
    Ok(())
}
