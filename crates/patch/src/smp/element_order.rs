//! `$setElementOrder/<field>`: merges the field's list, then orders it by the directive,
//! the patch and the live list, in that precedence (upstream `mergePatchIntoOriginal`).

use kubehci_api::gofmt::go_v;
use serde_json::{Map, Value};

use super::list::{
    MAP, SLICE, merge_slice_handler_aliased, partition_maps, partition_primitives,
    slice_element_type,
};
use super::order::normalize_element_order;
use super::{
    DIRECTIVE, SET_ELEMENT_ORDER, bad_arg_type, extract_key, go_eq, no_merge_key, other_strategy,
    remove_directives,
};
use crate::error::PatchError;
use crate::ty::Ty;

/// Processes every `$setElementOrder/<field>` of `patch`: merges the field's list and
/// orders it by the directive, then the patch, then the live list (upstream
/// `mergePatchIntoOriginal`).
pub(super) fn merge_set_element_order(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    ty: Ty<'_>,
) -> Result<(), PatchError> {
    let keys: Vec<String> = patch
        .keys()
        .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
        .cloned()
        .collect();
    for key in keys {
        let Some(order_v) = patch.shift_remove(&key) else {
            continue;
        };
        let Value::Array(order) = order_v else {
            return Err(bad_arg_type(SLICE, Some(&order_v)));
        };
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
        validate_order(
            patch_list.as_deref().unwrap_or_default(),
            &order,
            &merge_key,
        )?;
        let (merged, original_view) = match (&original_list, &patch_list) {
            (Some(o), None) => (o.clone(), o.clone()),
            (None, Some(p)) => (
                p.iter().cloned().filter_map(remove_directives).collect(),
                Vec::new(),
            ),
            (Some(o), Some(p)) => merge_slice_handler_aliased(
                o.clone(),
                p.clone(),
                field_ty.items(),
                &strategy,
                &merge_key,
                false,
            )?,
            (None, None) => continue,
        };
        let (in_order, server_only) = if merge_key.is_empty() {
            partition_primitives(merged, &order)
        } else {
            partition_maps(merged, &order, &merge_key)?
        };
        let kind =
            slice_element_type(&[&original_view, patch_list.as_deref().unwrap_or_default()])?;
        let both = normalize_element_order(
            in_order,
            server_only,
            &order,
            &original_view,
            &merge_key,
            kind,
        )?;
        original.insert(field.clone(), Value::Array(both));
        patch.shift_remove(&field);
    }
    Ok(())
}

/// The relative order of patch items must agree with the `$setElementOrder` list, and the
/// patch items must be a subset of it (upstream `validatePatchWithSetOrderList`).
fn validate_order(
    patch_list: &[Value],
    order: &[Value],
    merge_key: &str,
) -> Result<(), PatchError> {
    if order.is_empty() || patch_list.is_empty() {
        return Ok(());
    }
    let non_delete: Vec<&Value> = if merge_key.is_empty() {
        patch_list.iter().collect()
    } else {
        let mut kept = Vec::new();
        for v in patch_list {
            let Value::Object(m) = v else {
                return Err(bad_arg_type(MAP, Some(v)));
            };
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
    let Value::Object(l) = left else {
        return Err(bad_arg_type(MAP, Some(left)));
    };
    let Value::Object(r) = right else {
        return Err(bad_arg_type(MAP, Some(right)));
    };
    let lv = l.get(merge_key).ok_or_else(|| no_merge_key(l, merge_key))?;
    let rv = r.get(merge_key).ok_or_else(|| no_merge_key(r, merge_key))?;
    Ok(go_eq(Some(lv), Some(rv)))
}
