//! `CustomResourceDefinition` validation as upstream runs it on the internal type: a
//! v1 CRD whose versions all carry the same schema, subresources or printer columns is
//! checked (and reported) as if those were the top-level `spec.validation`,
//! `spec.subresources` and `spec.additionalPrinterColumns` of the internal version.

use kubehci_api::FieldError;
use kubehci_api::validation;
use serde_json::Value;

use crate::crd_parts::{self, Spec};
use crate::crd_schema::validate_validation;
use crate::names;
use crate::path::FieldPath;

const APPROVAL_ANNOTATION: &str = "api-approved.kubernetes.io";

/// Validates a CRD for create (after [`crate::default_crd`] and
/// [`crate::prepare_crd_for_create`]). Generic `ObjectMeta` checks other than the name
/// (labels, annotations, finalizers, ...) are the caller's.
pub fn validate_crd(crd: &Value) -> Vec<FieldError> {
    let spec = Spec::read(crd);
    let mut errs = validate_meta(crd, &spec);
    errs.extend(validate_spec(&spec));
    errs.extend(validate_status(crd));
    errs.extend(validate_stored_versions(crd, &spec));
    errs.extend(validate_api_approval(crd, None, &spec));
    errs.extend(validate_preserve_unknown_fields(crd, None));
    errs
}

/// Validates a CRD update (after [`crate::prepare_crd_for_update`]).
pub fn validate_crd_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let spec = Spec::read(new);
    let old_spec = Spec::read(old);
    let mut errs = validate_spec(&spec);
    let fld = FieldPath::new("spec");
    let immutable = |errs: &mut Vec<FieldError>, path: FieldPath, new: &str, old: &str| {
        if new != old {
            errs.push(FieldError::invalid(
                path.as_str(),
                new,
                "field is immutable",
            ));
        }
    };
    if crd_parts::is_established(old) {
        immutable(&mut errs, fld.child("scope"), &spec.scope, &old_spec.scope);
        immutable(
            &mut errs,
            fld.child("names").child("kind"),
            &spec.names.kind,
            &old_spec.names.kind,
        );
    }
    immutable(&mut errs, fld.child("group"), &spec.group, &old_spec.group);
    immutable(
        &mut errs,
        fld.child("names").child("plural"),
        &spec.names.plural,
        &old_spec.names.plural,
    );
    errs.extend(validate_status(new));
    errs.extend(validate_stored_versions(new, &spec));
    errs.extend(validate_api_approval(new, Some(old), &spec));
    errs.extend(validate_preserve_unknown_fields(new, Some(old)));
    errs
}

/// `ValidateUpdateCustomResourceDefinitionStatus` (the `/status` subresource).
pub fn validate_crd_status_update(new: &Value, _old: &Value) -> Vec<FieldError> {
    validate_status(new)
}

fn validate_meta(crd: &Value, spec: &Spec<'_>) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let meta = FieldPath::new("metadata");
    let text = |k: &str| {
        crd.pointer(&format!("/metadata/{k}"))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    let required = format!("{}.{}", spec.names.plural, spec.group);
    let name_fn = |name: &str, prefix: bool| {
        let mut msgs = names::name_is_dns_subdomain(name, prefix);
        if name != required {
            msgs.push(r#"must be spec.names.plural+"."+spec.group"#.to_string());
        }
        msgs
    };
    let generate_name = text("generateName");
    if !generate_name.is_empty() {
        for msg in name_fn(generate_name, true) {
            errs.push(FieldError::invalid(
                meta.child("generateName").as_str(),
                generate_name,
                msg,
            ));
        }
    }
    let name = text("name");
    if name.is_empty() {
        errs.push(FieldError::required(
            meta.child("name").as_str(),
            "name or generateName is required",
        ));
    } else {
        for msg in name_fn(name, false) {
            errs.push(FieldError::invalid(meta.child("name").as_str(), name, msg));
        }
    }
    if !text("namespace").is_empty() {
        errs.push(FieldError::forbidden(
            meta.child("namespace").as_str(),
            "not allowed on this type",
        ));
    }
    errs
}

fn validate_spec(spec: &Spec<'_>) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let fld = FieldPath::new("spec");
    if spec.group.is_empty() {
        errs.push(FieldError::required(fld.child("group").as_str(), ""));
    } else {
        let problems = validation::is_dns1123_subdomain(&spec.group);
        if !problems.is_empty() {
            errs.push(FieldError::invalid(
                fld.child("group").as_str(),
                spec.group.clone(),
                problems.join(","),
            ));
        } else if !spec.group.contains('.') {
            errs.push(FieldError::invalid(
                fld.child("group").as_str(),
                spec.group.clone(),
                "should be a domain with at least one dot",
            ));
        }
    }
    let scopes = ["Cluster", "Namespaced"];
    if spec.scope.is_empty() {
        errs.push(FieldError::required(fld.child("scope").as_str(), ""));
    } else if !scopes.contains(&spec.scope.as_str()) {
        errs.push(FieldError::not_supported(
            fld.child("scope").as_str(),
            spec.scope.clone(),
            &scopes,
        ));
    }
    let versions = fld.child("versions");
    if spec
        .top_validation
        .is_none_or(|v| v.get("openAPIV3Schema").is_none_or(Value::is_null))
    {
        for (i, v) in spec.versions.iter().enumerate() {
            if v.schema
                .is_none_or(|s| s.get("openAPIV3Schema").is_none_or(Value::is_null))
            {
                let path = versions.index(i).child("schema").child("openAPIV3Schema");
                errs.push(FieldError::required(path.as_str(), "schemas are required"));
            }
        }
    }
    if spec.preserve_unknown_fields && spec.has_defaults() {
        errs.push(FieldError::invalid(
            fld.child("preserveUnknownFields").as_str(),
            true,
            "must be false in order to use defaults in the schema",
        ));
    }
    let mut storage = 0;
    let mut seen: Vec<&str> = Vec::new();
    let mut unique = true;
    for (i, v) in spec.versions.iter().enumerate() {
        let vpath = versions.index(i);
        storage += usize::from(v.storage);
        if seen.contains(&v.name.as_str()) {
            unique = false;
        }
        seen.push(&v.name);
        let problems = validation::is_dns1035_label(&v.name);
        if !problems.is_empty() {
            errs.push(FieldError::invalid(
                vpath.child("name").as_str(),
                v.name.clone(),
                problems.join(","),
            ));
        }
        errs.extend(crd_parts::validate_version(v, &vpath));
    }
    if !unique {
        errs.push(FieldError::invalid(
            versions.as_str(),
            spec.versions_json.clone(),
            "must contain unique version names",
        ));
    }
    if storage != 1 {
        errs.push(FieldError::invalid(
            versions.as_str(),
            spec.versions_json.clone(),
            "must have exactly one version marked as storage version",
        ));
    }
    for (key, value) in [
        ("plural", &spec.names.plural),
        ("singular", &spec.names.singular),
        ("kind", &spec.names.kind),
        ("listKind", &spec.names.list_kind),
    ] {
        if value.is_empty() {
            errs.push(FieldError::required(
                fld.child("names").child(key).as_str(),
                "",
            ));
        }
    }
    errs.extend(crd_parts::validate_names(&spec.names, &fld.child("names")));
    if let Some(validation) = spec.top_validation {
        errs.extend(validate_validation(
            validation,
            spec.any_status_enabled(),
            &fld.child("validation"),
        ));
    }
    if let Some(sub) = spec.top_subresources {
        errs.extend(crate::crd_subresources::validate_subresources(
            sub,
            &fld.child("subresources"),
        ));
    }
    for (i, col) in spec.top_columns.iter().enumerate() {
        errs.extend(crate::crd_subresources::validate_column(
            col,
            &fld.child("additionalPrinterColumns").index(i),
        ));
    }
    if let Some(fields) = spec.top_selectable {
        errs.extend(crate::selectable::validate_selectable(
            fields,
            spec.top_validation,
            &fld,
        ));
    }
    errs.extend(crate::conversion::validate_conversion(
        spec,
        &fld.child("conversion"),
    ));
    errs
}

fn validate_status(crd: &Value) -> Vec<FieldError> {
    let accepted = crd
        .pointer("/status/acceptedNames")
        .map(crd_parts::Names::read)
        .unwrap_or_default();
    crd_parts::validate_names(&accepted, &FieldPath::new("status").child("acceptedNames"))
}

fn validate_stored_versions(crd: &Value, spec: &Spec<'_>) -> Vec<FieldError> {
    let path = FieldPath::new("status").child("storedVersions");
    let stored: Vec<String> = crd
        .pointer("/status/storedVersions")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if stored.is_empty() {
        return vec![FieldError::invalid(
            path.as_str(),
            Value::from(stored),
            "must have at least one stored version",
        )];
    }
    let mut errs = Vec::new();
    for v in &spec.versions {
        if v.storage && !stored.contains(&v.name) {
            errs.push(FieldError::invalid(
                path.as_str(),
                Value::from(stored.clone()),
                format!("must have the storage version {}", v.name),
            ));
        }
    }
    for (i, s) in stored.iter().enumerate() {
        // Upstream keeps the last index of a repeated entry.
        let last = stored.iter().rposition(|x| x == s).unwrap_or(i);
        if last == i && !spec.versions.iter().any(|v| &v.name == s) {
            errs.push(FieldError::invalid(
                path.index(i).as_str(),
                s.clone(),
                format!(
                    "missing from spec.versions; {s} was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in {s} and removes {s} from status.storedVersions"
                ),
            ));
        }
    }
    errs
}

/// Approval state of a protected group's `api-approved.kubernetes.io` annotation.
fn approval(crd: &Value) -> (u8, String, String) {
    let annotation = crd
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(APPROVAL_ANNOTATION))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let is_url = annotation.split_once("://").is_some_and(|(scheme, rest)| {
        !scheme.is_empty() && !rest.is_empty() && !rest.starts_with('/')
    });
    let (state, reason) = if annotation.is_empty() {
        (
            0,
            format!(
                "protected groups must have approval annotation {APPROVAL_ANNOTATION:?}, see https://github.com/kubernetes/enhancements/pull/1111"
            ),
        )
    } else if annotation.starts_with("unapproved") || is_url {
        (1, String::new())
    } else {
        (
            2,
            format!(
                "protected groups must have approval annotation {APPROVAL_ANNOTATION:?} with either a URL or a reason starting with \"unapproved\", see https://github.com/kubernetes/enhancements/pull/1111"
            ),
        )
    };
    (state, reason, annotation)
}

fn validate_api_approval(crd: &Value, old: Option<&Value>, spec: &Spec<'_>) -> Vec<FieldError> {
    let g = &spec.group;
    let protected = g == "k8s.io"
        || g.ends_with(".k8s.io")
        || g == "kubernetes.io"
        || g.ends_with(".kubernetes.io");
    if !protected {
        return Vec::new();
    }
    let (state, reason, annotation) = approval(crd);
    if old.is_some_and(|o| approval(o).0 == state) {
        return Vec::new();
    }
    let path = FieldPath::new("metadata")
        .child("annotations")
        .key(APPROVAL_ANNOTATION);
    match state {
        0 => vec![FieldError::required(path.as_str(), reason)],
        2 => vec![FieldError::invalid(path.as_str(), annotation, reason)],
        _ => Vec::new(),
    }
}

fn validate_preserve_unknown_fields(crd: &Value, old: Option<&Value>) -> Vec<FieldError> {
    let preserve = |c: &Value| {
        c.pointer("/spec/preserveUnknownFields")
            .and_then(Value::as_bool)
            == Some(true)
    };
    if old.is_some_and(preserve) || !preserve(crd) {
        return Vec::new();
    }
    vec![FieldError::invalid(
        "spec.preserveUnknownFields",
        true,
        "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead",
    )]
}
