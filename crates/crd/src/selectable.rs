//! `selectableFields` checks (upstream's `ValidateCustomResourceSelectableFields`):
//! each `jsonPath` must name a string, boolean or integer field of the schema outside
//! `metadata`, at most once, and at most eight fields in all.

use kubehci_api::{FieldError, FieldErrorType};
use serde_json::Value;

use crate::path::FieldPath;
use crate::props::Props;

const MAX_SELECTABLE_FIELDS: usize = 8;

/// Validates `fields` (the `selectableFields` array) under `parent` (`spec` or
/// `spec.versions[i]`) against the `CustomResourceValidation` object `container`.
pub fn validate_selectable(
    fields: &Value,
    container: Option<&Value>,
    parent: &FieldPath,
) -> Vec<FieldError> {
    let path = parent.child("selectableFields");
    let Some(schema_json) = container
        .and_then(|c| c.get("openAPIV3Schema"))
        .filter(|s| !s.is_null())
    else {
        return vec![FieldError::invalid(
            path.as_str(),
            "",
            "selectableFields may only be set when validations.schema is included",
        )];
    };
    let schema = Props::decode(schema_json, &FieldPath::default(), &mut Vec::new());
    let mut errs = Vec::new();
    let mut unique: Vec<String> = Vec::new();
    for (i, f) in fields
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let jp_path = path.index(i).child("jsonPath");
        let jp = f.get("jsonPath").and_then(Value::as_str).unwrap_or("");
        if jp.is_empty() {
            errs.push(FieldError::required(jp_path.as_str(), ""));
            continue;
        }
        let Some((segments, target)) = resolve(&schema, jp) else {
            errs.push(FieldError::invalid(
                jp_path.as_str(),
                jp,
                "is an invalid path: does not refer to a valid field",
            ));
            continue;
        };
        if segments.first().map(String::as_str) == Some("metadata") {
            errs.push(FieldError::invalid(
                jp_path.as_str(),
                jp,
                "must not point to fields in metadata",
            ));
        }
        if !matches!(target.ty.as_str(), "string" | "boolean" | "integer") {
            errs.push(FieldError::invalid(
                jp_path.as_str(),
                jp,
                "must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.",
            ));
        }
        let canonical = segments.join(".");
        if unique.contains(&canonical) {
            errs.push(FieldError::duplicate(jp_path.as_str(), jp));
        } else {
            unique.push(canonical);
        }
    }
    if unique.len() > MAX_SELECTABLE_FIELDS {
        errs.push(FieldError {
            kind: FieldErrorType::TooMany,
            field: path.to_string(),
            value: Some(Value::from(unique.len())),
            detail: format!("must have at most {MAX_SELECTABLE_FIELDS} items"),
        });
    }
    errs
}

/// Follows a dotted path (`.spec.color`) through properties and map values.
fn resolve<'a>(root: &'a Props, jp: &str) -> Option<(Vec<String>, &'a Props)> {
    let rest = jp.strip_prefix('.')?;
    let mut node = root;
    let mut segments = Vec::new();
    for seg in rest.split('.') {
        if seg.is_empty() || seg.contains(['[', ']']) {
            return None;
        }
        node = node.field_schema(seg)?;
        segments.push(seg.to_string());
    }
    (!segments.is_empty()).then_some((segments, node))
}
