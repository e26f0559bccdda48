//! Special subresources: `pods/binding` sets a pod's node once, as upstream's BindingREST:
//! a guarded store update of the pod that bypasses the pod update strategy (which
//! forbids changing `spec.nodeName`).

use kubehci_api::ApiError;
use kubehci_store::StoreError;
use serde_json::{Value, json};

use crate::objects::{decode, encode, object_key, store_error};
use crate::rest::Ctx;
use crate::rest::write;
use crate::state::State;

pub async fn bind(state: &State, ctx: &mut Ctx, body: &[u8]) -> Result<(u16, Value), ApiError> {
    let binding = write::decode_body(ctx, body)?;
    let name = ctx.info.name.clone();
    let node = binding
        .pointer("/target/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if node.is_empty() {
        return Err(ApiError::invalid(
            "Binding",
            "",
            "Binding",
            &name,
            &[kubehci_api::FieldError::required("target.name", "")],
        ));
    }
    let info = &ctx.resource;
    let gr = info.group_resource();
    let key = object_key(info, ctx.namespace(), &name);
    for _ in 0..8 {
        let Some(kv) = state
            .backend
            .get(&key, None)
            .await
            .map_err(|e| store_error(info, &name, e))?
        else {
            return Err(ApiError::not_found(&gr, &name));
        };
        let mut pod = decode(&kv)?;
        if pod.pointer("/metadata/deletionTimestamp").is_some() {
            return Err(ApiError::conflict(
                &gr,
                &name,
                "pod is being deleted, cannot be assigned to a host",
            ));
        }
        if let Some(n) = pod
            .pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
        {
            return Err(ApiError::conflict(
                &gr,
                &name,
                &format!("pod {name} is already assigned to node {n:?}"),
            ));
        }
        if let Some(uid) = binding
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .filter(|u| !u.is_empty())
            && uid != kubehci_api::meta::uid(&pod)
        {
            return Err(ApiError::conflict(
                &gr,
                &name,
                "the UID in the binding does not match the pod",
            ));
        }
        pod["spec"]["nodeName"] = json!(node);
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut conds: Vec<Value> = pod["status"]["conditions"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c["type"] != "PodScheduled")
            .collect();
        conds.push(json!({"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": now}));
        pod["status"]["conditions"] = json!(conds);
        if ctx.query.dry_run {
            break;
        }
        match state
            .backend
            .update(&key, encode(&pod)?, kv.mod_revision)
            .await
        {
            Ok(_) => break,
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(store_error(info, &name, e)),
        }
    }
    Ok((
        201,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
    ))
}
