//! DELETE with preconditions, graceful pod deletion, propagation policy finalizers and
//! `deletionTimestamp`; and deletecollection.

use chrono::{SecondsFormat, Utc};
use kubehci_api::{ApiError, ResourceInfo};
use kubehci_store::StoreError;
use serde_json::{Value, json};

use super::ctx::Ctx;
use crate::objects::{decode_as, encode_as, object_key, set_resource_version, store_error};
use crate::state::State;

/// Delete options from the body (`DeleteOptions`) merged with the query.
#[derive(Debug, Default, Clone)]
pub struct DeleteOpts {
    pub propagation: Option<String>,
    pub grace: Option<i64>,
    pub uid: Option<String>,
    pub resource_version: Option<String>,
    pub dry_run: bool,
}

pub fn parse_options(ctx: &Ctx, body: &[u8]) -> Result<DeleteOpts, ApiError> {
    let mut o = DeleteOpts {
        propagation: (!ctx.query.propagation_policy.is_empty())
            .then(|| ctx.query.propagation_policy.clone()),
        grace: ctx.query.grace_period_seconds,
        dry_run: ctx.query.dry_run,
        ..Default::default()
    };
    if let Some(orphan) = ctx.query.orphan_dependents {
        o.propagation
            .get_or_insert_with(|| if orphan { "Orphan" } else { "Background" }.into());
    }
    if !body.iter().all(u8::is_ascii_whitespace) {
        let v: Value = super::write::decode_body(ctx, body)?;
        if let Some(p) = v.get("propagationPolicy").and_then(Value::as_str) {
            o.propagation = Some(p.to_string());
        }
        if let Some(orphan) = v.get("orphanDependents").and_then(Value::as_bool)
            && o.propagation.is_none()
        {
            o.propagation = Some(if orphan { "Orphan" } else { "Background" }.into());
        }
        if let Some(g) = v.get("gracePeriodSeconds").and_then(Value::as_i64) {
            o.grace = Some(g);
        }
        if let Some(u) = v.pointer("/preconditions/uid").and_then(Value::as_str) {
            o.uid = Some(u.to_string());
        }
        if let Some(r) = v
            .pointer("/preconditions/resourceVersion")
            .and_then(Value::as_str)
        {
            o.resource_version = Some(r.to_string());
        }
        if v.get("dryRun")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|x| x == "All"))
        {
            o.dry_run = true;
        }
    }
    if let Some(p) = &o.propagation
        && !matches!(p.as_str(), "Orphan" | "Background" | "Foreground")
    {
        return Err(ApiError::invalid(
            "DeleteOptions.meta.k8s.io",
            "meta.k8s.io",
            "DeleteOptions",
            "",
            &[kubehci_api::FieldError::not_supported(
                "propagationPolicy",
                p.as_str(),
                &["Foreground", "Background", "Orphan", "nil"],
            )],
        ));
    }
    Ok(o)
}

fn now_plus(secs: i64) -> String {
    (Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn pod_grace(info: &ResourceInfo, obj: &Value, requested: Option<i64>) -> Option<i64> {
    if !(info.group.is_empty() && info.resource == "pods") {
        return None;
    }
    // Unscheduled pods and terminal pods go at once, as upstream.
    let scheduled = obj
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .is_some_and(|n| !n.is_empty());
    let phase = obj
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !scheduled || phase == "Succeeded" || phase == "Failed" {
        return Some(0);
    }
    let default = obj
        .pointer("/spec/terminationGracePeriodSeconds")
        .and_then(Value::as_i64)
        .unwrap_or(30);
    Some(requested.unwrap_or(default).max(0))
}

/// Deletes (or starts deleting) one object. Returns (code, body).
pub async fn delete_one(
    state: &State,
    info: &ResourceInfo,
    ns: &str,
    name: &str,
    opts: &DeleteOpts,
) -> Result<(u16, Value), ApiError> {
    let key = object_key(info, ns, name);
    let gr = info.group_resource();
    for _ in 0..8 {
        let Some(kv) = state
            .backend
            .get(&key, None)
            .await
            .map_err(|e| store_error(info, name, e))?
        else {
            return Err(ApiError::not_found(&gr, name));
        };
        let mut obj = decode_as(info, &kv)?;
        if let Some(uid) = &opts.uid {
            let cur = kubehci_api::meta::uid(&obj);
            if uid != cur {
                return Err(ApiError::conflict(
                    &gr,
                    name,
                    &format!(
                        "Precondition failed: UID in precondition: {uid}, UID in object meta: {cur}"
                    ),
                ));
            }
        }
        if let Some(rv) = &opts.resource_version
            && *rv != kv.mod_revision.to_string()
        {
            return Err(ApiError::conflict(
                &gr,
                name,
                &format!(
                    "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                    kv.mod_revision
                ),
            ));
        }
        let mut finalizers = kubehci_api::meta::finalizers(&obj);
        let already = obj.pointer("/metadata/deletionTimestamp").is_some();
        let is_namespace = info.group.is_empty() && info.resource == "namespaces";
        let grace = pod_grace(info, &obj, opts.grace);
        // A namespace waits for its content to go (spec.finalizers, emptied by the
        // namespace controller through `finalize`) unless that already happened.
        let ns_pending = is_namespace && !(already && namespace_finalized(&obj));
        let mut pending = !finalizers.is_empty() || ns_pending || grace.is_some_and(|g| g > 0);
        if !already {
            match opts.propagation.as_deref() {
                Some("Foreground") => {
                    if !finalizers.iter().any(|f| f == "foregroundDeletion") {
                        finalizers.push("foregroundDeletion".into());
                    }
                    finalizers.retain(|f| f != "orphan");
                    pending = true;
                }
                Some("Orphan") => {
                    if !finalizers.iter().any(|f| f == "orphan") {
                        finalizers.push("orphan".into());
                    }
                    finalizers.retain(|f| f != "foregroundDeletion");
                    pending = true;
                }
                _ => {}
            }
        }
        if !pending || (already && grace == Some(0) && finalizers.is_empty()) {
            if opts.dry_run {
                return Ok((200, obj));
            }
            match state.backend.delete(&key, Some(kv.mod_revision)).await {
                Ok((_rev, _)) => {
                    super::admission::after_delete(state, info, &obj);
                    let uid = kubehci_api::meta::uid(&obj).to_string();
                    if info.group.is_empty() && info.resource == "pods" {
                        return Ok((200, obj));
                    }
                    return Ok((
                        200,
                        kubehci_api::status::success_status(&gr, name, Some(&uid)),
                    ));
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(store_error(info, name, e)),
            }
        }
        // Graceful or finalizer-gated: record the deletion on the object.
        let md = kubehci_api::meta::metadata_mut(&mut obj);
        let g = grace.unwrap_or(0);
        if !already {
            md.insert("deletionTimestamp".into(), json!(now_plus(g)));
            md.insert("deletionGracePeriodSeconds".into(), json!(g));
        } else if let Some(g2) = grace {
            // A repeated delete may only shorten the grace period.
            let cur = md
                .get("deletionGracePeriodSeconds")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            if g2 < cur {
                md.insert("deletionTimestamp".into(), json!(now_plus(g2)));
                md.insert("deletionGracePeriodSeconds".into(), json!(g2));
            }
        }
        if finalizers.is_empty() {
            md.remove("finalizers");
        } else {
            md.insert("finalizers".into(), json!(finalizers));
        }
        if is_namespace && let Some(o) = obj.as_object_mut() {
            let status = o.entry("status").or_insert_with(|| json!({}));
            if let Some(s) = status.as_object_mut() {
                s.insert("phase".into(), json!("Terminating"));
            }
        }
        if opts.dry_run {
            return Ok((200, obj));
        }
        if already && obj == decode_as(info, &kv)? {
            return Ok((200, obj));
        }
        let bytes = encode_as(info, &obj)?;
        match state.backend.update(&key, bytes, kv.mod_revision).await {
            Ok(rev) => {
                set_resource_version(&mut obj, rev);
                return Ok((200, obj));
            }
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(store_error(info, name, e)),
        }
    }
    Err(ApiError::conflict_modified(&gr, name))
}

/// Whether a namespace's `spec.finalizers` are all gone.
pub fn namespace_finalized(ns: &Value) -> bool {
    ns.pointer("/spec/finalizers")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
}

/// DELETE on a single object.
pub async fn delete(state: &State, ctx: &Ctx, body: &[u8]) -> Result<(u16, Value), ApiError> {
    let opts = parse_options(ctx, body)?;
    delete_one(state, &ctx.resource, ctx.namespace(), &ctx.info.name, &opts).await
}

/// DELETE on a collection: every object matching the selectors.
pub async fn delete_collection(
    state: &State,
    ctx: &Ctx,
    body: &[u8],
) -> Result<(u16, Value), ApiError> {
    let opts = parse_options(ctx, body)?;
    let listed = super::read::list_objects(state, ctx).await?;
    let mut deleted = Vec::new();
    for obj in listed.decoded(&ctx.resource)? {
        let ns = kubehci_api::meta::namespace(&obj).to_string();
        let name = kubehci_api::meta::name(&obj).to_string();
        match delete_one(state, &ctx.resource, &ns, &name, &opts).await {
            Ok(_) => deleted.push(obj),
            Err(e) if e.code == 404 => {}
            Err(e) => return Err(e),
        }
    }
    let info = &ctx.resource;
    Ok((
        200,
        json!({"kind": info.list_kind, "apiVersion": info.api_version(), "metadata": {}, "items": deleted}),
    ))
}
