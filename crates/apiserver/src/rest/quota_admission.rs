//! ResourceQuota admission: a new object may not push a namespace's usage past any
//! quota's `spec.hard` (403 `exceeded quota: ...`), pods must state the requests/limits a
//! quota constrains (403 `failed quota: ...`), and the quota's `status.used` is updated as
//! objects are admitted. Usage is computed from the stored objects, so it is exact at
//! admission time.

use std::collections::BTreeMap;

use kubehci_api::quantity::{Format, Quantity};
use kubehci_api::{ApiError, ResourceInfo};
use serde_json::{Value, json};

use crate::state::State;

/// Usage in milli-units (counts are x1000 too, so one type serves all).
type Usage = BTreeMap<String, i128>;

fn milli(v: Option<&Value>) -> i128 {
    v.and_then(Quantity::from_json)
        .and_then(Result::ok)
        .map(|q| q.milli_value())
        .unwrap_or(0)
}

fn terminal(pod: &Value) -> bool {
    matches!(
        pod.pointer("/status/phase").and_then(Value::as_str),
        Some("Succeeded" | "Failed")
    )
}

/// The usage one object contributes, keyed by quota resource names.
fn contribution(group: &str, resource: &str, obj: &Value) -> Usage {
    let mut u = Usage::new();
    let count_key = if group.is_empty() {
        format!("count/{resource}")
    } else {
        format!("count/{resource}.{group}")
    };
    u.insert(count_key, 1000);
    if !group.is_empty() {
        return u;
    }
    match resource {
        "pods" if !terminal(obj) => {
            u.insert("pods".into(), 1000);
            for (key, sub) in [("requests", "requests"), ("limits", "limits")] {
                for r in ["cpu", "memory", "ephemeral-storage"] {
                    let sum: i128 = obj
                        .pointer("/spec/containers")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .map(|c| milli(c.pointer(&format!("/resources/{sub}/{r}"))))
                        .sum();
                    u.insert(format!("{key}.{r}"), sum);
                    if key == "requests" {
                        u.insert(r.to_string(), sum);
                    }
                }
            }
        }
        "services" => {
            u.insert("services".into(), 1000);
            let ty = obj
                .pointer("/spec/type")
                .and_then(Value::as_str)
                .unwrap_or("ClusterIP");
            let ports = obj
                .pointer("/spec/ports")
                .and_then(Value::as_array)
                .map_or(0, Vec::len) as i128;
            match ty {
                "NodePort" => {
                    u.insert("services.nodeports".into(), ports * 1000);
                }
                "LoadBalancer" => {
                    u.insert("services.loadbalancers".into(), 1000);
                    u.insert("services.nodeports".into(), ports * 1000);
                }
                _ => {}
            }
        }
        "persistentvolumeclaims" => {
            u.insert("persistentvolumeclaims".into(), 1000);
            u.insert(
                "requests.storage".into(),
                milli(obj.pointer("/spec/resources/requests/storage")),
            );
        }
        "configmaps" | "secrets" | "replicationcontrollers" | "resourcequotas" => {
            u.insert(resource.to_string(), 1000);
        }
        _ => {}
    }
    u
}

/// Which (group, resource) a quota resource name is counted on.
fn counted_on(name: &str) -> Option<(String, String)> {
    if let Some(rest) = name.strip_prefix("count/") {
        return Some(match rest.split_once('.') {
            Some((r, g)) => (g.to_string(), r.to_string()),
            None => (String::new(), rest.to_string()),
        });
    }
    let core = |r: &str| Some((String::new(), r.to_string()));
    match name {
        "pods" | "cpu" | "memory" | "ephemeral-storage" => core("pods"),
        n if n.starts_with("requests.") && n != "requests.storage" => core("pods"),
        n if n.starts_with("limits.") => core("pods"),
        "services" | "services.nodeports" | "services.loadbalancers" => core("services"),
        "persistentvolumeclaims" | "requests.storage" => core("persistentvolumeclaims"),
        "configmaps" | "secrets" | "replicationcontrollers" | "resourcequotas" => core(name),
        _ => None,
    }
}

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

/// A usage amount as upstream prints it: counts bare, cpu in cores or millicores, bytes
/// in binary SI.
pub fn format_amount(name: &str, milli: i128) -> String {
    let bytes_like = name.contains("memory") || name.contains("storage");
    if bytes_like {
        return Quantity::from_int(
            i64::try_from(milli / 1000).unwrap_or(i64::MAX),
            Format::BinarySI,
        )
        .canonical();
    }
    if milli % 1000 == 0 {
        (milli / 1000).to_string()
    } else {
        format!("{milli}m")
    }
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
