//! A CRD schema as [`kubehci_schema`] arena nodes, so merge/JSON/apply patches (list
//! types, map keys, atomic maps) and strict field validation work for custom kinds.
//!
//! `metadata` of the root and of embedded resources points at the `ObjectMeta` node when
//! the arena has the definition `io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`;
//! otherwise it is a free-form object (`preserve_unknown_fields`), which strict
//! validation then never reports on. `apiVersion` and `kind` are strings there.

use std::collections::BTreeMap;

use kubehci_schema::{ListType, NodeId, NodeKind, ScalarType, SchemaNode, Schemas};

use crate::props::{MAX_SCHEMA_DEPTH, Props};

/// The `ObjectMeta` definition name in the OpenAPI documents.
pub const OBJECT_META_DEFINITION: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/// Adds the nodes of `root` (a resource root) and returns the root's id.
pub fn build(root: &Props, schemas: &mut Schemas) -> NodeId {
    node(root, schemas, true, 0)
}

fn object_meta(schemas: &mut Schemas) -> NodeId {
    if let Some(id) = schemas.by_definition(OBJECT_META_DEFINITION) {
        return id;
    }
    let mut meta = SchemaNode::of(NodeKind::Object {
        properties: BTreeMap::new(),
        additional: None,
        required: Vec::new(),
    });
    meta.preserve_unknown_fields = true;
    schemas.add(meta)
}

fn scalar(schemas: &mut Schemas, t: ScalarType) -> NodeId {
    schemas.add(SchemaNode::of(NodeKind::Scalar(t)))
}

fn any(schemas: &mut Schemas) -> NodeId {
    let mut n = SchemaNode::of(NodeKind::Any);
    n.preserve_unknown_fields = true;
    schemas.add(n)
}

fn node(p: &Props, schemas: &mut Schemas, resource_root: bool, depth: usize) -> NodeId {
    if depth > MAX_SCHEMA_DEPTH {
        return any(schemas);
    }
    let is_object = p.ty == "object"
        || (p.ty.is_empty() && (!p.properties.is_empty() || p.additional_properties.is_some()))
        || resource_root;
    let kind = if p.x_int_or_string {
        NodeKind::Scalar(ScalarType::IntOrString)
    } else if is_object {
        let mut properties = BTreeMap::new();
        for (k, sub) in &p.properties {
            properties.insert(k.clone(), node(sub, schemas, false, depth + 1));
        }
        if resource_root || p.x_embedded_resource {
            properties.insert("metadata".to_string(), object_meta(schemas));
            for k in ["apiVersion", "kind"] {
                if !properties.contains_key(k) {
                    properties.insert(k.to_string(), scalar(schemas, ScalarType::String));
                }
            }
        }
        let additional = match &p.additional_properties {
            Some(ap) => match &ap.schema {
                Some(s) => Some(node(s, schemas, false, depth + 1)),
                None if ap.allows => Some(any(schemas)),
                None => None,
            },
            None => None,
        };
        NodeKind::Object {
            properties,
            additional,
            required: p.required.clone(),
        }
    } else {
        match p.ty.as_str() {
            "array" => {
                let items = match &p.items {
                    Some(i) => node(i, schemas, false, depth + 1),
                    None => any(schemas),
                };
                NodeKind::Array { items }
            }
            "string" => NodeKind::Scalar(ScalarType::String),
            "integer" => NodeKind::Scalar(ScalarType::Integer),
            "number" => NodeKind::Scalar(ScalarType::Number),
            "boolean" => NodeKind::Scalar(ScalarType::Boolean),
            _ => NodeKind::Any,
        }
    };
    let mut n = SchemaNode::of(kind);
    n.list_type = match p.x_list_type.as_deref() {
        Some("atomic") => Some(ListType::Atomic),
        Some("set") => Some(ListType::Set),
        Some("map") => Some(ListType::Map(p.x_list_map_keys.clone())),
        _ => None,
    };
    n.map_atomic = p.x_map_type.as_deref() == Some("atomic");
    n.preserve_unknown_fields =
        p.preserves() || (p.ty.is_empty() && !is_object && !p.x_int_or_string);
    n.embedded_resource = p.x_embedded_resource;
    n.nullable = p.nullable;
    n.default = p.default.clone();
    n.enum_values = p.enum_values.clone();
    schemas.add(n)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::path::FieldPath;
    use serde_json::json;

    #[test]
    fn builds_nodes_with_list_types_and_meta() {
        let p = Props::decode(
            &json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
                "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                          "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
                "port": {"x-kubernetes-int-or-string": true},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}}}}}}),
            &FieldPath::default(),
            &mut Vec::new(),
        );
        let mut schemas = Schemas::new();
        let root = build(&p, &mut schemas);
        let spec = schemas.field(root, "spec").unwrap();
        let ports = schemas.field(spec, "ports").unwrap();
        assert_eq!(
            schemas.get(ports).list_type,
            Some(ListType::Map(vec!["name".into()]))
        );
        let port = schemas.field(spec, "port").unwrap();
        assert_eq!(
            schemas.get(port).kind,
            NodeKind::Scalar(ScalarType::IntOrString)
        );
        let label = schemas
            .field(schemas.field(spec, "labels").unwrap(), "anything")
            .unwrap();
        assert_eq!(
            schemas.get(label).kind,
            NodeKind::Scalar(ScalarType::String)
        );
        let meta = schemas.field(root, "metadata").unwrap();
        assert!(schemas.get(meta).preserve_unknown_fields);
        assert!(schemas.field(root, "kind").is_some());
    }
}
