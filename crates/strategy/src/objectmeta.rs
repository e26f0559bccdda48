//! `metadata` validation on create and update (upstream's `ValidateObjectMeta*`, with the
//! core API's extra finalizer-name rule), plus label and annotation map checks.

use std::collections::{BTreeMap, BTreeSet};

use kubehci_api::{FieldError, FieldErrorType};
use serde_json::Value;

use crate::gofmt;
use crate::json::{Errs, P, field, get_arr, get_i64, get_obj, get_str, get_str_map, get_strs, s};
use crate::names::{NameRule, dns1123_label, label_value, qualified_name};

/// Upstream's `TotalAnnotationSizeLimitB`.
const ANNOTATIONS_MAX: usize = 256 * 1024;
const STANDARD_FINALIZERS: [&str; 3] = ["kubernetes", "orphan", "foregroundDeletion"];

/// `ValidateLabels`: keys are qualified names, values label values; errors sit on `p`.
pub(crate) fn validate_labels(labels: &BTreeMap<String, String>, p: &P, e: &mut Errs) {
    for (k, v) in labels {
        validate_label_name(k, p, e);
        for msg in label_value(v) {
            e.push(FieldError::invalid(p, v.as_str(), msg));
        }
    }
}

/// `ValidateLabelName`.
pub(crate) fn validate_label_name(k: &str, p: &P, e: &mut Errs) {
    for msg in qualified_name(k) {
        e.push(FieldError::invalid(p, k, msg));
    }
}

/// `ValidateAnnotations`: case-insensitive qualified-name keys, 256 KiB in total.
pub(crate) fn validate_annotations(annotations: &BTreeMap<String, String>, p: &P, e: &mut Errs) {
    let mut total = 0usize;
    for (k, v) in annotations {
        for msg in qualified_name(&k.to_lowercase()) {
            e.push(FieldError::invalid(p, k.as_str(), msg));
        }
        total += k.len() + v.len();
    }
    if total > ANNOTATIONS_MAX {
        e.push(too_long(p, ANNOTATIONS_MAX));
    }
}

/// `field.TooLong` as v1.33 words it.
pub(crate) fn too_long(p: &P, max: usize) -> FieldError {
    FieldError {
        kind: FieldErrorType::TooLong,
        field: p.into(),
        value: None,
        detail: format!("may not be more than {max} bytes"),
    }
}

/// `metadata.<k>` of an object (absent, or not an object, is `None`).
pub(crate) fn meta(obj: &Value) -> Option<&Value> {
    obj.get("metadata").filter(|m| m.is_object())
}

/// Validation of a new object's metadata.
pub fn validate_object_meta(
    obj: &Value,
    namespaced: bool,
    rule: NameRule,
    e: &mut Vec<FieldError>,
) {
    let mp = P::new("metadata");
    let md = match field(obj, "metadata") {
        Some(m @ Value::Object(_)) => m,
        Some(other) => {
            e.push(crate::json::type_error(&mp, other, "object"));
            return;
        }
        None => {
            e.push(FieldError::required(
                mp.child("name"),
                "name or generateName is required",
            ));
            return;
        }
    };
    if let Some(g) = get_str(md, "generateName", &mp, e).filter(|g| !g.is_empty()) {
        for msg in rule.check(g, true) {
            e.push(FieldError::invalid(mp.child("generateName"), g, msg));
        }
    }
    match get_str(md, "name", &mp, e).filter(|n| !n.is_empty()) {
        None => e.push(FieldError::required(
            mp.child("name"),
            "name or generateName is required",
        )),
        Some(n) => {
            for msg in rule.check(n, false) {
                e.push(FieldError::invalid(mp.child("name"), n, msg));
            }
        }
    }
    let ns = get_str(md, "namespace", &mp, e).unwrap_or("");
    if namespaced {
        if ns.is_empty() {
            e.push(FieldError::required(mp.child("namespace"), ""));
        } else {
            for msg in dns1123_label(ns) {
                e.push(FieldError::invalid(mp.child("namespace"), ns, msg));
            }
        }
    } else if !ns.is_empty() {
        e.push(FieldError::forbidden(
            mp.child("namespace"),
            "not allowed on this type",
        ));
    }
    if let Some(g) = get_i64(md, "generation", &mp, e).filter(|g| *g < 0) {
        e.push(FieldError::invalid(
            mp.child("generation"),
            g,
            "must be greater than or equal to 0",
        ));
    }
    common(md, &mp, e);
}

/// Labels, annotations, owner references and finalizers: checked on create and update.
fn common(md: &Value, mp: &P, e: &mut Errs) {
    if let Some(labels) = get_str_map(md, "labels", mp, e) {
        validate_labels(&labels, &mp.child("labels"), e);
    }
    if let Some(ann) = get_str_map(md, "annotations", mp, e) {
        validate_annotations(&ann, &mp.child("annotations"), e);
    }
    owner_references(md, mp, e);
    let fp = mp.child("finalizers");
    let finalizers = get_strs(md, "finalizers", mp, e);
    for f in &finalizers {
        for msg in qualified_name(f) {
            e.push(FieldError::invalid(&fp, *f, msg));
        }
    }
    if finalizers.contains(&"orphan") && finalizers.contains(&"foregroundDeletion") {
        e.push(gofmt::invalid_raw(
            &fp,
            &gofmt::string_slice(Some(&finalizers)),
            "finalizer orphan and foregroundDeletion cannot be both set",
        ));
    }
    for (i, f) in finalizers.iter().enumerate() {
        if !f.contains('/') && !STANDARD_FINALIZERS.contains(f) {
            e.push(FieldError::invalid(
                fp.index(i),
                *f,
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
}

fn owner_references(md: &Value, mp: &P, e: &mut Errs) {
    let rp = mp.child("ownerReferences");
    let mut first_controller: Option<String> = None;
    for (i, r) in get_arr(md, "ownerReferences", mp, e).iter().enumerate() {
        let ip = rp.index(i);
        if !r.is_object() {
            e.push(crate::json::type_error(&ip, r, "object"));
            continue;
        }
        let api_version = get_str(r, "apiVersion", &ip, e).unwrap_or("");
        let kind = get_str(r, "kind", &ip, e).unwrap_or("");
        let version = api_version.rsplit('/').next().unwrap_or("");
        if version.is_empty() {
            e.push(FieldError::invalid(
                rp.child("apiVersion"),
                api_version,
                "version must not be empty",
            ));
        }
        for (k, v) in [("kind", kind), ("name", s(r, "name")), ("uid", s(r, "uid"))] {
            if v.is_empty() {
                e.push(FieldError::invalid(rp.child(k), v, "must not be empty"));
            }
        }
        if api_version == "v1" && kind == "Event" {
            e.push(gofmt::invalid_raw(
                &rp,
                &owner_ref_go(r),
                "/v1, Kind=Event is disallowed from being an owner",
            ));
        }
        if r.get("controller").and_then(Value::as_bool) == Some(true) {
            let cur = format!("{kind}/{}", s(r, "name"));
            match &first_controller {
                Some(first) => e.push(gofmt::invalid_raw(
                    &rp,
                    "[]v1.OwnerReference{...}",
                    &format!(
                        "Only one reference can have Controller set to true. Found \"true\" in references for {first} and {cur}"
                    ),
                )),
                None => first_controller = Some(cur),
            }
        }
    }
}

fn owner_ref_go(r: &Value) -> String {
    format!(
        "v1.OwnerReference{{APIVersion:{}, Kind:{}, Name:{}, UID:{}}}",
        gofmt::quote(s(r, "apiVersion")),
        gofmt::quote(s(r, "kind")),
        gofmt::quote(s(r, "name")),
        gofmt::quote(s(r, "uid"))
    )
}

/// `metav1.Time` as Go's `time.Time.String()` prints it (API times are UTC).
pub(crate) fn go_time(v: Option<&Value>) -> String {
    match v
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
    {
        Some(t) => t
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%d %H:%M:%S +0000 UTC")
            .to_string(),
        None => "0001-01-01 00:00:00 +0000 UTC".to_string(),
    }
}

/// Validation of metadata changes (`ValidateObjectMetaUpdate`).
pub fn validate_object_meta_update(new: &Value, old: &Value, e: &mut Vec<FieldError>) {
    let mp = P::new("metadata");
    let empty = Value::Object(Default::default());
    let nm = get_obj(new, "metadata", &P::new(""), e).unwrap_or(&empty);
    let om = meta(old).unwrap_or(&empty);
    if field(om, "deletionTimestamp").is_some() {
        let old_f: BTreeSet<&str> = crate::json::items(om, "finalizers")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let extra: BTreeSet<&str> = crate::json::items(nm, "finalizers")
            .iter()
            .filter_map(Value::as_str)
            .filter(|f| !old_f.contains(f))
            .collect();
        if !extra.is_empty() {
            let extra: Vec<&str> = extra.into_iter().collect();
            e.push(FieldError::forbidden(
                mp.child("finalizers"),
                format!(
                    "no new finalizers can be added if the object is being deleted, found new finalizers {}",
                    gofmt::string_slice(Some(&extra))
                ),
            ));
        }
    }
    let (ng, og) = (
        crate::json::int(nm, "generation").unwrap_or(0),
        crate::json::int(om, "generation").unwrap_or(0),
    );
    if ng < og {
        e.push(FieldError::invalid(
            mp.child("generation"),
            ng,
            "must not be decremented",
        ));
    }
    for k in ["name", "namespace", "uid"] {
        if s(nm, k) != s(om, k) {
            e.push(FieldError::invalid(
                mp.child(k),
                s(nm, k),
                "field is immutable",
            ));
        }
    }
    for k in ["creationTimestamp", "deletionTimestamp"] {
        if s(nm, k) != s(om, k) {
            let rendered = if k == "deletionTimestamp" && field(nm, k).is_none() {
                "null".to_string()
            } else {
                go_time(nm.get(k))
            };
            e.push(gofmt::immutable_raw(mp.child(k), &rendered));
        }
    }
    if crate::json::int(nm, "deletionGracePeriodSeconds")
        != crate::json::int(om, "deletionGracePeriodSeconds")
    {
        e.push(gofmt::immutable(
            mp.child("deletionGracePeriodSeconds"),
            field(nm, "deletionGracePeriodSeconds"),
        ));
    }
    common(nm, &mp, e);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn create(obj: Value, namespaced: bool, rule: NameRule) -> Vec<String> {
        let mut e = Vec::new();
        validate_object_meta(&obj, namespaced, rule, &mut e);
        e.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn name_rules_and_namespace_scope() {
        assert_eq!(
            create(
                json!({"metadata": {"namespace": "default"}}),
                true,
                NameRule::Subdomain
            ),
            vec!["metadata.name: Required value: name or generateName is required"]
        );
        assert_eq!(
            create(
                json!({"metadata": {"name": "x", "namespace": "ns"}}),
                false,
                NameRule::Subdomain
            ),
            vec!["metadata.namespace: Forbidden: not allowed on this type"]
        );
        let e = create(
            json!({"metadata": {"name": "Web", "namespace": "d"}}),
            true,
            NameRule::Subdomain,
        );
        assert!(
            e[0].starts_with(
                "metadata.name: Invalid value: \"Web\": a lowercase RFC 1123 subdomain"
            )
        );
        assert_eq!(
            create(
                json!({"metadata": {"name": "a/b"}}),
                false,
                NameRule::PathSegment
            )
            .len(),
            1
        );
    }

    #[test]
    fn labels_annotations_finalizers() {
        let obj = json!({"metadata": {"name": "x", "namespace": "d",
            "labels": {"bad key": "v", "ok": "-bad"},
            "annotations": {"big": "x".repeat(300_000)},
            "finalizers": ["custom"]}});
        let e = create(obj, true, NameRule::Subdomain);
        assert_eq!(e.len(), 4, "{e:?}");
        assert!(
            e[0].starts_with(
                "metadata.labels: Invalid value: \"bad key\": name part must consist of"
            )
        );
        assert!(
            e[1].starts_with("metadata.labels: Invalid value: \"-bad\": a valid label must be")
        );
        assert_eq!(
            e[2],
            "metadata.annotations: Too long: may not be more than 262144 bytes"
        );
        assert_eq!(
            e[3],
            "metadata.finalizers[0]: Invalid value: \"custom\": name is neither a standard finalizer name nor is it fully qualified"
        );
    }

    #[test]
    fn updates_keep_identity() {
        let old = json!({"metadata": {"name": "a", "namespace": "d", "uid": "1",
            "creationTimestamp": "2024-05-01T10:00:00Z"}});
        let new = json!({"metadata": {"name": "b", "namespace": "d", "uid": "1",
            "creationTimestamp": "2024-05-01T10:00:01Z"}});
        let mut e = Vec::new();
        validate_object_meta_update(&new, &old, &mut e);
        let e: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert_eq!(
            e,
            vec![
                "metadata.name: Invalid value: \"b\": field is immutable",
                "metadata.creationTimestamp: Invalid value: 2024-05-01 10:00:01 +0000 UTC: field is immutable",
            ]
        );
    }
}
