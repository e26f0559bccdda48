//! Admission for new pods, as upstream's plugins do it: ServiceAccount (default account,
//! the `kube-api-access-*` projected token volume), DefaultTolerationSeconds (tolerate
//! not-ready/unreachable for the configured seconds, 300 by default) and Priority (resolve `priorityClassName`).

use kubehci_api::{ApiError, GroupResource};
use serde_json::{Value, json};

use super::ctx::Ctx;
use crate::state::State;

const SA_MOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

pub async fn admit_pod(state: &State, ctx: &Ctx, pod: &mut Value) -> Result<(), ApiError> {
    service_account(state, ctx, pod).await;
    default_tolerations(state, pod);
    priority(state, ctx, pod).await
}

async fn stored(state: &State, key: &str) -> Option<Value> {
    let kv = state.backend.get(key, None).await.ok()??;
    serde_json::from_slice(&kv.value).ok()
}

async fn service_account(state: &State, ctx: &Ctx, pod: &mut Value) {
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    let name = spec
        .get("serviceAccountName")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or("default")
        .to_string();
    spec.insert("serviceAccountName".into(), json!(name));
    spec.insert("serviceAccount".into(), json!(name));
    // Upstream refuses pods whose account does not exist yet; we are lenient (the account
    // controller creates `default` right after the namespace) but honour its automount.
    let sa = stored(
        state,
        &format!("/registry/core/serviceaccounts/{}/{name}", ctx.namespace()),
    )
    .await;
    let automount = spec
        .get("automountServiceAccountToken")
        .and_then(Value::as_bool)
        .or_else(|| {
            sa.as_ref()
                .and_then(|s| s.get("automountServiceAccountToken"))
                .and_then(Value::as_bool)
        })
        .unwrap_or(true);
    if !automount {
        return;
    }
    let has_mount = ["containers", "initContainers"].iter().any(|k| {
        spec.get(*k)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|c| {
                c.get("volumeMounts")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .any(|m| m["mountPath"] == SA_MOUNT_PATH)
            })
    });
    if has_mount {
        return;
    }
    let volume = format!("kube-api-access-{}", &super::write::generate_name("")[..5]);
    let vols = spec.entry("volumes").or_insert_with(|| json!([]));
    if let Some(vols) = vols.as_array_mut() {
        vols.push(json!({"name": volume, "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
        ]}}));
    }
    for k in ["initContainers", "containers"] {
        for c in spec
            .get_mut(k)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(c) = c.as_object_mut() {
                let mounts = c.entry("volumeMounts").or_insert_with(|| json!([]));
                if let Some(m) = mounts.as_array_mut() {
                    m.push(json!({"name": volume, "readOnly": true, "mountPath": SA_MOUNT_PATH}));
                }
            }
        }
    }
}

fn default_tolerations(state: &State, pod: &mut Value) {
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    let tols = spec.entry("tolerations").or_insert_with(|| json!([]));
    let Some(tols) = tols.as_array_mut() else {
        return;
    };
    for (key, seconds) in [
        (
            "node.kubernetes.io/not-ready",
            state.config.default_not_ready_toleration_seconds,
        ),
        (
            "node.kubernetes.io/unreachable",
            state.config.default_unreachable_toleration_seconds,
        ),
    ] {
        let covered = tols.iter().any(|t| {
            let k = t.get("key").and_then(Value::as_str).unwrap_or("");
            let effect = t.get("effect").and_then(Value::as_str).unwrap_or("");
            (k == key || (k.is_empty() && t["operator"] == "Exists"))
                && (effect.is_empty() || effect == "NoExecute")
        });
        if !covered {
            tols.push(json!({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": seconds}));
        }
    }
}

async fn priority(state: &State, ctx: &Ctx, pod: &mut Value) -> Result<(), ApiError> {
    let class = pod
        .pointer("/spec/priorityClassName")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let found = if class.is_empty() {
        global_default(state).await
    } else {
        stored(
            state,
            &format!("/registry/scheduling.k8s.io/priorityclasses/{class}"),
        )
        .await
        .map(|pc| (class.clone(), pc))
    };
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    match found {
        Some((name, pc)) => {
            let value = pc.get("value").and_then(Value::as_i64).unwrap_or(0);
            if let Some(p) = spec.get("priority").and_then(Value::as_i64)
                && p != value
            {
                return Err(ApiError::forbidden(
                    &GroupResource::new("", "pods"),
                    kubehci_api::meta::name(pod),
                    format!(
                        "pods {:?} is forbidden: the integer value of priority ({p}) must not be provided in pod spec; priority admission controller computed {value} from the given PriorityClass name",
                        kubehci_api::meta::name(pod)
                    ),
                ));
            }
            spec.insert("priorityClassName".into(), json!(name));
            spec.insert("priority".into(), json!(value));
            let policy = pc
                .get("preemptionPolicy")
                .cloned()
                .unwrap_or_else(|| json!("PreemptLowerPriority"));
            spec.insert("preemptionPolicy".into(), policy);
            Ok(())
        }
        None if !class.is_empty() => {
            let name = kubehci_api::meta::name(pod).to_string();
            Err(ApiError::forbidden(
                &GroupResource::new("", "pods"),
                &name,
                format!("pods {name:?} is forbidden: no PriorityClass with name {class} was found"),
            ))
        }
        None => {
            spec.entry("priority").or_insert(json!(0));
            let _ = ctx;
            Ok(())
        }
    }
}

async fn global_default(state: &State) -> Option<(String, Value)> {
    let page = state
        .backend
        .list(
            "/registry/scheduling.k8s.io/priorityclasses/",
            None,
            None,
            None,
        )
        .await
        .ok()?;
    page.items
        .iter()
        .filter_map(|kv| serde_json::from_slice::<Value>(&kv.value).ok())
        .find_map(|pc| {
            (pc.get("globalDefault").and_then(Value::as_bool) == Some(true))
                .then(|| (kubehci_api::meta::name(&pc).to_string(), pc))
        })
}
