//! `JSONSchemaProps` decoded from untrusted JSON into one owned tree, the form every
//! other module reads: CRD validation, structural checks, object validation, pruning,
//! defaulting and the schema model. Decoding is depth-capped and never fails; shape
//! errors (a string where a number belongs, ...) are collected as field errors.

use std::collections::BTreeMap;

use kubehci_api::FieldError;
use serde_json::Value;

use crate::path::FieldPath;

/// Deepest schema nesting accepted (properties, items, junctors all count one level).
pub const MAX_SCHEMA_DEPTH: usize = 96;

/// `additionalProperties` / `additionalItems`: a bool or a schema.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PropsOrBool {
    pub allows: bool,
    pub schema: Option<Box<Props>>,
}

/// One OpenAPI v3 schema node as the apiextensions API defines it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Props {
    pub id: String,
    pub schema_url: String,
    pub reference: Option<String>,
    pub description: String,
    pub ty: String,
    pub nullable: bool,
    pub format: String,
    pub title: String,
    /// `default`; a JSON `null` default counts as unset, like upstream's decoding.
    pub default: Option<Value>,
    pub maximum: Option<f64>,
    pub exclusive_maximum: bool,
    pub minimum: Option<f64>,
    pub exclusive_minimum: bool,
    pub max_length: Option<i64>,
    pub min_length: Option<i64>,
    pub pattern: String,
    pub max_items: Option<i64>,
    pub min_items: Option<i64>,
    pub unique_items: bool,
    pub multiple_of: Option<f64>,
    pub enum_values: Vec<Value>,
    pub max_properties: Option<i64>,
    pub min_properties: Option<i64>,
    pub required: Vec<String>,
    pub items: Option<Box<Props>>,
    /// `items` given as an array of schemas (unsupported by Kubernetes).
    pub items_array: Vec<Props>,
    pub all_of: Vec<Props>,
    pub one_of: Vec<Props>,
    pub any_of: Vec<Props>,
    pub not: Option<Box<Props>>,
    pub properties: BTreeMap<String, Props>,
    pub additional_properties: Option<PropsOrBool>,
    pub pattern_properties: BTreeMap<String, Props>,
    /// `dependencies`: the schemas among its values (string-array values carry none).
    pub dependencies: Option<BTreeMap<String, Option<Props>>>,
    pub additional_items: Option<PropsOrBool>,
    pub definitions: BTreeMap<String, Props>,
    pub external_docs: bool,
    pub example: Option<Value>,
    pub x_preserve_unknown_fields: Option<bool>,
    pub x_embedded_resource: bool,
    pub x_int_or_string: bool,
    pub x_list_map_keys: Vec<String>,
    pub x_list_type: Option<String>,
    pub x_map_type: Option<String>,
    /// `x-kubernetes-validations` rules as given (CEL is not evaluated here).
    pub x_validations: Vec<Value>,
}

impl Props {
    /// Decodes a schema; shape errors land in `errs` with paths under `path`.
    pub fn decode(v: &Value, path: &FieldPath, errs: &mut Vec<FieldError>) -> Props {
        crate::props_decode::decode_at(v, path, errs, 0)
    }

    /// Whether `x-kubernetes-preserve-unknown-fields: true`.
    pub fn preserves(&self) -> bool {
        self.x_preserve_unknown_fields == Some(true)
    }

    /// The structural schema of a map's values (`additionalProperties: {schema}`).
    pub fn additional_schema(&self) -> Option<&Props> {
        self.additional_properties
            .as_ref()
            .and_then(|a| a.schema.as_deref())
    }

    /// The schema for object field `key`: its property, else the map value schema.
    pub fn field_schema(&self, key: &str) -> Option<&Props> {
        self.properties
            .get(key)
            .or_else(|| self.additional_schema())
    }

    /// True when nothing but `type: <t>` is set (the int-or-string `anyOf` branches).
    pub fn is_only_type(&self, t: &str) -> bool {
        *self
            == Props {
                ty: t.to_string(),
                ..Props::default()
            }
    }

    /// Calls `f` on this node and every nested schema (depth-first, capped).
    pub fn any(&self, f: &dyn Fn(&Props) -> bool) -> bool {
        self.any_at(f, 0)
    }

    fn any_at(&self, f: &dyn Fn(&Props) -> bool, depth: usize) -> bool {
        if depth > MAX_SCHEMA_DEPTH {
            return false;
        }
        if f(self) {
            return true;
        }
        let d = depth + 1;
        let boxed = [&self.items, &self.not];
        let or_bools = [&self.additional_properties, &self.additional_items];
        boxed
            .iter()
            .any(|b| b.as_ref().is_some_and(|p| p.any_at(f, d)))
            || or_bools.iter().any(|o| {
                o.as_ref()
                    .and_then(|o| o.schema.as_ref())
                    .is_some_and(|p| p.any_at(f, d))
            })
            || [&self.items_array, &self.all_of, &self.one_of, &self.any_of]
                .iter()
                .any(|list| list.iter().any(|p| p.any_at(f, d)))
            || [
                &self.properties,
                &self.pattern_properties,
                &self.definitions,
            ]
            .iter()
            .any(|m| m.values().any(|p| p.any_at(f, d)))
            || self
                .dependencies
                .as_ref()
                .is_some_and(|deps| deps.values().flatten().any(|p| p.any_at(f, d)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_and_reports_shape_errors() {
        let mut errs = Vec::new();
        let p = Props::decode(
            &json!({"type": "object", "properties": {"a": {"type": 5}}, "additionalProperties": false,
                    "items": [{"type": "string"}], "maxLength": 1.5}),
            &FieldPath::new("s"),
            &mut errs,
        );
        assert_eq!(p.ty, "object");
        assert_eq!(p.items_array.len(), 1);
        assert_eq!(
            p.additional_properties,
            Some(PropsOrBool {
                allows: false,
                schema: None
            })
        );
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["s.maxLength", "s.properties[a].type"]);
    }

    #[test]
    fn depth_is_capped() {
        let mut v = json!({"type": "string"});
        for _ in 0..200 {
            v = json!({"type": "array", "items": v});
        }
        let mut errs = Vec::new();
        let _ = Props::decode(&v, &FieldPath::new("s"), &mut errs);
        assert_eq!(errs.len(), 1);
        assert!(errs[0].detail.contains("nesting"));
    }
}
