//! Checks of one `openAPIV3Schema` inside a CRD (upstream's
//! `validateCustomResourceDefinitionValidation`): the root restrictions when the status
//! subresource is on, structural rules, defaults (valid, pruned, not in top-level
//! meta), and the per-node keyword rules of `ValidateCustomResourceDefinitionOpenAPISchema`.

use kubehci_api::FieldError;
use serde_json::Value;

use crate::embedded::validate_embedded;
use crate::openapi::{RegexCache, Validator};
use crate::openapi_errors::to_field_errors;
use crate::path::FieldPath;
use crate::props::{MAX_SCHEMA_DEPTH, Props};
use crate::structural::{conversion_error, validate_structural};
use crate::{prune, schema_rules};

/// The `JSONSchemaProps` fields allowed at the root when the status subresource is on.
const ALLOWED_AT_ROOT: &[&str] = &[
    "Description",
    "Type",
    "Format",
    "Title",
    "Maximum",
    "ExclusiveMaximum",
    "Minimum",
    "ExclusiveMinimum",
    "MaxLength",
    "MinLength",
    "Pattern",
    "MaxItems",
    "MinItems",
    "UniqueItems",
    "MultipleOf",
    "Required",
    "Items",
    "Properties",
    "ExternalDocs",
    "Example",
    "XPreserveUnknownFields",
    "XValidations",
];

/// `validateCustomResourceDefinitionValidation` for a `CustomResourceValidation` object
/// (`{"openAPIV3Schema": {...}}`) at `fld` (`spec.validation` or `spec.versions[i].schema`).
pub fn validate_validation(
    validation: &Value,
    status_enabled: bool,
    fld: &FieldPath,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(schema_json) = validation.get("openAPIV3Schema").filter(|v| !v.is_null()) else {
        return errs;
    };
    let spath = fld.child("openAPIV3Schema");
    let schema = Props::decode(schema_json, &spath, &mut errs);
    if !errs.is_empty() {
        return errs;
    }
    if status_enabled {
        for (name, set) in root_fields(&schema) {
            if !set {
                continue;
            }
            if name == "Type" {
                if schema.ty != "object" {
                    errs.push(FieldError::invalid(
                        fld.child("openAPIV3Schema.type").as_str(),
                        schema.ty.clone(),
                        r#"only "object" is allowed as the type at the root of the schema if the status subresource is enabled"#,
                    ));
                    break;
                }
                continue;
            }
            if !ALLOWED_AT_ROOT.contains(&name) {
                errs.push(FieldError::invalid(
                    spath.as_str(),
                    schema_json.clone(),
                    format!(
                        "only [{}] fields are allowed at the root of the schema if the status subresource is enabled",
                        ALLOWED_AT_ROOT.join(" ")
                    ),
                ));
                break;
            }
        }
    }
    if schema.nullable {
        errs.push(FieldError::forbidden(
            fld.child("openAPIV3Schema.nullable").as_str(),
            "nullable cannot be true at the root",
        ));
    }
    let mut init_errs = Vec::new();
    match conversion_error(&schema) {
        Some(why) => init_errs.push(FieldError::invalid(spath.as_str(), "", why)),
        None => {
            let structural = validate_structural(&spath, &schema);
            if structural.is_empty() {
                errs.extend(validate_defaults(&spath, &schema));
            } else {
                errs.extend(structural);
            }
        }
    }
    schema_rules::check_node(
        &schema,
        &spath,
        &schema_rules::Ctx::root(),
        true,
        &mut errs,
        0,
    );
    if errs.is_empty() {
        errs.extend(init_errs);
    }
    errs
}

/// Whether each `JSONSchemaProps` field is set, in the internal struct's order.
fn root_fields(s: &Props) -> Vec<(&'static str, bool)> {
    vec![
        ("ID", !s.id.is_empty()),
        ("Schema", !s.schema_url.is_empty()),
        ("Ref", s.reference.is_some()),
        ("Description", !s.description.is_empty()),
        ("Type", !s.ty.is_empty()),
        ("Nullable", s.nullable),
        ("Format", !s.format.is_empty()),
        ("Title", !s.title.is_empty()),
        ("Default", s.default.is_some()),
        ("Maximum", s.maximum.is_some()),
        ("ExclusiveMaximum", s.exclusive_maximum),
        ("Minimum", s.minimum.is_some()),
        ("ExclusiveMinimum", s.exclusive_minimum),
        ("MaxLength", s.max_length.is_some()),
        ("MinLength", s.min_length.is_some()),
        ("Pattern", !s.pattern.is_empty()),
        ("MaxItems", s.max_items.is_some()),
        ("MinItems", s.min_items.is_some()),
        ("UniqueItems", s.unique_items),
        ("MultipleOf", s.multiple_of.is_some()),
        ("Enum", !s.enum_values.is_empty()),
        ("MaxProperties", s.max_properties.is_some()),
        ("MinProperties", s.min_properties.is_some()),
        ("Required", !s.required.is_empty()),
        ("Items", s.items.is_some() || !s.items_array.is_empty()),
        ("AllOf", !s.all_of.is_empty()),
        ("OneOf", !s.one_of.is_empty()),
        ("AnyOf", !s.any_of.is_empty()),
        ("Not", s.not.is_some()),
        ("Properties", !s.properties.is_empty()),
        ("AdditionalProperties", s.additional_properties.is_some()),
        ("PatternProperties", !s.pattern_properties.is_empty()),
        ("Dependencies", s.dependencies.is_some()),
        ("AdditionalItems", s.additional_items.is_some()),
        ("Definitions", !s.definitions.is_empty()),
        ("ExternalDocs", s.external_docs),
        ("Example", s.example.is_some()),
        (
            "XPreserveUnknownFields",
            s.x_preserve_unknown_fields.is_some(),
        ),
        ("XEmbeddedResource", s.x_embedded_resource),
        ("XIntOrString", s.x_int_or_string),
        ("XListMapKeys", !s.x_list_map_keys.is_empty()),
        ("XListType", s.x_list_type.is_some()),
        ("XMapType", s.x_map_type.is_some()),
        ("XValidations", !s.x_validations.is_empty()),
    ]
}

/// `structuraldefaulting.ValidateDefaults(ctx, path, schema, true, true)` without CEL.
pub fn validate_defaults(path: &FieldPath, root: &Props) -> Vec<FieldError> {
    let regexes = RegexCache::build(root);
    let mut errs = Vec::new();
    defaults(path, root, true, false, &regexes, &mut errs, 0);
    errs
}

fn defaults(
    path: &FieldPath,
    s: &Props,
    resource_root: bool,
    inside_meta: bool,
    regexes: &RegexCache,
    errs: &mut Vec<FieldError>,
    depth: usize,
) {
    if depth > MAX_SCHEMA_DEPTH {
        return;
    }
    let embedded = resource_root || s.x_embedded_resource;
    let inside_meta = inside_meta && !embedded;
    if let Some(d) = &s.default {
        let dpath = path.child("default");
        let validator = Validator { regexes };
        if inside_meta {
            errs.extend(to_field_errors(&dpath, validator.validate(s, d, "")));
        } else {
            let mut pruned = d.clone();
            prune::prune(&mut pruned, s, embedded);
            if &pruned != d {
                errs.push(FieldError::invalid(
                    dpath.as_str(),
                    d.clone(),
                    "must not have unknown fields",
                ));
            }
            let meta_errs = validate_embedded(&dpath, s, d, embedded);
            if meta_errs.is_empty() {
                errs.extend(to_field_errors(&dpath, validator.validate(s, d, "")));
            } else {
                errs.extend(meta_errs);
            }
        }
    }
    if let Some(items) = &s.items {
        defaults(
            &path.child("items"),
            items,
            false,
            inside_meta,
            regexes,
            errs,
            depth + 1,
        );
    }
    for (k, sub) in &s.properties {
        let sub_meta =
            inside_meta || (embedded && matches!(k.as_str(), "metadata" | "apiVersion" | "kind"));
        defaults(
            &path.child("properties").key(k),
            sub,
            false,
            sub_meta,
            regexes,
            errs,
            depth + 1,
        );
    }
}
