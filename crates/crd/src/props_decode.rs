//! Decoding of `JSONSchemaProps` from untrusted JSON: each keyword read with its
//! expected JSON type (shape errors collected, never fatal), nesting capped at
//! [`MAX_SCHEMA_DEPTH`].

use std::collections::BTreeMap;

use kubehci_api::FieldError;
use serde_json::{Map, Value};

use crate::path::FieldPath;
use crate::props::{MAX_SCHEMA_DEPTH, Props, PropsOrBool};

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

pub fn decode_at(v: &Value, path: &FieldPath, errs: &mut Vec<FieldError>, depth: usize) -> Props {
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
