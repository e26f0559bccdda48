//! The Kubernetes OpenAPI extensions that k8s-openapi's schemas lack: patch strategies,
//! merge keys, list types, list-map keys and map types of built-in definitions.
//!
//! The facts live in three text tables (`table_*.rs`) in this notation:
//!
//! - A line starting in column 0 names a definition. `core.v1.PodSpec` is short for
//!   `io.k8s.api.core.v1.PodSpec`; a name starting with `io.` is complete. It may be
//!   followed by `map-atomic` or `map-granular` (the definition's `x-kubernetes-map-type`).
//! - An indented line names one property of that definition, then words:
//!   - `atomic`, `set`, `map(k1,k2)`: `x-kubernetes-list-type` (and `-list-map-keys`);
//!   - `merge`, `retainKeys`, `replace`, `merge,retainKeys`, each optionally followed by
//!     `(key)`: `x-kubernetes-patch-strategy` (and `-patch-merge-key`);
//!   - `map-atomic`, `map-granular`: `x-kubernetes-map-type` of the property.

mod table_apis;
mod table_core;
mod table_extra;

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Value, json};

/// Extension facts of one property.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FieldFacts {
    pub list_type: Option<&'static str>,
    pub map_keys: Vec<&'static str>,
    pub patch_strategy: Option<&'static str>,
    pub merge_key: Option<&'static str>,
    pub map_type: Option<&'static str>,
}

impl FieldFacts {
    /// Writes the facts as `x-kubernetes-*` keys into a property schema.
    fn write(&self, schema: &mut serde_json::Map<String, Value>) {
        if let Some(t) = self.list_type {
            schema.insert("x-kubernetes-list-type".into(), json!(t));
        }
        if !self.map_keys.is_empty() {
            schema.insert("x-kubernetes-list-map-keys".into(), json!(self.map_keys));
        }
        if let Some(s) = self.patch_strategy {
            schema.insert("x-kubernetes-patch-strategy".into(), json!(s));
        }
        if let Some(k) = self.merge_key {
            schema.insert("x-kubernetes-patch-merge-key".into(), json!(k));
        }
        if let Some(m) = self.map_type {
            schema.insert("x-kubernetes-map-type".into(), json!(m));
        }
    }
}

/// Extension facts of one definition.
#[derive(Debug, Clone, Default)]
pub(crate) struct DefFacts {
    pub map_type: Option<&'static str>,
    pub fields: Vec<(&'static str, FieldFacts)>,
}

/// All facts, keyed by full definition name.
#[derive(Debug, Default)]
pub(crate) struct Facts {
    defs: HashMap<String, DefFacts>,
    /// Table lines that did not parse (a unit test keeps this empty).
    errors: Vec<String>,
}

impl Facts {
    fn parse(tables: &[&'static str]) -> Self {
        let mut facts = Facts::default();
        for table in tables {
            let mut current: Option<String> = None;
            for line in table.lines().filter(|l| !l.trim().is_empty()) {
                let indented = line.starts_with(' ');
                let mut words = line.split_whitespace();
                let Some(first) = words.next() else { continue };
                if !indented {
                    let name = full_name(first);
                    let entry = facts.defs.entry(name.clone()).or_default();
                    for w in words {
                        match w.strip_prefix("map-") {
                            Some(m) => entry.map_type = Some(m),
                            None => facts.errors.push(line.to_string()),
                        }
                    }
                    current = Some(name);
                    continue;
                }
                let Some(def) = current.as_ref().and_then(|n| facts.defs.get_mut(n)) else {
                    facts.errors.push(line.to_string());
                    continue;
                };
                match parse_field(words) {
                    Some(f) => def.fields.push((first, f)),
                    None => facts.errors.push(line.to_string()),
                }
            }
        }
        facts
    }

    #[cfg(test)]
    pub fn get(&self, definition: &str) -> Option<&DefFacts> {
        self.defs.get(definition)
    }

    /// Adds the extensions known for `name` to its (v2-shaped) definition.
    pub fn apply(&self, name: &str, def: &mut Value) {
        let Some(facts) = self.defs.get(name) else {
            return;
        };
        let Some(obj) = def.as_object_mut() else {
            return;
        };
        if let Some(m) = facts.map_type {
            obj.insert("x-kubernetes-map-type".into(), json!(m));
        }
        let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) else {
            return;
        };
        for (field, f) in &facts.fields {
            if let Some(p) = props.get_mut(*field).and_then(Value::as_object_mut) {
                f.write(p);
            }
        }
    }

    #[cfg(test)]
    pub fn errors(&self) -> &[String] {
        &self.errors
    }
}

fn full_name(short: &str) -> String {
    if short.starts_with("io.") {
        short.to_string()
    } else {
        format!("io.k8s.api.{short}")
    }
}

fn parse_field(words: impl Iterator<Item = &'static str>) -> Option<FieldFacts> {
    let mut f = FieldFacts::default();
    for w in words {
        if let Some(m) = w.strip_prefix("map-") {
            f.map_type = Some(m);
        } else if let Some(keys) = w.strip_prefix("map(").and_then(|r| r.strip_suffix(')')) {
            f.list_type = Some("map");
            f.map_keys = keys.split(',').collect();
        } else if w == "atomic" || w == "set" {
            f.list_type = Some(w);
        } else {
            let (strategy, key) = match w.split_once('(') {
                Some((s, rest)) => (s, Some(rest.strip_suffix(')')?)),
                None => (w, None),
            };
            let known = ["merge", "retainKeys", "replace", "merge,retainKeys"];
            if !known.contains(&strategy) {
                return None;
            }
            f.patch_strategy = Some(strategy);
            f.merge_key = key;
        }
    }
    Some(f)
}

/// The parsed fact tables (parsed once).
pub(crate) fn facts() -> &'static Facts {
    static FACTS: OnceLock<Facts> = OnceLock::new();
    FACTS.get_or_init(|| {
        let facts = Facts::parse(&[table_core::FACTS, table_apis::FACTS, table_extra::FACTS]);
        for bad in &facts.errors {
            tracing::warn!(line = %bad, "unparsable extension fact");
        }
        facts
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn tables_parse_cleanly() {
        assert!(facts().errors().is_empty(), "{:?}", facts().errors());
        let pod = facts().get("io.k8s.api.core.v1.PodSpec").expect("PodSpec");
        let (_, containers) = pod
            .fields
            .iter()
            .find(|(n, _)| *n == "containers")
            .expect("c");
        assert_eq!(containers.list_type, Some("map"));
        assert_eq!(containers.map_keys, vec!["name"]);
        assert_eq!(containers.patch_strategy, Some("merge"));
        assert_eq!(containers.merge_key, Some("name"));
        let (_, volumes) = pod.fields.iter().find(|(n, _)| *n == "volumes").expect("v");
        assert_eq!(volumes.patch_strategy, Some("merge,retainKeys"));
        let meta = facts()
            .get("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
            .expect("m");
        let (_, fin) = meta
            .fields
            .iter()
            .find(|(n, _)| *n == "finalizers")
            .expect("f");
        assert_eq!(
            (fin.list_type, fin.patch_strategy, fin.merge_key),
            (Some("set"), Some("merge"), None)
        );
        let sel = facts()
            .get("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector")
            .expect("s");
        assert_eq!(sel.map_type, Some("atomic"));
    }

    #[test]
    fn apply_writes_property_and_definition_extensions() {
        let mut def = json!({"properties": {"finalizers": {"type": "array"}}});
        facts().apply("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", &mut def);
        assert_eq!(
            def["properties"]["finalizers"]["x-kubernetes-list-type"],
            "set"
        );
        assert_eq!(
            def["properties"]["finalizers"]["x-kubernetes-patch-strategy"],
            "merge"
        );
        let mut sel = json!({"type": "object"});
        facts().apply(
            "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector",
            &mut sel,
        );
        assert_eq!(sel["x-kubernetes-map-type"], "atomic");
    }
}
