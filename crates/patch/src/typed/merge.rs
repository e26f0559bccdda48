//! Merge of an applied configuration into a live object (SMD `TypedValue.Merge` with the
//! keep-right-hand-side rule): granular maps merge key by key, associative lists merge
//! item by item keeping the applied order for applied items, everything else is replaced.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde_json::{Map, Value};

use super::fieldset::item_element;
use crate::error::PatchError;
use crate::fieldpath::PathElement;
use crate::limits::guard;
use crate::ty::{Atom, ListRel, Ty};

/// Merges `rhs` (applied) over `lhs` (live).
pub(crate) fn merge(lhs: &Value, rhs: &Value, ty: Ty<'_>) -> Result<Value, PatchError> {
    Ok(walk(Some(lhs), Some(rhs), ty, 0)?.unwrap_or_else(|| Value::Object(Map::new())))
}

fn walk(
    lhs: Option<&Value>,
    rhs: Option<&Value>,
    ty: Ty<'_>,
    depth: usize,
) -> Result<Option<Value>, PatchError> {
    guard(depth)?;
    let (alhs, arhs) = (ty.atom(lhs), ty.atom(rhs));
    if rhs.is_none() {
        handle(&alhs, lhs, rhs, ty, depth)
    } else if lhs.is_none() || alhs == arhs {
        handle(&arhs, lhs, rhs, ty, depth)
    } else {
        // Upstream walks the old shape first for its errors only; its output is discarded.
        handle(&alhs, lhs, rhs, ty, depth)?;
        handle(&arhs, lhs, rhs, ty, depth)
    }
}

fn keep_rhs(lhs: Option<&Value>, rhs: Option<&Value>) -> Option<Value> {
    rhs.or(lhs).cloned()
}

fn handle(
    atom: &Atom,
    lhs: Option<&Value>,
    rhs: Option<&Value>,
    ty: Ty<'_>,
    depth: usize,
) -> Result<Option<Value>, PatchError> {
    match atom {
        Atom::Scalar => Ok(keep_rhs(lhs, rhs)),
        Atom::List(rel) => {
            let l = lhs.and_then(Value::as_array);
            let r = rhs.and_then(Value::as_array);
            let empty = l.is_none_or(Vec::is_empty) && r.is_none_or(Vec::is_empty);
            if *rel == ListRel::Atomic || empty {
                return Ok(keep_rhs(lhs, rhs));
            }
            let out = list_items(
                rel,
                l.map(Vec::as_slice),
                r.map(Vec::as_slice),
                ty.items(),
                depth,
            )?;
            Ok((!out.is_empty()).then_some(Value::Array(out)))
        }
        Atom::Map { atomic } => {
            let l = lhs.and_then(Value::as_object);
            let r = rhs.and_then(Value::as_object);
            let empty = l.is_none_or(Map::is_empty) && r.is_none_or(Map::is_empty);
            if *atomic || empty {
                return Ok(keep_rhs(lhs, rhs));
            }
            let empty_map = Map::new();
            let (l, r) = (l.unwrap_or(&empty_map), r.unwrap_or(&empty_map));
            let mut out = Map::new();
            for k in l.keys().chain(r.keys().filter(|k| !l.contains_key(*k))) {
                if let Some(v) = walk(l.get(k), r.get(k), ty.field(k), depth + 1)? {
                    out.insert(k.clone(), v);
                }
            }
            Ok((!out.is_empty()).then_some(Value::Object(out)))
        }
    }
}

/// Path elements of a list in order, and the item for each (`None` for a duplicated one).
type Indexed<'v> = (Vec<PathElement>, BTreeMap<PathElement, Option<&'v Value>>);

fn index<'v>(
    rel: &ListRel,
    list: &'v [Value],
    items: Ty<'_>,
    allow_dups: bool,
) -> Result<Indexed<'v>, PatchError> {
    let mut pes = Vec::with_capacity(list.len());
    let mut observed = BTreeMap::new();
    for (i, item) in list.iter().enumerate() {
        let pe = item_element(item, rel, items).map_err(|e| {
            PatchError::Internal(format!("failed to merge config: element {i}: {e}"))
        })?;
        if observed.contains_key(&pe) {
            if !allow_dups {
                return Err(PatchError::Internal(format!(
                    "failed to merge config: duplicate entries for key {}",
                    pe.display()
                )));
            }
            observed.insert(pe.clone(), None);
        } else {
            observed.insert(pe.clone(), Some(item));
        }
        pes.push(pe);
    }
    Ok((pes, observed))
}

/// SMD `mergingWalker.visitListItems`: live-only items stay where they were, applied items
/// follow the applied order, shared items are emitted at their applied position.
fn list_items(
    rel: &ListRel,
    lhs: Option<&[Value]>,
    rhs: Option<&[Value]>,
    items: Ty<'_>,
    depth: usize,
) -> Result<Vec<Value>, PatchError> {
    let lhs = lhs.unwrap_or_default();
    let (rhs_pes, observed_rhs) = index(rel, rhs.unwrap_or_default(), items, false)?;
    let (lhs_pes, observed_lhs) = index(rel, lhs, items, true)?;
    let null = Value::Null;
    let lchild = |pe: &PathElement| observed_lhs.get(pe).map(|v| v.unwrap_or(&null));
    let rchild = |pe: &PathElement| observed_rhs.get(pe).copied().flatten();

    let mut shared: VecDeque<&PathElement> = rhs_pes
        .iter()
        .filter(|pe| observed_lhs.contains_key(*pe))
        .collect();
    let mut next_shared = shared.pop_front();
    let mut merged_rhs: BTreeSet<&PathElement> = BTreeSet::new();
    let mut out = Vec::with_capacity(lhs_pes.len().max(rhs_pes.len()));
    let (mut li, mut ri) = (0, 0);
    while li < lhs_pes.len() || ri < rhs_pes.len() {
        if li < lhs_pes.len() && ri < rhs_pes.len() {
            let pe = &lhs_pes[li];
            if *pe == rhs_pes[ri] {
                merged_rhs.insert(pe);
                out.extend(walk(lchild(pe), rchild(pe), items, depth + 1)?);
                li += 1;
                ri += 1;
                next_shared = shared.pop_front();
                continue;
            }
            if observed_rhs.contains_key(pe) && next_shared.is_some_and(|n| n != pe) {
                li += 1;
                continue;
            }
        }
        if li < lhs_pes.len() {
            let pe = &lhs_pes[li];
            if !observed_rhs.contains_key(pe) {
                out.extend(walk(lhs.get(li), None, items, depth + 1)?);
                li += 1;
                continue;
            } else if merged_rhs.contains(pe) {
                li += 1;
            }
        }
        if ri < rhs_pes.len() {
            let pe = &rhs_pes[ri];
            merged_rhs.insert(pe);
            out.extend(walk(lchild(pe), rchild(pe), items, depth + 1)?);
            ri += 1;
            if next_shared.is_some_and(|n| n == pe) {
                next_shared = shared.pop_front();
            }
        }
    }
    Ok(out)
}
