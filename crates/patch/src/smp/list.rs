//! List handling of strategic merge patch: merge-keyed lists of maps, merged primitive
//! lists, `$patch` list items, `$deleteFromPrimitiveList` and `$setElementOrder`.

use serde_json::{Map, Value};

use super::order::normalize_element_order;
use super::{
    DIRECTIVE, GoKind, SET_ELEMENT_ORDER, bad_arg_type, bad_patch_type, discard_null_values, extract_key, go_eq,
    go_kind, merge_map, no_merge_key, other_strategy, remove_directives,
};
use crate::error::PatchError;
use crate::gojson::go_v;
use crate::ty::Ty;

const SLICE: &str = "[]interface {}";
const MAP: &str = "map[string]interface {}";

/// Merges a patch list into an original list per the field's strategy (upstream
/// `mergeSliceHandler`): `merge` (or a deletion list) merges, anything else replaces.
pub(super) fn merge_slice_handler(
    original: Vec<Value>,
    patch: Vec<Value>,
    items: Ty<'_>,
    strategy: &str,
    merge_key: &str,
    is_delete_list: bool,
) -> Result<Vec<Value>, PatchError> {
    if strategy == "merge" || is_delete_list {
        merge_slice(original, patch, items, merge_key, is_delete_list)
    } else {
        Ok(patch)
    }
}

/// Common element type of the lists (upstream `sliceElementType`).
pub(super) fn slice_element_type(lists: &[&[Value]]) -> Result<GoKind, PatchError> {
    let mut prev: Option<GoKind> = None;
    for v in lists.iter().flat_map(|l| l.iter()) {
        let t = go_kind(v);
        match prev {
            None => {
                if t == GoKind::Slice {
                    return Err(PatchError::Unprocessable("lists of lists are not supported".into()));
                }
                if t == GoKind::Nil {
                    // Go dereferences a nil reflect.Type here and the request dies with a 500.
                    return Err(PatchError::Internal("list element types are not identical: nil element".into()));
                }
                prev = Some(t);
            }
            Some(p) if p != t => {
                let shown: Vec<String> = lists.iter().map(|l| go_v(&Value::Array(l.to_vec()))).collect();
                return Err(PatchError::Internal(format!(
                    "list element types are not identical: [{}]",
                    shown.join(" ")
                )));
            }
            Some(_) => {}
        }
    }
    prev.ok_or_else(|| PatchError::Internal("no elements in any of the given slices".into()))
}

/// Upstream `mergeSlice`.
fn merge_slice(
    original: Vec<Value>,
    patch: Vec<Value>,
    items: Ty<'_>,
    merge_key: &str,
    is_delete_list: bool,
) -> Result<Vec<Value>, PatchError> {
    if original.is_empty() && patch.is_empty() {
        return Ok(original);
    }
    let kind = slice_element_type(&[&original, &patch])?;
    let (original, patch, merged) = if kind != GoKind::Map {
        if is_delete_list {
            return Ok(original.into_iter().filter(|v| !patch.iter().any(|d| go_eq(Some(v), Some(d)))).collect());
        }
        let mut merged: Vec<Value> = Vec::with_capacity(original.len() + patch.len());
        for v in original.iter().chain(patch.iter()) {
            if !merged.iter().any(|m| go_eq(Some(m), Some(v))) {
                merged.push(v.clone());
            }
        }
        (original, patch, merged)
    } else {
        if merge_key.is_empty() {
            return Err(PatchError::Internal(format!("cannot merge lists without merge key for {}", items.name())));
        }
        let (original, patch) = merge_slice_with_special_elements(original, patch, merge_key)?;
        let merged = merge_slice_without_special_elements(original.clone(), &patch, merge_key, items)?;
        (original, patch, merged)
    };
    let (patch_items, server_only) = if merge_key.is_empty() {
        partition_primitives(merged, &patch)
    } else {
        partition_maps(merged, &patch, merge_key)?
    };
    normalize_element_order(patch_items, server_only, &patch, &original, merge_key, kind)
}

/// Handles `$patch: delete|replace|merge` items; returns the updated original and the
/// patch without them (upstream `mergeSliceWithSpecialElements`).
fn merge_slice_with_special_elements(
    mut original: Vec<Value>,
    patch: Vec<Value>,
    merge_key: &str,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut without = Vec::with_capacity(patch.len());
    let mut replace = false;
    for v in patch {
        let Value::Object(m) = &v else { return Err(bad_arg_type(MAP, Some(&v))) };
        match m.get(DIRECTIVE) {
            None => without.push(v),
            Some(d) => match d.as_str() {
                Some("delete") => {
                    let Some(key_value) = m.get(merge_key) else { return Err(no_merge_key(m, merge_key)) };
                    while let Some(i) = find_by_key(&original, merge_key, key_value)? {
                        original.remove(i);
                    }
                }
                Some("replace") => replace = true,
                Some("merge") => {
                    return Err(PatchError::Internal("merging lists cannot yet be specified in the patch".into()));
                }
                _ => return Err(bad_patch_type(d, m)),
            },
        }
    }
    if replace { Ok((without, Vec::new())) } else { Ok((original, without)) }
}

/// Merges patch items into original items with the same merge key, appends the others.
fn merge_slice_without_special_elements(
    mut original: Vec<Value>,
    patch: &[Value],
    merge_key: &str,
    items: Ty<'_>,
) -> Result<Vec<Value>, PatchError> {
    for v in patch {
        let Value::Object(m) = v else { return Err(bad_arg_type(MAP, Some(v))) };
        let Some(key_value) = m.get(merge_key) else { return Err(no_merge_key(m, merge_key)) };
        match find_by_key(&original, merge_key, key_value)? {
            Some(i) => {
                let Value::Object(o) = std::mem::take(&mut original[i]) else {
                    return Err(PatchError::Internal(format!("value for key {i} is not a map")));
                };
                original[i] = Value::Object(merge_map(o, m.clone(), items)?);
            }
            None => {
                let mut added = v.clone();
                discard_null_values(&mut added);
                original.push(added);
            }
        }
    }
    Ok(original)
}

/// Index of the first map whose `key` is present and equal to `value`
/// (upstream `findMapInSliceBasedOnKeyValue`).
pub(super) fn find_by_key(list: &[Value], key: &str, value: &Value) -> Result<Option<usize>, PatchError> {
    for (i, v) in list.iter().enumerate() {
        let Value::Object(m) = v else {
            return Err(PatchError::Internal(format!("value for key {i} is not a map")));
        };
        if let Some(found) = m.get(key)
            && go_eq(Some(found), Some(value))
        {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// Splits primitives into those present in `by` and the rest.
fn partition_primitives(list: Vec<Value>, by: &[Value]) -> (Vec<Value>, Vec<Value>) {
    list.into_iter().partition(|v| by.iter().any(|b| go_eq(Some(v), Some(b))))
}

/// Splits maps into those whose merge key appears in `by` and the rest.
fn partition_maps(list: Vec<Value>, by: &[Value], merge_key: &str) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut present = Vec::new();
    let mut rest = Vec::new();
    for v in list {
        let Value::Object(m) = &v else { return Err(bad_arg_type(MAP, Some(&v))) };
        let Some(key_value) = m.get(merge_key) else { return Err(no_merge_key(m, merge_key)) };
        if find_by_key(by, merge_key, key_value)?.is_some() {
            present.push(v);
        } else {
            rest.push(v);
        }
    }
    Ok((present, rest))
}

/// Processes every `$setElementOrder/<field>` of `patch`: merges the field's list and
/// orders it by the directive, then the patch, then the live list (upstream
/// `mergePatchIntoOriginal`).
pub(super) fn merge_set_element_order(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    ty: Ty<'_>,
) -> Result<(), PatchError> {
    let keys: Vec<String> = patch.keys().filter(|k| k.starts_with(SET_ELEMENT_ORDER)).cloned().collect();
    for key in keys {
        let Some(order_v) = patch.shift_remove(&key) else { continue };
        let Value::Array(order) = order_v else { return Err(bad_arg_type(SLICE, Some(&order_v))) };
        let field = extract_key(&key, SET_ELEMENT_ORDER)?.to_string();
        let original_list = match original.get(&field) {
            Some(Value::Array(l)) => Some(l.clone()),
            Some(other) => return Err(bad_arg_type(SLICE, Some(other))),
            None => None,
        };
        let patch_list = match patch.get(&field) {
            Some(Value::Array(l)) => Some(l.clone()),
            Some(other) => return Err(bad_arg_type(SLICE, Some(other))),
            None => None,
        };
        let field_ty = ty.field(&field);
        let (strategies, merge_key) = field_ty.patch_meta();
        let strategy = other_strategy(&strategies)?;
        validate_order(patch_list.as_deref().unwrap_or_default(), &order, &merge_key)?;
        let merged = match (&original_list, &patch_list) {
            (Some(o), None) => o.clone(),
            (None, Some(p)) => p.iter().cloned().filter_map(remove_directives).collect(),
            (Some(o), Some(p)) => {
                merge_slice_handler(o.clone(), p.clone(), field_ty.items(), &strategy, &merge_key, false)?
            }
            (None, None) => continue,
        };
        let (in_order, server_only) = if merge_key.is_empty() {
            partition_primitives(merged, &order)
        } else {
            partition_maps(merged, &order, &merge_key)?
        };
        let original_list = original_list.unwrap_or_default();
        let kind = slice_element_type(&[&original_list, patch_list.as_deref().unwrap_or_default()])?;
        let both = normalize_element_order(in_order, server_only, &order, &original_list, &merge_key, kind)?;
        original.insert(field.clone(), Value::Array(both));
        patch.shift_remove(&field);
    }
    Ok(())
}

/// The relative order of patch items must agree with the `$setElementOrder` list, and the
/// patch items must be a subset of it (upstream `validatePatchWithSetOrderList`).
fn validate_order(patch_list: &[Value], order: &[Value], merge_key: &str) -> Result<(), PatchError> {
    if order.is_empty() || patch_list.is_empty() {
        return Ok(());
    }
    let non_delete: Vec<&Value> = if merge_key.is_empty() {
        patch_list.iter().collect()
    } else {
        let mut kept = Vec::new();
        for v in patch_list {
            let Value::Object(m) = v else { return Err(bad_arg_type(MAP, Some(v))) };
            if m.get(DIRECTIVE).and_then(Value::as_str) != Some("delete") {
                kept.push(v);
            }
        }
        kept
    };
    let (mut pi, mut oi) = (0, 0);
    while pi < non_delete.len() && oi < order.len() {
        if matches!(non_delete[pi], Value::Object(m) if m.contains_key(DIRECTIVE)) {
            pi += 1;
            continue;
        }
        if key_equal(non_delete[pi], &order[oi], merge_key)? {
            pi += 1;
        }
        oi += 1;
    }
    if pi < non_delete.len() && oi >= order.len() {
        return Err(PatchError::Internal(format!(
            "The order in patch list:\n{}\n doesn't match {SET_ELEMENT_ORDER} list:\n{}\n",
            go_v(&Value::Array(patch_list.to_vec())),
            go_v(&Value::Array(order.to_vec()))
        )));
    }
    Ok(())
}

/// Upstream `mergeKeyValueEqual`.
fn key_equal(left: &Value, right: &Value, merge_key: &str) -> Result<bool, PatchError> {
    if merge_key.is_empty() {
        return Ok(go_eq(Some(left), Some(right)));
    }
    let Value::Object(l) = left else { return Err(bad_arg_type(MAP, Some(left))) };
    let Value::Object(r) = right else { return Err(bad_arg_type(MAP, Some(right))) };
    let lv = l.get(merge_key).ok_or_else(|| no_merge_key(l, merge_key))?;
    let rv = r.get(merge_key).ok_or_else(|| no_merge_key(r, merge_key))?;
    Ok(go_eq(Some(lv), Some(rv)))
}
