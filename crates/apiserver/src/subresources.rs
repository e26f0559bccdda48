//! Special subresources: `pods/binding` (and the legacy `bindings` resource).

use kubehci_api::ApiError;
use serde_json::{Value, json};

use crate::rest::Ctx;
use crate::rest::write::{self, Mutation};
use crate::state::State;

/// Binds a pod to a node: sets `spec.nodeName` once, as upstream's BindingREST does.
pub async fn bind(state: &State, ctx: &mut Ctx, body: &[u8]) -> Result<(u16, Value), ApiError> {
    let binding = write::decode_body(ctx, body)?;
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
            &ctx.info.name,
            &[kubehci_api::FieldError::required("target.name", "")],
        ));
    }
    let pod = write::read_one(state, ctx).await?;
    let gr = ctx.resource.group_resource();
    if pod.pointer("/metadata/deletionTimestamp").is_some() {
        return Err(ApiError::conflict(
            &gr,
            &ctx.info.name,
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
            &ctx.info.name,
            &format!("pod {} is already assigned to node {n:?}", ctx.info.name),
        ));
    }
    let mut new = pod.clone();
    new["spec"]["nodeName"] = json!(node);
    let cond = json!({"type": "PodScheduled", "status": "True", "lastProbeTime": null,
        "lastTransitionTime": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)});
    let conds = new["status"]["conditions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut conds: Vec<Value> = conds
        .into_iter()
        .filter(|c| c["type"] != "PodScheduled")
        .collect();
    conds.push(cond);
    new["status"]["conditions"] = json!(conds);
    let saved = std::mem::take(&mut ctx.info.subresource);
    // Binding writes spec.nodeName, which the pod update strategy forbids: mark it.
    ctx.binding = true;
    let res = write::update(state, ctx, Mutation::Replace(new)).await;
    ctx.binding = false;
    ctx.info.subresource = saved;
    res?;
    Ok((
        201,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
    ))
}
