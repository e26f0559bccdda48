//! Panic-free reads and writes of untrusted JSON objects, and field paths printed the
//! way upstream's `field.Path` prints them (`spec.containers[0].ports[1]`, `labels[app]`).
//!
//! Readers treat a missing or `null` field as absent. A present field of the wrong JSON
//! type is reported once as a field error and then treated as absent, so validators
//! never panic and never see a half-typed value.

use std::collections::BTreeMap;

use kubehci_api::FieldError;
use serde_json::{Map, Value};

/// Accumulated field errors.
pub(crate) type Errs = Vec<FieldError>;

/// A field path: `metadata.name`, `spec.containers[0]`, `metadata.labels[app]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct P(String);

impl P {
    pub(crate) fn new(root: &str) -> Self {
        P(root.to_string())
    }

    pub(crate) fn child(&self, name: &str) -> Self {
        if self.0.is_empty() {
            P(name.to_string())
        } else {
            P(format!("{}.{name}", self.0))
        }
    }

    /// Several children at once: `p.at(&["spec", "template"])`.
    pub(crate) fn at(&self, names: &[&str]) -> Self {
        names.iter().fold(self.clone(), |p, n| p.child(n))
    }

    pub(crate) fn index(&self, i: usize) -> Self {
        P(format!("{}[{i}]", self.0))
    }

    pub(crate) fn key(&self, k: &str) -> Self {
        P(format!("{}[{k}]", self.0))
    }

    #[cfg(test)]
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for P {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&P> for String {
    fn from(p: &P) -> String {
        p.0.clone()
    }
}

impl From<P> for String {
    fn from(p: P) -> String {
        p.0
    }
}

/// The error for a present field of the wrong JSON type.
pub(crate) fn type_error(p: &P, v: &Value, want: &str) -> FieldError {
    FieldError::invalid(p, v.clone(), format!("must be of type {want}"))
}

/// `o[k]` when present and not `null`.
pub(crate) fn field<'a>(o: &'a Value, k: &str) -> Option<&'a Value> {
    o.get(k).filter(|v| !v.is_null())
}

/// `o[k]` as a string, "" when absent or not a string (no error; for re-reads).
pub(crate) fn s<'a>(o: &'a Value, k: &str) -> &'a str {
    o.get(k).and_then(Value::as_str).unwrap_or("")
}

/// `o[k]` as an integer when it is one (no error; for re-reads).
pub(crate) fn int(o: &Value, k: &str) -> Option<i64> {
    o.get(k).and_then(Value::as_i64)
}

/// `o[k]` as a boolean, false when absent (no error; for re-reads).
pub(crate) fn flag(o: &Value, k: &str) -> bool {
    o.get(k).and_then(Value::as_bool).unwrap_or(false)
}

/// `o[k]` as an array, empty when absent or not an array (no error; for re-reads).
pub(crate) fn items<'a>(o: &'a Value, k: &str) -> &'a [Value] {
    o.get(k)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Typed reads that report wrong types as field errors under `p.k`.
pub(crate) fn get_str<'a>(o: &'a Value, k: &str, p: &P, e: &mut Errs) -> Option<&'a str> {
    match field(o, k)? {
        Value::String(s) => Some(s),
        other => {
            e.push(type_error(&p.child(k), other, "string"));
            None
        }
    }
}

pub(crate) fn get_i64(o: &Value, k: &str, p: &P, e: &mut Errs) -> Option<i64> {
    let v = field(o, k)?;
    match v.as_i64() {
        Some(n) => Some(n),
        None => {
            e.push(type_error(&p.child(k), v, "integer"));
            None
        }
    }
}

pub(crate) fn get_bool(o: &Value, k: &str, p: &P, e: &mut Errs) -> Option<bool> {
    let v = field(o, k)?;
    match v.as_bool() {
        Some(b) => Some(b),
        None => {
            e.push(type_error(&p.child(k), v, "boolean"));
            None
        }
    }
}

pub(crate) fn get_arr<'a>(o: &'a Value, k: &str, p: &P, e: &mut Errs) -> &'a [Value] {
    match field(o, k) {
        None => &[],
        Some(Value::Array(a)) => a,
        Some(other) => {
            e.push(type_error(&p.child(k), other, "array"));
            &[]
        }
    }
}

pub(crate) fn get_obj<'a>(o: &'a Value, k: &str, p: &P, e: &mut Errs) -> Option<&'a Value> {
    match field(o, k)? {
        v @ Value::Object(_) => Some(v),
        other => {
            e.push(type_error(&p.child(k), other, "object"));
            None
        }
    }
}

/// A list of strings; non-string items are reported and skipped.
pub(crate) fn get_strs<'a>(o: &'a Value, k: &str, p: &P, e: &mut Errs) -> Vec<&'a str> {
    let path = p.child(k);
    let mut out = Vec::new();
    for (i, v) in get_arr(o, k, p, e).iter().enumerate() {
        match v.as_str() {
            Some(s) => out.push(s),
            None => e.push(type_error(&path.index(i), v, "string")),
        }
    }
    out
}

/// A `map[string]string` (labels, selectors, data); sorted by key like upstream's output.
pub(crate) fn get_str_map(
    o: &Value,
    k: &str,
    p: &P,
    e: &mut Errs,
) -> Option<BTreeMap<String, String>> {
    let m = get_obj(o, k, p, e)?;
    let path = p.child(k);
    let mut out = BTreeMap::new();
    for (key, v) in m.as_object().into_iter().flatten() {
        match v {
            Value::String(s) => {
                out.insert(key.clone(), s.clone());
            }
            Value::Null => {
                out.insert(key.clone(), String::new());
            }
            other => e.push(type_error(&path.key(key), other, "string")),
        }
    }
    Some(out)
}

/// A string map read without errors (for matching and re-reads).
pub(crate) fn str_map(o: &Value, k: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(m) = o.get(k).and_then(Value::as_object) {
        for (key, v) in m {
            if let Some(s) = v.as_str() {
                out.insert(key.clone(), s.to_string());
            }
        }
    }
    out
}

/// Sets `o[k] = v` when `o` is an object and `k` is absent or `null`.
pub(crate) fn dflt(o: &mut Value, k: &str, v: Value) {
    if let Value::Object(m) = o {
        let slot = m.entry(k.to_string()).or_insert(Value::Null);
        if slot.is_null() {
            *slot = v;
        }
    }
}

/// `o[k]` for writing, when present and an object.
pub(crate) fn obj_mut<'a>(o: &'a mut Value, k: &str) -> Option<&'a mut Value> {
    o.get_mut(k).filter(|v| v.is_object())
}

/// `o[k]` for writing, created as `{}` when absent or `null`; `None` when `o` is not an
/// object or `o[k]` has another type.
pub(crate) fn ensure_obj<'a>(o: &'a mut Value, k: &str) -> Option<&'a mut Value> {
    dflt(o, k, Value::Object(Map::new()));
    obj_mut(o, k)
}

/// The elements of array `o[k]` for writing (nothing when absent or not an array).
pub(crate) fn items_mut<'a>(o: &'a mut Value, k: &str) -> std::slice::IterMut<'a, Value> {
    match o.get_mut(k) {
        Some(Value::Array(a)) => a.iter_mut(),
        _ => [].iter_mut(),
    }
}

/// Follows `path` through objects for writing.
pub(crate) fn at_mut<'a>(o: &'a mut Value, path: &[&str]) -> Option<&'a mut Value> {
    let mut cur = o;
    for k in path {
        cur = obj_mut(cur, k)?;
    }
    Some(cur)
}

/// Follows `path` through objects for reading.
pub(crate) fn at<'a>(o: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = o;
    for k in path {
        cur = field(cur, k)?;
    }
    Some(cur)
}

/// Removes `o[k]` when `o` is an object.
pub(crate) fn remove(o: &mut Value, k: &str) {
    if let Value::Object(m) = o {
        m.remove(k);
    }
}

/// Sets `o[k] = v` when `o` is an object.
pub(crate) fn set(o: &mut Value, k: &str, v: Value) {
    if let Value::Object(m) = o {
        m.insert(k.to_string(), v);
    }
}

/// `o[k]` cloned, or `null`.
pub(crate) fn cloned(o: &Value, k: &str) -> Value {
    o.get(k).cloned().unwrap_or(Value::Null)
}

/// Semantic equality of two optional fields: absent, `null`, `{}` and `[]` are all "empty".
pub(crate) fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    normalize(a) == normalize(b)
}

fn normalize(v: Option<&Value>) -> Value {
    match v {
        None | Some(Value::Null) => Value::Null,
        Some(Value::Object(m)) => {
            let mut out = Map::new();
            for (k, v) in m {
                let n = normalize(Some(v));
                if !n.is_null() {
                    out.insert(k.clone(), n);
                }
            }
            if out.is_empty() {
                Value::Null
            } else {
                Value::Object(out)
            }
        }
        Some(Value::Array(a)) if a.is_empty() => Value::Null,
        Some(Value::Array(a)) => Value::Array(a.iter().map(|x| normalize(Some(x))).collect()),
        Some(Value::String(s)) if s.is_empty() => Value::Null,
        Some(Value::Bool(false)) => Value::Null,
        Some(other) => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_print_like_upstream() {
        let p = P::new("spec").child("containers").index(0).child("ports");
        assert_eq!(p.as_str(), "spec.containers[0].ports");
        assert_eq!(
            P::new("metadata").child("labels").key("app").as_str(),
            "metadata.labels[app]"
        );
        assert_eq!(P::new("").child("x").as_str(), "x");
    }

    #[test]
    fn wrong_types_become_errors() {
        let o = json!({"a": 5, "b": "x", "c": {"k": 1}});
        let mut e = Errs::new();
        assert_eq!(get_str(&o, "a", &P::new("spec"), &mut e), None);
        assert_eq!(get_i64(&o, "b", &P::new("spec"), &mut e), None);
        assert!(get_arr(&o, "c", &P::new("spec"), &mut e).is_empty());
        let m = get_str_map(&o, "c", &P::new("spec"), &mut e);
        assert_eq!(m.map(|m| m.len()), Some(0));
        assert_eq!(e.len(), 4);
        assert_eq!(
            e[0].to_string(),
            "spec.a: Invalid value: 5: must be of type string"
        );
        assert_eq!(e[3].field, "spec.c[k]");
    }

    #[test]
    fn same_treats_empty_as_absent() {
        assert!(same(None, Some(&json!({}))));
        assert!(same(Some(&json!({"a": []})), None));
        assert!(!same(Some(&json!({"a": 1})), None));
    }
}
