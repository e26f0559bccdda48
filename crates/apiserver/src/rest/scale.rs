//! The `scale` subresource (autoscaling/v1 Scale) of Deployments, ReplicaSets,
//! StatefulSets, ReplicationControllers and CRDs with a scale subresource.

use kubehci_api::ApiError;
use kubehci_api::selector::LabelSelector;
use serde_json::{Value, json};

use super::ctx::Ctx;
use super::write::{self, Mutation};
use crate::negotiate::body_type;
use crate::state::State;

/// JSON pointers of (spec replicas, status replicas, label selector) for a resource.
fn paths(ctx: &Ctx) -> (String, String, Option<String>) {
    if let Some(s) = &ctx.scale_paths {
        return s.clone();
    }
    ("/spec/replicas".into(), "/status/replicas".into(), None)
}

/// `status.selector` as upstream's scale endpoints fill it: the selector's string form
/// ("" for none), or the value at a CRD's `labelSelectorPath`.
fn selector_string(obj: &Value, ctx: &Ctx, selector_path: Option<&str>) -> String {
    if ctx.scale_paths.is_some() {
        return selector_path
            .and_then(|p| obj.pointer(p))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
    }
    let sel = obj.pointer("/spec/selector");
    let parsed = if ctx.resource.resource == "replicationcontrollers" {
        // RC selectors are plain label maps.
        Ok(sel
            .and_then(Value::as_object)
            .map(LabelSelector::from_set)
            .unwrap_or_else(LabelSelector::everything))
    } else {
        LabelSelector::from_label_selector(sel)
    };
    parsed.map(|s| s.to_string()).unwrap_or_default()
}

fn to_scale(ctx: &Ctx, obj: &Value) -> Value {
    let (spec_p, status_p, sel_p) = paths(ctx);
    let md = obj.get("metadata").cloned().unwrap_or_else(|| json!({}));
    let mut scale_md = json!({});
    for f in [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
    ] {
        if let Some(v) = md.get(f) {
            scale_md[f] = v.clone();
        }
    }
    let mut status =
        json!({"replicas": obj.pointer(&status_p).and_then(Value::as_i64).unwrap_or(0)});
    let selector = selector_string(obj, ctx, sel_p.as_deref());
    if !selector.is_empty() {
        status["selector"] = json!(selector);
    }
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": scale_md,
        "spec": {"replicas": obj.pointer(&spec_p).and_then(Value::as_i64).unwrap_or(0)},
        "status": status,
    })
}

/// GET, PUT and PATCH on `.../scale`.
pub async fn serve(state: &State, ctx: &mut Ctx, body: &[u8]) -> Result<(u16, Value), ApiError> {
    let current = write::read_one(state, ctx).await?;
    if ctx.info.verb == "get" {
        return Ok((200, to_scale(ctx, &current)));
    }
    let cur_scale = to_scale(ctx, &current);
    let new_scale = if ctx.info.verb == "update" {
        write::decode_body(ctx, body)?
    } else {
        let bt = body_type(ctx.content_type.as_deref())?;
        super::hooks::patch_plain(bt, &cur_scale, body)?
    };
    let replicas = new_scale
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if replicas < 0 {
        return Err(ApiError::invalid(
            "Scale.autoscaling",
            "autoscaling",
            "Scale",
            &ctx.info.name,
            &[kubehci_api::FieldError::invalid(
                "spec.replicas",
                replicas,
                "must be greater than or equal to 0",
            )],
        ));
    }
    let rv = kubehci_api::meta::resource_version(&new_scale).to_string();
    let (spec_p, _, _) = paths(ctx);
    let mut target = current.clone();
    set_pointer(&mut target, &spec_p, json!(replicas));
    let md = kubehci_api::meta::metadata_mut(&mut target);
    if rv.is_empty() {
        md.remove("resourceVersion");
    } else {
        md.insert("resourceVersion".into(), json!(rv));
    }
    // The write goes through the main resource's update path (validation, generation).
    let saved_sub = std::mem::take(&mut ctx.info.subresource);
    let res = write::update(state, ctx, Mutation::Replace(target)).await;
    ctx.info.subresource = saved_sub;
    let (_, obj) = res?;
    Ok((200, to_scale(ctx, &obj)))
}

fn set_pointer(obj: &mut Value, pointer: &str, value: Value) {
    let mut cur = obj;
    let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    for (i, p) in parts.iter().enumerate() {
        if !cur.is_object() {
            *cur = json!({});
        }
        let Value::Object(m) = cur else { return };
        if i + 1 == parts.len() {
            m.insert((*p).to_string(), value);
            return;
        }
        cur = m.entry((*p).to_string()).or_insert_with(|| json!({}));
    }
}
