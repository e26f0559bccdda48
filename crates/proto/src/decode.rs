//! Table-driven decoding of one protobuf message into upstream-shaped JSON.

use std::borrow::Cow;
use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{Map, Number, Value};

use crate::error::ProtoError;
use crate::special;
use crate::table::{self, Field, Kind, Ty};
use crate::wire::{self, Ctx, FIXED64, LEN, RawField, Reader, VARINT, Val};

/// Decode `buf` as the message `name`. `None` means "no value" (e.g. a zero `Time`,
/// which upstream's JSON writes as `null`): the caller leaves the member out.
pub(crate) fn message(ctx: &mut Ctx, name: &str, buf: &[u8]) -> Result<Option<Value>, ProtoError> {
    let msg = table::message(name).ok_or_else(|| ProtoError::UnknownMessage(name.to_string()))?;
    ctx.enter()?;
    let out = match special::decode(ctx, msg, buf) {
        Some(r) => r?,
        None => Some(generic(ctx, msg, buf)?),
    };
    ctx.leave();
    Ok(out)
}

/// Decode a message through its table entry, ignoring any special rendering: the
/// object of its fields by JSON name (or the array, for a list wrapper).
pub(crate) fn generic(
    ctx: &mut Ctx,
    msg: &table::Message,
    buf: &[u8],
) -> Result<Value, ProtoError> {
    let fields = wire::fields(ctx, buf, msg.name)?;
    if msg.list {
        let mut items = Vec::new();
        for def in msg.fields {
            if let Kind::Rep(ty) = def.kind {
                items = repeated(ctx, msg.name, def, ty, wire::with_tag(&fields, def.tag))?;
            }
        }
        return Ok(Value::Array(items));
    }
    let mut obj = Map::new();
    for def in msg.fields {
        let occ = wire::with_tag(&fields, def.tag);
        if occ.is_empty() {
            continue;
        }
        match def.kind {
            Kind::One(ty) => {
                if let Some(v) = single(ctx, msg.name, def, ty, occ)? {
                    obj.insert(def.json.to_string(), v);
                }
            }
            Kind::Rep(ty) => {
                let items = repeated(ctx, msg.name, def, ty, occ)?;
                if !items.is_empty() {
                    obj.insert(def.json.to_string(), Value::Array(items));
                }
            }
            Kind::Map(k, v) => {
                let entries = map(ctx, msg.name, def, k, v, occ)?;
                if !entries.is_empty() {
                    obj.insert(def.json.to_string(), Value::Object(entries));
                }
            }
            Kind::Inline(sub) => {
                let bytes = concat(ctx, msg.name, def, occ)?;
                if let Some(Value::Object(inner)) = message(ctx, sub, &bytes)? {
                    obj.extend(inner);
                }
            }
        }
    }
    Ok(Value::Object(obj))
}

fn wrong_wire(message: &'static str, def: &Field, wire: u8) -> ProtoError {
    ProtoError::WrongWireType {
        message,
        field: def.json,
        tag: def.tag,
        wire,
    }
}

/// The wire type a non-packed value of `ty` has.
fn wire_of(ty: Ty) -> u8 {
    match ty {
        Ty::Bool | Ty::I32 | Ty::I64 => VARINT,
        Ty::F64 => FIXED64,
        Ty::Str | Ty::Bytes | Ty::M(_) => LEN,
    }
}

/// A scalar value (not a message) from one wire value of the right wire type.
fn scalar(message: &'static str, def: &Field, ty: Ty, val: Val<'_>) -> Result<Value, ProtoError> {
    Ok(match (ty, val) {
        (Ty::Str, Val::Bytes(b)) => Value::String(String::from_utf8_lossy(b).into_owned()),
        (Ty::Bytes, Val::Bytes(b)) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
        (Ty::Bool, Val::Varint(v)) => Value::Bool(v != 0),
        // int32 travels as a (sign-extended) 64-bit varint; Go keeps the low 32 bits.
        (Ty::I32, Val::Varint(v)) => Value::from(v as u32 as i32),
        (Ty::I64, Val::Varint(v)) => Value::from(v as i64),
        (Ty::F64, Val::Fixed64(v)) => Number::from_f64(f64::from_bits(v))
            .map(Value::Number)
            .ok_or(ProtoError::NonFinite {
                message,
                field: def.json,
            })?,
        (_, other) => return Err(wrong_wire(message, def, other.wire())),
    })
}

fn is_zero(v: &Value) -> bool {
    match v {
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        _ => false,
    }
}

/// The bytes of every occurrence of a message field, joined: protobuf merges repeated
/// occurrences of a singular message field, which is what parsing the concatenation does.
fn concat<'a>(
    ctx: &mut Ctx,
    message: &'static str,
    def: &Field,
    occ: &[RawField<'a>],
) -> Result<Cow<'a, [u8]>, ProtoError> {
    let mut parts = Vec::with_capacity(occ.len());
    for f in occ {
        match f.val {
            Val::Bytes(b) => parts.push(b),
            other => return Err(wrong_wire(message, def, other.wire())),
        }
    }
    match parts.as_slice() {
        [] => Ok(Cow::Borrowed(&[])),
        [one] => Ok(Cow::Borrowed(one)),
        many => {
            let joined = many.concat();
            ctx.charge(joined.len())?;
            Ok(Cow::Owned(joined))
        }
    }
}

/// A singular field: the last scalar wins (zeros dropped unless `keep_zero`); message
/// occurrences merge.
fn single(
    ctx: &mut Ctx,
    message: &'static str,
    def: &Field,
    ty: Ty,
    occ: &[RawField<'_>],
) -> Result<Option<Value>, ProtoError> {
    if let Ty::M(sub) = ty {
        let bytes = concat(ctx, message, def, occ)?;
        return self::message(ctx, sub, &bytes);
    }
    let Some(last) = occ.last() else {
        return Ok(None);
    };
    let v = scalar(message, def, ty, last.val)?;
    Ok((def.keep_zero || !is_zero(&v)).then_some(v))
}

/// A repeated field: every occurrence, unpacking packed numeric runs.
fn repeated(
    ctx: &mut Ctx,
    message: &'static str,
    def: &Field,
    ty: Ty,
    occ: &[RawField<'_>],
) -> Result<Vec<Value>, ProtoError> {
    let mut out = Vec::with_capacity(occ.len());
    for f in occ {
        match (ty, f.val) {
            (Ty::M(sub), Val::Bytes(b)) => {
                out.push(self::message(ctx, sub, b)?.unwrap_or(Value::Null));
            }
            (Ty::Bool | Ty::I32 | Ty::I64 | Ty::F64, Val::Bytes(b)) => {
                let mut r = Reader::new(b, message);
                while !r.at_end() {
                    let v = if wire_of(ty) == FIXED64 {
                        Val::Fixed64(r.fixed64()?)
                    } else {
                        Val::Varint(r.varint()?)
                    };
                    ctx.charge(1)?;
                    out.push(scalar(message, def, ty, v)?);
                }
            }
            (_, v) => out.push(scalar(message, def, ty, v)?),
        }
    }
    Ok(out)
}

/// A map field: entry messages `{1: key, 2: value}`, last entry per key wins, keys
/// sorted as Go's JSON encoder writes them.
fn map(
    ctx: &mut Ctx,
    message: &'static str,
    def: &Field,
    key_ty: Ty,
    val_ty: Ty,
    occ: &[RawField<'_>],
) -> Result<Map<String, Value>, ProtoError> {
    let key_def = Field {
        tag: 1,
        json: def.json,
        kind: Kind::One(key_ty),
        keep_zero: true,
    };
    let val_def = Field { tag: 2, ..key_def };
    let mut entries = BTreeMap::new();
    for f in occ {
        let Val::Bytes(b) = f.val else {
            return Err(wrong_wire(message, def, f.val.wire()));
        };
        ctx.enter()?;
        let fields = wire::fields(ctx, b, message)?;
        let key = match single(ctx, message, &key_def, key_ty, wire::with_tag(&fields, 1))? {
            Some(Value::String(s)) => s,
            Some(other) => other.to_string(),
            None => String::new(),
        };
        let val_occ = wire::with_tag(&fields, 2);
        let value = if val_occ.is_empty() {
            zero(ctx, val_ty)?
        } else {
            single(ctx, message, &val_def, val_ty, val_occ)?.unwrap_or(Value::Null)
        };
        ctx.leave();
        entries.insert(key, value);
    }
    Ok(entries.into_iter().collect())
}

/// The JSON of a map value that was left out of its entry (Go's zero value).
fn zero(ctx: &mut Ctx, ty: Ty) -> Result<Value, ProtoError> {
    Ok(match ty {
        Ty::Str | Ty::Bytes => Value::String(String::new()),
        Ty::Bool => Value::Bool(false),
        Ty::I32 | Ty::I64 => Value::from(0),
        Ty::F64 => Value::from(0.0),
        Ty::M(sub) => message(ctx, sub, &[])?.unwrap_or(Value::Null),
    })
}
