//! A compact, resolved schema model built from OpenAPI definitions (built-in types) or
//! from CRD `openAPIV3Schema`s. It is what strict field validation, pruning, strategic
//! merge patch and server-side apply consult. Nodes live in an arena so recursive
//! definitions (e.g. `JSONSchemaProps`) are fine.

use std::collections::{BTreeMap, HashMap};

/// Index of a node in a [`Schemas`] arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeId(pub u32);

/// `x-kubernetes-list-type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListType {
    Atomic,
    Set,
    /// Associative list keyed by these fields (`x-kubernetes-list-map-keys`).
    Map(Vec<String>),
}

/// Scalar JSON types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarType {
    String,
    Integer,
    Number,
    Boolean,
    /// `x-kubernetes-int-or-string`.
    IntOrString,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// An object with known properties; `additional` is the value schema of a map
    /// (`additionalProperties`). An object with neither properties nor additional is a
    /// free-form object when `preserve_unknown_fields` is set.
    Object {
        properties: BTreeMap<String, NodeId>,
        additional: Option<NodeId>,
        required: Vec<String>,
    },
    Array {
        items: NodeId,
    },
    Scalar(ScalarType),
    /// Anything goes (`type` absent, e.g. `RawExtension`, `JSON`).
    Any,
}

/// One resolved schema node with the Kubernetes extensions that matter to us.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaNode {
    pub kind: NodeKind,
    /// `x-kubernetes-patch-strategy`: e.g. `merge`, `retainKeys`, `merge,retainKeys`, `replace`.
    pub patch_strategy: Option<String>,
    /// `x-kubernetes-patch-merge-key`.
    pub patch_merge_key: Option<String>,
    /// `x-kubernetes-list-type` (+ map keys); `None` when unset.
    pub list_type: Option<ListType>,
    /// `x-kubernetes-map-type: atomic`.
    pub map_atomic: bool,
    /// `x-kubernetes-preserve-unknown-fields: true`.
    pub preserve_unknown_fields: bool,
    /// `x-kubernetes-embedded-resource: true`.
    pub embedded_resource: bool,
    pub nullable: bool,
    /// `default` (CRD structural defaulting).
    pub default: Option<serde_json::Value>,
    /// `enum` values, if restricted.
    pub enum_values: Vec<serde_json::Value>,
    /// The definition name this node was built from (e.g. `io.k8s.api.core.v1.PodSpec`).
    pub definition: Option<String>,
}

impl SchemaNode {
    pub fn of(kind: NodeKind) -> Self {
        Self {
            kind,
            patch_strategy: None,
            patch_merge_key: None,
            list_type: None,
            map_atomic: false,
            preserve_unknown_fields: false,
            embedded_resource: false,
            nullable: false,
            default: None,
            enum_values: Vec::new(),
            definition: None,
        }
    }
}

/// An arena of nodes plus the root node of each kind (`group/version, Kind`).
#[derive(Debug, Clone, Default)]
pub struct Schemas {
    nodes: Vec<SchemaNode>,
    by_definition: HashMap<String, NodeId>,
    by_gvk: HashMap<(String, String, String), NodeId>,
}

impl Schemas {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, node: SchemaNode) -> NodeId {
        let id = NodeId(u32::try_from(self.nodes.len()).unwrap_or(u32::MAX));
        if let Some(def) = &node.definition {
            self.by_definition.entry(def.clone()).or_insert(id);
        }
        self.nodes.push(node);
        id
    }

    /// Replaces a node (used to fill placeholders while resolving recursive definitions).
    pub fn set(&mut self, id: NodeId, node: SchemaNode) {
        if let Some(def) = &node.definition {
            self.by_definition.insert(def.clone(), id);
        }
        if let Some(slot) = self.nodes.get_mut(id.0 as usize) {
            *slot = node;
        }
    }

    pub fn get(&self, id: NodeId) -> &SchemaNode {
        // NodeIds are only minted by `add` on this arena, so the index is in bounds.
        &self.nodes[id.0 as usize]
    }

    /// The node, or `None` for an id minted by another arena.
    pub fn try_get(&self, id: NodeId) -> Option<&SchemaNode> {
        self.nodes.get(id.0 as usize)
    }

    /// Number of nodes in the arena.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn by_definition(&self, name: &str) -> Option<NodeId> {
        self.by_definition.get(name).copied()
    }

    pub fn register_gvk(&mut self, group: &str, version: &str, kind: &str, id: NodeId) {
        self.by_gvk.insert(
            (group.to_string(), version.to_string(), kind.to_string()),
            id,
        );
    }

    pub fn for_gvk(&self, group: &str, version: &str, kind: &str) -> Option<NodeId> {
        self.by_gvk
            .get(&(group.to_string(), version.to_string(), kind.to_string()))
            .copied()
    }

    /// Schema of property `name` of an object node (or its map value schema).
    pub fn field(&self, id: NodeId, name: &str) -> Option<NodeId> {
        match &self.get(id).kind {
            NodeKind::Object {
                properties,
                additional,
                ..
            } => properties.get(name).copied().or(*additional),
            _ => None,
        }
    }

    /// Item schema of an array node.
    pub fn items(&self, id: NodeId) -> Option<NodeId> {
        match &self.get(id).kind {
            NodeKind::Array { items } => Some(*items),
            _ => None,
        }
    }
}
