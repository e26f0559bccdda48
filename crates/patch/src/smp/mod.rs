//! Strategic merge patch (`application/strategic-merge-patch+json`), applied server-side
//! the way `k8s.io/apimachinery/pkg/util/strategicpatch` does (`StrategicMergeMapPatch`
//! with `MergeParallelList` and `IgnoreUnmatchedNulls`): `$patch` directives on maps and
//! list items, `$retainKeys`, `$setElementOrder/<field>`, `$deleteFromPrimitiveList/<field>`,
//! merge-keyed lists, merged primitive lists and `null` deletions.
//!
//! Go iterates patch maps in random order; we process `$retainKeys` and
//! `$setElementOrder/...` first (as upstream does) and the remaining keys in patch order.

mod element_order;
mod list;
mod order;

use kubehci_api::gofmt::{go_type, go_v};
use serde_json::{Map, Value};

use crate::error::PatchError;
use crate::jsonpatch::not_an_object;
use crate::limits::{MAX_DEPTH, check_depth};
use crate::ty::{SchemaRef, Ty};

pub(crate) const DIRECTIVE: &str = "$patch";
pub(crate) const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";
pub(crate) const SET_ELEMENT_ORDER: &str = "$setElementOrder";
const RETAIN_KEYS: &str = "$retainKeys";

/// Applies a strategic merge patch to `original`.
///
/// `schema` is the kind's root schema; `None` (custom resources, unstructured objects)
/// yields [`PatchError::StrategicMergeUnsupported`] like upstream, whose handler never
/// accepts this patch type for them. Fields below the root that the schema does not
/// describe are merged without patch metadata (maps merge, lists are replaced).
pub fn strategic_merge_patch(
    original: &Value,
    patch: &Value,
    schema: SchemaRef<'_>,
) -> Result<Value, PatchError> {
    if schema.is_none() {
        return Err(PatchError::StrategicMergeUnsupported);
    }
    let Value::Object(patch) = patch else {
        return Err(not_an_object(patch));
    };
    let Value::Object(original) = original else {
        return Err(PatchError::BadRequest("invalid JSON document".into()));
    };
    check_depth(&Value::Object(patch.clone()), MAX_DEPTH)?;
    merge_map(original.clone(), patch.clone(), Ty::new(schema)).map(Value::Object)
}

/// Go's dynamic type of a decoded JSON value; lists of these are merged only when every
/// element has the same one (`sliceElementType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GoKind {
    Nil,
    Bool,
    Int,
    Float,
    String,
    Slice,
    Map,
}

pub(crate) fn go_kind(v: &Value) -> GoKind {
    match v {
        Value::Null => GoKind::Nil,
        Value::Bool(_) => GoKind::Bool,
        Value::Number(n) if n.is_i64() => GoKind::Int,
        Value::Number(_) => GoKind::Float,
        Value::String(_) => GoKind::String,
        Value::Array(_) => GoKind::Slice,
        Value::Object(_) => GoKind::Map,
    }
}

/// Go's `==` on two `interface{}` values holding decoded JSON: same dynamic type and
/// value; absent and `null` are both `nil`. Maps and slices never compare equal (Go would
/// panic).
pub(crate) fn go_eq(a: Option<&Value>, b: Option<&Value>) -> bool {
    let a = a.filter(|v| !v.is_null());
    let b = b.filter(|v| !v.is_null());
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => {
            go_kind(x) == go_kind(y) && !matches!(x, Value::Object(_) | Value::Array(_)) && x == y
        }
        _ => false,
    }
}

/// `mergepatch.ErrBadArgType`.
pub(crate) fn bad_arg_type(expected: &str, actual: Option<&Value>) -> PatchError {
    PatchError::Internal(format!(
        "expected a {expected}, but received a {}",
        actual.map_or("<nil>", go_type)
    ))
}

/// `mergepatch.ErrNoMergeKey`.
pub(crate) fn no_merge_key(m: &Map<String, Value>, key: &str) -> PatchError {
    PatchError::Internal(format!(
        "map: {} does not contain declared merge key: {key}",
        go_v(&Value::Object(m.clone()))
    ))
}

/// `mergepatch.ErrBadPatchType`.
pub(crate) fn bad_patch_type(t: &Value, m: &Map<String, Value>) -> PatchError {
    PatchError::Internal(format!(
        "unknown patch type: {} in map: {}",
        go_v(t),
        go_v(&Value::Object(m.clone()))
    ))
}

/// Splits a `$prefix/field` directive key.
pub(crate) fn extract_key<'k>(key: &'k str, prefix: &str) -> Result<&'k str, PatchError> {
    match key.split_once('/') {
        Some((p, rest)) if p == prefix => Ok(rest),
        _ if prefix == DELETE_FROM_PRIMITIVE_LIST => Err(PatchError::BadRequest(
            "invalid patch format of primitive list".into(),
        )),
        _ => Err(PatchError::BadRequest(
            "invalid patch format of setElementOrder list".into(),
        )),
    }
}

/// The non-`retainKeys` strategy out of a field's strategies.
pub(crate) fn other_strategy(strategies: &[String]) -> Result<String, PatchError> {
    let unexpected = || {
        PatchError::Internal(format!(
            "unexpected patch strategy: [{}]",
            strategies.join(" ")
        ))
    };
    match strategies {
        [] => Ok(String::new()),
        [one] if one == "retainKeys" => Ok(String::new()),
        [one] => Ok(one.clone()),
        [a, b] if a == "retainKeys" => Ok(b.clone()),
        [a, b] if b == "retainKeys" => Ok(a.clone()),
        _ => Err(unexpected()),
    }
}

/// Merges `patch` into `original` (upstream `mergeMap`).
pub(crate) fn merge_map(
    mut original: Map<String, Value>,
    mut patch: Map<String, Value>,
    ty: Ty<'_>,
) -> Result<Map<String, Value>, PatchError> {
    if let Some(directive) = patch.get(DIRECTIVE).cloned() {
        return match directive.as_str() {
            Some("replace") => {
                patch.shift_remove(DIRECTIVE);
                Ok(patch)
            }
            Some("delete") => Ok(Map::new()),
            _ => Err(bad_patch_type(&directive, &patch)),
        };
    }
    apply_retain_keys(&mut original, &mut patch)?;
    element_order::merge_set_element_order(&mut original, &mut patch, ty)?;

    let keys: Vec<String> = patch.keys().cloned().collect();
    for k in keys {
        let Some(mut patch_v) = patch.shift_remove(&k) else {
            continue;
        };
        let (key, is_delete_list) = if k.starts_with(DELETE_FROM_PRIMITIVE_LIST) {
            (
                extract_key(&k, DELETE_FROM_PRIMITIVE_LIST)?.to_string(),
                true,
            )
        } else {
            (k, false)
        };
        if patch_v.is_null() {
            original.shift_remove(&key);
            continue;
        }
        let same_type = original.get(&key).map(|o| go_kind(o) == go_kind(&patch_v));
        match same_type {
            None | Some(false) => {
                // Absent in the original, or of another type: take the patch value.
                if !is_delete_list {
                    discard_null_values(&mut patch_v);
                    match remove_directives(patch_v) {
                        Some(v) => {
                            original.insert(key, v);
                        }
                        None => {
                            original.shift_remove(&key);
                        }
                    }
                }
                continue;
            }
            Some(true) => {}
        }
        let field_ty = ty.field(&key);
        let Some(original_v) = original.get_mut(&key) else {
            continue;
        };
        let scalar = match (original_v, patch_v) {
            (Value::Object(o), Value::Object(p)) => {
                let strategy = other_strategy(&field_ty.patch_meta().0)?;
                let merged = if strategy == "replace" {
                    p
                } else {
                    merge_map(std::mem::take(o), p, field_ty)?
                };
                *o = merged;
                continue;
            }
            (Value::Array(o), Value::Array(p)) => {
                let (strategies, merge_key) = field_ty.patch_meta();
                let strategy = other_strategy(&strategies)?;
                let merged = list::merge_slice_handler(
                    std::mem::take(o),
                    p,
                    field_ty.items(),
                    &strategy,
                    &merge_key,
                    is_delete_list,
                )?;
                *o = merged;
                continue;
            }
            (_, p) => remove_directives(p),
        };
        match scalar {
            Some(v) => {
                original.insert(key, v);
            }
            None => {
                original.shift_remove(&key);
            }
        }
    }
    Ok(original)
}

/// `$retainKeys`: drop original keys not listed; every non-null, non-directive patch key
/// must be listed.
fn apply_retain_keys(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
) -> Result<(), PatchError> {
    let Some(retain) = patch.shift_remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let bad = || PatchError::BadRequest("invalid patch format of retainKeys".into());
    let Value::Array(list) = retain else {
        return Err(bad());
    };
    let listed = |k: &str| list.iter().any(|v| v.as_str() == Some(k));
    for (k, v) in patch.iter() {
        if v.is_null()
            || k.starts_with(DELETE_FROM_PRIMITIVE_LIST)
            || k.starts_with(SET_ELEMENT_ORDER)
        {
            continue;
        }
        if !listed(k) {
            return Err(bad());
        }
    }
    original.retain(|k, _| listed(k));
    Ok(())
}

/// Removes `null`-valued keys everywhere in a value being added.
pub(crate) fn discard_null_values(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, v| !v.is_null());
            m.values_mut().for_each(discard_null_values);
        }
        Value::Array(items) => items.iter_mut().for_each(discard_null_values),
        _ => {}
    }
}

/// Strips directive-bearing maps from a value being added; `None` when the value itself
/// is such a map (upstream `removeDirectives`).
pub(crate) fn remove_directives(v: Value) -> Option<Value> {
    match v {
        Value::Object(m) => {
            if m.contains_key(DIRECTIVE) {
                return None;
            }
            let kept = m
                .into_iter()
                .filter_map(|(k, v)| remove_directives(v).map(|v| (k, v)))
                .collect();
            Some(Value::Object(kept))
        }
        Value::Array(items) => Some(Value::Array(
            items.into_iter().filter_map(remove_directives).collect(),
        )),
        other => Some(other),
    }
}
