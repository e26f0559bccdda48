//! Sans-IO core of kubehci's Kubernetes API: the resource registry (group, version,
//! resource, kind, scope, short names, printer metadata), `Status` errors shaped like
//! upstream's, field-error lists for `422 Invalid`, label/field selectors and object
//! metadata helpers over `serde_json::Value`, plus what several crates share: resource
//! quantities, Go's renderings of values (`gofmt`) and upstream's name validators
//! (`validation`). No I/O, no async runtime.

pub mod builtin;
pub mod field;
pub mod gofmt;
pub mod meta;
pub mod quantity;
pub mod quota;
pub mod registry;
pub mod selector;
pub mod status;
pub mod validation;

pub use field::{FieldError, FieldErrorType, FieldErrors};
pub use registry::{GroupResource, GroupVersionKind, ResourceInfo, Scope};
pub use status::ApiError;
