//! The resolved schema model: roots per kind, extensions, metadata.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::widget;
use kubehci_api::builtin::builtin_resources;
use kubehci_schema::{ListType, NodeId, NodeKind, ScalarType, Schemas, build_model};
use serde_json::json;

fn path(s: &Schemas, root: NodeId, fields: &[&str]) -> NodeId {
    let mut id = root;
    for f in fields {
        id = match *f {
            "[]" => s
                .items(id)
                .unwrap_or_else(|| panic!("no items at {f} in {fields:?}")),
            name => s
                .field(id, name)
                .unwrap_or_else(|| panic!("no {name} in {fields:?}")),
        };
    }
    id
}

fn model() -> Schemas {
    let mut widget = widget(
        json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "ports": {"type": "array", "x-kubernetes-list-type": "map",
                      "x-kubernetes-list-map-keys": ["name", "protocol"],
                      "items": {"type": "object", "properties": {
                          "name": {"type": "string"}, "protocol": {"type": "string"}}}},
            "blob": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}}),
    );
    widget.subresources.push("status".into());
    build_model(&builtin_resources(), &[widget])
}

#[test]
fn deployment_containers_merge_by_name() {
    let s = model();
    let root = s.for_gvk("apps", "v1", "Deployment").unwrap();
    let containers = path(&s, root, &["spec", "template", "spec", "containers"]);
    let node = s.get(containers);
    assert_eq!(node.patch_merge_key.as_deref(), Some("name"));
    assert_eq!(node.patch_strategy.as_deref(), Some("merge"));
    assert_eq!(node.list_type, Some(ListType::Map(vec!["name".into()])));
    let env = path(&s, containers, &["[]", "env"]);
    assert_eq!(s.get(env).patch_merge_key.as_deref(), Some("name"));
    let ports = path(&s, containers, &["[]", "ports"]);
    assert_eq!(
        s.get(ports).list_type,
        Some(ListType::Map(vec![
            "containerPort".into(),
            "protocol".into()
        ]))
    );
    assert_eq!(
        s.get(ports).patch_merge_key.as_deref(),
        Some("containerPort")
    );
    let volumes = path(&s, root, &["spec", "template", "spec", "volumes"]);
    assert_eq!(
        s.get(volumes).patch_strategy.as_deref(),
        Some("merge,retainKeys")
    );
    let image = path(&s, containers, &["[]", "image"]);
    assert_eq!(s.get(image).kind, NodeKind::Scalar(ScalarType::String));
}

#[test]
fn metadata_resolves_to_object_meta_with_its_strategies() {
    let s = model();
    for (g, v, k) in [
        ("apps", "v1", "Deployment"),
        ("", "v1", "ConfigMap"),
        ("example.com", "v1", "Widget"),
    ] {
        let root = s.for_gvk(g, v, k).unwrap();
        let meta = path(&s, root, &["metadata"]);
        assert_eq!(
            s.get(meta).definition.as_deref(),
            Some("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
        );
        let finalizers = s.get(path(&s, meta, &["finalizers"]));
        assert_eq!(finalizers.list_type, Some(ListType::Set), "{k}");
        assert_eq!(finalizers.patch_strategy.as_deref(), Some("merge"));
        let owners = s.get(path(&s, meta, &["ownerReferences"]));
        assert_eq!(owners.patch_merge_key.as_deref(), Some("uid"));
        assert_eq!(owners.list_type, Some(ListType::Map(vec!["uid".into()])));
        // Labels are a free-form map of strings.
        let labels = path(&s, meta, &["labels"]);
        assert!(s.field(labels, "any-key").is_some());
    }
}

#[test]
fn property_extensions_beside_refs_keep_the_target_shape() {
    let s = model();
    let root = s.for_gvk("apps", "v1", "Deployment").unwrap();
    let strategy = path(&s, root, &["spec", "strategy"]);
    let node = s.get(strategy);
    assert_eq!(node.patch_strategy.as_deref(), Some("retainKeys"));
    assert!(
        matches!(&node.kind, NodeKind::Object { properties, .. } if properties.contains_key("rollingUpdate"))
    );
    let surge = path(&s, strategy, &["rollingUpdate", "maxSurge"]);
    assert_eq!(s.get(surge).kind, NodeKind::Scalar(ScalarType::IntOrString));
    let selector = s.get(path(&s, root, &["spec", "selector"]));
    assert!(selector.map_atomic, "LabelSelector is an atomic map");
    let cpu = path(
        &s,
        root,
        &[
            "spec",
            "template",
            "spec",
            "containers",
            "[]",
            "resources",
            "limits",
            "cpu",
        ],
    );
    assert_eq!(s.get(cpu).kind, NodeKind::Scalar(ScalarType::IntOrString));
}

#[test]
fn free_form_objects_and_custom_schemas() {
    let s = model();
    let rev = s.for_gvk("apps", "v1", "ControllerRevision").unwrap();
    let data = s.get(path(&s, rev, &["data"]));
    assert!(data.preserve_unknown_fields, "RawExtension holds anything");
    let w = s.for_gvk("example.com", "v1", "Widget").unwrap();
    let ports = s.get(path(&s, w, &["spec", "ports"]));
    assert_eq!(
        ports.list_type,
        Some(ListType::Map(vec!["name".into(), "protocol".into()]))
    );
    assert!(
        s.get(path(&s, w, &["spec", "blob"]))
            .preserve_unknown_fields
    );
    assert!(s.by_definition("com.example.v1.Widget").is_some());
}

#[test]
fn lists_and_meta_kinds_are_registered() {
    let s = model();
    for (g, v, k) in [
        ("apps", "v1", "DeploymentList"),
        ("example.com", "v1", "WidgetList"),
        ("", "v1", "DeleteOptions"),
        ("apps", "v1", "DeleteOptions"),
        ("example.com", "v1", "DeleteOptions"),
        ("", "v1", "Status"),
        ("autoscaling", "v1", "Scale"),
    ] {
        assert!(s.for_gvk(g, v, k).is_some(), "{g}/{v} {k}");
    }
    let list = s.for_gvk("apps", "v1", "DeploymentList").unwrap();
    let item = path(&s, list, &["items", "[]"]);
    assert_eq!(Some(item), s.for_gvk("apps", "v1", "Deployment"));
    // JSONSchemaProps is recursive; the arena handles it.
    let crd = s
        .for_gvk("apiextensions.k8s.io", "v1", "CustomResourceDefinition")
        .unwrap();
    let props = path(
        &s,
        crd,
        &["spec", "versions", "[]", "schema", "openAPIV3Schema"],
    );
    let nested = path(&s, props, &["properties", "x", "properties", "y"]);
    assert_eq!(s.get(nested).definition, s.get(props).definition);
}
