//! The set of fields an object sets (SMD `TypedValue.ToFieldSet`) and the path element
//! that identifies a list item.

use serde_json::Value;

use crate::error::PatchError;
use crate::fieldpath::{Path, PathElement, Set};
use crate::limits::guard;
use crate::ty::{Atom, ListRel, Ty};

/// Path element of an item of an associative list (SMD `listItemToPathElement`).
pub(crate) fn item_element(
    item: &Value,
    rel: &ListRel,
    items: Ty<'_>,
) -> Result<PathElement, String> {
    match rel {
        ListRel::Atomic => Err("invalid indexing of non-associative list".into()),
        ListRel::Set => match item {
            Value::Object(_) => {
                Err("associative list without keys has an element that's a map type".into())
            }
            Value::Array(_) => Err("not supported: associative list with lists as elements".into()),
            Value::Null => {
                Err("associative list without keys has an element that's an explicit null".into())
            }
            v => Ok(PathElement::Value(v.clone())),
        },
        ListRel::Map(keys) => {
            let m = match item {
                Value::Null => {
                    return Err("associative list with keys may not have a null element".into());
                }
                Value::Object(m) => m,
                _ => return Err("associative list with keys may not have non-map elements".into()),
            };
            let mut fields = Vec::with_capacity(keys.len());
            for k in keys {
                if let Some(v) = m.get(k) {
                    fields.push((k.clone(), v.clone()));
                } else if let Some(d) = items.field_default(k) {
                    fields.push((k.clone(), d.clone()));
                }
            }
            if fields.is_empty() {
                let quoted: Vec<String> = keys
                    .iter()
                    .map(|k| kubehci_api::gofmt::go_quote(k))
                    .collect();
                return Err(format!(
                    "associative list with keys has an element that omits all key fields [{}] (and doesn't have default values for any key fields)",
                    quoted.join(" ")
                ));
            }
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(PathElement::Key(fields))
        }
    }
}

/// Fields set by `v`: scalar leaves, atomic lists and maps, list items, empty/null values
/// and keys of maps that are not structs.
pub(crate) fn to_field_set(v: &Value, ty: Ty<'_>) -> Result<Set, PatchError> {
    let mut set = Set::new();
    walk(v, ty, &mut Vec::new(), &mut set, 0)?;
    Ok(set)
}

fn walk(
    v: &Value,
    ty: Ty<'_>,
    path: &mut Path,
    set: &mut Set,
    depth: usize,
) -> Result<(), PatchError> {
    guard(depth)?;
    match ty.atom(Some(v)) {
        Atom::Scalar => set.insert(path),
        Atom::List(ListRel::Atomic) | Atom::Map { atomic: true } => set.insert(path),
        Atom::List(rel) => {
            let Value::Array(items) = v else {
                return Ok(());
            };
            let item_ty = ty.items();
            let pes: Vec<Option<PathElement>> = items
                .iter()
                .map(|i| item_element(i, &rel, item_ty).ok())
                .collect();
            let mut seen = std::collections::BTreeSet::new();
            let mut duplicates = std::collections::BTreeSet::new();
            for pe in pes.iter().flatten() {
                if !seen.insert(pe) && duplicates.insert(pe) {
                    path.push(pe.clone());
                    set.insert(path);
                    path.pop();
                }
            }
            for (item, pe) in items.iter().zip(&pes) {
                let Some(pe) = pe else { continue };
                if duplicates.contains(pe) {
                    continue;
                }
                path.push(pe.clone());
                walk(item, item_ty, path, set, depth + 1)?;
                set.insert(path);
                path.pop();
            }
        }
        Atom::Map { atomic: false } => {
            let Value::Object(m) = v else { return Ok(()) };
            for (k, child) in m {
                path.push(PathElement::Field(k.clone()));
                walk(child, ty.field(k), path, set, depth + 1)?;
                let empty = child.is_null() || child.as_object().is_some_and(|c| c.is_empty());
                if empty || !ty.declares(k) {
                    set.insert(path);
                }
                path.pop();
            }
        }
    }
    Ok(())
}
