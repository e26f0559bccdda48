//! The `scale` subresource of custom resources: an `autoscaling/v1` `Scale` read from
//! the object through the CRD's replica paths, replicas written back, and the replica
//! checks upstream's validator runs. Path errors carry upstream's unstructured-accessor
//! messages (`.spec.replicas accessor error: x is of the type string, expected int64`).

use kubehci_api::FieldError;
use kubehci_api::gofmt::{go_type, go_v};
use serde_json::{Map, Value, json};

use crate::Error;

/// `splitReplicasPath`: `.spec.replicas` → `["spec", "replicas"]`.
fn split(path: &str) -> Vec<&str> {
    path.strip_prefix('.').unwrap_or(path).split('.').collect()
}

fn json_path(fields: &[&str]) -> String {
    format!(".{}", fields.join("."))
}

/// `NestedFieldNoCopy`: `Ok(None)` when absent (or under a `null`).
fn nested<'a>(obj: &'a Value, fields: &[&str]) -> Result<Option<&'a Value>, Error> {
    let mut val = obj;
    for (i, f) in fields.iter().enumerate() {
        if val.is_null() {
            return Ok(None);
        }
        let Value::Object(m) = val else {
            return Err(Error::ScalePath(format!(
                "{} accessor error: {} is of the type {}, expected map[string]interface{{}}",
                json_path(&fields[..=i]),
                go_v(val),
                go_type(val)
            )));
        };
        match m.get(*f) {
            Some(v) => val = v,
            None => return Ok(None),
        }
    }
    Ok(Some(val))
}

fn accessor_error(fields: &[&str], v: &Value, want: &str) -> Error {
    Error::ScalePath(format!(
        "{} accessor error: {} is of the type {}, expected {want}",
        json_path(fields),
        go_v(v),
        go_type(v)
    ))
}

/// `NestedInt64`: `Ok(None)` when absent.
pub fn nested_int64(obj: &Value, path: &str) -> Result<Option<i64>, Error> {
    let fields = split(path);
    match nested(obj, &fields)? {
        None => Ok(None),
        Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
        Some(v) => Err(accessor_error(&fields, v, "int64")),
    }
}

/// `NestedString`: `Ok(None)` when absent.
pub fn nested_string(obj: &Value, path: &str) -> Result<Option<String>, Error> {
    let fields = split(path);
    match nested(obj, &fields)? {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(accessor_error(&fields, v, "string")),
    }
}

/// `scaleFromCustomResource`: the `autoscaling/v1` `Scale` of a custom object. Absent
/// replicas read as 0; the label selector is read only when a path is given.
pub fn scale_from_object(
    obj: &Value,
    spec_path: &str,
    status_path: &str,
    label_selector_path: Option<&str>,
) -> Result<Value, Error> {
    // int32() conversion of the int64 values, wrapping like Go's.
    let spec_replicas = nested_int64(obj, spec_path)?.unwrap_or(0) as i32;
    let status_replicas = nested_int64(obj, status_path)?.unwrap_or(0) as i32;
    let selector = match label_selector_path.filter(|p| !p.is_empty()) {
        Some(p) => nested_string(obj, p)?.unwrap_or_default(),
        None => String::new(),
    };
    let mut meta = Map::new();
    for key in ["name", "namespace", "uid", "resourceVersion"] {
        if let Some(v) = obj
            .pointer(&format!("/metadata/{key}"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            meta.insert(key.to_string(), Value::String(v.to_string()));
        }
    }
    let created = obj
        .pointer("/metadata/creationTimestamp")
        .cloned()
        .unwrap_or(Value::Null);
    meta.insert("creationTimestamp".to_string(), created);
    let mut spec = Map::new();
    if spec_replicas != 0 {
        spec.insert("replicas".to_string(), json!(spec_replicas));
    }
    let mut status = Map::new();
    status.insert("replicas".to_string(), json!(status_replicas));
    if !selector.is_empty() {
        status.insert("selector".to_string(), Value::String(selector));
    }
    Ok(json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": meta,
        "spec": spec,
        "status": status,
    }))
}

/// `SetNestedField(obj, int64(replicas), specPath...)`: creates missing parents.
pub fn apply_scale(obj: &mut Value, replicas: i64, spec_path: &str) -> Result<(), Error> {
    let fields = split(spec_path);
    let Some((last, parents)) = fields.split_last() else {
        return Err(Error::ScalePath(format!(
            "invalid replicas path {spec_path:?}"
        )));
    };
    let mut m = obj.as_object_mut().ok_or_else(|| {
        Error::ScalePath(
            "value cannot be set because the object is not a map[string]interface{}".into(),
        )
    })?;
    for (i, f) in parents.iter().enumerate() {
        let slot = m.entry(f.to_string()).or_insert(Value::Null);
        if slot.is_null() {
            *slot = Value::Object(Map::new());
        }
        m = slot.as_object_mut().ok_or_else(|| {
            Error::ScalePath(format!(
                "value cannot be set because {} is not a map[string]interface{{}}",
                json_path(&fields[..=i])
            ))
        })?;
    }
    m.insert(last.to_string(), json!(replicas));
    Ok(())
}

/// `ValidateScaleSpec` + `ValidateScaleStatus`: replicas must be int32 and not
/// negative; the selector, when configured, must be a string. Paths print as given.
pub fn validate_scale(
    obj: &Value,
    spec_path: &str,
    status_path: &str,
    label_selector_path: Option<&str>,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for path in [spec_path, status_path] {
        match nested_int64(obj, path) {
            Err(e) => errs.push(FieldError::invalid(path, 0, e.to_string())),
            Ok(Some(r)) if r < 0 => errs.push(FieldError::invalid(
                path,
                r,
                "should be a non-negative integer",
            )),
            Ok(Some(r)) if r > i64::from(i32::MAX) => {
                errs.push(FieldError::invalid(
                    path,
                    r,
                    format!("should be less than or equal to {}", i32::MAX),
                ));
            }
            Ok(_) => {}
        }
    }
    if let Some(path) = label_selector_path
        && let Err(e) = nested_string(obj, path)
    {
        errs.push(FieldError::invalid(path, "", e.to_string()));
    }
    errs
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn scale_round_trip() {
        let mut obj = json!({"metadata": {"name": "w", "namespace": "d", "uid": "u", "resourceVersion": "5",
            "creationTimestamp": "2024-01-01T00:00:00Z"}, "spec": {"size": 3},
            "status": {"ready": 2, "selector": "app=w"}});
        let s = scale_from_object(
            &obj,
            ".spec.size",
            ".status.ready",
            Some(".status.selector"),
        );
        assert_eq!(
            s.ok(),
            Some(json!({"kind": "Scale", "apiVersion": "autoscaling/v1",
                "metadata": {"name": "w", "namespace": "d", "uid": "u", "resourceVersion": "5",
                             "creationTimestamp": "2024-01-01T00:00:00Z"},
                "spec": {"replicas": 3}, "status": {"replicas": 2, "selector": "app=w"}}))
        );
        assert!(apply_scale(&mut obj, 7, ".spec.size").is_ok());
        assert_eq!(obj["spec"]["size"], 7);
        let mut bare = json!({"spec": "oops"});
        assert_eq!(
            apply_scale(&mut bare, 1, ".spec.size")
                .err()
                .map(|e| e.to_string()),
            Some("value cannot be set because .spec is not a map[string]interface{}".to_string())
        );
        let bad = json!({"spec": {"size": "x"}});
        assert_eq!(
            scale_from_object(&bad, ".spec.size", ".status.ready", None)
                .err()
                .map(|e| e.to_string()),
            Some(".spec.size accessor error: x is of the type string, expected int64".to_string())
        );
        let errs = validate_scale(
            &json!({"spec": {"size": -1}}),
            ".spec.size",
            ".status.ready",
            None,
        );
        assert_eq!(
            errs[0].to_string(),
            ".spec.size: Invalid value: -1: should be a non-negative integer"
        );
    }
}
