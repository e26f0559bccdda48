//! Schemas of every served kind: the OpenAPI v2/v3 documents kubectl reads, and the
//! resolved [`model::Schemas`] that validation, pruning and patching consult.

pub mod model;

pub use model::{ListType, NodeId, NodeKind, ScalarType, SchemaNode, Schemas};
