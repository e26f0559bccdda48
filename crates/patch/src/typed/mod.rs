//! Schema-aware operations on objects used by server-side apply (structured-merge-diff's
//! `typed` package): field sets, comparison, merge, removal and validation.

mod compare;
mod fieldset;
mod merge;
mod remove;
mod validate;

pub(crate) use compare::{Comparison, compare};
pub(crate) use fieldset::to_field_set;
pub(crate) use merge::merge;
pub(crate) use remove::remove_items;
pub(crate) use validate::validate;
