//! Messages whose Go types marshal JSON by hand: times, durations, quantities,
//! int-or-string, embedded raw JSON, and the CRD schema unions; and Go's
//! `time.Duration.String()` format, which `metav1.Duration` uses as its JSON.

use chrono::DateTime;
use serde_json::Value;

use crate::decode;
use crate::error::ProtoError;
use crate::table::{Kind, Message, Ty};
use crate::wire::{self, Ctx, RawField, Val};

const META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.";
const APIEXT: &str = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.";
/// Go's zero `time.Time` (0001-01-01T00:00:00Z) in Unix seconds.
const GO_ZERO_TIME: i64 = -62_135_596_800;

/// Render `msg` by hand if it is special; `None` if the generic table decoding applies.
pub(crate) fn decode(
    ctx: &mut Ctx,
    msg: &'static Message,
    buf: &[u8],
) -> Option<Result<Option<Value>, ProtoError>> {
    let name = msg.name;
    if let Some(short) = name.strip_prefix(META) {
        return match short {
            "Time" => Some(time(ctx, name, buf, false)),
            "MicroTime" => Some(time(ctx, name, buf, true)),
            "Duration" => Some(duration(ctx, name, buf)),
            "FieldsV1" => Some(raw_json(ctx, name, buf)),
            _ => None,
        };
    }
    match name {
        "io.k8s.apimachinery.pkg.api.resource.Quantity" => Some(quantity(ctx, name, buf)),
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString" => Some(int_or_string(ctx, name, buf)),
        "io.k8s.apimachinery.pkg.runtime.RawExtension" => Some(raw_json(ctx, name, buf)),
        _ => {
            let short = name.strip_prefix(APIEXT)?.split_once('.')?.1;
            match short {
                "JSON" => Some(raw_json(ctx, name, buf)),
                "JSONSchemaPropsOrBool"
                | "JSONSchemaPropsOrArray"
                | "JSONSchemaPropsOrStringArray" => Some(schema_union(ctx, msg, buf)),
                _ => None,
            }
        }
    }
}

/// The last varint of field `tag`, if any (these messages have only varint and bytes
/// fields; a wrong wire type is an error).
fn varint(
    message: &'static str,
    fields: &[RawField<'_>],
    tag: u32,
) -> Result<Option<u64>, ProtoError> {
    match wire::with_tag(fields, tag).last().map(|f| f.val) {
        None => Ok(None),
        Some(Val::Varint(v)) => Ok(Some(v)),
        Some(other) => Err(wrong(message, tag, other)),
    }
}

/// The last length-delimited value of field `tag`, if any.
fn bytes<'a>(
    message: &'static str,
    fields: &[RawField<'a>],
    tag: u32,
) -> Result<Option<&'a [u8]>, ProtoError> {
    match wire::with_tag(fields, tag).last().map(|f| f.val) {
        None => Ok(None),
        Some(Val::Bytes(b)) => Ok(Some(b)),
        Some(other) => Err(wrong(message, tag, other)),
    }
}

fn wrong(message: &'static str, tag: u32, val: Val<'_>) -> ProtoError {
    ProtoError::WrongWireType {
        message,
        field: "",
        tag,
        wire: val.wire(),
    }
}

/// `Time` `{1: seconds, 2: nanos}` as RFC 3339 in UTC: whole seconds, or microseconds
/// for `MicroTime`. An empty message is Go's zero time, whose JSON is `null`.
fn time(
    ctx: &mut Ctx,
    message: &'static str,
    buf: &[u8],
    micro: bool,
) -> Result<Option<Value>, ProtoError> {
    if buf.is_empty() {
        return Ok(None);
    }
    let fields = wire::fields(ctx, buf, message)?;
    let secs = varint(message, &fields, 1)?.unwrap_or(0) as i64;
    let nanos = i64::from(varint(message, &fields, 2)?.unwrap_or(0) as u32 as i32);
    // Go's time.Unix normalises nanoseconds outside [0, 1e9).
    let secs = secs.checked_add(nanos.div_euclid(1_000_000_000));
    let nanos = u32::try_from(nanos.rem_euclid(1_000_000_000)).unwrap_or(0);
    let out_of_range = ProtoError::TimeOutOfRange { message };
    let secs = secs.ok_or(out_of_range)?;
    if secs == GO_ZERO_TIME && nanos == 0 {
        return Ok(None);
    }
    let t = DateTime::from_timestamp(secs, if micro { nanos - nanos % 1000 } else { 0 })
        .ok_or(ProtoError::TimeOutOfRange { message })?;
    if !(0..=9999).contains(&chrono::Datelike::year(&t)) {
        return Err(ProtoError::TimeOutOfRange { message });
    }
    let text = if micro {
        t.format("%Y-%m-%dT%H:%M:%S%.6fZ")
    } else {
        t.format("%Y-%m-%dT%H:%M:%SZ")
    };
    Ok(Some(Value::String(text.to_string())))
}

/// `Duration` `{1: nanoseconds}` as Go's `time.Duration.String()`.
fn duration(ctx: &mut Ctx, message: &'static str, buf: &[u8]) -> Result<Option<Value>, ProtoError> {
    let fields = wire::fields(ctx, buf, message)?;
    let nanos = varint(message, &fields, 1)?.unwrap_or(0) as i64;
    Ok(Some(Value::String(go_duration(nanos))))
}

/// `Quantity` `{1: string}`: the string as sent (Go writes the canonical form); an
/// absent string is the zero quantity, `"0"`.
fn quantity(ctx: &mut Ctx, message: &'static str, buf: &[u8]) -> Result<Option<Value>, ProtoError> {
    let fields = wire::fields(ctx, buf, message)?;
    let s = match bytes(message, &fields, 1)? {
        Some(b) => String::from_utf8_lossy(b).into_owned(),
        None => "0".to_string(),
    };
    Ok(Some(Value::String(s)))
}

/// `IntOrString` `{1: type, 2: intVal, 3: strVal}`: type 1 is the string, else the int.
fn int_or_string(
    ctx: &mut Ctx,
    message: &'static str,
    buf: &[u8],
) -> Result<Option<Value>, ProtoError> {
    let fields = wire::fields(ctx, buf, message)?;
    if varint(message, &fields, 1)?.unwrap_or(0) == 1 {
        let s = bytes(message, &fields, 3)?.unwrap_or_default();
        return Ok(Some(Value::String(String::from_utf8_lossy(s).into_owned())));
    }
    let i = varint(message, &fields, 2)?.unwrap_or(0) as u32 as i32;
    Ok(Some(Value::from(i)))
}

/// `RawExtension`, `FieldsV1`, apiextensions `JSON`: `{1: raw}` holding JSON, parsed.
/// Empty raw marshals as `null` upstream. A raw object that is itself a protobuf
/// envelope (`k8s\0...`) is decoded as one.
fn raw_json(ctx: &mut Ctx, message: &'static str, buf: &[u8]) -> Result<Option<Value>, ProtoError> {
    let fields = wire::fields(ctx, buf, message)?;
    let raw = bytes(message, &fields, 1)?.unwrap_or_default();
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    if raw.starts_with(crate::envelope::MAGIC) {
        let (api_version, kind, obj) = crate::envelope::decode_in(ctx, raw)?;
        return Ok(Some(crate::envelope::with_type_meta(
            api_version,
            kind,
            obj,
        )));
    }
    ctx.charge(raw.len())?;
    serde_json::from_slice(raw)
        .map(Some)
        .map_err(|source| ProtoError::EmbeddedJson { message, source })
}

/// The apiextensions unions, rendered as their Go `MarshalJSON` does:
/// - `JSONSchemaPropsOrBool` `{1: allows, 2: schema}`: the schema if set, else the bool;
/// - `JSONSchemaPropsOrArray` `{1: schema, 2: JSONSchemas}`: the array if non-empty,
///   else the schema (or `null`);
/// - `JSONSchemaPropsOrStringArray` `{1: schema, 2: property}`: likewise.
fn schema_union(
    ctx: &mut Ctx,
    msg: &'static Message,
    buf: &[u8],
) -> Result<Option<Value>, ProtoError> {
    let json_of = |tag: u32| msg.fields.iter().find(|f| f.tag == tag).map(|f| f.json);
    if msg.name.ends_with("OrBool") {
        let fields = wire::fields(ctx, buf, msg.name)?;
        let schema = msg.fields.iter().find_map(|f| match f.kind {
            Kind::One(Ty::M(n)) if f.tag == 2 => Some(n),
            _ => None,
        });
        let schema = schema.ok_or_else(|| ProtoError::UnknownMessage(msg.name.to_string()))?;
        if !wire::with_tag(&fields, 2).is_empty() {
            let bytes = wire_join(ctx, msg.name, &fields, 2)?;
            return decode::message(ctx, schema, &bytes);
        }
        let allows = varint(msg.name, &fields, 1)?.unwrap_or(0) != 0;
        return Ok(Some(Value::Bool(allows)));
    }
    // Both array forms decode generically to {schema?, <array>?}; pick as Go does.
    let Value::Object(mut obj) = decode::generic(ctx, msg, buf)? else {
        return Ok(None);
    };
    if let Some(arr) = json_of(2).and_then(|j| obj.remove(j)) {
        return Ok(Some(arr));
    }
    Ok(json_of(1).and_then(|j| obj.remove(j)))
}

/// Every occurrence of a message field, joined (protobuf merge semantics).
fn wire_join(
    ctx: &mut Ctx,
    message: &'static str,
    fields: &[RawField<'_>],
    tag: u32,
) -> Result<Vec<u8>, ProtoError> {
    let mut out = Vec::new();
    for f in wire::with_tag(fields, tag) {
        match f.val {
            Val::Bytes(b) => out.extend_from_slice(b),
            other => return Err(wrong(message, tag, other)),
        }
    }
    ctx.charge(out.len())?;
    Ok(out)
}

const NS_PER_US: u64 = 1_000;
const NS_PER_MS: u64 = 1_000_000;
const NS_PER_S: u64 = 1_000_000_000;

/// `frac` as a decimal fraction of `digits` digits, trailing zeros (and the point
/// itself when nothing is left) removed: (5, 1) -> ".5", (0, 9) -> "".
fn fraction(frac: u64, digits: usize) -> String {
    if frac == 0 || digits == 0 {
        return String::new();
    }
    let s = format!("{frac:0digits$}");
    format!(".{}", s.trim_end_matches('0'))
}

/// Format a duration of `nanos` nanoseconds as Go does: `0s`, `1h0m0s`, `5m0s`,
/// `1.5s`, `300ms`, `2µs`, `100ns`, `-1m30s`.
pub fn go_duration(nanos: i64) -> String {
    let neg = nanos < 0;
    let u = nanos.unsigned_abs();
    if u == 0 {
        return "0s".to_string();
    }
    let body = if u < NS_PER_S {
        let (unit, scale, digits) = if u < NS_PER_US {
            ("ns", 1, 0)
        } else if u < NS_PER_MS {
            ("µs", NS_PER_US, 3)
        } else {
            ("ms", NS_PER_MS, 6)
        };
        format!("{}{}{unit}", u / scale, fraction(u % scale, digits))
    } else {
        let secs = u / NS_PER_S;
        let frac = fraction(u % NS_PER_S, 9);
        let (mins, s) = (secs / 60, secs % 60);
        if mins == 0 {
            format!("{s}{frac}s")
        } else {
            let (h, m) = (mins / 60, mins % 60);
            if h == 0 {
                format!("{m}m{s}{frac}s")
            } else {
                format!("{h}h{m}m{s}{frac}s")
            }
        }
    };
    if neg { format!("-{body}") } else { body }
}

#[cfg(test)]
mod tests {
    use super::go_duration;

    #[test]
    fn formats_like_go() {
        let cases: &[(i64, &str)] = &[
            (0, "0s"),
            (1, "1ns"),
            (1_100, "1.1µs"),
            (2_200_000, "2.2ms"),
            (300_000_000, "300ms"),
            (1_500_000_000, "1.5s"),
            (60_000_000_000, "1m0s"),
            (300_000_000_000, "5m0s"),
            (3_600_000_000_000, "1h0m0s"),
            (3_661_000_000_001, "1h1m1.000000001s"),
            (-90_000_000_000, "-1m30s"),
            (i64::MAX, "2562047h47m16.854775807s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
        ];
        for (nanos, want) in cases {
            assert_eq!(go_duration(*nanos), *want, "{nanos}");
        }
    }
}
