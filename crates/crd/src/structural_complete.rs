//! Structural completeness (upstream's `schema/complete.go`): every property or
//! `items` named inside a junctor (`allOf`, `anyOf`, `oneOf`, `not`) must also be
//! specified in the structural part of the schema.

use kubehci_api::FieldError;

use crate::path::FieldPath;
use crate::props::{MAX_SCHEMA_DEPTH, Props};

/// `validateStructuralCompleteness`: fields named under junctors must exist in `s`.
pub fn completeness(
    v: &Props,
    s: &Props,
    s_path: &FieldPath,
    v_path: &FieldPath,
    errs: &mut Vec<FieldError>,
    depth: usize,
) {
    if depth > MAX_SCHEMA_DEPTH {
        return;
    }
    let junctors = v
        .not
        .iter()
        .map(|n| (n.as_ref(), v_path.child("not")))
        .chain(
            v.all_of
                .iter()
                .enumerate()
                .map(|(i, x)| (x, v_path.child("allOf").index(i))),
        )
        .chain(
            v.any_of
                .iter()
                .enumerate()
                .map(|(i, x)| (x, v_path.child("anyOf").index(i))),
        )
        .chain(
            v.one_of
                .iter()
                .enumerate()
                .map(|(i, x)| (x, v_path.child("oneOf").index(i))),
        );
    for (nv, nv_path) in junctors {
        nested_completeness(nv, Some(s), s_path, &nv_path, errs, depth + 1);
    }
}

fn nested_completeness(
    v: &Props,
    s: Option<&Props>,
    s_path: &FieldPath,
    v_path: &FieldPath,
    errs: &mut Vec<FieldError>,
    depth: usize,
) {
    if depth > MAX_SCHEMA_DEPTH {
        return;
    }
    let Some(s) = s else {
        errs.push(FieldError::required(
            s_path.as_str(),
            format!("because it is defined in {v_path}"),
        ));
        return;
    };
    completeness(v, s, s_path, v_path, errs, depth);
    if let Some(items) = &v.items {
        let s_items = s.items.as_deref();
        nested_completeness(
            items,
            s_items,
            &s_path.child("items"),
            &v_path.child("items"),
            errs,
            depth + 1,
        );
    }
    for (k, vf) in &v.properties {
        let vp = v_path.child("properties").key(k);
        match s.properties.get(k) {
            Some(sf) => nested_completeness(
                vf,
                Some(sf),
                &s_path.child("properties").key(k),
                &vp,
                errs,
                depth + 1,
            ),
            None => errs.push(FieldError::required(
                s_path.child("properties").key(k).as_str(),
                format!("because it is defined in {vp}"),
            )),
        }
    }
}
