//! Server-side apply options and error paths: request validation, reset fields,
//! subresources and objects without a schema.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{T0, T1, deployment, deployment_schema, managed, ssa};
use kubehci_patch::{ApplyOptions, apply, apply_with};
use serde_json::json;

#[test]
fn invalid_apply_requests() {
    let mut cfg = deployment();
    cfg["metadata"]["managedFields"] = json!([]);
    let e = ssa(None, &cfg, "m", false, T0).unwrap_err();
    assert_eq!(
        (e.status_code(), e.to_string().as_str()),
        (400, "metadata.managedFields must be nil")
    );

    let mut cfg = deployment();
    cfg["spec"]["foo"] = json!(1);
    let e = ssa(None, &cfg, "m", false, T0).unwrap_err();
    assert_eq!(
        e.to_string(),
        "failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.foo: field not declared in schema"
    );
    assert_eq!(e.status_code(), 500);

    let mut cfg = deployment();
    cfg["spec"]["template"]["spec"]["containers"] = json!([{"name": "a"}, {"name": "a"}]);
    cfg["spec"]["replicas"] = json!("three");
    let e = ssa(None, &cfg, "m", false, T0).unwrap_err();
    assert!(e.to_string().contains("errors:\n  .spec.replicas: expected numeric (int or float), got \"three\"\n  .spec.template.spec.containers: duplicate entries for key [name=\"a\"]"), "{e}");

    let (s, root) = deployment_schema();
    let mut wrong = deployment();
    wrong["apiVersion"] = json!("apps/v2");
    let opts = ApplyOptions {
        manager: "m",
        now: T0,
        api_version: Some("apps/v1"),
        kind: Some("Deployment"),
        ..Default::default()
    };
    let e = apply_with(None, &wrong, &opts, Some((&s, root))).unwrap_err();
    assert_eq!(
        (e.status_code(), e.to_string().as_str()),
        (400, "invalid object type: apps/v2, Kind=Deployment")
    );
    assert_eq!(
        ssa(None, &json!("x"), "m", false, T0)
            .unwrap_err()
            .status_code(),
        400
    );
}

#[test]
fn reset_fields_are_never_owned() {
    let (s, root) = deployment_schema();
    let mut cfg = deployment();
    cfg["status"] = json!({"replicas": 5});
    let opts = ApplyOptions {
        manager: "m",
        now: T0,
        reset_fields: &["status"],
        ..Default::default()
    };
    let out = apply_with(None, &cfg, &opts, Some((&s, root))).unwrap();
    assert!(managed(&out)[0]["fieldsV1"].get("f:status").is_none());
    let opts = ApplyOptions {
        subresource: Some("status"),
        ..opts
    };
    let out = apply_with(None, &cfg, &opts, Some((&s, root))).unwrap();
    assert_eq!(managed(&out)[0]["subresource"], "status");
}

#[test]
fn untyped_objects_use_deduced_types() {
    let cr = json!({"apiVersion": "example.com/v1", "kind": "Foo", "metadata": {"name": "x", "labels": {"a": "b"}},
        "spec": {"a": 1, "list": [1, 2], "nested": {"b": true}}});
    let out = apply(None, &cr, "m", false, None, T0).unwrap();
    assert_eq!(
        managed(&out)[0]["fieldsV1"],
        json!({
            "f:metadata": {"f:labels": {".": {}, "f:a": {}}},
            "f:spec": {".": {}, "f:a": {}, "f:list": {}, "f:nested": {".": {}, "f:b": {}}}
        })
    );
    let mut next = cr.clone();
    next["spec"]["list"] = json!([3]);
    next["spec"].as_object_mut().unwrap().remove("nested");
    let out = apply(Some(&out), &next, "m", false, None, T1).unwrap();
    assert_eq!(out["spec"], json!({"a": 1, "list": [3]}));
}
