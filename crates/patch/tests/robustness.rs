//! Untrusted input: random documents, wrong types everywhere, directives in odd places,
//! deep nesting and huge indices must produce errors, never panics or stack overflows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{T0, T1, deployment, deployment_schema};
use kubehci_patch::{
    MAX_DEPTH, apply, apply_merge_patch, json_patch, merge_patch, strategic_merge_patch,
    update_managed_fields,
};
use serde_json::{Map, Value, json};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const KEYS: &[&str] = &[
    "$patch",
    "$retainKeys",
    "$setElementOrder/containers",
    "$setElementOrder/finalizers",
    "$setElementOrder/env",
    "$deleteFromPrimitiveList/finalizers",
    "$deleteFromPrimitiveList/containers",
    "$setElementOrder",
    "apiVersion",
    "kind",
    "metadata",
    "spec",
    "template",
    "containers",
    "name",
    "image",
    "env",
    "ports",
    "containerPort",
    "protocol",
    "labels",
    "finalizers",
    "selector",
    "volumes",
    "emptyDir",
    "command",
    "replicas",
    "managedFields",
    "strategy",
    "value",
    "status",
    "x",
];

fn scalar(r: &mut Rng) -> Value {
    match r.below(10) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(r.below(3)),
        3 => json!(-1),
        4 => json!(1.5),
        5 => json!(u64::MAX),
        6 => json!("delete"),
        7 => json!("replace"),
        8 => json!("merge"),
        _ => json!(KEYS[r.below(KEYS.len())]),
    }
}

fn value(r: &mut Rng, depth: usize) -> Value {
    if depth == 0 {
        return scalar(r);
    }
    match r.below(6) {
        0 | 1 => {
            let mut m = Map::new();
            for _ in 0..r.below(5) {
                m.insert(KEYS[r.below(KEYS.len())].to_string(), value(r, depth - 1));
            }
            Value::Object(m)
        }
        2 | 3 => Value::Array((0..r.below(4)).map(|_| value(r, depth - 1)).collect()),
        _ => scalar(r),
    }
}

fn object(r: &mut Rng, depth: usize) -> Value {
    let mut v = value(r, depth);
    if !v.is_object() {
        v = json!({"spec": v});
    }
    v
}

#[test]
fn random_documents_never_panic() {
    let (s, root) = deployment_schema();
    let schema = Some((&s, root));
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    for i in 0..3000 {
        let original = if i % 3 == 0 {
            deployment()
        } else {
            object(&mut r, 6)
        };
        let patch = object(&mut r, 6);
        let _ = strategic_merge_patch(&original, &patch, schema);
        let _ = apply_merge_patch(&original, &patch);
        let _ = merge_patch(&original, &patch);
        let applied = if i % 2 == 0 {
            patch.clone()
        } else {
            merge_patch(&deployment(), &patch)
        };
        for sc in [schema, None] {
            if let Ok(live) = apply(None, &applied, "m1", false, sc, T0) {
                let next = object(&mut r, 5);
                let _ = apply(Some(&live), &next, "m2", i % 4 == 0, sc, T1);
                let _ = apply(Some(&live), &next, "kubectl", false, sc, T1);
                let mut new = merge_patch(&live, &next);
                update_managed_fields(Some(&live), &mut new, "u", None, "apps/v1", T1, sc);
            }
            let mut new = original.clone();
            update_managed_fields(Some(&patch), &mut new, "u", Some("status"), "v1", T1, sc);
        }
        let op = ["add", "remove", "replace", "move", "copy", "test"][r.below(6)];
        let path = [
            "",
            "/spec",
            "/spec/0",
            "/a/b/c",
            "/-",
            "/spec/99999999999999999999",
        ][r.below(6)];
        let from = ["/spec", "/x", ""][r.below(3)];
        let ops = json!([{"op": op, "path": path, "from": from, "value": value(&mut r, 2)}]);
        let _ = json_patch(&original, ops.to_string().as_bytes());
    }
}

#[test]
fn garbage_managed_fields_do_not_break_writes() {
    let (s, root) = deployment_schema();
    let mut r = Rng(42);
    for _ in 0..500 {
        let mut live = deployment();
        live["metadata"]["managedFields"] = json!([{"manager": "x", "operation": "Update", "apiVersion": "v1",
            "fieldsType": "FieldsV1", "fieldsV1": value(&mut r, 5)}]);
        let mut new = live.clone();
        new["spec"]["replicas"] = json!(9);
        update_managed_fields(
            Some(&live),
            &mut new,
            "w",
            None,
            "apps/v1",
            T1,
            Some((&s, root)),
        );
        let _ = apply(Some(&live), &deployment(), "a", false, Some((&s, root)), T1);
    }
    let mut live = deployment();
    live["metadata"]["managedFields"] = json!([{"operation": "Apply", "apiVersion": "v1", "fieldsType": "FieldsV1",
        "fieldsV1": {"f:spec": {"k:not json": {}}}}]);
    let e = apply(Some(&live), &deployment(), "a", false, Some((&s, root)), T1).unwrap_err();
    assert!(
        e.to_string().starts_with("failed to decode managed fields"),
        "{e}"
    );
}

fn nested(depth: usize, leaf: Value) -> Value {
    (0..depth).fold(leaf, |acc, _| json!({"spec": acc}))
}

fn drop_iteratively(mut v: Value) {
    loop {
        v = match v {
            Value::Object(mut m) => match m.remove("spec") {
                Some(inner) => inner,
                None => return,
            },
            _ => return,
        };
    }
}

#[test]
fn deep_nesting_is_rejected() {
    let (s, root) = deployment_schema();
    let deep = nested(MAX_DEPTH * 4, json!(1));
    let e = strategic_merge_patch(&deployment(), &deep, Some((&s, root))).unwrap_err();
    assert_eq!(e.status_code(), 400);
    assert_eq!(
        apply_merge_patch(&json!({}), &deep)
            .unwrap_err()
            .status_code(),
        400
    );
    let e = apply(None, &deep, "m", false, None, T0).unwrap_err();
    assert_eq!(e.status_code(), 400, "{e}");
    let e = apply(None, &deep, "m", false, Some((&s, root)), T0).unwrap_err();
    assert!(e.status_code() >= 400, "{e}");
    let mut new = deep.clone();
    update_managed_fields(None, &mut new, "m", None, "v1", T0, None);
    let body = format!(
        "[{{\"op\":\"add\",\"path\":\"/a\",\"value\":{}}}]",
        "[".repeat(10_000)
    );
    assert_eq!(
        json_patch(&json!({}), body.as_bytes())
            .unwrap_err()
            .status_code(),
        400
    );
    drop_iteratively(new);
    drop_iteratively(deep);
}

#[test]
fn huge_list_indices_are_errors() {
    let doc = json!({"a": [1, 2]});
    for path in ["/a/2", "/a/18446744073709551616", "/a/-1", "/a/01", "/a/x"] {
        let body = json!([{"op": "replace", "path": path, "value": 0}]).to_string();
        let e = json_patch(&doc, body.as_bytes()).unwrap_err();
        assert_eq!(e.status_code(), 422, "{path}: {e}");
    }
    let body = json!([{"op": "add", "path": "/a/3", "value": 0}]).to_string();
    assert_eq!(
        json_patch(&doc, body.as_bytes()).unwrap_err().status_code(),
        422
    );
}
