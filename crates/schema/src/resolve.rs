//! Resolves the published definitions into the arena model ([`Schemas`]): one node per
//! definition (shared by every `$ref` to it, so recursion is fine), inline nodes for
//! inline schemas, and a wrapper node where a property adds extensions beside a `$ref`.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::model::{ListType, NodeId, NodeKind, ScalarType, SchemaNode, Schemas};
use crate::spec::Spec;

/// Deepest inline nesting resolved; deeper schemas become `Any`.
const MAX_DEPTH: usize = 256;

const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";

struct Resolver {
    schemas: Schemas,
    ids: HashMap<String, NodeId>,
    /// Wrapper nodes to complete from their target once every definition is filled.
    wrappers: Vec<(NodeId, NodeId)>,
}

/// Builds the model of every definition in `spec` and registers each kind's root.
pub(crate) fn build(spec: &Spec) -> Schemas {
    let mut r = Resolver {
        schemas: Schemas::new(),
        ids: HashMap::new(),
        wrappers: Vec::new(),
    };
    for name in spec.defs.keys() {
        let mut placeholder = SchemaNode::of(NodeKind::Any);
        placeholder.definition = Some(name.clone());
        let id = r.schemas.add(placeholder);
        r.ids.insert(name.clone(), id);
    }
    for (name, def) in &spec.defs {
        // Built-in objects without properties (RawExtension, FieldsV1, Patch) hold
        // anything; a custom object without properties keeps nothing (pruning).
        let free_form = !spec.custom_defs.contains(name);
        let mut node = r.node(def, free_form, 0);
        node.definition = Some(name.clone());
        if name == QUANTITY {
            node.kind = NodeKind::Scalar(ScalarType::IntOrString);
        }
        if let Some(id) = r.ids.get(name).copied() {
            r.schemas.set(id, node);
        }
    }
    for (wrapper, target) in std::mem::take(&mut r.wrappers) {
        let t = r.schemas.get(target).clone();
        let mut w = r.schemas.get(wrapper).clone();
        w.kind = t.kind;
        w.patch_strategy = w.patch_strategy.or(t.patch_strategy);
        w.patch_merge_key = w.patch_merge_key.or(t.patch_merge_key);
        w.list_type = w.list_type.or(t.list_type);
        w.map_atomic |= t.map_atomic;
        w.preserve_unknown_fields |= t.preserve_unknown_fields;
        w.embedded_resource |= t.embedded_resource;
        w.nullable |= t.nullable;
        if w.enum_values.is_empty() {
            w.enum_values = t.enum_values;
        }
        r.schemas.set(wrapper, w);
    }
    for ((g, v, k), def) in &spec.kinds {
        if let Some(id) = r.ids.get(def) {
            r.schemas.register_gvk(g, v, k, *id);
        }
    }
    r.schemas
}

impl Resolver {
    /// The node id of a schema in property/item/value position.
    fn child(&mut self, schema: &Value, free_form: bool, depth: usize) -> NodeId {
        if let Some(target) = ref_target(schema) {
            let target = self.ids.get(target).copied();
            let extended = schema.as_object().is_some_and(|o| {
                o.keys()
                    .any(|k| k.starts_with("x-kubernetes-") || k == "nullable")
            });
            return match (target, extended) {
                (Some(t), false) => t,
                (Some(t), true) => {
                    let mut w = SchemaNode::of(NodeKind::Any);
                    if let Some(obj) = schema.as_object() {
                        extensions(obj, &mut w);
                    }
                    let id = self.schemas.add(w);
                    self.wrappers.push((id, t));
                    id
                }
                (None, _) => self.schemas.add(SchemaNode::of(NodeKind::Any)),
            };
        }
        let node = self.node(schema, free_form, depth);
        self.schemas.add(node)
    }

    /// A node for an inline schema (children are added to the arena).
    fn node(&mut self, schema: &Value, free_form: bool, depth: usize) -> SchemaNode {
        let Some(obj) = schema.as_object() else {
            // `true` (or anything unexpected) allows anything.
            return SchemaNode::of(NodeKind::Any);
        };
        if depth > MAX_DEPTH {
            return SchemaNode::of(NodeKind::Any);
        }
        let ty = obj.get("type").and_then(Value::as_str);
        let int_or_string = obj.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true))
            || obj.get("format").and_then(Value::as_str) == Some("int-or-string");
        let props = obj.get("properties").and_then(Value::as_object);
        let additional = obj.get("additionalProperties");
        let kind = if int_or_string {
            NodeKind::Scalar(ScalarType::IntOrString)
        } else {
            match ty {
                Some("string") => NodeKind::Scalar(ScalarType::String),
                Some("integer") => NodeKind::Scalar(ScalarType::Integer),
                Some("number") => NodeKind::Scalar(ScalarType::Number),
                Some("boolean") => NodeKind::Scalar(ScalarType::Boolean),
                Some("array") => {
                    let items = match obj.get("items") {
                        Some(Value::Array(tuple)) => tuple.first().cloned(),
                        other => other.cloned(),
                    };
                    let items = match items {
                        Some(s) => self.child(&s, free_form, depth + 1),
                        None => self.schemas.add(SchemaNode::of(NodeKind::Any)),
                    };
                    NodeKind::Array { items }
                }
                Some("object") => self.object(obj, free_form, depth),
                None if props.is_some() || additional.is_some() => {
                    self.object(obj, free_form, depth)
                }
                _ => NodeKind::Any,
            }
        };
        let mut node = SchemaNode::of(kind);
        extensions(obj, &mut node);
        if free_form
            && let NodeKind::Object {
                properties,
                additional: None,
                ..
            } = &node.kind
            && properties.is_empty()
        {
            node.preserve_unknown_fields = true;
        }
        node
    }

    fn object(&mut self, obj: &Map<String, Value>, free_form: bool, depth: usize) -> NodeKind {
        let mut properties = std::collections::BTreeMap::new();
        if let Some(props) = obj.get("properties").and_then(Value::as_object) {
            for (name, schema) in props {
                let id = self.child(schema, free_form, depth + 1);
                properties.insert(name.clone(), id);
            }
        }
        let additional = match obj.get("additionalProperties") {
            Some(Value::Bool(true)) => Some(self.schemas.add(SchemaNode::of(NodeKind::Any))),
            Some(s @ Value::Object(_)) => Some(self.child(s, free_form, depth + 1)),
            _ => None,
        };
        let required = obj
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        NodeKind::Object {
            properties,
            additional,
            required,
        }
    }
}

/// The definition a `$ref` schema points at.
fn ref_target(schema: &Value) -> Option<&str> {
    schema.get("$ref")?.as_str()?.strip_prefix("#/definitions/")
}

/// Copies the Kubernetes extensions (and `nullable`, `default`, `enum`) onto a node.
fn extensions(obj: &Map<String, Value>, node: &mut SchemaNode) {
    let s = |k: &str| obj.get(k).and_then(Value::as_str).map(String::from);
    let flag = |k: &str| obj.get(k) == Some(&Value::Bool(true));
    node.patch_strategy = s("x-kubernetes-patch-strategy");
    node.patch_merge_key = s("x-kubernetes-patch-merge-key");
    node.list_type = match obj.get("x-kubernetes-list-type").and_then(Value::as_str) {
        Some("atomic") => Some(ListType::Atomic),
        Some("set") => Some(ListType::Set),
        Some("map") => {
            let keys = obj
                .get("x-kubernetes-list-map-keys")
                .and_then(Value::as_array)
                .map(|k| {
                    k.iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default();
            Some(ListType::Map(keys))
        }
        _ => None,
    };
    node.map_atomic = s("x-kubernetes-map-type").as_deref() == Some("atomic");
    node.preserve_unknown_fields = flag("x-kubernetes-preserve-unknown-fields");
    node.embedded_resource = flag("x-kubernetes-embedded-resource");
    node.nullable = flag("nullable");
    node.default = obj.get("default").cloned();
    node.enum_values = obj
        .get("enum")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
}
