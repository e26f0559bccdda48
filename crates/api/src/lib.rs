//! Sans-IO core of kubehci's Kubernetes API: the resource registry (group, version,
//! resource, kind, scope, short names, printer metadata), `Status` errors shaped like
//! upstream's, field-error lists for `422 Invalid`, label/field selectors and object
//! metadata helpers over `serde_json::Value`. No I/O, no async runtime.

pub mod builtin;
pub mod field;
pub mod meta;
pub mod registry;
pub mod selector;
pub mod status;

pub use field::{FieldError, FieldErrorType, FieldErrors};
pub use registry::{GroupResource, GroupVersionKind, ResourceInfo, Scope};
pub use status::ApiError;
