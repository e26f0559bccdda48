//! Field-level difference of two objects (SMD `TypedValue.Compare`): which fields were
//! removed, modified or added. Atomic maps and lists, scalars and empty containers are
//! leaves; a map or list that appears or disappears as a whole is recorded itself too.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::fieldset::item_element;
use crate::error::PatchError;
use crate::fieldpath::{Path, PathElement, Set, value_eq};
use crate::limits::guard;
use crate::ty::{Atom, ListRel, Ty};

/// Result of [`compare`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Comparison {
    pub removed: Set,
    pub modified: Set,
    pub added: Set,
}

impl Comparison {
    /// Drops excluded paths and everything below them (upstream's reset-field filter).
    pub(crate) fn exclude(&mut self, excluded: &Set) {
        if excluded.is_empty() {
            return;
        }
        self.removed = self.removed.recursive_difference(excluded);
        self.modified = self.modified.recursive_difference(excluded);
        self.added = self.added.recursive_difference(excluded);
    }
}

/// Compares `lhs` (old) with `rhs` (new).
pub(crate) fn compare(lhs: &Value, rhs: &Value, ty: Ty<'_>) -> Result<Comparison, PatchError> {
    let mut c = Comparison::default();
    walk(Some(lhs), Some(rhs), ty, &mut Vec::new(), &mut c, 0)?;
    Ok(c)
}

fn walk(
    lhs: Option<&Value>,
    rhs: Option<&Value>,
    ty: Ty<'_>,
    path: &mut Path,
    c: &mut Comparison,
    depth: usize,
) -> Result<(), PatchError> {
    guard(depth)?;
    let (alhs, arhs) = (ty.atom(lhs), ty.atom(rhs));
    let mut in_leaf = false;
    if rhs.is_none() {
        handle(&alhs, lhs, rhs, ty, path, c, &mut in_leaf, depth)?;
    } else if lhs.is_none() || alhs == arhs {
        handle(&arhs, lhs, rhs, ty, path, c, &mut in_leaf, depth)?;
    } else {
        // Different shapes: walk the old one (its children become removals), then the new.
        let mut first_leaf = false;
        handle(&alhs, lhs, rhs, ty, path, c, &mut first_leaf, depth)?;
        handle(&arhs, lhs, rhs, ty, path, c, &mut in_leaf, depth)?;
    }
    if !in_leaf {
        if lhs.is_none() {
            c.added.insert(path);
        } else if rhs.is_none() {
            c.removed.insert(path);
        }
    }
    Ok(())
}

fn leaf(
    lhs: Option<&Value>,
    rhs: Option<&Value>,
    path: &Path,
    c: &mut Comparison,
    in_leaf: &mut bool,
) {
    if *in_leaf {
        return;
    }
    *in_leaf = true;
    match (lhs, rhs) {
        (None, _) => c.added.insert(path),
        (_, None) => c.removed.insert(path),
        (Some(l), Some(r)) if !value_eq(l, r) => c.modified.insert(path),
        _ => {}
    }
}

#[allow(clippy::too_many_arguments)]
fn handle(
    atom: &Atom,
    lhs: Option<&Value>,
    rhs: Option<&Value>,
    ty: Ty<'_>,
    path: &mut Path,
    c: &mut Comparison,
    in_leaf: &mut bool,
    depth: usize,
) -> Result<(), PatchError> {
    match atom {
        Atom::Scalar => leaf(lhs, rhs, path, c, in_leaf),
        Atom::List(rel) => {
            let l = lhs.and_then(Value::as_array);
            let r = rhs.and_then(Value::as_array);
            let empty = l.is_none_or(Vec::is_empty) && r.is_none_or(Vec::is_empty);
            if *rel == ListRel::Atomic || empty {
                leaf(lhs, rhs, path, c, in_leaf);
            } else {
                list_items(
                    rel,
                    l.map(Vec::as_slice),
                    r.map(Vec::as_slice),
                    ty.items(),
                    path,
                    c,
                    depth,
                )?;
            }
        }
        Atom::Map { atomic } => {
            let l = lhs.and_then(Value::as_object);
            let r = rhs.and_then(Value::as_object);
            let empty = l.is_none_or(Map::is_empty) && r.is_none_or(Map::is_empty);
            if *atomic || empty {
                leaf(lhs, rhs, path, c, in_leaf);
            } else {
                let empty_map = Map::new();
                let (l, r) = (l.unwrap_or(&empty_map), r.unwrap_or(&empty_map));
                let keys = l.keys().chain(r.keys().filter(|k| !l.contains_key(*k)));
                for k in keys {
                    path.push(PathElement::Field(k.clone()));
                    walk(l.get(k), r.get(k), ty.field(k), path, c, depth + 1)?;
                    path.pop();
                }
            }
        }
    }
    Ok(())
}

/// Groups list items by path element, keeping first-seen order across both lists.
fn index<'v>(
    rel: &ListRel,
    list: &'v [Value],
    items: Ty<'_>,
    order: &mut Vec<PathElement>,
    known: Option<&BTreeMap<PathElement, Vec<&'v Value>>>,
) -> BTreeMap<PathElement, Vec<&'v Value>> {
    let mut out: BTreeMap<PathElement, Vec<&'v Value>> = BTreeMap::new();
    for item in list {
        let Ok(pe) = item_element(item, rel, items) else {
            continue;
        };
        match out.get_mut(&pe) {
            Some(v) => v.push(item),
            None => {
                if !known.is_some_and(|k| k.contains_key(&pe)) {
                    order.push(pe.clone());
                }
                out.insert(pe, vec![item]);
            }
        }
    }
    out
}

fn list_items(
    rel: &ListRel,
    lhs: Option<&[Value]>,
    rhs: Option<&[Value]>,
    items: Ty<'_>,
    path: &mut Path,
    c: &mut Comparison,
    depth: usize,
) -> Result<(), PatchError> {
    let mut order = Vec::new();
    let lvals = index(rel, lhs.unwrap_or_default(), items, &mut order, None);
    let rvals = index(
        rel,
        rhs.unwrap_or_default(),
        items,
        &mut order,
        Some(&lvals),
    );
    for pe in order {
        let l = lvals.get(&pe).map(Vec::as_slice).unwrap_or_default();
        let r = rvals.get(&pe).map(Vec::as_slice).unwrap_or_default();
        path.push(pe);
        match (l.len(), r.len()) {
            (0..=1, 0..=1) => walk(
                l.first().copied(),
                r.first().copied(),
                items,
                path,
                c,
                depth + 1,
            )?,
            (2.., 2..) => {
                if l.len() != r.len() || l.iter().zip(r).any(|(a, b)| !value_eq(a, b)) {
                    c.modified.insert(path);
                }
            }
            (2.., _) => {
                if let Some(first) = r.first() {
                    walk(None, Some(first), items, path, c, depth + 1)?;
                }
                c.removed.insert(path);
            }
            (_, _) => {
                if let Some(first) = l.first() {
                    walk(Some(first), None, items, path, c, depth + 1)?;
                }
                c.added.insert(path);
            }
        }
        path.pop();
    }
    Ok(())
}
