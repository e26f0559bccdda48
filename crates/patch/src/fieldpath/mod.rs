//! Field paths and sets of them, with the `metadata.managedFields` FieldsV1 encoding
//! (structured-merge-diff's `fieldpath` package).

mod element;
mod set;

pub(crate) use element::{PathElement, value_eq};
pub(crate) use set::{Path, Set, path_string};
