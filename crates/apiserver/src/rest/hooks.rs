//! The seams where per-resource strategy, schemas and patch engines plug into the
//! generic handlers. Each function here delegates to the crate that owns the logic:
//! built-in kinds to `kubehci-strategy`, CRDs to `kubehci-crd`, custom objects to their
//! compiled CRD schema (`super::custom`).

use kubehci_api::{ApiError, FieldError, ResourceInfo};
use serde_json::Value;

use super::ctx::Ctx;
use super::custom;
use super::filter::is_builtin;
use crate::negotiate::BodyType;
use crate::state::State;

fn is_crd(info: &ResourceInfo) -> bool {
    info.group == "apiextensions.k8s.io" && info.resource == "customresourcedefinitions"
}

/// Defaulting plus PrepareForCreate.
pub fn prepare_create(state: &State, info: &ResourceInfo, obj: &mut Value) {
    kubehci_api::meta::drop_empty_metadata(obj);
    if is_crd(info) {
        kubehci_crd::default_crd(obj);
        kubehci_crd::prepare_crd_for_create(obj);
        // We accept names at once (no separate naming controller): established on create.
        let status = kubehci_crd::crd_status_established(obj);
        if let Some(o) = obj.as_object_mut() {
            o.insert("status".into(), status);
        }
    } else if is_builtin(info) {
        kubehci_strategy::apply_defaults(&info.group, &info.resource, obj);
        kubehci_strategy::prepare_for_create(&info.group, &info.resource, obj);
    } else {
        custom::prepare_create(state, info, obj);
    }
}

pub fn validate_create(state: &State, info: &ResourceInfo, obj: &Value) -> Vec<FieldError> {
    if is_crd(info) {
        let mut e =
            kubehci_strategy::validate_metadata(obj, false, kubehci_strategy::NameRule::Subdomain);
        e.retain(|x| x.field != "metadata.name");
        e.extend(kubehci_crd::validate_crd(obj));
        e
    } else if is_builtin(info) {
        kubehci_strategy::validate_create(&info.group, &info.resource, obj)
    } else {
        custom::validate_create(state, info, obj)
    }
}

/// Defaulting plus PrepareForUpdate (status/spec split, generation).
pub fn prepare_update(
    state: &State,
    info: &ResourceInfo,
    sub: Option<&str>,
    new: &mut Value,
    old: &Value,
) {
    kubehci_api::meta::drop_empty_metadata(new);
    if is_crd(info) {
        if sub == Some("status") {
            custom::keep_only_status(new, old);
        } else {
            kubehci_crd::default_crd(new);
            kubehci_crd::prepare_crd_for_update(new, old);
        }
    } else if is_builtin(info) {
        kubehci_strategy::apply_defaults(&info.group, &info.resource, new);
        kubehci_strategy::prepare_for_update(&info.group, &info.resource, sub, new, old);
    } else {
        custom::prepare_update(state, info, sub, new, old);
    }
}

pub fn validate_update(
    state: &State,
    info: &ResourceInfo,
    sub: Option<&str>,
    new: &Value,
    old: &Value,
) -> Vec<FieldError> {
    if is_crd(info) {
        let mut e = kubehci_strategy::validate_metadata_update(new, old);
        if sub == Some("status") {
            e.extend(kubehci_crd::validate_crd_status_update(new, old));
        } else {
            e.extend(kubehci_crd::validate_crd_update(new, old));
        }
        e
    } else if is_builtin(info) {
        kubehci_strategy::validate_update(&info.group, &info.resource, sub, new, old)
    } else {
        custom::validate_update(state, info, sub, new, old)
    }
}

/// Unknown and duplicate fields (`unknown field "spec.foo"`), in document order. `raw` is
/// the JSON body when there is one; otherwise `obj` is serialised and scanned.
pub fn strict_issues(
    state: &State,
    info: &ResourceInfo,
    obj: &Value,
    raw: Option<&[u8]>,
) -> Result<Vec<String>, ApiError> {
    let docs = state.openapi.get();
    let schemas = docs.schemas();
    let Some(root) = schemas.for_gvk(&info.group, &info.version, &info.kind) else {
        return Ok(Vec::new());
    };
    let owned;
    let bytes = match raw {
        Some(b) => b,
        None => {
            owned = serde_json::to_vec(obj).map_err(ApiError::internal)?;
            &owned
        }
    };
    let issues = kubehci_schema::strict_issues(&schemas, root, bytes)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok(issues.iter().map(ToString::to_string).collect())
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Fields the strategy resets on this endpoint: never owned by a manager.
fn reset_fields(ctx: &Ctx) -> &'static [&'static str] {
    match (
        ctx.info.subresource.as_str(),
        ctx.resource.has_subresource("status"),
    ) {
        ("status", _) => &["spec", "metadata"],
        (_, true) => &["status"],
        _ => &[],
    }
}

fn is_apply(ctx: &Ctx) -> bool {
    ctx.content_type
        .as_deref()
        .is_some_and(|c| c.starts_with("application/apply-patch"))
}

/// Runs `f` with the schema of the request's kind (None when the kind has none).
fn with_schema<T>(
    state: &State,
    info: &ResourceInfo,
    f: impl FnOnce(kubehci_patch::SchemaRef<'_>) -> T,
) -> T {
    let docs = state.openapi.get();
    let schemas = docs.schemas();
    let root = schemas.for_gvk(&info.group, &info.version, &info.kind);
    f(root.map(|r| (&*schemas, r)))
}

/// Records the writer in `metadata.managedFields` (operation Update); apply records its
/// own entry.
pub fn record_update_manager(state: &State, ctx: &Ctx, old: Option<&Value>, new: &mut Value) {
    if is_apply(ctx) {
        return;
    }
    let manager =
        kubehci_patch::manager_or_user_agent(Some(&ctx.query.field_manager), &ctx.user_agent);
    let api_version = ctx.resource.api_version();
    let sub = (!ctx.info.subresource.is_empty()).then_some(ctx.info.subresource.as_str());
    let now = now();
    let opts = kubehci_patch::UpdateOptions {
        manager: &manager,
        api_version: &api_version,
        subresource: sub,
        now: &now,
        reset_fields: reset_fields(ctx),
    };
    with_schema(state, &ctx.resource, |schema| {
        kubehci_patch::update_managed_fields_with(old, new, &opts, schema)
    });
}

/// Applies a PATCH body to the current object.
pub fn patch(
    state: &State,
    ctx: &Ctx,
    bt: BodyType,
    current: &Value,
    body: &[u8],
) -> Result<Value, ApiError> {
    let parse = || -> Result<Value, ApiError> {
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))
    };
    match bt {
        BodyType::ApplyPatch => apply_patch(state, ctx, Some(current), body),
        BodyType::JsonPatch => {
            kubehci_patch::json_patch(current, body).map_err(|e| e.to_api_error())
        }
        BodyType::MergePatch => {
            kubehci_patch::apply_merge_patch(current, &parse()?).map_err(|e| e.to_api_error())
        }
        BodyType::StrategicMergePatch => {
            let p = parse()?;
            if !is_builtin(&ctx.resource) {
                return Err(kubehci_patch::PatchError::StrategicMergeUnsupported.to_api_error());
            }
            with_schema(state, &ctx.resource, |schema| {
                kubehci_patch::strategic_merge_patch(current, &p, schema)
            })
            .map_err(|e| e.to_api_error())
        }
        BodyType::Json | BodyType::Yaml | BodyType::Protobuf => Err(
            ApiError::unsupported_media_type(ctx.content_type.as_deref().unwrap_or("")),
        ),
    }
}

/// A JSON or merge patch on an object without a schema (e.g. Scale); strategic merge
/// patches degrade to merge patches there, as they have no list merge keys.
pub fn patch_plain(bt: BodyType, current: &Value, body: &[u8]) -> Result<Value, ApiError> {
    match bt {
        BodyType::MergePatch | BodyType::StrategicMergePatch => {
            let p: Value = serde_json::from_slice(body)
                .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
            kubehci_patch::apply_merge_patch(current, &p).map_err(|e| e.to_api_error())
        }
        BodyType::JsonPatch => {
            kubehci_patch::json_patch(current, body).map_err(|e| e.to_api_error())
        }
        _ => Err(ApiError::unsupported_media_type("unsupported patch type")),
    }
}

/// Server-side apply of a YAML (or JSON) configuration onto `current` (None: create).
pub fn apply_patch(
    state: &State,
    ctx: &Ctx,
    current: Option<&Value>,
    body: &[u8],
) -> Result<Value, ApiError> {
    let applied = crate::negotiate::yaml_to_value(body)?;
    let api_version = ctx.resource.api_version();
    let sub = (!ctx.info.subresource.is_empty()).then_some(ctx.info.subresource.as_str());
    let now = now();
    let opts = kubehci_patch::ApplyOptions {
        manager: &ctx.query.field_manager,
        force: ctx.query.force,
        subresource: sub,
        now: &now,
        reset_fields: reset_fields(ctx),
        api_version: Some(&api_version),
        kind: Some(&ctx.resource.kind),
    };
    with_schema(state, &ctx.resource, |schema| {
        kubehci_patch::apply_with(current, &applied, &opts, schema)
    })
    .map_err(|e| e.to_api_error())
}
