//! `JSONSchemaProps` decoded from untrusted JSON into one owned tree, the form every
//! other module reads: CRD validation, structural checks, object validation, pruning,
//! defaulting and the schema model. Decoding is depth-capped and never fails; shape
//! errors (a string where a number belongs, ...) are collected as field errors.

use std::collections::BTreeMap;

use kubehci_api::FieldError;
use serde_json::{Map, Value};

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
        decode_at(v, path, errs, 0)
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

struct Decoder<'a> {
    obj: &'a Map<String, Value>,
    path: &'a FieldPath,
    errs: &'a mut Vec<FieldError>,
    depth: usize,
}

impl Decoder<'_> {
    fn bad(&mut self, key: &str, v: &Value, want: &str) {
        self.errs.push(FieldError::invalid(
            self.path.child(key).as_str(),
            v.clone(),
            format!("must be {want}"),
        ));
    }

    fn string(&mut self, key: &str) -> String {
        match self.obj.get(key) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(v) => {
                self.bad(key, v, "a string");
                String::new()
            }
        }
    }

    fn opt_string(&mut self, key: &str) -> Option<String> {
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => {
                self.bad(key, v, "a string");
                None
            }
        }
    }

    fn opt_bool(&mut self, key: &str) -> Option<bool> {
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(v) => {
                self.bad(key, v, "a boolean");
                None
            }
        }
    }

    fn bool(&mut self, key: &str) -> bool {
        self.opt_bool(key).unwrap_or(false)
    }

    fn float(&mut self, key: &str) -> Option<f64> {
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => n.as_f64(),
            Some(v) => {
                self.bad(key, v, "a number");
                None
            }
        }
    }

    fn int(&mut self, key: &str) -> Option<i64> {
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.is_i64() => n.as_i64(),
            Some(v) => {
                self.bad(key, v, "an integer");
                None
            }
        }
    }

    fn strings(&mut self, key: &str) -> Vec<String> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) if a.iter().all(Value::is_string) => a
                .iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect(),
            Some(v) => {
                self.bad(key, v, "an array of strings");
                Vec::new()
            }
        }
    }

    fn sub(&mut self, v: &Value, path: &FieldPath) -> Props {
        decode_at(v, path, self.errs, self.depth + 1)
    }

    fn schema(&mut self, key: &str) -> Option<Box<Props>> {
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => Some(Box::new(self.sub(v, &self.path.child(key)))),
        }
    }

    fn list(&mut self, key: &str) -> Vec<Props> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => {
                let base = self.path.child(key);
                a.iter()
                    .enumerate()
                    .map(|(i, v)| self.sub(v, &base.index(i)))
                    .collect()
            }
            Some(v) => {
                self.bad(key, v, "an array of schemas");
                Vec::new()
            }
        }
    }

    fn map(&mut self, key: &str) -> BTreeMap<String, Props> {
        match self.obj.get(key) {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Object(m)) => {
                let base = self.path.child(key);
                m.iter()
                    .map(|(k, v)| (k.clone(), self.sub(v, &base.key(k))))
                    .collect()
            }
            Some(v) => {
                self.bad(key, v, "an object of schemas");
                BTreeMap::new()
            }
        }
    }

    fn or_bool(&mut self, key: &str) -> Option<PropsOrBool> {
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(PropsOrBool {
                allows: *b,
                schema: None,
            }),
            Some(v) => Some(PropsOrBool {
                allows: true,
                schema: Some(Box::new(self.sub(v, &self.path.child(key)))),
            }),
        }
    }
}

fn decode_at(v: &Value, path: &FieldPath, errs: &mut Vec<FieldError>, depth: usize) -> Props {
    let Some(obj) = v.as_object() else {
        if !v.is_null() {
            errs.push(FieldError::invalid(
                path.as_str(),
                v.clone(),
                "must be a schema object",
            ));
        }
        return Props::default();
    };
    if depth > MAX_SCHEMA_DEPTH {
        errs.push(FieldError::forbidden(
            path.as_str(),
            format!("schema nesting must not exceed {MAX_SCHEMA_DEPTH} levels"),
        ));
        return Props::default();
    }
    let mut d = Decoder {
        obj,
        path,
        errs,
        depth,
    };
    let mut p = Props {
        id: d.string("id"),
        schema_url: d.string("$schema"),
        reference: d.opt_string("$ref"),
        description: d.string("description"),
        ty: d.string("type"),
        nullable: d.bool("nullable"),
        format: d.string("format"),
        title: d.string("title"),
        default: obj.get("default").filter(|v| !v.is_null()).cloned(),
        maximum: d.float("maximum"),
        exclusive_maximum: d.bool("exclusiveMaximum"),
        minimum: d.float("minimum"),
        exclusive_minimum: d.bool("exclusiveMinimum"),
        max_length: d.int("maxLength"),
        min_length: d.int("minLength"),
        pattern: d.string("pattern"),
        max_items: d.int("maxItems"),
        min_items: d.int("minItems"),
        unique_items: d.bool("uniqueItems"),
        multiple_of: d.float("multipleOf"),
        max_properties: d.int("maxProperties"),
        min_properties: d.int("minProperties"),
        required: d.strings("required"),
        all_of: d.list("allOf"),
        one_of: d.list("oneOf"),
        any_of: d.list("anyOf"),
        not: d.schema("not"),
        properties: d.map("properties"),
        additional_properties: d.or_bool("additionalProperties"),
        pattern_properties: d.map("patternProperties"),
        additional_items: d.or_bool("additionalItems"),
        definitions: d.map("definitions"),
        external_docs: obj.get("externalDocs").is_some_and(|v| !v.is_null()),
        example: obj.get("example").filter(|v| !v.is_null()).cloned(),
        x_preserve_unknown_fields: d.opt_bool("x-kubernetes-preserve-unknown-fields"),
        x_embedded_resource: d.bool("x-kubernetes-embedded-resource"),
        x_int_or_string: d.bool("x-kubernetes-int-or-string"),
        x_list_map_keys: d.strings("x-kubernetes-list-map-keys"),
        x_list_type: d.opt_string("x-kubernetes-list-type"),
        x_map_type: d.opt_string("x-kubernetes-map-type"),
        ..Props::default()
    };
    match obj.get("enum") {
        None | Some(Value::Null) => {}
        Some(Value::Array(a)) => p.enum_values = a.clone(),
        Some(other) => d.bad("enum", other, "an array"),
    }
    match obj.get("items") {
        None | Some(Value::Null) => {}
        Some(Value::Array(a)) => {
            let base = path.child("items");
            p.items_array = a
                .iter()
                .enumerate()
                .map(|(i, v)| d.sub(v, &base.index(i)))
                .collect();
        }
        Some(v) => p.items = Some(Box::new(d.sub(v, &path.child("items")))),
    }
    match obj.get("dependencies") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            let base = path.child("dependencies");
            let deps = m
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        if v.is_array() {
                            None
                        } else {
                            Some(d.sub(v, &base.key(k)))
                        },
                    )
                })
                .collect();
            p.dependencies = Some(deps);
        }
        Some(other) => d.bad("dependencies", other, "an object"),
    }
    match obj.get("x-kubernetes-validations") {
        None | Some(Value::Null) => {}
        Some(Value::Array(a)) => p.x_validations = a.clone(),
        Some(other) => d.bad("x-kubernetes-validations", other, "an array of rules"),
    }
    p
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
