//! Upstream's structural-schema rules (`apiserver/schema/validation.go` and
//! `complete.go`): types everywhere outside preserve-unknown-fields and int-or-string,
//! value validations under junctors (`allOf`, `anyOf`, `oneOf`, `not`) that may not
//! declare types or extensions, `metadata` restricted to name and generateName at the
//! root, and every junctor field also specified outside of it.

use kubehci_api::FieldError;

use crate::path::FieldPath;
use crate::props::{MAX_SCHEMA_DEPTH, Props};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Root,
    Item,
    Field,
}

/// The reason `NewStructural` would refuse the schema, if any (unsupported keywords).
pub fn conversion_error(p: &Props) -> Option<String> {
    let found = std::cell::RefCell::new(None);
    p.any(&|s| {
        let why = if !s.id.is_empty() {
            "OpenAPIV3Schema 'id' is not supported"
        } else if !s.schema_url.is_empty() {
            "OpenAPIV3Schema 'schema' is not supported"
        } else if s.reference.as_deref().is_some_and(|r| !r.is_empty()) {
            "OpenAPIV3Schema '$ref' is not supported"
        } else if !s.pattern_properties.is_empty() {
            "OpenAPIV3Schema 'patternProperties' is not supported"
        } else if s.dependencies.as_ref().is_some_and(|d| !d.is_empty()) {
            "OpenAPIV3Schema 'dependencies' is not supported"
        } else if s.additional_items.is_some() {
            "OpenAPIV3Schema 'additionalItems' is not supported"
        } else if !s.definitions.is_empty() {
            "OpenAPIV3Schema 'definitions' is not supported"
        } else if !s.items_array.is_empty() {
            "OpenAPIV3Schema 'items' must be a schema, but is an array"
        } else if s.x_preserve_unknown_fields == Some(false) {
            "internal error: 'x-kubernetes-preserve-unknown-fields' must be true or undefined"
        } else {
            return false;
        };
        *found.borrow_mut() = Some(why.to_string());
        true
    });
    found.into_inner()
}

/// `ValidateStructural`: errors sorted by their message like upstream.
pub fn validate_structural(path: &FieldPath, s: &Props) -> Vec<FieldError> {
    let mut errs = Vec::new();
    invariants(s, Level::Root, path, &mut errs, 0);
    crate::structural_complete::completeness(s, s, path, path, &mut errs, 0);
    errs.sort_by_key(|e| e.to_string());
    errs
}

fn invariants(s: &Props, lvl: Level, path: &FieldPath, errs: &mut Vec<FieldError>, depth: usize) {
    if depth > MAX_SCHEMA_DEPTH {
        return;
    }
    if s.ty == "array" && s.items.is_none() {
        errs.push(FieldError::required(
            path.child("items").as_str(),
            "must be specified",
        ));
    }
    if let Some(items) = &s.items {
        invariants(items, Level::Item, &path.child("items"), errs, depth + 1);
    }
    for (k, v) in &s.properties {
        invariants(
            v,
            Level::Field,
            &path.child("properties").key(k),
            errs,
            depth + 1,
        );
    }
    if let Some(ap) = &s.additional_properties {
        if lvl == Level::Root {
            errs.push(FieldError::forbidden(
                path.child("additionalProperties").as_str(),
                "must not be used at the root",
            ));
        }
        if let Some(schema) = &ap.schema {
            invariants(
                schema,
                Level::Field,
                &path.child("additionalProperties"),
                errs,
                depth + 1,
            );
        }
    }
    if s.x_int_or_string && s.preserves() {
        errs.push(FieldError::invalid(
            path.child("x-kubernetes-preserve-unknown-fields").as_str(),
            true,
            "must be false if x-kubernetes-int-or-string is true",
        ));
    }
    if s.x_int_or_string && s.x_embedded_resource {
        errs.push(FieldError::invalid(
            path.child("x-kubernetes-embedded-resource").as_str(),
            true,
            "must be false if x-kubernetes-int-or-string is true",
        ));
    }
    let skip_any_of = s.any_of.len() == 2 && is_int_or_string_pair(&s.any_of);
    let skip_first_all_of_any_of = s
        .all_of
        .first()
        .is_some_and(|a| a.any_of.len() == 2 && is_int_or_string_pair(&a.any_of));
    value_validation(s, skip_any_of, skip_first_all_of_any_of, path, errs, depth);

    let check_metadata = lvl == Level::Root || s.x_embedded_resource;
    if s.x_embedded_resource && s.ty != "object" {
        if s.ty.is_empty() {
            errs.push(FieldError::required(
                path.child("type").as_str(),
                "must be object if x-kubernetes-embedded-resource is true",
            ));
        } else {
            errs.push(FieldError::invalid(
                path.child("type").as_str(),
                s.ty.clone(),
                "must be object if x-kubernetes-embedded-resource is true",
            ));
        }
    } else if s.ty.is_empty() && !s.x_int_or_string && !s.preserves() {
        let detail = match lvl {
            Level::Root => "must not be empty at the root",
            Level::Item => "must not be empty for specified array items",
            Level::Field => "must not be empty for specified object fields",
        };
        errs.push(FieldError::required(path.child("type").as_str(), detail));
    }
    if s.x_embedded_resource && s.additional_properties.is_some() {
        errs.push(FieldError::forbidden(
            path.child("additionalProperties").as_str(),
            "must not be used if x-kubernetes-embedded-resource is set",
        ));
    }
    if lvl == Level::Root && !s.ty.is_empty() && s.ty != "object" {
        errs.push(FieldError::invalid(
            path.child("type").as_str(),
            s.ty.clone(),
            "must be object at the root",
        ));
    }
    for meta_string in ["kind", "apiVersion"] {
        if let Some(p) = s.properties.get(meta_string).filter(|_| check_metadata)
            && p.ty != "string"
        {
            let field = path.child("properties").key(meta_string).child("type");
            errs.push(FieldError::invalid(
                field.as_str(),
                p.ty.clone(),
                "must be string",
            ));
        }
    }
    if let Some(meta) = s.properties.get("metadata") {
        let mpath = path.child("properties").key("metadata");
        if check_metadata && meta.ty != "object" {
            errs.push(FieldError::invalid(
                mpath.child("type").as_str(),
                meta.ty.clone(),
                "must be object",
            ));
        }
        if lvl == Level::Root && !root_metadata_is_plain(meta) {
            errs.push(FieldError::forbidden(
                mpath.as_str(),
                "must not specify anything other than name and generateName, but metadata is implicitly specified",
            ));
        }
    }
    if s.x_embedded_resource && !s.preserves() && s.properties.is_empty() {
        errs.push(FieldError::required(
            path.child("properties").as_str(),
            "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields",
        ));
    }
}

fn is_int_or_string_pair(any_of: &[Props]) -> bool {
    matches!(any_of, [a, b] if a.is_only_type("integer") && b.is_only_type("string"))
}

/// Root `metadata` may only carry `type` and `name`/`generateName` properties.
fn root_metadata_is_plain(meta: &Props) -> bool {
    let mut m = meta.clone();
    let only_names = m
        .properties
        .keys()
        .all(|k| k == "name" || k == "generateName");
    if only_names {
        m.properties.clear();
    }
    m.ty.clear();
    m.default = None;
    // Not part of upstream's structural form, so never compared there.
    m.example = None;
    m.external_docs = false;
    m == Props::default()
}

fn value_validation(
    s: &Props,
    skip_any_of: bool,
    skip_first_all_of_any_of: bool,
    path: &FieldPath,
    errs: &mut Vec<FieldError>,
    depth: usize,
) {
    if !skip_any_of {
        for (i, v) in s.any_of.iter().enumerate() {
            nested(v, false, &path.child("anyOf").index(i), errs, depth + 1);
        }
    }
    for (i, v) in s.all_of.iter().enumerate() {
        nested(
            v,
            skip_first_all_of_any_of && i == 0,
            &path.child("allOf").index(i),
            errs,
            depth + 1,
        );
    }
    for (i, v) in s.one_of.iter().enumerate() {
        nested(v, false, &path.child("oneOf").index(i), errs, depth + 1);
    }
    if let Some(not) = &s.not {
        nested(not, false, &path.child("not"), errs, depth + 1);
    }
    if !s.pattern.is_empty()
        && let Err(e) = regex::Regex::new(&s.pattern)
    {
        errs.push(FieldError::invalid(
            path.child("pattern").as_str(),
            s.pattern.clone(),
            format!("must be a valid regular expression, but isn't: {e}"),
        ));
    }
}

/// `validateNestedValueValidation`: a schema under a junctor.
fn nested(
    v: &Props,
    skip_any_of: bool,
    path: &FieldPath,
    errs: &mut Vec<FieldError>,
    depth: usize,
) {
    if depth > MAX_SCHEMA_DEPTH {
        return;
    }
    value_validation(v, skip_any_of, false, path, errs, depth);
    if let Some(items) = &v.items {
        nested(items, false, &path.child("items"), errs, depth + 1);
    }
    for (k, f) in &v.properties {
        nested(f, false, &path.child("properties").key(k), errs, depth + 1);
    }
    let forbid = |errs: &mut Vec<FieldError>, key: &str, detail: &str| {
        errs.push(FieldError::forbidden(path.child(key).as_str(), detail));
    };
    if !v.ty.is_empty() {
        forbid(errs, "type", "must be empty to be structural");
    }
    if v.additional_properties
        .as_ref()
        .is_some_and(|a| a.allows || a.schema.is_some())
    {
        forbid(
            errs,
            "additionalProperties",
            "must be undefined to be structural",
        );
    }
    if v.default.is_some() {
        forbid(errs, "default", "must be undefined to be structural");
    }
    if !v.title.is_empty() {
        forbid(errs, "title", "must be empty to be structural");
    }
    if !v.description.is_empty() {
        forbid(errs, "description", "must be empty to be structural");
    }
    if v.nullable {
        forbid(errs, "nullable", "must be false to be structural");
    }
    if v.preserves() {
        forbid(
            errs,
            "x-kubernetes-preserve-unknown-fields",
            "must be false to be structural",
        );
    }
    if v.x_embedded_resource {
        forbid(
            errs,
            "x-kubernetes-embedded-resource",
            "must be false to be structural",
        );
    }
    if v.x_int_or_string {
        forbid(
            errs,
            "x-kubernetes-int-or-string",
            "must be false to be structural",
        );
    }
    if !v.x_list_map_keys.is_empty() {
        forbid(
            errs,
            "x-kubernetes-list-map-keys",
            "must be empty to be structural",
        );
    }
    if v.x_list_type.is_some() {
        forbid(
            errs,
            "x-kubernetes-list-type",
            "must be undefined to be structural",
        );
    }
    if v.x_map_type.is_some() {
        forbid(
            errs,
            "x-kubernetes-map-type",
            "must be undefined to be structural",
        );
    }
    if !v.x_validations.is_empty() {
        forbid(
            errs,
            "x-kubernetes-validations",
            "must be empty to be structural",
        );
    }
    if v.properties.contains_key("metadata") {
        errs.push(FieldError::forbidden(
            path.child("properties").key("metadata").as_str(),
            "must not be specified in a nested context",
        ));
    }
}
