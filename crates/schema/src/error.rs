//! The crate's error type.

/// Why a request body could not be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The body is not well-formed JSON.
    #[error("invalid JSON at byte {offset}: {reason}")]
    Syntax { offset: usize, reason: String },
    /// The body nests objects and arrays deeper than `limit` levels.
    #[error("JSON nesting is deeper than {limit} levels")]
    TooDeep { limit: usize },
}
