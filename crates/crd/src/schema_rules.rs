//! Per-node keyword rules of a CRD schema (upstream's
//! `ValidateCustomResourceDefinitionOpenAPISchema` and `specStandardValidatorV3`):
//! unsupported keywords, defaults where they may not be, `uniqueItems`, properties vs
//! `additionalProperties`, list/map type extensions and `x-kubernetes-validations`
//! shape. CEL rules are not compiled.

use kubehci_api::FieldError;
use serde_json::Value;

use crate::path::FieldPath;
use crate::props::{MAX_SCHEMA_DEPTH, Props};

const OPENAPI_V3_TYPES: &[&str] = &["array", "boolean", "integer", "number", "object", "string"];
const META_FIELDS: &[&str] = &["apiVersion", "kind", "metadata"];
const VALIDATION_REASONS: &[&str] = &[
    "FieldValueDuplicate",
    "FieldValueForbidden",
    "FieldValueInvalid",
    "FieldValueRequired",
];

/// What the parent decided for this node (upstream's validator clones).
#[derive(Debug, Clone)]
pub struct Ctx {
    allow_defaults: bool,
    disallow_reason: String,
    inside_meta: bool,
}

impl Ctx {
    pub fn root() -> Self {
        Self {
            allow_defaults: true,
            disallow_reason: String::new(),
            inside_meta: false,
        }
    }

    fn forbid_defaults(&self, reason: &str) -> Self {
        Self {
            allow_defaults: false,
            disallow_reason: reason.to_string(),
            ..self.clone()
        }
    }
}

/// `specStandardValidatorV3.validate`.
fn standard(s: &Props, path: &FieldPath, ctx: &Ctx, errs: &mut Vec<FieldError>) {
    if !s.ty.is_empty() && !OPENAPI_V3_TYPES.contains(&s.ty.as_str()) {
        errs.push(FieldError::not_supported(
            path.child("type").as_str(),
            s.ty.clone(),
            OPENAPI_V3_TYPES,
        ));
    }
    if s.default.is_some() && !ctx.allow_defaults {
        let mut detail = "must not be set".to_string();
        if !ctx.disallow_reason.is_empty() {
            detail = format!("{detail} {}", ctx.disallow_reason);
        }
        errs.push(FieldError::forbidden(
            path.child("default").as_str(),
            detail,
        ));
    }
    let forbid = |errs: &mut Vec<FieldError>, key: &str, detail: &str| {
        errs.push(FieldError::forbidden(path.child(key).as_str(), detail));
    };
    if !s.id.is_empty() {
        forbid(errs, "id", "id is not supported");
    }
    if s.additional_items.is_some() {
        forbid(errs, "additionalItems", "additionalItems is not supported");
    }
    if !s.pattern_properties.is_empty() {
        forbid(
            errs,
            "patternProperties",
            "patternProperties is not supported",
        );
    }
    if !s.definitions.is_empty() {
        forbid(errs, "definitions", "definitions is not supported");
    }
    if s.dependencies.is_some() {
        forbid(errs, "dependencies", "dependencies is not supported");
    }
    if s.reference.is_some() {
        forbid(errs, "$ref", "$ref is not supported");
    }
    if s.ty == "null" {
        forbid(
            errs,
            "type",
            "type cannot be set to null, use nullable as an alternative",
        );
    }
    if !s.items_array.is_empty() {
        forbid(
            errs,
            "items",
            "items must be a schema object and not an array",
        );
    }
    if ctx.inside_meta && s.x_embedded_resource {
        forbid(
            errs,
            "x-kubernetes-embedded-resource",
            "must not be used inside of resource meta",
        );
    }
}

/// `ValidateCustomResourceDefinitionOpenAPISchema` for one node and its children.
pub fn check_node(
    s: &Props,
    path: &FieldPath,
    ctx: &Ctx,
    is_root: bool,
    errs: &mut Vec<FieldError>,
    depth: usize,
) {
    if depth > MAX_SCHEMA_DEPTH {
        return;
    }
    standard(s, path, ctx, errs);
    if s.unique_items {
        errs.push(FieldError::forbidden(
            path.child("uniqueItems").as_str(),
            "uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
        ));
    }
    if let Some(ap) = &s.additional_properties {
        if !s.properties.is_empty() && (!ap.allows || ap.schema.is_some()) {
            errs.push(FieldError::forbidden(
                path.child("additionalProperties").as_str(),
                "additionalProperties and properties are mutual exclusive",
            ));
        }
        if let Some(schema) = &ap.schema {
            let sub = if ctx.inside_meta {
                ctx.forbid_defaults("inside additionalProperties applying to object metadata")
            } else {
                ctx.clone()
            };
            check_node(
                schema,
                &path.child("additionalProperties"),
                &sub,
                false,
                errs,
                depth + 1,
            );
        }
    }
    for (k, prop) in &s.properties {
        let mut sub = ctx.clone();
        if (is_root || s.x_embedded_resource) && META_FIELDS.contains(&k.as_str()) {
            sub.inside_meta = true;
            if is_root {
                sub = sub.forbid_defaults(&format!("in top-level {k}"));
            }
        }
        check_node(
            prop,
            &path.child("properties").key(k),
            &sub,
            false,
            errs,
            depth + 1,
        );
    }
    if let Some(not) = &s.not {
        check_node(not, &path.child("not"), ctx, false, errs, depth + 1);
    }
    for (key, list) in [
        ("allOf", &s.all_of),
        ("oneOf", &s.one_of),
        ("anyOf", &s.any_of),
    ] {
        for (i, x) in list.iter().enumerate() {
            check_node(x, &path.child(key).index(i), ctx, false, errs, depth + 1);
        }
    }
    for (k, x) in &s.definitions {
        check_node(
            x,
            &path.child("definitions").key(k),
            ctx,
            false,
            errs,
            depth + 1,
        );
    }
    if let Some(items) = &s.items {
        check_node(items, &path.child("items"), ctx, false, errs, depth + 1);
    }
    for (i, x) in s.items_array.iter().enumerate() {
        check_node(
            x,
            &path.child("items").index(i),
            ctx,
            false,
            errs,
            depth + 1,
        );
    }
    for (k, x) in s.dependencies.iter().flatten() {
        if let Some(x) = x {
            check_node(
                x,
                &path.child("dependencies").key(k),
                ctx,
                false,
                errs,
                depth + 1,
            );
        }
    }
    if s.x_preserve_unknown_fields == Some(false) {
        errs.push(FieldError::invalid(
            path.child("x-kubernetes-preserve-unknown-fields").as_str(),
            false,
            "must be true or undefined",
        ));
    }
    map_and_list_types(s, path, errs);
    validations(s, path, errs);
}

fn type_error(errs: &mut Vec<FieldError>, path: &FieldPath, ty: &str, detail: &str) {
    if ty.is_empty() {
        errs.push(FieldError::required(path.child("type").as_str(), detail));
    } else {
        errs.push(FieldError::invalid(path.child("type").as_str(), ty, detail));
    }
}

fn map_and_list_types(s: &Props, path: &FieldPath, errs: &mut Vec<FieldError>) {
    if s.x_map_type.is_some() && s.ty != "object" {
        type_error(
            errs,
            path,
            &s.ty,
            "must be object if x-kubernetes-map-type is specified",
        );
    }
    if let Some(mt) = s
        .x_map_type
        .as_deref()
        .filter(|m| *m != "atomic" && *m != "granular")
    {
        errs.push(FieldError::not_supported(
            path.child("x-kubernetes-map-type").as_str(),
            mt,
            &["atomic", "granular"],
        ));
    }
    let list_type = s.x_list_type.as_deref();
    if list_type.is_some() && s.ty != "array" {
        type_error(
            errs,
            path,
            &s.ty,
            "must be array if x-kubernetes-list-type is specified",
        );
    } else if let (Some("set"), Some(is)) = (list_type, s.items.as_deref()) {
        let detail = "must be atomic as item of a list with x-kubernetes-list-type=set";
        match is.ty.as_str() {
            "array" if is.x_list_type.as_deref().is_some_and(|t| t != "atomic") => {
                let field = path.child("items").child("x-kubernetes-list-type");
                errs.push(FieldError::invalid(
                    field.as_str(),
                    is.x_list_type.clone().unwrap_or_default(),
                    detail,
                ));
            }
            "object" if is.x_map_type.as_deref() != Some("atomic") => {
                let field = path.child("items").child("x-kubernetes-map-type");
                let shown = is.x_list_type.clone().map_or(Value::Null, Value::String);
                errs.push(FieldError::invalid(field.as_str(), shown, detail));
            }
            _ => {}
        }
    }
    if let Some(lt) = list_type.filter(|t| !["atomic", "set", "map"].contains(t)) {
        errs.push(FieldError::not_supported(
            path.child("x-kubernetes-list-type").as_str(),
            lt,
            &["atomic", "set", "map"],
        ));
    }
    let keys_value = || Value::from(s.x_list_map_keys.clone());
    if !s.x_list_map_keys.is_empty() {
        let detail = "must be map if x-kubernetes-list-map-keys is non-empty";
        match list_type {
            None => errs.push(FieldError::required(
                path.child("x-kubernetes-list-type").as_str(),
                detail,
            )),
            Some(t) if t != "map" => errs.push(FieldError::invalid(
                path.child("x-kubernetes-list-type").as_str(),
                t,
                detail,
            )),
            _ => {}
        }
    }
    if list_type == Some("map") {
        if s.x_list_map_keys.is_empty() {
            errs.push(FieldError::required(
                path.child("x-kubernetes-list-map-keys").as_str(),
                "must not be empty if x-kubernetes-list-type is map",
            ));
        }
        if s.items.is_none() && s.items_array.is_empty() {
            errs.push(FieldError::required(
                path.child("items").as_str(),
                "must have a schema if x-kubernetes-list-type is map",
            ));
        }
        if s.items.is_none() && !s.items_array.is_empty() {
            errs.push(FieldError::invalid(
                path.child("items").as_str(),
                "",
                "must only have a single schema if x-kubernetes-list-type is map",
            ));
        }
        if let Some(is) = s.items.as_deref() {
            if is.ty != "object" {
                errs.push(FieldError::invalid(
                    path.child("items").child("type").as_str(),
                    is.ty.clone(),
                    "must be object if parent array's x-kubernetes-list-type is map",
                ));
            } else {
                let mut seen: Vec<&str> = Vec::new();
                for k in &s.x_list_map_keys {
                    match is.properties.get(k) {
                        Some(p) if p.ty == "array" || p.ty == "object" => errs.push(FieldError::invalid(
                            path.child("items").child("properties").key(k).child("type").as_str(),
                            is.ty.clone(),
                            "must be a scalar type if parent array's x-kubernetes-list-type is map",
                        )),
                        Some(_) => {}
                        None => errs.push(FieldError::invalid(
                            path.child("x-kubernetes-list-map-keys").as_str(),
                            keys_value(),
                            "entries must all be names of item properties",
                        )),
                    }
                    if seen.contains(&k.as_str()) {
                        errs.push(FieldError::invalid(
                            path.child("x-kubernetes-list-map-keys").as_str(),
                            keys_value(),
                            "must not contain duplicate entries",
                        ));
                    }
                    seen.push(k);
                }
            }
        }
    }
    map_list_keys_map_set(s, path, errs);
}

/// `validateMapListKeysMapSet`.
fn map_list_keys_map_set(s: &Props, path: &FieldPath, errs: &mut Vec<FieldError>) {
    let (Some(lt @ ("set" | "map")), Some(is)) = (s.x_list_type.as_deref(), s.items.as_deref())
    else {
        return;
    };
    if is.nullable {
        errs.push(FieldError::forbidden(
            path.child("items").child("nullable").as_str(),
            format!("cannot be nullable when x-kubernetes-list-type is {lt}"),
        ));
    }
    if lt != "map" {
        return;
    }
    for k in &s.x_list_map_keys {
        let Some(prop) = is.properties.get(k) else {
            continue;
        };
        let kpath = path.child("items").child("properties").key(k);
        if !is.required.contains(k) && prop.default.is_none() {
            errs.push(FieldError::required(
                kpath.child("default").as_str(),
                "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property",
            ));
        }
        if prop.nullable {
            errs.push(FieldError::forbidden(
                kpath.child("nullable").as_str(),
                "this property is in x-kubernetes-list-map-keys, so it cannot be nullable",
            ));
        }
    }
}

/// The shape checks of `x-kubernetes-validations` rules (no CEL compilation).
fn validations(s: &Props, path: &FieldPath, errs: &mut Vec<FieldError>) {
    for (i, rule) in s.x_validations.iter().enumerate() {
        let rpath = path.child("x-kubernetes-validations").index(i);
        let text = |k: &str| rule.get(k).and_then(Value::as_str).unwrap_or("");
        let has_newline = |t: &str| t.contains(['\n', '\r']);
        let (r, msg) = (text("rule").trim(), text("message"));
        if r.is_empty() {
            errs.push(FieldError::required(
                rpath.child("rule").as_str(),
                "rule is not specified",
            ));
        } else if !msg.is_empty() && msg.trim().is_empty() {
            errs.push(FieldError::invalid(
                rpath.child("message").as_str(),
                msg,
                "message must be non-empty if specified",
            ));
        } else if has_newline(msg.trim()) {
            errs.push(FieldError::invalid(
                rpath.child("message").as_str(),
                msg,
                "message must not contain line breaks",
            ));
        } else if has_newline(r) && msg.trim().is_empty() {
            errs.push(FieldError::required(
                rpath.child("message").as_str(),
                "message must be specified if rule contains line breaks",
            ));
        }
        let expr = text("messageExpression");
        if !expr.is_empty() && expr.trim().is_empty() {
            errs.push(FieldError::required(
                rpath.child("messageExpression").as_str(),
                "messageExpression must be non-empty if specified",
            ));
        }
        if let Some(reason) = rule.get("reason").and_then(Value::as_str)
            && !VALIDATION_REASONS.contains(&reason)
        {
            errs.push(FieldError::not_supported(
                rpath.child("reason").as_str(),
                reason,
                VALIDATION_REASONS,
            ));
        }
        let fp = text("fieldPath");
        if !fp.is_empty() && fp.trim().is_empty() {
            errs.push(FieldError::invalid(
                rpath.child("fieldPath").as_str(),
                fp,
                "fieldPath must be non-empty if specified",
            ));
        }
        if has_newline(fp) {
            errs.push(FieldError::invalid(
                rpath.child("fieldPath").as_str(),
                fp,
                "fieldPath must not contain line breaks",
            ));
        }
    }
}
