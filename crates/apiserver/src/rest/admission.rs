//! Built-in admission: namespace lifecycle and Service address allocation.

use kubehci_api::{ApiError, GroupResource, ResourceInfo};
use serde_json::Value;

use super::ctx::Ctx;
use crate::state::State;

fn is_service(info: &ResourceInfo) -> bool {
    info.group.is_empty() && info.resource == "services"
}

/// Objects cannot be created in a missing or terminating namespace.
async fn check_namespace(state: &State, ctx: &Ctx, obj: &Value) -> Result<(), ApiError> {
    let info = &ctx.resource;
    if !info.namespaced() {
        return Ok(());
    }
    let ns = kubehci_api::meta::namespace(obj);
    let ns_key = format!("/registry/core/namespaces/{ns}");
    let ns_obj = state
        .backend
        .get(&ns_key, None)
        .await
        .map_err(ApiError::internal)?;
    let Some(kv) = ns_obj else {
        return Err(ApiError::not_found(
            &GroupResource::new("", "namespaces"),
            ns,
        ));
    };
    let nsv: Value = serde_json::from_slice(&kv.value).map_err(ApiError::internal)?;
    let terminating = nsv.pointer("/status/phase").and_then(Value::as_str) == Some("Terminating")
        || nsv.pointer("/metadata/deletionTimestamp").is_some();
    // Upstream still lets events and a few token/review kinds through; events matter.
    if terminating && info.resource != "events" {
        let name = kubehci_api::meta::name(obj);
        return Err(ApiError::forbidden(
            &info.group_resource(),
            name,
            format!(
                "{} is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                if name.is_empty() {
                    info.group_resource().to_string()
                } else {
                    format!("{} {name:?}", info.group_resource())
                }
            ),
        ));
    }
    Ok(())
}

/// Mutating admission, before the strategy validates: namespace lifecycle, pod plugins.
pub async fn admit_mutating(state: &State, ctx: &Ctx, obj: &mut Value) -> Result<(), ApiError> {
    check_namespace(state, ctx, obj).await?;
    if ctx.resource.group.is_empty() && ctx.resource.resource == "pods" {
        super::pod_admission::admit_pod(state, ctx, obj).await?;
        super::limits_admission::admit(state, ctx.namespace(), obj).await?;
    }
    Ok(())
}

/// Validating admission after the strategy accepted the object: quotas.
pub async fn admit_validating(state: &State, ctx: &Ctx, obj: &mut Value) -> Result<(), ApiError> {
    if ctx.resource.group.is_empty() && ctx.resource.resource == "resourcequotas" {
        super::quota_admission::initial_status(state, obj).await?;
    }
    super::quota_admission::admit(state, &ctx.resource, obj, ctx.query.dry_run).await
}

/// Allocation after validation (Service cluster IPs and node ports); undone by
/// [`undo_create`] when the create does not happen.
pub async fn admit_create(state: &State, ctx: &Ctx, obj: &mut Value) -> Result<(), ApiError> {
    if is_service(&ctx.resource) {
        state.allocators.allocate(obj, None).map_err(|errs| {
            ApiError::invalid(
                "Service",
                "",
                "Service",
                kubehci_api::meta::name(obj),
                &errs,
            )
        })?;
    }
    Ok(())
}

/// Releases what `admit_create` took when the create did not happen.
pub fn undo_create(state: &State, ctx: &Ctx, obj: &Value) {
    if is_service(&ctx.resource) {
        state.allocators.release(obj, None);
    }
}

pub fn admit_update(
    state: &State,
    ctx: &Ctx,
    old: &Value,
    new: &mut Value,
) -> Result<(), ApiError> {
    if is_service(&ctx.resource) && ctx.info.subresource.is_empty() {
        state.allocators.allocate(new, Some(old)).map_err(|errs| {
            ApiError::invalid(
                "Service",
                "",
                "Service",
                kubehci_api::meta::name(new),
                &errs,
            )
        })?;
    }
    Ok(())
}

pub fn after_update(state: &State, info: &ResourceInfo, old: &Value, new: &Value) {
    if is_service(info) {
        state.allocators.release(old, Some(new));
    }
}

pub fn after_delete(state: &State, info: &ResourceInfo, old: &Value) {
    if is_service(info) {
        state.allocators.release(old, None);
    }
}
