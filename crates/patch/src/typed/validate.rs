//! Checks an applied configuration against its schema the way SMD's typed parser does
//! before an apply (`ParseableType.FromUnstructured`): scalar types, map/list shapes,
//! undeclared fields, list keys and duplicate list items.

use std::collections::BTreeSet;

use kubehci_schema::{NodeKind, ScalarType};
use serde_json::Value;

use super::fieldset::item_element;
use crate::fieldpath::{PathElement, path_string};
use crate::limits::MAX_DEPTH;
use crate::ty::{Atom, ListRel, Ty};

/// Validates `v`; returns upstream's aggregated message (`.spec.x: field not declared in
/// schema`, or `errors:` followed by one indented line per error).
pub(crate) fn validate(v: &Value, ty: Ty<'_>) -> Result<(), String> {
    let mut errs = Vec::new();
    walk(v, ty, &mut Vec::new(), &mut errs, 0);
    match errs.len() {
        0 => Ok(()),
        1 => Err(errs.remove(0)),
        _ => Err(format!("errors:\n  {}", errs.join("\n  "))),
    }
}

fn push(errs: &mut Vec<String>, path: &[PathElement], msg: String) {
    if path.is_empty() {
        errs.push(msg);
    } else {
        errs.push(format!("{}: {msg}", path_string(path)));
    }
}

fn walk(v: &Value, ty: Ty<'_>, path: &mut Vec<PathElement>, errs: &mut Vec<String>, depth: usize) {
    if depth > MAX_DEPTH {
        push(
            errs,
            path,
            format!("nesting depth exceeds the limit of {MAX_DEPTH}"),
        );
        return;
    }
    if v.is_null() {
        return;
    }
    let Some(node) = ty.node() else { return };
    match &node.kind {
        NodeKind::Scalar(st) => {
            let ok = match st {
                ScalarType::String => v.is_string(),
                ScalarType::Integer | ScalarType::Number => v.is_number(),
                ScalarType::Boolean => v.is_boolean(),
                ScalarType::IntOrString => v.is_string() || v.is_number(),
            };
            if !ok {
                let want = match st {
                    ScalarType::String => "string",
                    ScalarType::Integer | ScalarType::Number => "numeric (int or float)",
                    ScalarType::Boolean => "boolean",
                    ScalarType::IntOrString => "string or number",
                };
                push(errs, path, format!("expected {want}, got {v}"));
            }
        }
        NodeKind::Array { .. } => {
            let Value::Array(items) = v else {
                push(errs, path, format!("expected list, got {v}"));
                return;
            };
            let rel = match ty.atom(Some(v)) {
                Atom::List(rel) => rel,
                _ => ListRel::Atomic,
            };
            let item_ty = ty.items();
            let mut seen = BTreeSet::new();
            for (i, item) in items.iter().enumerate() {
                let pe = if rel == ListRel::Atomic {
                    PathElement::Index(i64::try_from(i).unwrap_or(i64::MAX))
                } else {
                    match item_element(item, &rel, item_ty) {
                        Ok(pe) => pe,
                        Err(e) => {
                            push(errs, path, format!("element {i}: {e}"));
                            continue;
                        }
                    }
                };
                if rel != ListRel::Atomic && !seen.insert(pe.clone()) {
                    push(
                        errs,
                        path,
                        format!("duplicate entries for key {}", pe.display()),
                    );
                    continue;
                }
                path.push(pe);
                walk(item, item_ty, path, errs, depth + 1);
                path.pop();
            }
        }
        NodeKind::Object { .. } => {
            let Value::Object(m) = v else {
                push(errs, path, format!("expected map, got {v}"));
                return;
            };
            for (k, child) in m {
                path.push(PathElement::Field(k.clone()));
                if ty.rejects_unknown(k) {
                    push(errs, path, "field not declared in schema".into());
                } else {
                    walk(child, ty.field(k), path, errs, depth + 1);
                }
                path.pop();
            }
        }
        NodeKind::Any => {}
    }
}
