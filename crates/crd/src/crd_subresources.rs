//! Checks of a CRD's `subresources` (scale replica and selector paths) and
//! `additionalPrinterColumns` (name, type, format, simple JSON path).

use kubehci_api::FieldError;
use serde_json::Value;

use crate::crd_parts::{non_null, text};
use crate::path::FieldPath;

const COLUMN_TYPES: &[&str] = &["boolean", "date", "integer", "number", "string"];
const COLUMN_FORMATS: &[&str] = &[
    "byte",
    "date",
    "date-time",
    "double",
    "float",
    "int32",
    "int64",
    "password",
];

/// `validateSimpleJSONPath`.
pub fn simple_json_path(s: &str, path: &FieldPath) -> Option<FieldError> {
    if s.is_empty() {
        Some(FieldError::invalid(path.as_str(), s, "must not be empty"))
    } else if !s.starts_with('.') {
        Some(FieldError::invalid(
            path.as_str(),
            s,
            "must be a simple json path starting with .",
        ))
    } else {
        None
    }
}

/// `ValidateCustomResourceDefinitionSubresources`.
pub fn validate_subresources(sub: &Value, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(scale) = non_null(sub.get("scale")) else {
        return errs;
    };
    for (key, prefix, under) in [
        (
            "specReplicasPath",
            ".spec.",
            "should be a json path under .spec",
        ),
        (
            "statusReplicasPath",
            ".status.",
            "should be a json path under .status",
        ),
    ] {
        let value = text(scale.get(key));
        let p = path.child(&format!("scale.{key}"));
        if value.is_empty() {
            errs.push(FieldError::required(p.as_str(), ""));
        } else if let Some(e) = simple_json_path(&value, &p) {
            errs.push(e);
        } else if !value.starts_with(prefix) {
            errs.push(FieldError::invalid(p.as_str(), value, under));
        }
    }
    let selector = text(scale.get("labelSelectorPath"));
    if !selector.is_empty() {
        let p = path.child("scale.labelSelectorPath");
        if let Some(e) = simple_json_path(&selector, &p) {
            errs.push(e);
        } else if !selector.starts_with(".spec.") && !selector.starts_with(".status.") {
            errs.push(FieldError::invalid(
                p.as_str(),
                selector,
                "should be a json path under either .spec or .status",
            ));
        }
    }
    errs
}

/// `ValidateCustomResourceColumnDefinition` (the internal field is `JSONPath`).
pub fn validate_column(col: &Value, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if text(col.get("name")).is_empty() {
        errs.push(FieldError::required(path.child("name").as_str(), ""));
    }
    let types = format!("must be one of {}", COLUMN_TYPES.join(","));
    let ty = text(col.get("type"));
    if ty.is_empty() {
        errs.push(FieldError::required(path.child("type").as_str(), types));
    } else if !COLUMN_TYPES.contains(&ty.as_str()) {
        errs.push(FieldError::invalid(path.child("type").as_str(), ty, types));
    }
    let format = text(col.get("format"));
    if !format.is_empty() && !COLUMN_FORMATS.contains(&format.as_str()) {
        errs.push(FieldError::invalid(
            path.child("format").as_str(),
            format,
            format!("must be one of {}", COLUMN_FORMATS.join(",")),
        ));
    }
    let json_path = text(col.get("jsonPath"));
    let p = path.child("JSONPath");
    if json_path.is_empty() {
        errs.push(FieldError::required(p.as_str(), ""));
    } else if let Some(e) = simple_json_path(&json_path, &p) {
        errs.push(e);
    }
    errs
}
