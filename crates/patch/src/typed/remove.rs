//! Removal of a set of fields from an object (SMD `TypedValue.RemoveItems`).
//!
//! Upstream leaves `null` where a map or list became empty; the typed round trip drops
//! those, so we drop them here (a container emptied by removal disappears).

use serde_json::{Map, Value};

use super::fieldset::item_element;
use crate::error::PatchError;
use crate::fieldpath::{PathElement, Set};
use crate::limits::guard;
use crate::ty::{Atom, ListRel, Ty};

/// `v` without the paths in `to_remove`.
pub(crate) fn remove_items(v: &Value, to_remove: &Set, ty: Ty<'_>) -> Result<Value, PatchError> {
    if to_remove.is_empty() {
        return Ok(v.clone());
    }
    Ok(walk(v, to_remove, ty, 0)?.unwrap_or_else(|| Value::Object(Map::new())))
}

fn walk(v: &Value, to_remove: &Set, ty: Ty<'_>, depth: usize) -> Result<Option<Value>, PatchError> {
    guard(depth)?;
    match ty.atom(Some(v)) {
        Atom::Scalar => Ok(Some(v.clone())),
        Atom::List(rel) => {
            let Value::Array(items) = v else {
                return Ok(None);
            };
            if items.is_empty() || rel == ListRel::Atomic {
                return Ok(None);
            }
            let item_ty = ty.items();
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                let Ok(pe) = item_element(item, &rel, item_ty) else {
                    out.push(item.clone());
                    continue;
                };
                if to_remove.has(std::slice::from_ref(&pe)) {
                    continue;
                }
                let below = to_remove.with_prefix(&pe);
                if below.is_empty() {
                    out.push(item.clone());
                } else if let Some(kept) = walk(item, &below, item_ty, depth + 1)? {
                    out.push(kept);
                }
            }
            Ok((!out.is_empty()).then_some(Value::Array(out)))
        }
        Atom::Map { atomic } => {
            let Value::Object(m) = v else { return Ok(None) };
            if m.is_empty() || atomic {
                return Ok(None);
            }
            let mut out = Map::new();
            for (k, child) in m {
                let pe = PathElement::Field(k.clone());
                if to_remove.has(std::slice::from_ref(&pe)) {
                    continue;
                }
                let below = to_remove.with_prefix(&pe);
                if below.is_empty() {
                    out.insert(k.clone(), child.clone());
                } else if let Some(kept) = walk(child, &below, ty.field(k), depth + 1)? {
                    out.insert(k.clone(), kept);
                }
            }
            Ok((!out.is_empty()).then_some(Value::Object(out)))
        }
    }
}
