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
    crate::list_map_rules::map_and_list_types(s, path, errs);
    validations(s, path, errs);
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
