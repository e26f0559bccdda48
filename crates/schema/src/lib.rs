//! Schemas of every served kind: the OpenAPI v2/v3 documents kubectl reads, and the
//! resolved [`model::Schemas`] that validation, pruning and patching consult.
//!
//! The built-in definitions come from k8s-openapi's `schemars` schemas (upstream names
//! and descriptions), reshaped where k8s-openapi differs from what upstream publishes,
//! with the Kubernetes extensions (patch strategies, merge keys, list and map types)
//! from this crate's own fact tables. Custom resources contribute a [`CustomSchema`].
//!
//! - [`openapi_v2`] (and [`openapi_v2_protobuf`]), [`openapi_v3_index`],
//!   [`openapi_v3_group_version`]: the documents.
//! - [`OpenApiCache`]: all documents built and serialized once, rebuilt on CRD changes.
//! - [`build_model`]: the same definitions as an arena of [`SchemaNode`]s.
//! - [`unknown_fields`], [`duplicate_fields`], [`strict_issues`]: strict field validation
//!   with upstream's paths and messages ([`strict_decoding_message`]).

mod cache;
mod catalog;
mod custom;
mod definitions;
mod error;
mod extensions;
pub mod model;
mod ops;
mod paths;
mod resolve;
mod scan;
mod spec;
mod v2;
mod v2proto;
mod v3;
mod validate;

use kubehci_api::ResourceInfo;
use serde_json::Value;

pub use cache::{OpenApiCache, OpenApiDocuments, V3Document};
pub use custom::{CustomSchema, custom_definition_name};
pub use error::Error;
pub use model::{ListType, NodeId, NodeKind, ScalarType, SchemaNode, Schemas};
pub use scan::{MAX_DEPTH, duplicate_fields, strict_issues};
pub use v2proto::{OPENAPI_V2_PROTOBUF, openapi_v2_protobuf, wants_v2_protobuf};
pub use v3::group_version_key;
pub use validate::{
    MAX_ISSUES, StrictIssue, strict_decoding_message, unknown_fields, unknown_fields_message,
};

/// The Swagger 2.0 document of `/openapi/v2`: every path of `resources` and `extra`
/// and every definition they reach.
pub fn openapi_v2(resources: &[ResourceInfo], extra: &[CustomSchema]) -> Value {
    v2::render(&spec::Spec::build(resources, extra))
}

/// The index of `/openapi/v3`: `{"paths": {"apis/apps/v1": {"serverRelativeURL":
/// "/openapi/v3/apis/apps/v1?hash=<HASH>"}, ...}}`.
pub fn openapi_v3_index(resources: &[ResourceInfo], extra: &[CustomSchema]) -> Value {
    let docs = OpenApiDocuments::build(resources, extra);
    serde_json::from_slice(&docs.v3_index_json()).unwrap_or(Value::Null)
}

/// The OpenAPI 3.0 document of one group-version (`""`/`v1` is the core group), or
/// `None` when nothing of it is served.
pub fn openapi_v3_group_version(
    group: &str,
    version: &str,
    resources: &[ResourceInfo],
    extra: &[CustomSchema],
) -> Option<Value> {
    v3::render_group_version(&spec::Spec::build(resources, extra), group, version)
}

/// The resolved model of every published definition, each kind's root registered
/// under its group, version and kind (lists, `DeleteOptions`, `WatchEvent` and
/// `Status` included). Object metadata resolves to `ObjectMeta`.
pub fn build_model(resources: &[ResourceInfo], extra: &[CustomSchema]) -> Schemas {
    resolve::build(&spec::Spec::build(resources, extra))
}
