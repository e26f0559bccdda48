//! Custom objects of `widgets.example.com`: validation messages, pruning, defaulting,
//! the patch model and the scale subresource.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixtures;

use fixtures::{messages, widget, widget_crd, widget_schema};
use kubehci_crd::{CrdSchema, apply_scale, scale_from_object, validate_scale, validate_type_meta};
use kubehci_schema::{ListType, NodeKind, ScalarType, Schemas};
use serde_json::{Value, json};

fn schema() -> CrdSchema {
    CrdSchema::for_version(&widget_crd(), "v1").unwrap()
}

fn errors_with(pointer: &str, value: Value) -> Vec<String> {
    let mut obj = widget();
    *obj.pointer_mut(pointer).unwrap() = value;
    messages(&schema().validate(&obj))
}

#[test]
fn valid_widget_has_no_errors() {
    assert_eq!(
        messages(&schema().validate(&widget())),
        Vec::<String>::new()
    );
    assert!(validate_type_meta(&widget(), "example.com", "v1", "Widget").is_empty());
    assert_eq!(
        messages(&validate_type_meta(
            &json!({"kind": "Gadget", "apiVersion": "example.com/v1"}),
            "example.com",
            "v1",
            "Widget"
        )),
        vec![r#"kind: Invalid value: "Gadget": must be Widget"#]
    );
}

#[test]
fn scalar_messages_match_upstream() {
    assert_eq!(
        errors_with("/spec/size", json!("three")),
        vec![
            r#"spec.size: Invalid value: "string": spec.size in body must be of type integer: "string""#
        ]
    );
    assert_eq!(
        errors_with("/spec/size", json!(0)),
        vec!["spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1"]
    );
    assert_eq!(
        errors_with("/spec/size", json!(101)),
        vec![
            "spec.size: Invalid value: 101: spec.size in body should be less than or equal to 100"
        ]
    );
    assert_eq!(
        errors_with("/spec/color", json!("purple")),
        vec![
            r#"spec.color: Unsupported value: "purple": supported values: "red", "green", "blue""#
        ]
    );
    assert_eq!(
        errors_with("/spec/name", json!("waytoolongname")),
        vec!["spec.name: Too long: may not be more than 10 bytes"]
    );
    assert_eq!(
        errors_with("/spec/name", json!("Gizmo")),
        vec![r#"spec.name: Invalid value: "Gizmo": spec.name in body should match '^[a-z]+$'"#]
    );
    assert_eq!(
        errors_with("/spec/created", json!("yesterday")),
        vec![
            r#"spec.created: Invalid value: "yesterday": spec.created in body must be of type date-time: "yesterday""#
        ]
    );
    assert_eq!(
        errors_with("/spec/port", json!(true)),
        vec![
            r#"spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean""#
        ]
    );
    assert_eq!(errors_with("/spec/port", json!(8080)), Vec::<String>::new());
    assert_eq!(
        errors_with("/spec/labels/tier", json!(1)),
        vec![
            r#"spec.labels.tier: Invalid value: "integer": spec.labels.tier in body must be of type string: "integer""#
        ]
    );
    assert_eq!(
        errors_with("/status/ready", json!(null)),
        vec![
            r#"status.ready: Invalid value: "null": status.ready in body must be of type integer: "null""#
        ]
    );
}

#[test]
fn objects_lists_and_required() {
    let mut obj = widget();
    obj["spec"].as_object_mut().unwrap().remove("size");
    assert_eq!(
        messages(&schema().validate(&obj)),
        vec!["spec.size: Required value"]
    );

    assert_eq!(
        errors_with("/spec/parts", json!([{"name": "a"}, {"count": 2}])),
        vec!["spec.parts[1].name: Required value"]
    );
    assert_eq!(
        errors_with(
            "/spec/parts",
            json!([{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": "d"}])
        ),
        vec!["spec.parts: Too many: 4: must have at most 3 items"]
    );
    assert_eq!(
        errors_with(
            "/spec/parts",
            json!([{"name": "a"}, {"name": "a", "count": 2}])
        ),
        vec![r#"spec.parts[1]: Duplicate value: {"name":"a"}"#]
    );
    assert_eq!(
        errors_with("/spec/tags", json!(["x", "y", "x"])),
        vec![r#"spec.tags[2]: Duplicate value: "x""#]
    );
    assert_eq!(
        errors_with("/spec/parts", json!("bolt")),
        vec![
            r#"spec.parts: Invalid value: "string": spec.parts in body must be of type array: "string""#
        ]
    );
    assert_eq!(
        errors_with("/spec/template", json!({"kind": "ConfigMap"})),
        vec!["spec.template.apiVersion: Required value: must not be empty"]
    );
    assert_eq!(
        errors_with("/spec", json!("x")),
        vec![r#"spec: Invalid value: "string": spec in body must be of type object: "string""#]
    );
}

#[test]
fn status_subresource_validation() {
    let mut obj = widget();
    obj["status"]["ready"] = json!(-1);
    assert_eq!(
        messages(&schema().validate_status(&obj)),
        // Upstream validates status against properties.status, so names are relative to it.
        vec!["status.ready: Invalid value: -1: ready in body should be greater than or equal to 0"]
    );
}

#[test]
fn junctors_report_like_kube_openapi() {
    let s = CrdSchema::new(
        &json!({"type": "object", "properties": {"spec": {"type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        "oneOf": [{"required": ["a"]}, {"required": ["b"]}]}}}),
    )
    .unwrap();
    assert_eq!(
        messages(&s.validate(&json!({"spec": {"a": "x", "b": "y"}}))),
        vec![
            r#"<nil>: Invalid value: "": "spec" must validate one and only one schema (oneOf). Found 2 valid alternatives"#
        ]
    );
    assert_eq!(
        messages(&s.validate(&json!({"spec": {}}))),
        vec![
            r#"<nil>: Invalid value: "": "spec" must validate one and only one schema (oneOf). Found none valid"#,
            "spec.a: Required value",
        ]
    );
}

#[test]
fn pruning_reports_unknown_fields() {
    let mut obj = widget();
    obj["spec"]["bogus"] = json!(1);
    obj["spec"]["parts"][0]["extra"] = json!("x");
    obj["spec"]["parts"][0]["options"] = json!({"anything": {"goes": true}});
    obj["spec"]["template"]["metadata"]["junk"] = json!(1);
    obj["status"]["phase"] = json!("Ready");
    obj["extraTop"] = json!(true);
    obj["metadata"]["whatever"] = json!(1);
    let pruned = schema().prune(&mut obj);
    assert_eq!(
        pruned,
        vec![
            "extraTop",
            "spec.bogus",
            "spec.parts[0].extra",
            "spec.template.metadata.junk",
            "status.phase"
        ]
    );
    assert!(obj["spec"].get("bogus").is_none());
    assert_eq!(obj["spec"]["parts"][0]["options"]["anything"]["goes"], true);
    assert_eq!(obj["spec"]["template"]["data"]["k"], "v");
    assert_eq!(obj["metadata"]["whatever"], 1);
    assert_eq!(
        kubehci_crd::prune_root_metadata(&mut obj),
        vec!["metadata.whatever"]
    );
}

#[test]
fn defaulting_fills_absent_fields() {
    let mut obj = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
        "spec": {"size": 1, "color": null, "parts": [{"name": "a"}, {"name": "b", "count": 9}]}});
    schema().apply_defaults(&mut obj);
    assert_eq!(obj["spec"]["color"], "red");
    assert_eq!(
        obj["spec"]["parts"],
        json!([{"name": "a", "count": 1}, {"name": "b", "count": 9}])
    );
}

#[test]
fn model_nodes_for_patching() {
    let mut schemas = Schemas::new();
    let root = schema().to_model(&mut schemas);
    schemas.register_gvk("example.com", "v1", "Widget", root);
    let spec = schemas.field(root, "spec").unwrap();
    let parts = schemas.field(spec, "parts").unwrap();
    assert_eq!(
        schemas.get(parts).list_type,
        Some(ListType::Map(vec!["name".to_string()]))
    );
    let tags = schemas.field(spec, "tags").unwrap();
    assert_eq!(schemas.get(tags).list_type, Some(ListType::Set));
    let item = schemas.items(parts).unwrap();
    let count = schemas.field(item, "count").unwrap();
    assert_eq!(schemas.get(count).default, Some(json!(1)));
    let template = schemas.field(spec, "template").unwrap();
    assert!(
        schemas.get(template).embedded_resource && schemas.get(template).preserve_unknown_fields
    );
    assert!(schemas.field(template, "metadata").is_some());
    let color = schemas.field(spec, "color").unwrap();
    assert_eq!(
        schemas.get(color).kind,
        NodeKind::Scalar(ScalarType::String)
    );
    assert_eq!(schemas.get(color).enum_values.len(), 3);
    assert_eq!(schemas.for_gvk("example.com", "v1", "Widget"), Some(root));
}

#[test]
fn scale_subresource_round_trip() {
    let mut obj = widget();
    let scale = scale_from_object(
        &obj,
        ".spec.size",
        ".status.ready",
        Some(".status.selector"),
    )
    .unwrap();
    assert_eq!(scale["spec"]["replicas"], 3);
    assert_eq!(
        scale["status"],
        json!({"replicas": 2, "selector": "app=w1"})
    );
    apply_scale(&mut obj, 5, ".spec.size").unwrap();
    assert_eq!(obj["spec"]["size"], 5);
    assert!(
        validate_scale(
            &obj,
            ".spec.size",
            ".status.ready",
            Some(".status.selector")
        )
        .is_empty()
    );
}

#[test]
fn hostile_objects_and_schemas_do_not_panic() {
    let s = schema();
    for obj in [
        json!(null),
        json!([1, 2]),
        json!("x"),
        json!({"spec": {"parts": [null, 1, {"name": null}]}}),
    ] {
        let mut obj = obj;
        let _ = s.validate(&obj);
        let _ = s.validate_status(&obj);
        let _ = s.prune(&mut obj);
        s.apply_defaults(&mut obj);
    }
    assert!(
        CrdSchema::new(&json!({"type": "object", "properties": {"a": {"maxLength": "x"}}}))
            .is_err()
    );
    let odd = CrdSchema::new(
        &json!({"type": "object", "properties": {"a": {"type": "string", "pattern": "(("}}}),
    )
    .unwrap();
    assert_eq!(messages(&odd.validate(&json!({"a": "x"}))).len(), 1);
    let _ = widget_schema();
}
