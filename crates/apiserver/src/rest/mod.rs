//! Generic REST handlers for every resource: one code path, per-resource behaviour via
//! the strategy hooks.

pub mod admission;
pub mod ctx;
pub mod custom;
pub mod delete;
pub mod filter;
pub mod hooks;
pub mod limits_admission;
pub mod pod_admission;
pub mod pod_proxy;
pub mod quota_admission;
pub mod read;
pub mod render;
pub mod scale;
pub mod watch;
pub mod write;

use std::sync::Arc;

use kubehci_api::ApiError;

use crate::respond::{self, Resp};
use crate::state::State;
pub use ctx::Ctx;

/// Serves one resource request; `body` is the whole request body.
pub async fn serve(state: Arc<State>, mut ctx: Ctx, body: bytes::Bytes) -> Resp {
    let pretty = ctx.query.pretty;
    let result = dispatch(&state, &mut ctx, &body).await;
    match result {
        Ok(Dispatched::Object(code, obj)) => {
            let rendered = render::render_object(&ctx, obj);
            respond::with_warnings(
                respond::object(code, &rendered, &ctx.neg, pretty),
                &ctx.warnings,
            )
        }
        Ok(Dispatched::List(list)) => {
            let rendered = render::render_list(&ctx, list);
            respond::with_warnings(
                respond::object(200, &rendered, &ctx.neg, pretty),
                &ctx.warnings,
            )
        }
        Ok(Dispatched::Watch) => match watch::watch(state, ctx).await {
            Ok(r) => r,
            Err(e) => respond::error(&e),
        },
        Ok(Dispatched::Raw(r)) => r,
        Err(e) => respond::with_warnings(respond::error(&e), &ctx.warnings),
    }
}

pub enum Dispatched {
    Object(u16, serde_json::Value),
    List(serde_json::Value),
    Watch,
    Raw(Resp),
}

async fn dispatch(state: &State, ctx: &mut Ctx, body: &[u8]) -> Result<Dispatched, ApiError> {
    let info = ctx.resource.clone();
    let verb = ctx.info.verb.clone();
    let sub = ctx.info.subresource.clone();
    let gr = info.group_resource();
    if !sub.is_empty() && !info.has_subresource(&sub) {
        return Err(ApiError::path_not_found());
    }
    if verb != "create" && !info.verbs.contains(&verb) && sub.is_empty() {
        return Err(ApiError::method_not_supported(&gr, &verb));
    }
    match (sub.as_str(), verb.as_str()) {
        ("", "get") | ("status", "get") => {
            Ok(Dispatched::Object(200, write::read_one(state, ctx).await?))
        }
        ("", "list") => {
            let listed = read::list_objects(state, ctx).await?;
            if ctx.neg.render == crate::negotiate::Render::Object
                && ctx.neg.format == crate::negotiate::Format::Json
                && !ctx.query.pretty
            {
                // The common case: stored bytes go out as they are, no re-serialising.
                let body = listed.to_json_bytes(&info)?;
                return Ok(Dispatched::Raw(respond::bytes(
                    200,
                    &ctx.neg.content_type,
                    body,
                )));
            }
            Ok(Dispatched::List(read::list_object(&info, listed)?))
        }
        ("", "watch") => Ok(Dispatched::Watch),
        ("", "create") => {
            if !info.verbs.iter().any(|v| v == "create") {
                return Err(ApiError::method_not_supported(&gr, "create"));
            }
            if info.group.is_empty() && info.resource == "bindings" {
                // The legacy bindings resource binds the pod the Binding is named after.
                let b = write::decode_body(ctx, body)?;
                ctx.info.name = kubehci_api::meta::name(&b).to_string();
                let catalog = state.catalog.snapshot();
                if let Some(pods) = catalog.lookup("", "v1", "pods") {
                    ctx.resource = std::sync::Arc::new(pods.clone());
                }
                let (code, obj) = crate::subresources::bind(state, ctx, body).await?;
                return Ok(Dispatched::Object(code, obj));
            }
            if crate::reviews::is_review(&info) {
                let (code, obj) = crate::reviews::serve(state, ctx, body).await?;
                return Ok(Dispatched::Object(code, obj));
            }
            let (code, obj) = write::create(state, ctx, body).await?;
            Ok(Dispatched::Object(code, obj))
        }
        ("" | "status", "update") => {
            let (code, obj) = write::replace(state, ctx, body).await?;
            Ok(Dispatched::Object(code, obj))
        }
        ("" | "status", "patch") => {
            let (code, obj) = write::patch(state, ctx, body).await?;
            Ok(Dispatched::Object(code, obj))
        }
        ("", "delete") => {
            let (code, obj) = delete::delete(state, ctx, body).await?;
            Ok(Dispatched::Object(code, obj))
        }
        ("", "deletecollection") => {
            let (code, obj) = delete::delete_collection(state, ctx, body).await?;
            Ok(Dispatched::Object(code, obj))
        }
        ("scale", "get" | "update" | "patch") => {
            let (code, obj) = scale::serve(state, ctx, body).await?;
            Ok(Dispatched::Object(code, obj))
        }
        ("token", "create") if info.resource == "serviceaccounts" => {
            let (code, obj) = crate::satokens::token_request(state, ctx, body).await?;
            Ok(Dispatched::Object(code, obj))
        }
        ("binding", "create") => {
            let (code, obj) = crate::subresources::bind(state, ctx, body).await?;
            Ok(Dispatched::Object(code, obj))
        }
        ("approval" | "finalize", "update" | "patch") => {
            let (code, obj) = if verb == "update" {
                write::replace(state, ctx, body).await?
            } else {
                write::patch(state, ctx, body).await?
            };
            Ok(Dispatched::Object(code, obj))
        }
        (_, _) => Err(ApiError::method_not_supported(&gr, &verb)),
    }
}
