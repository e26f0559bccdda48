//! Decoding of Kubernetes protobuf request bodies into the JSON upstream would produce.
//!
//! kubectl's typed-client commands (`create namespace|configmap|secret|deployment|...`,
//! `create token`, `auth can-i`, `auth whoami`, ...) send
//! `Content-Type: application/vnd.kubernetes.protobuf` and never fall back to JSON.
//! [`decode_envelope`] turns such a body into `(apiVersion, kind, object)` with the object
//! in upstream's JSON shape, so the rest of the server only ever sees JSON.
//!
//! # Wire format
//! `k8s\0` followed by a `runtime.Unknown` message `{1: typeMeta {1: apiVersion,
//! 2: kind}, 2: raw, 3: contentEncoding, 4: contentType}`; `raw` is the object as the
//! proto2 message of upstream's `generated.proto`. The generated table
//! (`table_generated.rs`, from `tools/proto-table/gen.py`) maps every v1.33 message to
//! its fields `(number, JSON name, kind)` and every top-level (apiVersion, kind) to its
//! message.
//!
//! # JSON rendering
//! - Field order is the Go struct's, as upstream's JSON encoder writes it; map keys are
//!   sorted, as Go writes them; `bytes` are base64 (standard, padded).
//! - `Time` -> `2024-01-02T03:04:05Z`; `MicroTime` -> `2024-01-02T03:04:05.123456Z`; an
//!   empty `Time` is Go's zero time, which upstream writes as `null`: the member is left
//!   out instead (the same object once decoded). `Duration` -> Go's `1h0m0s` form;
//!   `Quantity` -> its string; `IntOrString` -> number or string; `RawExtension`,
//!   `FieldsV1` and apiextensions `JSON` -> the embedded JSON (an embedded `k8s\0`
//!   envelope is decoded too); the `JSONSchemaPropsOr*` unions as their `MarshalJSON`.
//! - Go named slice types wrapped as `{1: repeated items}` (`ExtraValue`, `Verbs`) -> the
//!   bare array.
//!
//! # Zero values
//! Go's marshaller writes every non-pointer scalar field, even when zero
//! (`hostPort: 0`, `restartPolicy: ""`, `hostNetwork: false`), where JSON would omit it
//! through `omitempty`. So a zero scalar (`""`, `0`, `false`, empty bytes) of a
//! non-repeated field is dropped, EXCEPT when the Go field is a pointer (`replicas`,
//! `suspend`, `runAsUser`, `storageClassName`, ... where zero means something) or its
//! JSON tag has no `omitempty` (`containerPort`, `allowed`, condition `status`, ...):
//! the generator reads both facts from the v1.33 Go struct tags, per message and field.
//! Messages are kept even when empty (`securityContext: {}`, `strategy: {}`, as
//! upstream writes non-pointer structs); empty lists and maps are omitted (protobuf
//! cannot tell them from absent ones).
//!
//! # Untrusted input
//! No input panics. Truncated data, lengths past the end, varints over 10 bytes, field
//! number 0, wire types 6/7, unbalanced groups and known fields with the wrong wire
//! type are errors; unknown field numbers are skipped, as upstream does. Nesting is
//! capped at [`MAX_DEPTH`] and total work at [`WORK_PER_BYTE`] per body byte (plus
//! [`BASE_WORK`]).

mod decode;
mod envelope;
mod error;
mod special;
pub mod table;
#[rustfmt::skip]
mod table_generated;
mod wire;

pub use envelope::{
    MAGIC, MEDIA_TYPE, decode_envelope, decode_message, decode_object, is_protobuf,
};
pub use error::ProtoError;
pub use special::go_duration;
pub use wire::{BASE_WORK, MAX_DEPTH, WORK_PER_BYTE};
