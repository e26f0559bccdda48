//! Pruning of unknown fields (upstream's `schema/pruning/algorithm.go`): object fields
//! neither in `properties` nor covered by `additionalProperties` are dropped, except
//! under `x-kubernetes-preserve-unknown-fields`; `apiVersion`, `kind` and `metadata`
//! survive at the root and in embedded resources, whose `metadata` is then cut down to
//! `ObjectMeta`'s fields. The dropped paths come back sorted (`spec.foo`,
//! `spec.items[0].bar`) for strict field validation's `unknown field "..."` messages.

use serde_json::{Map, Value};

use crate::embedded::drop_unknown_meta_fields;
use crate::props::Props;

const META_FIELDS: &[&str] = &["apiVersion", "kind", "metadata"];

/// Data deeper than this is left as it is (JSON decoding already stops at 128).
const MAX_DATA_DEPTH: usize = 512;

/// Prunes `obj` against its schema; returns the dropped paths. A resource root
/// (`is_resource_root`) keeps `apiVersion`, `kind` and `metadata` like an embedded one.
pub fn prune(obj: &mut Value, s: &Props, is_resource_root: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut p = Pruner { out: &mut out };
    let embedded = is_resource_root || s.x_embedded_resource;
    if s.preserves() {
        p.skip(obj, Some(s), embedded, "", 0);
    } else {
        p.prune(obj, Some(s), embedded, "", 0);
    }
    out.sort();
    out
}

struct Pruner<'a> {
    out: &'a mut Vec<String>,
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

impl Pruner<'_> {
    /// `prune(x, s)`; `embedded` is the node's `x-kubernetes-embedded-resource` (forced
    /// for the resource root).
    fn prune(
        &mut self,
        x: &mut Value,
        s: Option<&Props>,
        embedded: bool,
        path: &str,
        depth: usize,
    ) {
        if depth > MAX_DATA_DEPTH {
            return;
        }
        if let Some(s) = s.filter(|s| s.preserves()) {
            self.skip(x, Some(s), embedded, path, depth);
            return;
        }
        match x {
            Value::Object(map) => {
                let Some(s) = s else {
                    for k in map.keys() {
                        self.out.push(join(path, k));
                    }
                    map.clear();
                    return;
                };
                let keys: Vec<String> = map.keys().cloned().collect();
                for k in keys {
                    if embedded && META_FIELDS.contains(&k.as_str()) {
                        continue;
                    }
                    let child = join(path, &k);
                    if let Some(prop) = s.properties.get(&k) {
                        if let Some(v) = map.get_mut(&k) {
                            self.prune(v, Some(prop), prop.x_embedded_resource, &child, depth + 1);
                        }
                    } else if let Some(ap) = &s.additional_properties {
                        let schema = ap.schema.as_deref();
                        if let Some(v) = map.get_mut(&k) {
                            self.prune(
                                v,
                                schema,
                                schema.is_some_and(|a| a.x_embedded_resource),
                                &child,
                                depth + 1,
                            );
                        }
                    } else {
                        if !META_FIELDS.contains(&k.as_str()) || !path.is_empty() {
                            self.out.push(child);
                        }
                        map.remove(&k);
                    }
                }
                self.coerce_meta(map, embedded, path);
            }
            Value::Array(items) => {
                let item_schema = s.and_then(|s| s.items.as_deref());
                let embedded_items = item_schema.is_some_and(|i| i.x_embedded_resource);
                for (i, v) in items.iter_mut().enumerate() {
                    self.prune(
                        v,
                        item_schema,
                        embedded_items,
                        &format!("{path}[{i}]"),
                        depth + 1,
                    );
                }
            }
            _ => {}
        }
    }

    /// `skipPrune`: keeps unknown fields but still prunes inside known ones.
    fn skip(&mut self, x: &mut Value, s: Option<&Props>, embedded: bool, path: &str, depth: usize) {
        let Some(s) = s else { return };
        if depth > MAX_DATA_DEPTH {
            return;
        }
        match x {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if embedded && META_FIELDS.contains(&k.as_str()) {
                        continue;
                    }
                    let child = join(path, k);
                    if let Some(prop) = s.properties.get(k) {
                        self.prune(v, Some(prop), prop.x_embedded_resource, &child, depth + 1);
                    } else if let Some(ap) = &s.additional_properties {
                        let schema = ap.schema.as_deref();
                        self.prune(
                            v,
                            schema,
                            schema.is_some_and(|a| a.x_embedded_resource),
                            &child,
                            depth + 1,
                        );
                    }
                }
                self.coerce_meta(map, embedded, path);
            }
            Value::Array(items) => {
                let item_schema = s.items.as_deref();
                let embedded_items = item_schema.is_some_and(|i| i.x_embedded_resource);
                for (i, v) in items.iter_mut().enumerate() {
                    self.skip(
                        v,
                        item_schema,
                        embedded_items,
                        &format!("{path}[{i}]"),
                        depth + 1,
                    );
                }
            }
            _ => {}
        }
    }

    /// Embedded resources (not the root, whose metadata the server owns) keep only
    /// `ObjectMeta` fields in their `metadata`.
    fn coerce_meta(&mut self, map: &mut Map<String, Value>, embedded: bool, path: &str) {
        if embedded && !path.is_empty() {
            self.out.extend(drop_unknown_meta_fields(map, path));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::path::FieldPath;
    use serde_json::json;

    fn schema(v: Value) -> Props {
        Props::decode(&v, &FieldPath::default(), &mut Vec::new())
    }

    #[test]
    fn prunes_unknown_and_keeps_preserved() {
        let s = schema(json!({"type": "object", "properties": {
            "spec": {"type": "object", "properties": {
                "a": {"type": "string"},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                         "properties": {"inner": {"type": "object", "properties": {"x": {"type": "string"}}}}},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "list": {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "string"}}}},
                "tmpl": {"type": "object", "x-kubernetes-embedded-resource": true,
                         "properties": {"spec": {"type": "object"}}}}}}}));
        let mut obj = json!({"apiVersion": "x/v1", "kind": "K", "metadata": {"name": "n", "zz": 1}, "top": 1,
            "spec": {"a": "1", "b": 2, "free": {"any": 1, "inner": {"x": "1", "y": 2}},
                     "labels": {"k": "v"}, "list": [{"n": "1", "m": 2}],
                     "tmpl": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "junk": 1}, "spec": {}, "other": 1}}});
        let dropped = prune(&mut obj, &s, true);
        assert_eq!(
            dropped,
            vec![
                "spec.b",
                "spec.free.inner.y",
                "spec.list[0].m",
                "spec.tmpl.metadata.junk",
                "spec.tmpl.other",
                "top"
            ]
        );
        assert_eq!(obj["metadata"]["zz"], 1);
        assert_eq!(obj["spec"]["free"]["any"], 1);
        assert_eq!(obj["spec"]["tmpl"]["kind"], "Pod");
    }
}
