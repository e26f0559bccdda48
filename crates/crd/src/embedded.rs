//! Embedded resources (`x-kubernetes-embedded-resource: true`): their `apiVersion`,
//! `kind` and `metadata` are checked like upstream's `schema/objectmeta` package does,
//! and unknown `metadata` fields are dropped the way decoding into `ObjectMeta` drops
//! them (reported as unknown fields under strict field validation).

use kubehci_api::FieldError;
use kubehci_api::validation;
use serde_json::{Map, Value};

use crate::path::FieldPath;
use crate::props::{MAX_SCHEMA_DEPTH, Props};

/// The JSON field names of `metav1.ObjectMeta`.
pub const OBJECT_META_FIELDS: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
];

/// Drops `metadata` fields `ObjectMeta` does not have; returns their dotted paths
/// (`prefix.metadata.foo`, or `metadata.foo` for an empty prefix).
pub fn drop_unknown_meta_fields(obj: &mut Map<String, Value>, prefix: &str) -> Vec<String> {
    let Some(Value::Object(meta)) = obj.get_mut("metadata") else {
        return Vec::new();
    };
    let unknown: Vec<String> = meta
        .keys()
        .filter(|k| !OBJECT_META_FIELDS.contains(&k.as_str()))
        .cloned()
        .collect();
    let base = if prefix.is_empty() {
        "metadata".to_string()
    } else {
        format!("{prefix}.metadata")
    };
    unknown
        .into_iter()
        .map(|k| {
            meta.remove(&k);
            format!("{base}.{k}")
        })
        .collect()
}

/// `objectmeta.Validate(base, obj, schema, is_resource_root)`: checks every embedded
/// resource (and the root itself when `is_resource_root`).
pub fn validate_embedded(
    base: &FieldPath,
    s: &Props,
    obj: &Value,
    is_resource_root: bool,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    walk(base, obj, s, is_resource_root, &mut errs, 0);
    errs
}

fn walk(
    path: &FieldPath,
    x: &Value,
    s: &Props,
    root: bool,
    errs: &mut Vec<FieldError>,
    depth: usize,
) {
    if depth > MAX_SCHEMA_DEPTH {
        return;
    }
    match x {
        Value::Object(map) => {
            if s.x_embedded_resource || root {
                embedded_resource(path, map, errs);
            }
            for (k, v) in map {
                if let Some(prop) = s.properties.get(k) {
                    walk(&path.child(k), v, prop, false, errs, depth + 1);
                } else if let Some(ap) = s.additional_schema() {
                    walk(&path.key(k), v, ap, false, errs, depth + 1);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = &s.items {
                for (i, v) in items.iter().enumerate() {
                    walk(&path.index(i), v, item_schema, false, errs, depth + 1);
                }
            }
        }
        _ => {}
    }
}

fn embedded_resource(path: &FieldPath, x: &Map<String, Value>, errs: &mut Vec<FieldError>) {
    for key in ["apiVersion", "kind"] {
        if !x.contains_key(key) {
            errs.push(FieldError::required(
                path.child(key).as_str(),
                "must not be empty",
            ));
        }
    }
    for (k, v) in x {
        let field = path.child(k);
        match (k.as_str(), v) {
            ("apiVersion" | "kind", Value::String(s)) if s.is_empty() => {
                errs.push(FieldError::invalid(field.as_str(), "", "must not be empty"));
            }
            ("apiVersion", Value::String(s)) if s.matches('/').count() > 1 => {
                errs.push(FieldError::invalid(
                    field.as_str(),
                    s.clone(),
                    format!("unexpected GroupVersion string: {s}"),
                ));
            }
            ("apiVersion", Value::String(_)) => {}
            ("kind", Value::String(s)) => {
                let problems = validation::is_dns1035_label(&s.to_lowercase());
                if !problems.is_empty() {
                    errs.push(FieldError::invalid(
                        field.as_str(),
                        s.clone(),
                        format!(
                            "may have mixed case, but should otherwise match: {}",
                            problems.join(",")
                        ),
                    ));
                }
            }
            ("apiVersion" | "kind", other) => {
                errs.push(FieldError::invalid(
                    field.as_str(),
                    other.clone(),
                    "must be a string",
                ));
            }
            ("metadata", Value::Object(meta)) => embedded_meta(&field, meta, errs),
            ("metadata", other) => {
                errs.push(FieldError::invalid(
                    field.as_str(),
                    other.clone(),
                    "must be an object",
                ));
            }
            _ => {}
        }
    }
}

/// The name checks of `ValidateObjectMeta` with `ValidatePathSegmentName`.
fn embedded_meta(path: &FieldPath, meta: &Map<String, Value>, errs: &mut Vec<FieldError>) {
    let text = |k: &str| meta.get(k).and_then(Value::as_str).unwrap_or("");
    let generate_name = text("generateName");
    if !generate_name.is_empty() {
        for msg in validation::is_valid_path_segment_name(generate_name, false) {
            errs.push(FieldError::invalid(
                path.child("generateName").as_str(),
                generate_name,
                msg,
            ));
        }
    }
    let name = text("name");
    for msg in validation::is_valid_path_segment_name(name, false) {
        errs.push(FieldError::invalid(path.child("name").as_str(), name, msg));
    }
    let namespace = text("namespace");
    if !namespace.is_empty() {
        for msg in validation::is_dns1123_label(namespace) {
            errs.push(FieldError::invalid(
                path.child("namespace").as_str(),
                namespace,
                msg,
            ));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn embedded_resources_need_type_meta() {
        let s = Props::decode(
            &json!({"type": "object", "properties": {"template": {"type": "object",
                "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true}}}),
            &FieldPath::default(),
            &mut Vec::new(),
        );
        let errs: Vec<String> = validate_embedded(
            &FieldPath::default(),
            &s,
            &json!({"template": {"kind": "Pod_x", "metadata": {"name": "a/b"}}}),
            false,
        )
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            errs[0],
            "template.apiVersion: Required value: must not be empty"
        );
        assert!(
            errs[1].starts_with("template.kind: Invalid value: \"Pod_x\": may have mixed case")
        );
        assert_eq!(
            errs[2],
            "template.metadata.name: Invalid value: \"a/b\": may not contain '/'"
        );
        let mut obj = json!({"metadata": {"name": "x", "bogus": 1}});
        let dropped = obj
            .as_object_mut()
            .map(|m| drop_unknown_meta_fields(m, "spec.t"))
            .unwrap_or_default();
        assert_eq!(dropped, vec!["spec.t.metadata.bogus"]);
    }
}
