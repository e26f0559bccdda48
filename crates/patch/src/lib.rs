//! Patch engines of the API server: JSON patch (RFC 6902), JSON merge patch (RFC 7386),
//! strategic merge patch and server-side apply with `metadata.managedFields` tracking,
//! each behaving like upstream Kubernetes v1.33 so that `kubectl` results are identical.
//!
//! Everything works on `serde_json::Value` and an optional schema
//! ([`SchemaRef`]: a [`kubehci_schema::Schemas`] arena and the kind's root node). Patches
//! come from untrusted clients: every failure is a [`PatchError`] that maps onto
//! upstream's `Status` (see [`PatchError::to_api_error`]), never a panic.
//!
//! | request | function |
//! |---|---|
//! | `application/json-patch+json` | [`json_patch`] |
//! | `application/merge-patch+json` | [`apply_merge_patch`] ([`merge_patch`] is plain RFC 7386) |
//! | `application/strategic-merge-patch+json` | [`strategic_merge_patch`] |
//! | `application/apply-patch+yaml` | [`apply`] / [`apply_with`] |
//! | any other write (create, update, the patches above) | [`update_managed_fields`] |

mod error;
mod fieldmanager;
mod fieldpath;
mod jsonpatch;
mod limits;
mod managed;
mod smp;
mod ty;
mod typed;

pub use error::{ApplyError, Conflict, MAX_JSON_PATCH_OPERATIONS, PatchError};
pub use fieldmanager::{
    ApplyOptions, UpdateOptions, apply, apply_with, manager_from_user_agent, manager_or_user_agent,
    update_managed_fields, update_managed_fields_with,
};
pub use jsonpatch::{apply_merge_patch, json_patch, merge_patch};
pub use limits::MAX_DEPTH;
pub use managed::MAX_UPDATE_MANAGERS;
pub use smp::strategic_merge_patch;
pub use ty::SchemaRef;
