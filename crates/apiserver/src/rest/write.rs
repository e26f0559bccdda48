//! Create, update and patch: the write path from a decoded body to one store revision.

use chrono::{SecondsFormat, Utc};
use kubehci_api::{ApiError, FieldError, ResourceInfo};
use kubehci_store::StoreError;
use serde_json::{Value, json};

use super::ctx::Ctx;
use super::hooks;
use super::read::get_object;
use crate::negotiate::{BodyType, body_type};
use crate::objects::{decode_as, encode_as, object_key, set_resource_version, store_error};
use crate::state::State;

/// Decodes a create/update body in the request's content type.
pub fn decode_body(ctx: &Ctx, body: &[u8]) -> Result<Value, ApiError> {
    match body_type(ctx.content_type.as_deref())? {
        bt @ (BodyType::Json | BodyType::Yaml | BodyType::Protobuf) => {
            crate::negotiate::decode_any(bt, body)
        }
        _ => Err(ApiError::unsupported_media_type(
            ctx.content_type.as_deref().unwrap_or(""),
        )),
    }
}

/// A body must be a JSON object (upstream fails decoding its type meta otherwise).
pub fn require_object(obj: &Value) -> Result<(), ApiError> {
    if obj.is_object() {
        return Ok(());
    }
    Err(ApiError::bad_request(format!(
        "couldn't get version/kind; json parse error: json: cannot unmarshal {} into Go value of type struct {{ APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }}",
        json_type_name(obj)
    )))
}

/// Checks the body is an object of the endpoint's kind and apiVersion.
pub fn check_type(info: &ResourceInfo, obj: &Value) -> Result<(), ApiError> {
    require_object(obj)?;
    let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind.is_empty() {
        return Err(ApiError::bad_request(
            "Object 'Kind' is missing in '".to_string() + &truncate_json(obj) + "'",
        ));
    }
    if api_version.is_empty() {
        return Err(ApiError::bad_request(
            "Object 'apiVersion' is missing in '".to_string() + &truncate_json(obj) + "'",
        ));
    }
    if api_version != info.api_version() {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({})",
            info.api_version()
        )));
    }
    if kind != info.kind {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({})",
            info.kind
        )));
    }
    if let Some(md) = obj.get("metadata")
        && !md.is_object()
        && !md.is_null()
    {
        return Err(ApiError::bad_request(format!(
            "json: cannot unmarshal {} into Go struct field {}.metadata of type v1.ObjectMeta",
            json_type_name(md),
            info.kind
        )));
    }
    Ok(())
}

fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn truncate_json(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 200 {
        format!(
            "{}...",
            &s[..s.char_indices().nth(200).map_or(s.len(), |(i, _)| i)]
        )
    } else {
        s
    }
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

const GENERATED_CHARS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// `generateName` + 5 random characters from upstream's alphabet.
pub fn generate_name(base: &str) -> String {
    use rand::Rng as _;
    let base: String = base.chars().take(58).collect();
    let mut rng = rand::rng();
    let suffix: String = (0..5)
        .map(|_| GENERATED_CHARS[rng.random_range(0..GENERATED_CHARS.len())] as char)
        .collect();
    format!("{base}{suffix}")
}

/// Applies strict/warn field validation to a decoded body.
fn field_validation(
    state: &State,
    ctx: &mut Ctx,
    obj: &Value,
    raw: Option<&[u8]>,
) -> Result<(), ApiError> {
    let mode = if ctx.query.field_validation.is_empty() {
        "Warn"
    } else {
        ctx.query.field_validation.as_str()
    };
    if mode == "Ignore" {
        return Ok(());
    }
    let problems = hooks::strict_issues(state, &ctx.resource, obj, raw)?;
    if problems.is_empty() {
        return Ok(());
    }
    if mode == "Strict" {
        return Err(ApiError::bad_request(format!(
            "strict decoding error: {}",
            problems.join(", ")
        )));
    }
    ctx.warnings.extend(problems);
    Ok(())
}

/// Namespace of the body vs the URL; cluster-scoped objects lose any namespace.
fn reconcile_namespace(ctx: &Ctx, obj: &mut Value) -> Result<(), ApiError> {
    let md = kubehci_api::meta::metadata_mut(obj);
    if ctx.resource.namespaced() {
        let url_ns = ctx.namespace();
        match md.get("namespace").and_then(Value::as_str) {
            Some(ns) if !ns.is_empty() && ns != url_ns => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            _ => {
                md.insert("namespace".into(), json!(url_ns));
            }
        }
    } else {
        md.remove("namespace");
    }
    Ok(())
}

fn invalid(info: &ResourceInfo, obj: &Value, errs: &[FieldError]) -> ApiError {
    ApiError::invalid(
        &info.qualified_kind(),
        &info.group,
        &info.kind,
        kubehci_api::meta::name(obj),
        errs,
    )
}

/// POST: prepares, validates, admits and stores a new object.
pub async fn create(state: &State, ctx: &mut Ctx, body: &[u8]) -> Result<(u16, Value), ApiError> {
    let mut obj = decode_body(ctx, body)?;
    check_type(&ctx.resource, &obj)?;
    let raw_json =
        matches!(body_type(ctx.content_type.as_deref())?, BodyType::Json).then_some(body);
    field_validation(state, ctx, &obj, raw_json)?;
    create_decoded(state, ctx, obj.take())
        .await
        .map(|o| (201, o))
}

/// The part of create shared with create-on-update and apply.
pub async fn create_decoded(state: &State, ctx: &Ctx, mut obj: Value) -> Result<Value, ApiError> {
    let info = ctx.resource.clone();
    reconcile_namespace(ctx, &mut obj)?;
    {
        let md = kubehci_api::meta::metadata_mut(&mut obj);
        if md
            .get("resourceVersion")
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
        {
            return Err(ApiError::bad_request(
                "resourceVersion should not be set on objects to be created",
            ));
        }
        let name = md
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let generate = md
            .get("generateName")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if name.is_empty() && !generate.is_empty() {
            md.insert("name".into(), json!(generate_name(&generate)));
        }
        md.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
        md.insert("creationTimestamp".into(), json!(now()));
        md.remove("deletionTimestamp");
        md.remove("deletionGracePeriodSeconds");
        md.remove("selfLink");
    }
    if !ctx.info.name.is_empty() && ctx.info.verb == "create" && ctx.info.subresource.is_empty() {
        // POST to a named URL is not a create upstream serves.
        return Err(ApiError::method_not_supported(
            &info.group_resource(),
            "create",
        ));
    }
    super::admission::admit_mutating(state, ctx, &mut obj).await?;
    hooks::prepare_create(state, &info, &mut obj);
    match (info.group.as_str(), info.resource.as_str()) {
        ("batch", "jobs") => kubehci_strategy::generate_job_selector(&mut obj),
        ("certificates.k8s.io", "certificatesigningrequests") => {
            let extra: serde_json::Map<String, Value> = ctx
                .user
                .extra
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            kubehci_strategy::set_csr_requester(
                &mut obj,
                &ctx.user.name,
                &ctx.user.uid,
                &ctx.user.groups,
                &extra,
            );
        }
        _ => {}
    }
    let errs = hooks::validate_create(state, &info, &obj);
    if !errs.is_empty() {
        return Err(invalid(&info, &obj, &errs));
    }
    let name = kubehci_api::meta::name(&obj).to_string();
    let ns = kubehci_api::meta::namespace(&obj).to_string();
    super::admission::admit_validating(state, ctx, &mut obj).await?;
    super::admission::admit_create(state, ctx, &mut obj).await?;
    hooks::record_update_manager(state, ctx, None, &mut obj);
    if ctx.query.dry_run {
        super::admission::undo_create(state, ctx, &obj);
        return Ok(obj);
    }
    let key = object_key(&info, &ns, &name);
    let bytes = encode_as(&info, &obj)?;
    match state.backend.create(&key, bytes).await {
        Ok(rev) => {
            set_resource_version(&mut obj, rev);
            Ok(obj)
        }
        Err(e) => {
            super::admission::undo_create(state, ctx, &obj);
            Err(store_error(&info, &name, e))
        }
    }
}

/// How the new object is made from the current one.
pub enum Mutation<'a> {
    /// PUT body (already decoded and type-checked).
    Replace(Value),
    /// PATCH body of the given type.
    Patch(BodyType, &'a [u8]),
}

/// Resources upstream lets PUT create.
fn allow_create_on_update(info: &ResourceInfo) -> bool {
    matches!(
        (info.group.as_str(), info.resource.as_str()),
        ("", "events")
            | ("events.k8s.io", "events")
            | ("coordination.k8s.io", "leases")
            | ("", "endpoints")
    )
}

/// PUT/PATCH: reads, mutates, validates and writes, retrying on conflicts the client did
/// not ask to see. Returns (status code, object).
pub async fn update(
    state: &State,
    ctx: &mut Ctx,
    mutation: Mutation<'_>,
) -> Result<(u16, Value), ApiError> {
    let info = ctx.resource.clone();
    let ns = ctx.namespace().to_string();
    let name = ctx.info.name.clone();
    let key = object_key(&info, &ns, &name);
    for _attempt in 0..8 {
        let current = state
            .backend
            .get(&key, None)
            .await
            .map_err(|e| store_error(&info, &name, e))?;
        let Some(kv) = current else {
            let create = match &mutation {
                Mutation::Replace(v) if allow_create_on_update(&info) => Some(v.clone()),
                Mutation::Patch(BodyType::ApplyPatch, body) => {
                    Some(hooks::apply_patch(state, ctx, None, body)?)
                }
                _ => None,
            };
            let Some(mut obj) = create else {
                return Err(ApiError::not_found(&info.group_resource(), &name));
            };
            if kubehci_api::meta::name(&obj) != name {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({}) does not match the name on the URL ({name})",
                    kubehci_api::meta::name(&obj)
                )));
            }
            kubehci_api::meta::metadata_mut(&mut obj).remove("resourceVersion");
            match create_decoded(state, ctx, obj).await {
                Err(e) if e.reason == "AlreadyExists" => continue,
                other => return other.map(|o| (201, o)),
            }
        };
        let old = decode_as(&info, &kv)?;
        let mut new = match &mutation {
            Mutation::Replace(v) => v.clone(),
            Mutation::Patch(bt, body) => {
                let patched = hooks::patch(state, ctx, *bt, &old, body)?;
                check_type(&info, &patched)?;
                field_validation(state, ctx, &patched, None)?;
                patched
            }
        };
        // A PUT's resourceVersion is a precondition; a patch's only when the patch itself
        // names one (the patched object inherits the current one otherwise).
        let precondition = match &mutation {
            Mutation::Replace(_) => true,
            Mutation::Patch(bt, body) => patch_names_resource_version(*bt, body),
        };
        let sent_rv = if precondition {
            kubehci_api::meta::resource_version(&new).to_string()
        } else {
            String::new()
        };
        if !sent_rv.is_empty() && sent_rv != kv.mod_revision.to_string() {
            return Err(ApiError::conflict_modified(&info.group_resource(), &name));
        }
        let (code, out) = prepare_update(state, ctx, &old, &mut new)?;
        if let Some(done) = out {
            return Ok((code, done));
        }
        if ctx.query.dry_run {
            set_resource_version(&mut new, kv.mod_revision);
            return Ok((200, new));
        }
        // An object being deleted whose last finalizer went away is deleted now.
        if new.pointer("/metadata/deletionTimestamp").is_some()
            && kubehci_api::meta::finalizers(&new).is_empty()
            && (!(info.group.is_empty() && info.resource == "namespaces")
                || super::delete::namespace_finalized(&new))
        {
            match state.backend.delete(&key, Some(kv.mod_revision)).await {
                Ok((rev, _)) => {
                    super::admission::after_delete(state, &info, &new);
                    set_resource_version(&mut new, rev);
                    return Ok((200, new));
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(store_error(&info, &name, e)),
            }
        }
        let bytes = encode_as(&info, &new)?;
        match state.backend.update(&key, bytes, kv.mod_revision).await {
            Ok(rev) => {
                super::admission::after_update(state, &info, &old, &new);
                set_resource_version(&mut new, rev);
                return Ok((200, new));
            }
            Err(StoreError::Conflict { .. }) if sent_rv.is_empty() => continue,
            Err(StoreError::Conflict { .. }) => {
                return Err(ApiError::conflict_modified(&info.group_resource(), &name));
            }
            Err(e) => return Err(store_error(&info, &name, e)),
        }
    }
    Err(ApiError::conflict(
        &info.group_resource(),
        &name,
        "the object has been modified; please apply your changes to the latest version and try again",
    ))
}

/// Whether a patch body sets `metadata.resourceVersion` (then it is a precondition, as
/// upstream: a patch without one is retried on conflicts instead of failing with 409).
fn patch_names_resource_version(bt: BodyType, body: &[u8]) -> bool {
    let parsed: Option<Value> = serde_json::from_slice(body)
        .ok()
        .or_else(|| serde_yaml::from_slice(body).ok());
    let Some(v) = parsed else {
        return false;
    };
    match bt {
        BodyType::JsonPatch => v.as_array().is_some_and(|ops| {
            ops.iter().any(|op| {
                op.get("path").and_then(Value::as_str) == Some("/metadata/resourceVersion")
            })
        }),
        _ => v
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .is_some_and(|rv| !rv.is_empty()),
    }
}

/// Carries server-owned metadata over from `old`, runs the strategy and admission.
/// Returns `Some(old)` when the update changes nothing (no write, as upstream).
fn prepare_update(
    state: &State,
    ctx: &mut Ctx,
    old: &Value,
    new: &mut Value,
) -> Result<(u16, Option<Value>), ApiError> {
    let info = ctx.resource.clone();
    let name = ctx.info.name.clone();
    if kubehci_api::meta::name(new) != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            kubehci_api::meta::name(new)
        )));
    }
    reconcile_namespace(ctx, new)?;
    let old_uid = kubehci_api::meta::uid(old).to_string();
    let new_uid = kubehci_api::meta::uid(new).to_string();
    if !new_uid.is_empty() && new_uid != old_uid {
        return Err(ApiError::conflict(
            &info.group_resource(),
            &name,
            &format!(
                "Precondition failed: UID in precondition: {new_uid}, UID in object meta: {old_uid}"
            ),
        ));
    }
    {
        let old_md = old.get("metadata").cloned().unwrap_or_else(|| json!({}));
        let md = kubehci_api::meta::metadata_mut(new);
        for f in [
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
        ] {
            match old_md.get(f) {
                Some(v) => md.insert(f.into(), v.clone()),
                None => md.remove(f),
            };
        }
        md.remove("selfLink");
        md.remove("resourceVersion");
    }
    let sub = (!ctx.info.subresource.is_empty()).then_some(ctx.info.subresource.as_str());
    hooks::prepare_update(state, &info, sub, new, old);
    let errs = hooks::validate_update(state, &info, sub, new, old);
    if !errs.is_empty() {
        return Err(invalid(&info, new, &errs));
    }
    super::admission::admit_update(state, ctx, old, new)?;
    hooks::record_update_manager(state, ctx, Some(old), new);
    let mut old_cmp = old.clone();
    if let Some(md) = old_cmp.get_mut("metadata").and_then(Value::as_object_mut) {
        md.remove("resourceVersion");
    }
    if *new == old_cmp {
        return Ok((200, Some(old.clone())));
    }
    Ok((200, None))
}

/// PUT on the main resource or `status`.
pub async fn replace(state: &State, ctx: &mut Ctx, body: &[u8]) -> Result<(u16, Value), ApiError> {
    let obj = decode_body(ctx, body)?;
    check_type(&ctx.resource, &obj)?;
    let raw_json =
        matches!(body_type(ctx.content_type.as_deref())?, BodyType::Json).then_some(body);
    field_validation(state, ctx, &obj, raw_json)?;
    update(state, ctx, Mutation::Replace(obj)).await
}

/// PATCH of any supported type.
pub async fn patch(state: &State, ctx: &mut Ctx, body: &[u8]) -> Result<(u16, Value), ApiError> {
    let bt = body_type(ctx.content_type.as_deref())?;
    if matches!(bt, BodyType::Json | BodyType::Yaml | BodyType::Protobuf) {
        return Err(ApiError::unsupported_media_type(
            ctx.content_type.as_deref().unwrap_or(""),
        ));
    }
    if bt == BodyType::ApplyPatch && ctx.query.field_manager.is_empty() {
        return Err(ApiError::bad_request(
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
        ));
    }
    update(state, ctx, Mutation::Patch(bt, body)).await
}

/// The object as read, for `get` on main and `status` subresources.
pub async fn read_one(state: &State, ctx: &Ctx) -> Result<Value, ApiError> {
    get_object(state, &ctx.resource, ctx.namespace(), &ctx.info.name)
        .await
        .map(|(o, _)| o)
}

#[cfg(test)]
mod precondition_tests {
    use super::{BodyType, patch_names_resource_version as names};

    #[test]
    fn only_a_patch_that_names_a_resource_version_is_conditional() {
        assert!(!names(
            BodyType::MergePatch,
            br#"{"status":{"phase":"Running"}}"#
        ));
        assert!(names(
            BodyType::MergePatch,
            br#"{"metadata":{"resourceVersion":"7"}}"#
        ));
        assert!(names(
            BodyType::ApplyPatch,
            b"metadata:\n  name: x\n  resourceVersion: \"9\"\n"
        ));
        assert!(names(
            BodyType::JsonPatch,
            br#"[{"op":"test","path":"/metadata/resourceVersion","value":"3"}]"#
        ));
        assert!(!names(
            BodyType::JsonPatch,
            br#"[{"op":"add","path":"/spec/x","value":1}]"#
        ));
        assert!(!names(BodyType::StrategicMergePatch, b"not json"));
    }
}
