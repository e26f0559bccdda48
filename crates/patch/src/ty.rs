//! A cursor into [`Schemas`] that answers the two questions patching asks of a schema:
//! the strategic-merge-patch metadata of a field (`x-kubernetes-patch-strategy`,
//! `x-kubernetes-patch-merge-key`) and the structured-merge-diff shape of a value (map or
//! list, atomic or granular, list keys), the way `k8s.io/kube-openapi/pkg/schemaconv` turns
//! OpenAPI into SMD types. Parts without a schema are "deduced" from the value, as SMD's
//! `DeducedParseableType` does: maps granular, lists atomic.

use kubehci_schema::{ListType, NodeId, NodeKind, SchemaNode, Schemas};
use serde_json::Value;

/// The optional schema every public entry point takes: `None` means untyped.
pub type SchemaRef<'a> = Option<(&'a Schemas, NodeId)>;

/// A position in a schema, or untyped.
#[derive(Clone, Copy)]
pub(crate) struct Ty<'a> {
    schemas: Option<&'a Schemas>,
    node: Option<NodeId>,
}

/// How a list's items are identified (SMD `ElementRelationship` + keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ListRel {
    /// Replaced as a whole.
    Atomic,
    /// Associative list of scalars, identified by value (`v:`).
    Set,
    /// Associative list of maps identified by these fields (`k:`).
    Map(Vec<String>),
}

/// The SMD atom a value is handled as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Atom {
    Scalar,
    Map { atomic: bool },
    List(ListRel),
}

impl<'a> Ty<'a> {
    pub(crate) fn new(schema: SchemaRef<'a>) -> Self {
        match schema {
            Some((s, id)) => Ty {
                schemas: Some(s),
                node: Some(id),
            },
            None => Ty::untyped(),
        }
    }

    pub(crate) fn untyped() -> Self {
        Ty {
            schemas: None,
            node: None,
        }
    }

    pub(crate) fn is_typed(&self) -> bool {
        self.node.is_some()
    }

    pub(crate) fn node(&self) -> Option<&'a SchemaNode> {
        let s = self.schemas?;
        let id = self.node?;
        // `NodeId`s reach us from the same arena (`for_gvk`, `field`, `items`), so `get`'s
        // index is in bounds; a foreign id would be a caller bug, not client input.
        Some(s.get(id))
    }

    fn with(&self, id: Option<NodeId>) -> Self {
        match id {
            Some(_) => Ty {
                schemas: self.schemas,
                node: id,
            },
            None => Ty::untyped(),
        }
    }

    /// Free-form object: no declared properties and no value schema.
    fn free_form(node: &SchemaNode) -> bool {
        match &node.kind {
            NodeKind::Any => true,
            NodeKind::Object {
                properties,
                additional,
                ..
            } => properties.is_empty() && additional.is_none(),
            _ => false,
        }
    }

    /// Schema of map key `name`: its property, else the map's value schema, else untyped.
    pub(crate) fn field(&self, name: &str) -> Self {
        match self.node().map(|n| &n.kind) {
            Some(NodeKind::Object {
                properties,
                additional,
                ..
            }) => self.with(properties.get(name).copied().or(*additional)),
            _ => Ty::untyped(),
        }
    }

    /// Whether `name` is a declared property (SMD `FindField`).
    pub(crate) fn declares(&self, name: &str) -> bool {
        matches!(self.node().map(|n| &n.kind), Some(NodeKind::Object { properties, .. }) if properties.contains_key(name))
    }

    /// Whether a key the schema does not declare is an error (closed struct).
    pub(crate) fn rejects_unknown(&self, name: &str) -> bool {
        match self.node() {
            Some(n) => match &n.kind {
                NodeKind::Object {
                    properties,
                    additional,
                    ..
                } => {
                    !properties.is_empty()
                        && additional.is_none()
                        && !n.preserve_unknown_fields
                        && !properties.contains_key(name)
                }
                _ => false,
            },
            None => false,
        }
    }

    /// Item schema of a list, else untyped.
    pub(crate) fn items(&self) -> Self {
        match self.node().map(|n| &n.kind) {
            Some(NodeKind::Array { items }) => self.with(Some(*items)),
            _ => Ty::untyped(),
        }
    }

    /// `default` of field `name` of this map schema (SMD uses it for omitted list keys).
    pub(crate) fn field_default(&self, name: &str) -> Option<&'a Value> {
        let f = self.field(name);
        if self.declares(name) {
            f.node().and_then(|n| n.default.as_ref())
        } else {
            None
        }
    }

    /// Patch strategies (comma-split `x-kubernetes-patch-strategy`) and merge key.
    pub(crate) fn patch_meta(&self) -> (Vec<String>, String) {
        match self.node() {
            Some(n) => (
                n.patch_strategy
                    .as_deref()
                    .map(|s| {
                        s.split(',')
                            .map(|p| p.trim().to_string())
                            .filter(|p| !p.is_empty())
                            .collect()
                    })
                    .unwrap_or_default(),
                n.patch_merge_key.clone().unwrap_or_default(),
            ),
            None => (Vec::new(), String::new()),
        }
    }

    /// SMD list relationship of this (list) schema, as `schemaconv` derives it.
    pub(crate) fn list_rel(&self) -> ListRel {
        let Some(n) = self.node() else {
            return ListRel::Atomic;
        };
        match &n.list_type {
            Some(ListType::Atomic) => ListRel::Atomic,
            Some(ListType::Set) => ListRel::Set,
            Some(ListType::Map(keys)) if keys.is_empty() => ListRel::Set,
            Some(ListType::Map(keys)) => ListRel::Map(keys.clone()),
            None => {
                let (strategies, key) = self.patch_meta();
                if strategies.iter().any(|s| s == "merge") {
                    if key.is_empty() {
                        ListRel::Set
                    } else {
                        ListRel::Map(vec![key])
                    }
                } else {
                    ListRel::Atomic
                }
            }
        }
    }

    /// The atom `v` is handled as (SMD `deduceAtom` over the resolved schema). A value of the
    /// wrong JSON type for its schema is handled by its own shape, like untyped data.
    pub(crate) fn atom(&self, v: Option<&Value>) -> Atom {
        let deduced = |v: Option<&Value>| match v {
            Some(Value::Object(_)) => Atom::Map { atomic: false },
            Some(Value::Array(_)) => Atom::List(ListRel::Atomic),
            _ => Atom::Scalar,
        };
        let Some(node) = self.node() else {
            return deduced(v);
        };
        if Self::free_form(node) {
            return match v {
                Some(Value::Object(_)) => Atom::Map {
                    atomic: node.map_atomic,
                },
                other => deduced(other),
            };
        }
        let expected = match &node.kind {
            NodeKind::Object { .. } => Atom::Map {
                atomic: node.map_atomic,
            },
            NodeKind::Array { .. } => Atom::List(self.list_rel()),
            _ => Atom::Scalar,
        };
        let fits = match (&expected, v) {
            (_, None | Some(Value::Null)) => true,
            (Atom::Map { .. }, Some(Value::Object(_))) => true,
            (Atom::List(_), Some(Value::Array(_))) => true,
            (Atom::Scalar, Some(x)) => !x.is_object() && !x.is_array(),
            _ => false,
        };
        if fits { expected } else { deduced(v) }
    }

    /// Name of the schema for error messages (upstream's `LookupPatchMeta.Name()`).
    pub(crate) fn name(&self) -> String {
        match self.node() {
            Some(n) => match &n.kind {
                NodeKind::Object { .. } => "Struct".into(),
                NodeKind::Array { .. } => "array".into(),
                NodeKind::Scalar(_) => "scalar".into(),
                NodeKind::Any => "Struct".into(),
            },
            None => "Struct".into(),
        }
    }

    /// Whether this is a built-in kind's schema (Go structs upstream, so non-pointer struct
    /// fields exist even in an empty object).
    pub(crate) fn is_builtin(&self) -> bool {
        self.node()
            .and_then(|n| n.definition.as_deref())
            .is_some_and(|d| d.starts_with("io.k8s."))
    }

    /// Required fields of this struct whose Go zero value is `null` (lists, maps and
    /// pointer structs): they appear as `null` in an empty object of the kind.
    pub(crate) fn required_nullable_fields(&self) -> Vec<&'a str> {
        let Some(NodeKind::Object { required, .. }) = self.node().map(|n| &n.kind) else {
            return Vec::new();
        };
        required
            .iter()
            .filter(|r| {
                let f = self.field(r);
                match f.node().map(|n| (&n.kind, &n.default)) {
                    Some((NodeKind::Array { .. }, _)) => true,
                    Some((NodeKind::Object { properties, .. }, default)) => {
                        properties.is_empty() || !matches!(default, Some(Value::Object(_)))
                    }
                    _ => false,
                }
            })
            .map(String::as_str)
            .collect()
    }

    /// Whether field `name` is a struct that Go always serializes (`default: {}` in
    /// upstream's OpenAPI marks non-pointer struct fields).
    pub(crate) fn field_always_present(&self, name: &str) -> bool {
        if !self.declares(name) {
            return false;
        }
        let f = self.field(name);
        f.node().is_some_and(|n| {
            matches!(n.kind, NodeKind::Object { .. })
                && matches!(&n.default, Some(Value::Object(m)) if m.is_empty())
        })
    }
}
