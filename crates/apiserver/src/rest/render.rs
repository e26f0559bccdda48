//! Rendering objects and lists as the client negotiated: as is, as
//! `PartialObjectMetadata(List)`, or as a server-side printed `Table`.

use serde_json::{Value, json};

use super::ctx::Ctx;
use crate::negotiate::Render;

pub fn wants_table(ctx: &Ctx) -> bool {
    matches!(ctx.neg.render, Render::Table { .. })
}

fn meta_api_version(v1beta1: bool) -> &'static str {
    if v1beta1 {
        "meta.k8s.io/v1beta1"
    } else {
        "meta.k8s.io/v1"
    }
}

fn partial(obj: &Value, v1beta1: bool) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": meta_api_version(v1beta1),
        "metadata": obj.get("metadata").cloned().unwrap_or_else(|| json!({})),
    })
}

/// `includeObject` of a Table request: None, Metadata (default) or Object.
fn include_object(ctx: &Ctx) -> kubehci_tables::IncludeObject {
    match ctx.query.raw_value("includeObject") {
        Some("None") => kubehci_tables::IncludeObject::None,
        Some("Object") => kubehci_tables::IncludeObject::Object,
        _ => kubehci_tables::IncludeObject::Metadata,
    }
}

fn table(ctx: &Ctx, objs: &[Value]) -> Value {
    let opts = kubehci_tables::TableOptions {
        include_object: include_object(ctx),
        now: chrono::Utc::now(),
        no_headers: false,
    };
    let custom = &ctx.crd_columns;
    let mut t = match custom {
        Some(cols) => kubehci_tables::crd_table(cols, objs, &opts),
        None => kubehci_tables::table(&ctx.resource.group, &ctx.resource.resource, objs, &opts),
    };
    if let Render::Table { v1beta1: true } = ctx.neg.render {
        t["apiVersion"] = json!("meta.k8s.io/v1beta1");
    }
    t
}

/// One object (get, create, update, patch, delete responses).
pub fn render_object(ctx: &Ctx, obj: Value) -> Value {
    match ctx.neg.render {
        Render::Object => obj,
        Render::PartialMetadata { v1beta1 } => partial(&obj, v1beta1),
        Render::Table { .. } => {
            let mut t = table(ctx, std::slice::from_ref(&obj));
            if let Some(rv) = obj.pointer("/metadata/resourceVersion") {
                t["metadata"] = json!({"resourceVersion": rv});
            }
            t
        }
    }
}

/// One object inside a watch event.
pub fn render_watch_object(ctx: &Ctx, obj: Value) -> Value {
    render_object(ctx, obj)
}

/// A list response; `list` is the `<Kind>List` object.
pub fn render_list(ctx: &Ctx, mut list: Value) -> Value {
    match ctx.neg.render {
        Render::Object => list,
        Render::PartialMetadata { v1beta1 } => {
            let items: Vec<Value> = list["items"]
                .as_array()
                .map(|a| a.iter().map(|o| partial(o, v1beta1)).collect())
                .unwrap_or_default();
            json!({
                "kind": "PartialObjectMetadataList",
                "apiVersion": meta_api_version(v1beta1),
                "metadata": list["metadata"].take(),
                "items": items,
            })
        }
        Render::Table { .. } => {
            let items = list["items"].as_array().cloned().unwrap_or_default();
            let mut t = table(ctx, &items);
            t["metadata"] = list["metadata"].take();
            t
        }
    }
}
