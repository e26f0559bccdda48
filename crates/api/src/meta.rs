//! Accessors for `metadata` of objects held as `serde_json::Value`.

use serde_json::{Map, Value};

/// `metadata.<field>` as a string, or "".
pub fn meta_str<'a>(obj: &'a Value, field: &str) -> &'a str {
    obj.get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_str)
        .unwrap_or("")
}

pub fn name(obj: &Value) -> &str {
    meta_str(obj, "name")
}

pub fn namespace(obj: &Value) -> &str {
    meta_str(obj, "namespace")
}

pub fn uid(obj: &Value) -> &str {
    meta_str(obj, "uid")
}

pub fn resource_version(obj: &Value) -> &str {
    meta_str(obj, "resourceVersion")
}

/// `metadata` as a mutable map, created if missing or not an object.
pub fn metadata_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.is_object() {
        *obj = Value::Object(Map::new());
    }
    let Value::Object(map) = obj else {
        unreachable!("made an object just above")
    };
    let md = map
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !md.is_object() {
        *md = Value::Object(Map::new());
    }
    match md {
        Value::Object(m) => m,
        _ => unreachable!("made an object just above"),
    }
}

/// `metadata.labels` (empty map if absent).
pub fn labels(obj: &Value) -> Map<String, Value> {
    obj.get("metadata")
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// `metadata.finalizers` as strings.
pub fn finalizers(obj: &Value) -> Vec<String> {
    obj.get("metadata")
        .and_then(|m| m.get("finalizers"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Reads a nested field by path segments.
pub fn path<'a>(obj: &'a Value, segments: &[&str]) -> Option<&'a Value> {
    let mut cur = obj;
    for s in segments {
        cur = cur.get(*s)?;
    }
    Some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metadata_mut_repairs_non_objects() {
        let mut v = json!({"metadata": 5});
        metadata_mut(&mut v).insert("name".into(), json!("a"));
        assert_eq!(name(&v), "a");
        let mut w = json!(null);
        metadata_mut(&mut w).insert("namespace".into(), json!("ns"));
        assert_eq!(namespace(&w), "ns");
    }
}

/// Drops the metadata lists and maps that are empty, as upstream's `omitempty` JSON does:
/// an SMP that removes the last finalizer leaves no `finalizers: []` behind.
pub fn drop_empty_metadata(obj: &mut Value) {
    let Some(md) = obj.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    for key in [
        "finalizers",
        "ownerReferences",
        "labels",
        "annotations",
        "managedFields",
    ] {
        let empty = match md.get(key) {
            Some(Value::Array(a)) => a.is_empty(),
            Some(Value::Object(o)) => o.is_empty(),
            Some(Value::Null) => true,
            _ => false,
        };
        if empty {
            md.remove(key);
        }
    }
}

#[cfg(test)]
mod drop_empty_tests {
    use super::drop_empty_metadata;
    use serde_json::json;

    #[test]
    fn empty_lists_and_maps_go_and_the_rest_stays() {
        let mut o = json!({"metadata": {"name": "a", "finalizers": [], "labels": {},
            "annotations": {"k": "v"}, "ownerReferences": null}});
        drop_empty_metadata(&mut o);
        assert_eq!(
            o,
            json!({"metadata": {"name": "a", "annotations": {"k": "v"}}})
        );
    }
}
