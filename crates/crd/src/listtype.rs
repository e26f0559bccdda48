//! `x-kubernetes-list-type` invariants on custom objects (upstream's
//! `schema/listtype/validation.go`): items of a `set` are unique, items of a `map` are
//! objects with unique key tuples. Only the second occurrence of a value is reported.

use std::collections::HashMap;

use kubehci_api::FieldError;
use serde_json::{Map, Value};

use crate::path::FieldPath;
use crate::props::{MAX_SCHEMA_DEPTH, Props};

/// `ValidateListSetsAndMaps(nil, schema, obj)`.
pub fn validate_list_types(s: &Props, obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Value::Object(map) = obj {
        in_map(&FieldPath::default(), s, map, &mut errs, 0);
    }
    errs
}

fn in_map(
    path: &FieldPath,
    s: &Props,
    obj: &Map<String, Value>,
    errs: &mut Vec<FieldError>,
    depth: usize,
) {
    if depth > MAX_SCHEMA_DEPTH {
        return;
    }
    if let Some(ap) = s.additional_schema() {
        for (k, v) in obj {
            in_value(&path.key(k), ap, v, errs, depth + 1);
        }
    }
    for (k, v) in obj {
        if let Some(sub) = s.properties.get(k) {
            in_value(&path.child(k), sub, v, errs, depth + 1);
        }
    }
}

fn in_value(path: &FieldPath, s: &Props, v: &Value, errs: &mut Vec<FieldError>, depth: usize) {
    match v {
        Value::Array(items) => in_array(path, s, items, errs, depth),
        Value::Object(map) => in_map(path, s, map, errs, depth),
        _ => {}
    }
}

fn in_array(
    path: &FieldPath,
    s: &Props,
    items: &[Value],
    errs: &mut Vec<FieldError>,
    depth: usize,
) {
    match s.x_list_type.as_deref() {
        Some("set") => {
            for i in second_occurrences(items.iter().map(canonical)) {
                if let Some(item) = items.get(i) {
                    errs.push(FieldError::duplicate(path.index(i).as_str(), item.clone()));
                }
            }
        }
        Some("map") => errs.extend(list_map(path, &s.x_list_map_keys, items)),
        _ => {}
    }
    if let Some(item_schema) = &s.items {
        for (i, item) in items.iter().enumerate() {
            in_value(&path.index(i), item_schema, item, errs, depth + 1);
        }
    }
}

fn list_map(path: &FieldPath, keys: &[String], items: &[Value]) -> Vec<FieldError> {
    for (i, x) in items.iter().enumerate() {
        if !x.is_null() && !x.is_object() {
            return vec![FieldError::invalid(
                path.index(i).as_str(),
                x.clone(),
                "must be an object for an array of list-type map",
            )];
        }
    }
    if items.len() <= 1 {
        return Vec::new();
    }
    // The key tuple of each item: only the key fields it sets (a null item sets none).
    let tuples: Vec<Map<String, Value>> = items
        .iter()
        .map(|x| {
            keys.iter()
                .filter_map(|k| {
                    x.as_object()
                        .and_then(|m| m.get(k))
                        .map(|v| (k.clone(), v.clone()))
                })
                .collect()
        })
        .collect();
    let canon = tuples.iter().map(|t| {
        if let [single] = keys {
            // One key: compare the key value itself; "unset" is its own value.
            t.get(single)
                .map_or_else(|| "\u{0}unset".to_string(), canonical)
        } else {
            canonical(&Value::Object(t.clone()))
        }
    });
    second_occurrences(canon)
        .into_iter()
        .filter_map(|i| {
            tuples
                .get(i)
                .map(|t| FieldError::duplicate(path.index(i).as_str(), Value::Object(t.clone())))
        })
        .collect()
}

/// Indices where a value is seen for the second time.
fn second_occurrences(values: impl Iterator<Item = String>) -> Vec<usize> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for (i, v) in values.enumerate() {
        let n = seen.entry(v).or_insert(0);
        *n += 1;
        if *n == 2 {
            out.push(i);
        }
    }
    out
}

/// JSON with sorted object keys (as Go's `json.Marshal` of a map prints it), so equal
/// values compare equal whatever their key order. Integers and floats stay distinct.
pub fn canonical(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out, 0);
    out
}

fn write_canonical(v: &Value, out: &mut String, depth: usize) {
    if depth > 256 {
        out.push('…');
        return;
    }
    match v {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out, depth + 1);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                if let Some(val) = map.get(k) {
                    write_canonical(val, out, depth + 1);
                }
            }
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(v: Value) -> Props {
        Props::decode(&v, &FieldPath::default(), &mut Vec::new())
    }

    #[test]
    fn sets_and_maps() {
        let s = schema(json!({"type": "object", "properties": {
            "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
            "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                      "items": {"type": "object", "properties": {"name": {"type": "string"}}}}}}));
        let obj = json!({"tags": ["a", "b", "a", "a"], "ports": [{"name": "x"}, {"name": "x", "p": 1}, {}, {}]});
        let errs: Vec<String> = validate_list_types(&s, &obj)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errs,
            vec![
                "tags[2]: Duplicate value: \"a\"",
                "ports[1]: Duplicate value: {\"name\":\"x\"}",
                "ports[3]: Duplicate value: {}",
            ]
        );
        assert_eq!(
            canonical(&json!({"b": 1, "a": [1.0]})),
            "{\"a\":[1.0],\"b\":1}"
        );
    }
}
