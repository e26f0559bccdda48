//! CRD validation, defaulting and status against upstream's messages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixtures;

use fixtures::{messages, widget_crd, widget_schema};
use kubehci_crd::{
    crd_status_established_at, default_crd, prepare_crd_for_create, prepare_crd_for_update,
    validate_crd, validate_crd_update,
};
use serde_json::{Value, json};

/// Defaults, prepares and validates like a create request.
fn create(mut crd: Value) -> Vec<String> {
    default_crd(&mut crd);
    prepare_crd_for_create(&mut crd);
    messages(&validate_crd(&crd))
}

fn with(mut crd: Value, pointer: &str, value: Value) -> Value {
    *crd.pointer_mut(pointer).unwrap() = value;
    crd
}

#[test]
fn widget_crd_is_valid_and_defaulted() {
    let mut crd = widget_crd();
    default_crd(&mut crd);
    assert_eq!(crd["spec"]["names"]["singular"], "widget");
    assert_eq!(crd["spec"]["names"]["listKind"], "WidgetList");
    assert_eq!(crd["spec"]["conversion"], json!({"strategy": "None"}));
    prepare_crd_for_create(&mut crd);
    assert_eq!(
        crd["status"],
        json!({"acceptedNames": {"plural": "", "kind": ""}, "conditions": null, "storedVersions": ["v1"]})
    );
    assert_eq!(validate_crd(&crd), vec![]);
    let status = crd_status_established_at(&crd, "2024-01-01T00:00:00Z");
    assert_eq!(status["acceptedNames"]["shortNames"], json!(["wd"]));
    assert_eq!(status["conditions"][0]["reason"], "NoConflicts");
    assert_eq!(status["conditions"][0]["message"], "no conflicts found");
    assert_eq!(status["conditions"][1]["type"], "Established");
    assert_eq!(status["conditions"][1]["reason"], "InitialNamesAccepted");
    assert_eq!(
        status["conditions"][1]["message"],
        "the initial names have been accepted"
    );
    assert_eq!(status["storedVersions"], json!(["v1"]));
}

#[test]
fn name_group_scope_and_versions() {
    let crd = with(widget_crd(), "/metadata/name", json!("widget.example.com"));
    assert_eq!(
        create(crd),
        vec![
            r#"metadata.name: Invalid value: "widget.example.com": must be spec.names.plural+"."+spec.group"#
        ]
    );
    let crd = with(
        with(widget_crd(), "/spec/group", json!("example")),
        "/metadata/name",
        json!("widgets.example"),
    );
    assert_eq!(
        create(crd),
        vec![r#"spec.group: Invalid value: "example": should be a domain with at least one dot"#]
    );
    let crd = with(widget_crd(), "/spec/scope", json!("Global"));
    assert_eq!(
        create(crd),
        vec![
            r#"spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced""#
        ]
    );
    let crd = with(widget_crd(), "/spec/versions/0/storage", json!(false));
    let errs = create(crd);
    assert!(
        errs[0].starts_with("spec.versions: Invalid value: "),
        "{errs:?}"
    );
    assert!(errs[0].ends_with(": must have exactly one version marked as storage version"));
    assert_eq!(
        errs[1],
        "status.storedVersions: Invalid value: []: must have at least one stored version"
    );
    let crd = with(widget_crd(), "/spec/versions/0/schema", json!(null));
    assert_eq!(
        create(crd),
        vec!["spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required"]
    );
    let crd = with(widget_crd(), "/spec/names/plural", json!("Widgets"));
    let errs = create(with(crd, "/metadata/name", json!("Widgets.example.com")));
    assert!(errs.iter().any(|e| {
        e.starts_with(r#"spec.names.plural: Invalid value: "Widgets": a DNS-1035 label"#)
    }));
}

#[test]
fn non_structural_schemas_are_rejected() {
    let mut schema = widget_schema();
    schema["properties"]["spec"]["properties"]["color"] = json!({"enum": ["red"]});
    schema["properties"]["metadata"] =
        json!({"type": "object", "properties": {"labels": {"type": "object"}}});
    schema["properties"]["spec"]["properties"]["mode"] =
        json!({"type": "string", "anyOf": [{"type": "string"}]});
    let crd = with(
        widget_crd(),
        "/spec/versions/0/schema/openAPIV3Schema",
        schema,
    );
    assert_eq!(
        create(crd),
        vec![
            "spec.validation.openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified",
            "spec.validation.openAPIV3Schema.properties[spec].properties[color].type: Required value: must not be empty for specified object fields",
            "spec.validation.openAPIV3Schema.properties[spec].properties[mode].anyOf[0].type: Forbidden: must be empty to be structural",
        ]
    );
}

#[test]
fn schema_keyword_rules() {
    let mut schema = widget_schema();
    schema["properties"]["spec"]["properties"]["tags"]["uniqueItems"] = json!(true);
    schema["properties"]["spec"]["properties"]["labels"]["properties"] =
        json!({"a": {"type": "string"}});
    schema["properties"]["spec"]["properties"]["size"]["default"] = json!(0);
    schema["properties"]["metadata"]["default"] = json!({"name": "x"});
    let crd = with(
        widget_crd(),
        "/spec/versions/0/schema/openAPIV3Schema",
        schema,
    );
    assert_eq!(
        create(crd),
        vec![
            "spec.validation.openAPIV3Schema.properties[spec].properties[size].default: Invalid value: 0:  in body should be greater than or equal to 1",
            "spec.validation.openAPIV3Schema.properties[metadata].default: Forbidden: must not be set in top-level metadata",
            "spec.validation.openAPIV3Schema.properties[spec].properties[labels].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive",
            "spec.validation.openAPIV3Schema.properties[spec].properties[tags].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
        ]
    );
}

#[test]
fn list_map_keys_must_be_required_or_defaulted() {
    let mut schema = widget_schema();
    schema["properties"]["spec"]["properties"]["parts"]["items"]["required"] = json!([]);
    let crd = with(
        widget_crd(),
        "/spec/versions/0/schema/openAPIV3Schema",
        schema,
    );
    assert_eq!(
        create(crd),
        vec![
            "spec.validation.openAPIV3Schema.properties[spec].properties[parts].items.properties[name].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property"
        ]
    );
}

#[test]
fn root_must_be_plain_with_status_subresource() {
    let mut schema = widget_schema();
    schema["additionalProperties"] = json!(false);
    schema["properties"] = json!({});
    let crd = with(
        widget_crd(),
        "/spec/versions/0/schema/openAPIV3Schema",
        schema,
    );
    let errs = create(crd);
    assert!(
        errs[0].starts_with("spec.validation.openAPIV3Schema: Invalid value: ")
            && errs[0].ends_with(
                "fields are allowed at the root of the schema if the status subresource is enabled"
            ),
        "{errs:?}"
    );
    assert!(errs.contains(&"spec.validation.openAPIV3Schema.additionalProperties: Forbidden: must not be used at the root".to_string()));
}

#[test]
fn subresources_and_printer_columns() {
    let crd = with(
        widget_crd(),
        "/spec/versions/0/subresources/scale/specReplicasPath",
        json!(".size"),
    );
    assert_eq!(
        create(crd),
        vec![
            r#"spec.subresources.scale.specReplicasPath: Invalid value: ".size": should be a json path under .spec"#
        ]
    );
    let crd = with(
        widget_crd(),
        "/spec/versions/0/subresources/scale/statusReplicasPath",
        json!(""),
    );
    assert_eq!(
        create(crd),
        vec!["spec.subresources.scale.statusReplicasPath: Required value"]
    );
    let mut crd = with(
        widget_crd(),
        "/spec/versions/0/additionalPrinterColumns/0/type",
        json!("int"),
    );
    crd["spec"]["versions"][0]["additionalPrinterColumns"][1]["jsonPath"] = json!("spec.color");
    assert_eq!(
        create(crd),
        vec![
            r#"spec.additionalPrinterColumns[0].type: Invalid value: "int": must be one of boolean,date,integer,number,string"#,
            r#"spec.additionalPrinterColumns[1].JSONPath: Invalid value: "spec.color": must be a simple json path starting with ."#,
        ]
    );
}

#[test]
fn differing_versions_are_reported_per_version() {
    let mut crd = widget_crd();
    let mut v2 = crd["spec"]["versions"][0].clone();
    v2["name"] = json!("v2");
    v2["storage"] = json!(false);
    v2["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["size"] =
        json!({"minimum": 1});
    v2["additionalPrinterColumns"] = json!([{"name": "Size", "type": "integer"}]);
    crd["spec"]["versions"].as_array_mut().unwrap().push(v2);
    assert_eq!(
        create(crd),
        vec![
            "spec.versions[1].schema.openAPIV3Schema.properties[spec].properties[size].type: Required value: must not be empty for specified object fields",
            "spec.versions[1].additionalPrinterColumns[0].JSONPath: Required value",
        ]
    );
}

#[test]
fn protected_groups_need_approval() {
    let mut crd = with(widget_crd(), "/spec/group", json!("widgets.k8s.io"));
    crd["metadata"]["name"] = json!("widgets.widgets.k8s.io");
    assert_eq!(
        create(crd),
        vec![
            r#"metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111"#
        ]
    );
}

#[test]
fn updates_keep_names_and_track_stored_versions() {
    let mut old = widget_crd();
    default_crd(&mut old);
    prepare_crd_for_create(&mut old);
    old["metadata"]["generation"] = json!(1);
    old["status"] = crd_status_established_at(&old, "2024-01-01T00:00:00Z");
    let mut new = old.clone();
    new["spec"]["group"] = json!("other.com");
    new["spec"]["names"]["kind"] = json!("Gadget");
    prepare_crd_for_update(&mut new, &old);
    assert_eq!(new["metadata"]["generation"], 2);
    let errs = messages(&validate_crd_update(&new, &old));
    assert!(
        errs.contains(
            &r#"spec.names.kind: Invalid value: "Gadget": field is immutable"#.to_string()
        ),
        "{errs:?}"
    );
    assert!(
        errs.contains(&r#"spec.group: Invalid value: "other.com": field is immutable"#.to_string())
    );

    // A new storage version joins storedVersions; the old one must stay in spec.versions.
    let mut new = old.clone();
    new["spec"]["versions"][0]["name"] = json!("v2");
    prepare_crd_for_update(&mut new, &old);
    assert_eq!(new["status"]["storedVersions"], json!(["v1", "v2"]));
    let errs = messages(&validate_crd_update(&new, &old));
    assert_eq!(
        errs,
        vec![
            "status.storedVersions[0]: Invalid value: \"v1\": missing from spec.versions; v1 was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in v1 and removes v1 from status.storedVersions"
        ]
    );
}

#[test]
fn hostile_input_does_not_panic() {
    for crd in [
        json!(null),
        json!([]),
        json!({"spec": 5}),
        json!({"spec": {"versions": [{"schema": {"openAPIV3Schema": {"type": 7, "properties": []}}}]}}),
        json!({"metadata": {"name": 5}, "spec": {"names": [], "versions": {}}}),
    ] {
        let mut crd = crd;
        default_crd(&mut crd);
        prepare_crd_for_create(&mut crd);
        let _ = validate_crd(&crd);
        let _ = validate_crd_update(&crd, &json!({}));
    }
    let mut deep = json!({"type": "string"});
    for _ in 0..300 {
        deep = json!({"type": "object", "properties": {"a": deep}});
    }
    let crd = with(
        widget_crd(),
        "/spec/versions/0/schema/openAPIV3Schema",
        deep,
    );
    let errs = create(crd);
    assert!(
        errs.iter()
            .any(|e| e.contains("schema nesting must not exceed")),
        "{errs:?}"
    );
}
