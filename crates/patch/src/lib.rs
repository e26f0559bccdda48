//! Patch engines of the API server: JSON patch (RFC 6902), JSON merge patch (RFC 7386),
//! strategic merge patch and server-side apply with `metadata.managedFields` tracking,
//! each behaving like upstream Kubernetes v1.33 so that `kubectl` results are identical.
//!
//! Everything works on `serde_json::Value` and an optional schema
//! ([`SchemaRef`]: a [`kubehci_schema::Schemas`] arena and the kind's root node). Patches
//! come from untrusted clients: every failure is a [`PatchError`] that maps onto
//! upstream's `Status` (see [`PatchError::to_api_error`]), never a panic.

mod error;
mod gojson;
mod jsonpatch;
mod limits;
mod smp;
mod ty;

pub use error::{ApplyError, Conflict, MAX_JSON_PATCH_OPERATIONS, PatchError};
pub use jsonpatch::{apply_merge_patch, json_patch, merge_patch};
pub use limits::MAX_DEPTH;
pub use smp::strategic_merge_patch;
pub use ty::SchemaRef;
