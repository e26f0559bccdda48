//! Structural defaulting (upstream's `schema/defaulting/algorithm.go` and
//! `prunenulls.go`): non-nullable `null`s without a default are removed first, then
//! every absent field (or non-nullable `null`) with a `default` gets a copy of it,
//! from the outside in, so defaults of defaulted objects apply too.

use serde_json::Value;

use crate::props::Props;

const MAX_DATA_DEPTH: usize = 512;

/// `PruneNonNullableNullsWithoutDefaults` followed by `Default`.
pub fn apply_defaults(obj: &mut Value, s: &Props) {
    prune_nulls(obj, Some(s), 0);
    default(obj, s, 0);
}

fn non_nullable_null(x: &Value, s: Option<&Props>) -> bool {
    x.is_null() && s.is_some_and(|s| !s.nullable)
}

/// `PruneNonNullableNullsWithoutDefaults`.
fn prune_nulls(x: &mut Value, s: Option<&Props>, depth: usize) {
    if depth > MAX_DATA_DEPTH {
        return;
    }
    match x {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                let schema = s.and_then(|s| s.field_schema(&k));
                let Some(v) = map.get_mut(&k) else { continue };
                if non_nullable_null(v, schema) && schema.is_some_and(|s| s.default.is_none()) {
                    map.remove(&k);
                } else if schema.is_some() {
                    prune_nulls(v, schema, depth + 1);
                }
            }
        }
        Value::Array(items) => {
            let schema = s.and_then(|s| s.items.as_deref());
            if schema.is_some() {
                for v in items {
                    prune_nulls(v, schema, depth + 1);
                }
            }
        }
        _ => {}
    }
}

/// `Default`.
fn default(x: &mut Value, s: &Props, depth: usize) {
    if depth > MAX_DATA_DEPTH {
        return;
    }
    match x {
        Value::Object(map) => {
            for (k, prop) in &s.properties {
                let Some(d) = &prop.default else { continue };
                let absent_or_null = map.get(k).is_none_or(|v| non_nullable_null(v, Some(prop)));
                if absent_or_null {
                    map.insert(k.clone(), d.clone());
                }
            }
            for (k, v) in map.iter_mut() {
                if let Some(prop) = s.properties.get(k) {
                    default(v, prop, depth + 1);
                } else if let Some(ap) = s.additional_schema() {
                    if non_nullable_null(v, Some(ap))
                        && let Some(d) = &ap.default
                    {
                        *v = d.clone();
                    }
                    default(v, ap, depth + 1);
                }
            }
        }
        Value::Array(items) => {
            let Some(item_schema) = s.items.as_deref() else {
                return;
            };
            for v in items {
                if non_nullable_null(v, Some(item_schema))
                    && let Some(d) = &item_schema.default
                {
                    *v = d.clone();
                }
                default(v, item_schema, depth + 1);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::path::FieldPath;
    use serde_json::json;

    #[test]
    fn defaults_and_nulls() {
        let s = Props::decode(
            &json!({"type": "object", "properties": {"spec": {"type": "object", "default": {}, "properties": {
                "size": {"type": "integer", "default": 3},
                "mode": {"type": "string"},
                "opt": {"type": "string", "nullable": true},
                "ports": {"type": "array", "items": {"type": "object", "properties": {
                    "proto": {"type": "string", "default": "TCP"}}}}}}}}),
            &FieldPath::default(),
            &mut Vec::new(),
        );
        let mut obj = json!({"kind": "K"});
        apply_defaults(&mut obj, &s);
        assert_eq!(obj, json!({"kind": "K", "spec": {"size": 3}}));
        let mut obj = json!({"spec": {"size": null, "mode": null, "opt": null, "ports": [{}, {"proto": "UDP"}]}});
        apply_defaults(&mut obj, &s);
        assert_eq!(
            obj,
            json!({"spec": {"size": 3, "opt": null, "ports": [{"proto": "TCP"}, {"proto": "UDP"}]}})
        );
    }
}
