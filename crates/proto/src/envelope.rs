//! The Kubernetes protobuf envelope: `k8s\0` + `runtime.Unknown`
//! `{1: typeMeta {1: apiVersion, 2: kind}, 2: raw, 3: contentEncoding, 4: contentType}`.

use serde_json::{Map, Value};

use crate::decode;
use crate::error::ProtoError;
use crate::table;
use crate::wire::{self, Ctx, RawField, Val};

/// The four bytes every Kubernetes protobuf body starts with.
pub const MAGIC: &[u8] = b"k8s\x00";
/// The media type of Kubernetes protobuf bodies.
pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

const UNKNOWN: &str = "runtime.Unknown";
const TYPE_META: &str = "runtime.TypeMeta";

/// Whether a `Content-Type` header value is Kubernetes protobuf
/// (`application/vnd.kubernetes.protobuf`, any case, any parameters; a
/// `;stream=watch` body is length-framed and not for [`decode_envelope`]).
pub fn is_protobuf(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case(MEDIA_TYPE)
}

/// Decode a whole protobuf request body into `(apiVersion, kind, object)`, the object
/// being the JSON upstream would produce for it, `kind` and `apiVersion` first.
pub fn decode_envelope(body: &[u8]) -> Result<(String, String, Value), ProtoError> {
    let mut ctx = Ctx::new(body.len());
    let (api_version, kind, obj) = decode_in(&mut ctx, body)?;
    let obj = with_type_meta(api_version.clone(), kind.clone(), obj);
    Ok((api_version, kind, obj))
}

/// Decode the object message `raw` of a known top-level kind (an envelope's payload,
/// without type meta) into its JSON object, without `apiVersion`/`kind`.
pub fn decode_object(api_version: &str, kind: &str, raw: &[u8]) -> Result<Value, ProtoError> {
    let name = root_for(api_version, kind)?;
    let mut ctx = Ctx::new(raw.len());
    Ok(decode::message(&mut ctx, name, raw)?.unwrap_or_else(|| Value::Object(Map::new())))
}

/// Decode any table message by its full name (`io.k8s.api.core.v1.PodSpec`).
/// `Ok(None)` is a value upstream writes as `null` (a zero `Time`, empty raw JSON).
pub fn decode_message(name: &str, bytes: &[u8]) -> Result<Option<Value>, ProtoError> {
    let mut ctx = Ctx::new(bytes.len());
    decode::message(&mut ctx, name, bytes)
}

fn root_for(api_version: &str, kind: &str) -> Result<&'static str, ProtoError> {
    table::root_message(api_version, kind).ok_or_else(|| ProtoError::UnknownKind {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
    })
}

/// `{"kind": .., "apiVersion": .., ...obj}` (Go's `TypeMeta` order).
pub(crate) fn with_type_meta(api_version: String, kind: String, obj: Value) -> Value {
    let mut out = Map::new();
    out.insert("kind".to_string(), Value::String(kind));
    out.insert("apiVersion".to_string(), Value::String(api_version));
    if let Value::Object(fields) = obj {
        for (k, v) in fields {
            if k != "apiVersion" && k != "kind" {
                out.insert(k, v);
            }
        }
    }
    Value::Object(out)
}

/// The last string of field `tag`.
fn string(message: &'static str, fields: &[RawField<'_>], tag: u32) -> Result<String, ProtoError> {
    Ok(String::from_utf8_lossy(last_bytes(message, fields, tag)?).into_owned())
}

fn last_bytes<'a>(
    message: &'static str,
    fields: &[RawField<'a>],
    tag: u32,
) -> Result<&'a [u8], ProtoError> {
    match wire::with_tag(fields, tag).last().map(|f| f.val) {
        None => Ok(&[]),
        Some(Val::Bytes(b)) => Ok(b),
        Some(other) => Err(ProtoError::WrongWireType {
            message,
            field: "",
            tag,
            wire: other.wire(),
        }),
    }
}

/// Decode an envelope (magic included) under an existing context, so that envelopes
/// nested in `RawExtension`s share the depth and work limits.
pub(crate) fn decode_in(ctx: &mut Ctx, body: &[u8]) -> Result<(String, String, Value), ProtoError> {
    let Some(unknown) = body.strip_prefix(MAGIC) else {
        return Err(ProtoError::BadMagic);
    };
    ctx.enter()?;
    let fields = wire::fields(ctx, unknown, UNKNOWN)?;
    let encoding = string(UNKNOWN, &fields, 3)?;
    if !encoding.is_empty() {
        return Err(ProtoError::UnsupportedEncoding(encoding));
    }
    let type_meta = last_bytes(UNKNOWN, &fields, 1)?;
    let tm_fields = wire::fields(ctx, type_meta, TYPE_META)?;
    let api_version = string(TYPE_META, &tm_fields, 1)?;
    let kind = string(TYPE_META, &tm_fields, 2)?;
    if kind.is_empty() {
        return Err(ProtoError::MissingKind);
    }
    let name = root_for(&api_version, &kind)?;
    let raw = last_bytes(UNKNOWN, &fields, 2)?;
    let obj = decode::message(ctx, name, raw)?.unwrap_or_else(|| Value::Object(Map::new()));
    ctx.leave();
    Ok((api_version, kind, obj))
}
