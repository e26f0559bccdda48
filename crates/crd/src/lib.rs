//! CustomResourceDefinitions as upstream's apiextensions-apiserver (v1.33) handles them.
//!
//! - CRDs themselves: [`default_crd`], [`prepare_crd_for_create`] /
//!   [`prepare_crd_for_update`], [`validate_crd`] / [`validate_crd_update`] (field errors
//!   with upstream's paths and messages, structural-schema rules included) and
//!   [`crd_status_established`] for the status the naming controller would write.
//! - Custom objects: [`CrdSchema`] compiles a version's `openAPIV3Schema` and
//!   validates (kube-openapi messages), prunes unknown fields, applies defaults and
//!   builds [`kubehci_schema`] model nodes for patching and strict validation.
//! - The scale subresource: [`scale_from_object`], [`apply_scale`], [`validate_scale`].
//!
//! Everything takes untrusted JSON: nothing panics, recursion is depth-capped
//! ([`MAX_SCHEMA_DEPTH`]) and CEL (`x-kubernetes-validations`) is only shape-checked.

mod conversion;
mod crd_defaults;
mod crd_parts;
mod crd_schema;
mod crd_subresources;
mod crd_validate;
mod defaulting;
mod embedded;
mod formats;
mod list_map_rules;
mod listtype;
mod model;
mod names;
mod openapi;
mod openapi_errors;
mod openapi_scalars;
mod path;
mod props;
mod props_decode;
mod prune;
mod scale;
mod schema;
mod schema_rules;
mod selectable;
mod structural;
mod structural_complete;

pub use crd_defaults::{
    crd_status_established, crd_status_established_at, default_crd, prepare_crd_for_create,
    prepare_crd_for_update, storage_version,
};
pub use crd_validate::{validate_crd, validate_crd_status_update, validate_crd_update};
pub use embedded::OBJECT_META_FIELDS;
pub use model::OBJECT_META_DEFINITION;
pub use props::MAX_SCHEMA_DEPTH;
pub use scale::{apply_scale, nested_int64, nested_string, scale_from_object, validate_scale};
pub use schema::{CrdSchema, prune_root_metadata, validate_type_meta};

/// Errors of this crate (validation problems are field errors, not these).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The `openAPIV3Schema` is not a well-formed schema (wrong keyword types, too deep).
    #[error("invalid openAPIV3Schema: {0}")]
    InvalidSchema(String),
    /// The CRD has no such version, or the version has no schema.
    #[error("version {0:?} has no openAPIV3Schema")]
    NoSchema(String),
    /// A replicas or selector path could not be read or written; the message is
    /// upstream's unstructured-accessor error.
    #[error("{0}")]
    ScalePath(String),
}
