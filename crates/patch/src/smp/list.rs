//! List handling of strategic merge patch: merge-keyed lists of maps, merged primitive
//! lists, `$patch` list items and `$deleteFromPrimitiveList`.

use kubehci_api::gofmt::go_v;
use serde_json::Value;

use super::order::normalize_element_order;
use super::{
    DIRECTIVE, GoKind, bad_arg_type, bad_patch_type, discard_null_values, go_eq, go_kind,
    merge_map, no_merge_key,
};
use crate::error::PatchError;
use crate::ty::Ty;

pub(super) const SLICE: &str = "[]interface {}";
pub(super) const MAP: &str = "map[string]interface {}";

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
    Ok(merge_slice_handler_aliased(original, patch, items, strategy, merge_key, is_delete_list)?.0)
}

/// [`merge_slice_handler`], also returning what the caller's view of the original list
/// reads after the merge. Upstream deletes and appends in place in the original list's
/// backing array (`append(l[:i], l[i+1:]...)`, `append(l, item)` within capacity), and
/// `$setElementOrder` then orders by that mutated array; the server's lists come from
/// `ToUnstructured` with capacity equal to length.
pub(super) fn merge_slice_handler_aliased(
    original: Vec<Value>,
    patch: Vec<Value>,
    items: Ty<'_>,
    strategy: &str,
    merge_key: &str,
    is_delete_list: bool,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    if strategy == "merge" || is_delete_list {
        merge_slice(original, patch, items, merge_key, is_delete_list)
    } else {
        Ok((patch, original))
    }
}

/// A Go slice over the original list's backing array: `items` is what the slice holds,
/// `view` what the original slice header (full length) sees of the shared array.
struct Aliased {
    items: Vec<Value>,
    view: Vec<Value>,
    reallocated: bool,
}

impl Aliased {
    fn new(original: Vec<Value>) -> Self {
        Aliased {
            view: original.clone(),
            items: original,
            reallocated: false,
        }
    }

    fn remove(&mut self, i: usize) {
        let len = self.items.len();
        self.items.remove(i);
        if !self.reallocated && len <= self.view.len() && i < len {
            let last = self.view[len - 1].clone();
            self.view.remove(i);
            self.view.insert(len - 1, last);
        }
    }

    fn push(&mut self, v: Value) {
        let len = self.items.len();
        if !self.reallocated && len < self.view.len() {
            self.view[len] = v.clone();
        } else {
            self.reallocated = true;
        }
        self.items.push(v);
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
                    return Err(PatchError::Unprocessable(
                        "lists of lists are not supported".into(),
                    ));
                }
                if t == GoKind::Nil {
                    // Go dereferences a nil reflect.Type here and the request dies with a 500.
                    return Err(PatchError::Internal(
                        "list element types are not identical: nil element".into(),
                    ));
                }
                prev = Some(t);
            }
            Some(p) if p != t => {
                let shown: Vec<String> = lists
                    .iter()
                    .map(|l| go_v(&Value::Array(l.to_vec())))
                    .collect();
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

/// Upstream `mergeSlice`; returns the merged list and the aliased view of the original.
fn merge_slice(
    original: Vec<Value>,
    patch: Vec<Value>,
    items: Ty<'_>,
    merge_key: &str,
    is_delete_list: bool,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    if original.is_empty() && patch.is_empty() {
        return Ok((original.clone(), original));
    }
    let kind = slice_element_type(&[&original, &patch])?;
    let mut view = Vec::new();
    let (original, patch, merged) = if kind != GoKind::Map {
        if is_delete_list {
            let kept = original
                .iter()
                .filter(|v| !patch.iter().any(|d| go_eq(Some(v), Some(d))))
                .cloned()
                .collect();
            return Ok((kept, original));
        }
        view = original.clone();
        let mut merged: Vec<Value> = Vec::with_capacity(original.len() + patch.len());
        for v in original.iter().chain(patch.iter()) {
            if !merged.iter().any(|m| go_eq(Some(m), Some(v))) {
                merged.push(v.clone());
            }
        }
        (original, patch, merged)
    } else {
        if merge_key.is_empty() {
            return Err(PatchError::Internal(format!(
                "cannot merge lists without merge key for {}",
                items.name()
            )));
        }
        let mut aliased = Aliased::new(original);
        let (replaced, patch) = merge_slice_with_special_elements(&mut aliased, patch, merge_key)?;
        let replaced = replaced.is_some_and(|list| {
            // `$patch: replace`: the patch items become the list; the original array keeps
            // whatever the deletions left in it.
            view = std::mem::take(&mut aliased.view);
            aliased = Aliased {
                items: list,
                view: Vec::new(),
                reallocated: true,
            };
            true
        });
        let original = aliased.items.clone();
        merge_slice_without_special_elements(&mut aliased, &patch, merge_key, items)?;
        if !replaced {
            view = aliased.view;
        }
        (original, patch, aliased.items)
    };
    let (patch_items, server_only) = if merge_key.is_empty() {
        partition_primitives(merged, &patch)
    } else {
        partition_maps(merged, &patch, merge_key)?
    };
    let merged =
        normalize_element_order(patch_items, server_only, &patch, &original, merge_key, kind)?;
    Ok((merged, view))
}

/// Handles `$patch: delete|replace|merge` items, deleting in place from `original`;
/// returns the replacement list (for `$patch: replace`) and the patch without those items
/// (upstream `mergeSliceWithSpecialElements`).
fn merge_slice_with_special_elements(
    original: &mut Aliased,
    patch: Vec<Value>,
    merge_key: &str,
) -> Result<(Option<Vec<Value>>, Vec<Value>), PatchError> {
    let mut without = Vec::with_capacity(patch.len());
    let mut replace = false;
    for v in patch {
        let Value::Object(m) = &v else {
            return Err(bad_arg_type(MAP, Some(&v)));
        };
        match m.get(DIRECTIVE) {
            None => without.push(v),
            Some(d) => match d.as_str() {
                Some("delete") => {
                    let Some(key_value) = m.get(merge_key) else {
                        return Err(no_merge_key(m, merge_key));
                    };
                    while let Some(i) = find_by_key(&original.items, merge_key, key_value)? {
                        original.remove(i);
                    }
                }
                Some("replace") => replace = true,
                Some("merge") => {
                    return Err(PatchError::Internal(
                        "merging lists cannot yet be specified in the patch".into(),
                    ));
                }
                _ => return Err(bad_patch_type(d, m)),
            },
        }
    }
    if replace {
        Ok((Some(without), Vec::new()))
    } else {
        Ok((None, without))
    }
}

/// Merges patch items into original items with the same merge key, appends the others.
fn merge_slice_without_special_elements(
    original: &mut Aliased,
    patch: &[Value],
    merge_key: &str,
    items: Ty<'_>,
) -> Result<(), PatchError> {
    for v in patch {
        let Value::Object(m) = v else {
            return Err(bad_arg_type(MAP, Some(v)));
        };
        let Some(key_value) = m.get(merge_key) else {
            return Err(no_merge_key(m, merge_key));
        };
        match find_by_key(&original.items, merge_key, key_value)? {
            Some(i) => {
                let Value::Object(o) = std::mem::take(&mut original.items[i]) else {
                    return Err(PatchError::Internal(format!(
                        "value for key {i} is not a map"
                    )));
                };
                original.items[i] = Value::Object(merge_map(o, m.clone(), items)?);
            }
            None => {
                let mut added = v.clone();
                discard_null_values(&mut added);
                original.push(added);
            }
        }
    }
    Ok(())
}

/// Index of the first map whose `key` is present and equal to `value`
/// (upstream `findMapInSliceBasedOnKeyValue`).
pub(super) fn find_by_key(
    list: &[Value],
    key: &str,
    value: &Value,
) -> Result<Option<usize>, PatchError> {
    for (i, v) in list.iter().enumerate() {
        let Value::Object(m) = v else {
            return Err(PatchError::Internal(format!(
                "value for key {i} is not a map"
            )));
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
pub(super) fn partition_primitives(list: Vec<Value>, by: &[Value]) -> (Vec<Value>, Vec<Value>) {
    list.into_iter()
        .partition(|v| by.iter().any(|b| go_eq(Some(v), Some(b))))
}

/// Splits maps into those whose merge key appears in `by` and the rest.
pub(super) fn partition_maps(
    list: Vec<Value>,
    by: &[Value],
    merge_key: &str,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut present = Vec::new();
    let mut rest = Vec::new();
    for v in list {
        let Value::Object(m) = &v else {
            return Err(bad_arg_type(MAP, Some(&v)));
        };
        let Some(key_value) = m.get(merge_key) else {
            return Err(no_merge_key(m, merge_key));
        };
        if find_by_key(by, merge_key, key_value)?.is_some() {
            present.push(v);
        } else {
            rest.push(v);
        }
    }
    Ok((present, rest))
}
