//! Label and field selectors, parsed, printed and matched as upstream's
//! `k8s.io/apimachinery/pkg/labels` and `pkg/fields` do, plus the field labels each
//! built-in resource accepts (`field label not supported: ...` otherwise).
//!
//! - [`LabelSelector::parse`] reads `labelSelector=` query strings;
//!   [`LabelSelector::from_label_selector`] converts a `metav1.LabelSelector` object.
//! - [`FieldSelector::parse`] reads `fieldSelector=`; [`FieldSelector::validate`] runs a
//!   resource's field-label conversion; [`field_value`] extracts the selectable values.
//!
//! Every error's text is upstream's; the API server returns it as a 400 `BadRequest`.

mod field_table;
mod fields;
mod labels;
mod parse;

#[cfg(test)]
mod tests;

pub use crate::validation::{is_dns1123_subdomain, is_qualified_name, is_valid_label_value};
pub use field_table::{custom_field_value, field_value};
pub use fields::{FieldOp, FieldSelector, FieldTerm, escape_value, unescape_value};
pub use labels::{LabelSelector, Operator, Requirement, format_label_selector, format_labels};

use crate::status::ApiError;

/// A selector that cannot be used; the message is upstream's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// A label selector that does not parse or validate.
    #[error("{0}")]
    Label(String),
    /// A field selector that does not parse (`invalid selector: ...`).
    #[error("{0}")]
    Field(String),
    /// A field label the resource does not support.
    #[error("{0}")]
    FieldNotSupported(String),
}

impl From<SelectorError> for ApiError {
    fn from(e: SelectorError) -> Self {
        ApiError::bad_request(e.to_string())
    }
}
