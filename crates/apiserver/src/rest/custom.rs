//! Strategy for custom objects (served from CRDs): pruning, structural defaulting and
//! schema validation with the CRD's compiled schema; status/spec split when the CRD has a
//! status subresource; generation bumped on non-metadata changes.

use std::sync::Arc;

use kubehci_api::{FieldError, ResourceInfo};
use kubehci_crd::CrdSchema;
use serde_json::{Value, json};

use crate::state::State;

fn schema(state: &State, info: &ResourceInfo) -> Option<Arc<CrdSchema>> {
    state
        .crd_schemas
        .read()
        .get(&(
            info.group.clone(),
            info.version.clone(),
            info.resource.clone(),
        ))
        .cloned()
}

fn has_status(info: &ResourceInfo) -> bool {
    info.has_subresource("status")
}

pub fn prepare_create(state: &State, info: &ResourceInfo, obj: &mut Value) {
    kubehci_crd::prune_root_metadata(obj);
    if let Some(s) = schema(state, info) {
        s.prune(obj);
        s.apply_defaults(obj);
    }
    if has_status(info)
        && let Some(o) = obj.as_object_mut()
    {
        o.remove("status");
    }
    kubehci_api::meta::metadata_mut(obj).insert("generation".into(), json!(1));
}

pub fn validate_create(state: &State, info: &ResourceInfo, obj: &Value) -> Vec<FieldError> {
    let mut e = kubehci_strategy::validate_metadata(
        obj,
        info.namespaced(),
        kubehci_strategy::NameRule::Subdomain,
    );
    if let Some(s) = schema(state, info) {
        e.extend(s.validate(obj));
    }
    e
}

/// Everything but `status` comes from `old` (a write to the status subresource).
pub fn keep_only_status(new: &mut Value, old: &Value) {
    let status = new.get("status").cloned();
    *new = old.clone();
    match status {
        Some(s) => new["status"] = s,
        None => {
            if let Some(o) = new.as_object_mut() {
                o.remove("status");
            }
        }
    }
}

fn without(obj: &Value, fields: &[&str]) -> Value {
    let mut v = obj.clone();
    if let Some(o) = v.as_object_mut() {
        for f in fields {
            o.remove(*f);
        }
    }
    v
}

pub fn prepare_update(
    state: &State,
    info: &ResourceInfo,
    sub: Option<&str>,
    new: &mut Value,
    old: &Value,
) {
    if sub == Some("status") {
        keep_only_status(new, old);
    } else {
        kubehci_crd::prune_root_metadata(new);
        if let Some(s) = schema(state, info) {
            s.prune(new);
            s.apply_defaults(new);
        }
        if has_status(info) {
            match old.get("status") {
                Some(st) => new["status"] = st.clone(),
                None => {
                    if let Some(o) = new.as_object_mut() {
                        o.remove("status");
                    }
                }
            }
        }
        let skip: &[&str] = if has_status(info) {
            &["metadata", "status"]
        } else {
            &["metadata"]
        };
        if without(new, skip) != without(old, skip) {
            let g = old
                .pointer("/metadata/generation")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            kubehci_api::meta::metadata_mut(new).insert("generation".into(), json!(g + 1));
        }
    }
}

pub fn validate_update(
    state: &State,
    info: &ResourceInfo,
    sub: Option<&str>,
    new: &Value,
    old: &Value,
) -> Vec<FieldError> {
    let mut e = kubehci_strategy::validate_metadata_update(new, old);
    if let Some(s) = schema(state, info) {
        if sub == Some("status") {
            e.extend(s.validate_status(new));
        } else {
            e.extend(s.validate(new));
        }
    }
    e
}
