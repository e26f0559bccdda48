//! Errors from decoding untrusted protobuf bodies.

/// Why a protobuf body could not be decoded. `message` names the protobuf message
/// being read (`io.k8s.api.core.v1.PodSpec`, or `runtime.Unknown` for the envelope).
#[derive(Debug, thiserror::Error)]
pub enum ProtoError {
    /// The body does not start with `k8s\0`.
    #[error("protobuf body does not start with the Kubernetes magic prefix k8s\\x00")]
    BadMagic,
    /// The data ends inside a field.
    #[error("protobuf data truncated in {message}")]
    Truncated { message: &'static str },
    /// A varint longer than 10 bytes.
    #[error("protobuf varint overflow in {message}")]
    VarintOverflow { message: &'static str },
    /// A length prefix pointing past the end of the data.
    #[error("protobuf length {length} out of range in {message}")]
    LengthOutOfRange { message: &'static str, length: u64 },
    /// Field number 0 or an unassigned wire type (6, 7).
    #[error("illegal protobuf tag (field {field}, wire type {wire}) in {message}")]
    IllegalTag {
        message: &'static str,
        field: u64,
        wire: u8,
    },
    /// An end-group marker without its start group, or the other way round.
    #[error("unbalanced protobuf group in {message}")]
    BadGroup { message: &'static str },
    /// A known field sent with a wire type its type cannot have.
    #[error("wrong wire type {wire} for field {field} ({tag}) of {message}")]
    WrongWireType {
        message: &'static str,
        field: &'static str,
        tag: u32,
        wire: u8,
    },
    /// Messages nested deeper than [`crate::MAX_DEPTH`].
    #[error("protobuf messages nested deeper than {limit}")]
    TooDeep { limit: usize },
    /// Decoding would take more work than the body's size allows.
    #[error("protobuf body needs too much work to decode")]
    TooMuchWork,
    /// The envelope has no `typeMeta.kind`.
    #[error("protobuf envelope has no kind")]
    MissingKind,
    /// The envelope's `contentEncoding` is set (upstream never sets it).
    #[error("unsupported protobuf content encoding {0:?}")]
    UnsupportedEncoding(String),
    /// No built-in kind of Kubernetes v1.33 has this apiVersion and kind.
    #[error("no protobuf message for kind {kind:?} in {api_version:?}")]
    UnknownKind { api_version: String, kind: String },
    /// The table names a message it does not hold (a generator bug).
    #[error("protobuf message {0} is not in the table")]
    UnknownMessage(String),
    /// A time outside what RFC 3339 with a four-digit year can write.
    #[error("time out of range in {message}")]
    TimeOutOfRange { message: &'static str },
    /// A double that JSON cannot hold (NaN or infinite).
    #[error("non-finite number in field {field} of {message}")]
    NonFinite {
        message: &'static str,
        field: &'static str,
    },
    /// Embedded raw JSON (`RawExtension`, `FieldsV1`, `JSON`) that does not parse.
    #[error("invalid embedded JSON in {message}: {source}")]
    EmbeddedJson {
        message: &'static str,
        #[source]
        source: serde_json::Error,
    },
}
