//! The seams where per-resource strategy, schemas and patch engines plug into the
//! generic handlers. Each function here delegates to the crate that owns the logic.

use kubehci_api::{ApiError, FieldError, ResourceInfo};
use serde_json::Value;

use super::ctx::Ctx;
use crate::negotiate::BodyType;
use crate::state::State;

/// Defaulting plus PrepareForCreate.
pub fn prepare_create(_state: &State, info: &ResourceInfo, obj: &mut Value) {
    let _ = (info, obj);
}

pub fn validate_create(_state: &State, info: &ResourceInfo, obj: &Value) -> Vec<FieldError> {
    let _ = (info, obj);
    Vec::new()
}

/// Defaulting plus PrepareForUpdate (status/spec split, generation).
pub fn prepare_update(_state: &State, info: &ResourceInfo, sub: Option<&str>, new: &mut Value, old: &Value) {
    let _ = (info, sub, new, old);
}

pub fn validate_update(_state: &State, info: &ResourceInfo, sub: Option<&str>, new: &Value, old: &Value) -> Vec<FieldError> {
    let _ = (info, sub, new, old);
    Vec::new()
}

/// Unknown fields of `obj` per the kind's schema (paths like `spec.foo`).
pub fn unknown_fields(_state: &State, _info: &ResourceInfo, _obj: &Value) -> Vec<String> {
    Vec::new()
}

/// Fields given twice in a JSON body.
pub fn duplicate_fields(_raw: &[u8]) -> Vec<String> {
    Vec::new()
}

/// Records the writer in `metadata.managedFields` (operation Update).
pub fn record_update_manager(_ctx: &Ctx, _old: Option<&Value>, _new: &mut Value) {}

/// Applies a PATCH body to the current object.
pub fn patch(state: &State, ctx: &Ctx, bt: BodyType, current: &Value, body: &[u8]) -> Result<Value, ApiError> {
    match bt {
        BodyType::MergePatch => {
            let p: Value = serde_json::from_slice(body).map_err(|e| ApiError::bad_request(e.to_string()))?;
            let mut out = current.clone();
            merge(&mut out, &p);
            Ok(out)
        }
        BodyType::ApplyPatch => apply_patch(state, ctx, Some(current), body),
        _ => Err(ApiError::unsupported_media_type("unsupported patch type")),
    }
}

fn merge(target: &mut Value, patch: &Value) {
    if let Value::Object(p) = patch {
        if !target.is_object() {
            *target = Value::Object(Default::default());
        }
        if let Value::Object(t) = target {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
    } else {
        *target = patch.clone();
    }
}

/// A JSON or merge patch on an object without a schema (e.g. Scale); strategic merge
/// patches degrade to merge patches there, as they have no list merge keys.
pub fn patch_plain(bt: BodyType, current: &Value, body: &[u8]) -> Result<Value, ApiError> {
    match bt {
        BodyType::MergePatch | BodyType::StrategicMergePatch => {
            let p: Value = serde_json::from_slice(body).map_err(|e| ApiError::bad_request(e.to_string()))?;
            let mut out = current.clone();
            merge(&mut out, &p);
            Ok(out)
        }
        _ => Err(ApiError::unsupported_media_type("unsupported patch type")),
    }
}

/// Server-side apply of a YAML/JSON configuration.
pub fn apply_patch(_state: &State, _ctx: &Ctx, _current: Option<&Value>, _body: &[u8]) -> Result<Value, ApiError> {
    Err(ApiError::unsupported_media_type("application/apply-patch+yaml"))
}
