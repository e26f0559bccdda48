//! Byte-exact renderings of values the way upstream's Go code prints them: `encoding/json`
//! (sorted keys, HTML-safe escapes) for `k:`/`v:` field-set keys and the
//! last-applied annotation, and `fmt`'s `%v`/`%q` for paths and error messages.

use serde_json::{Map, Number, Value};
use std::fmt::Write as _;

/// `json.Marshal(v)`: object keys sorted, `<>&` and U+2028/9 escaped, Go number forms.
pub(crate) fn to_go_json(v: &Value) -> String {
    let mut out = String::new();
    write_value(v, &mut out);
    out
}

fn write_value(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&json_number(n)),
        Value::String(s) => write_json_str(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, val)) in sorted(map).into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_str(k, out);
                out.push(':');
                write_value(val, out);
            }
            out.push('}');
        }
    }
}

fn sorted(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

/// A JSON string literal as Go's `encoding/json` writes it.
pub(crate) fn write_json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go's JSON number form: integers as is, floats in `%f` form unless tiny or huge.
fn json_number(n: &Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        exp_form(f, false)
    } else {
        format!("{f}")
    }
}

/// Exponent notation: Go writes `1e+21`; `%v` pads the exponent to two digits.
fn exp_form(f: f64, pad: bool) -> String {
    let s = format!("{f:e}");
    let Some((mant, exp)) = s.split_once('e') else {
        return s;
    };
    let (sign, digits) = match exp.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', exp),
    };
    if pad && digits.len() < 2 {
        format!("{mant}e{sign}0{digits}")
    } else {
        format!("{mant}e{sign}{digits}")
    }
}

/// `fmt.Sprintf("%v", float64)`: shortest digits, exponent form outside [1e-4, 1e6).
fn go_float_v(f: f64) -> String {
    if f == 0.0 || !f.is_finite() {
        return format!("{f}");
    }
    let exp = f.abs().log10().floor();
    if !(-4.0..6.0).contains(&exp) {
        exp_form(f, true)
    } else {
        format!("{f}")
    }
}

/// `fmt.Sprintf("%v", n)` for a decoded JSON number (int64 or float64).
pub(crate) fn go_number_v(n: &Number) -> String {
    if n.is_i64() {
        return n.to_string();
    }
    go_float_v(n.as_f64().unwrap_or(0.0))
}

/// `strconv.Quote`: the `%q` form of a string.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `fmt.Sprintf("%v", v)` for decoded JSON (`map[a:1 b:[x y]]`, `<nil>`, ...).
pub(crate) fn go_v(v: &Value) -> String {
    let mut out = String::new();
    write_v(v, &mut out);
    out
}

fn write_v(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&go_number_v(n)),
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_v(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push_str("map[");
            for (i, (k, val)) in sorted(map).into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                write_v(val, out);
            }
            out.push(']');
        }
    }
}

/// Go's `reflect.TypeOf(x)` name for a decoded JSON value (error messages).
pub(crate) fn go_type_name(v: Option<&Value>) -> &'static str {
    match v {
        None | Some(Value::Null) => "<nil>",
        Some(Value::Bool(_)) => "bool",
        Some(Value::Number(n)) if n.is_i64() => "int64",
        Some(Value::Number(_)) => "float64",
        Some(Value::String(_)) => "string",
        Some(Value::Array(_)) => "[]interface {}",
        Some(Value::Object(_)) => "map[string]interface {}",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn go_json_sorts_and_escapes() {
        let v = json!({"b": 1, "a": "<x>&\n\u{1}", "c": [1.5, true, null]});
        assert_eq!(
            to_go_json(&v),
            r#"{"a":"\u003cx\u003e\u0026\n\u0001","b":1,"c":[1.5,true,null]}"#
        );
        assert_eq!(to_go_json(&json!(1e21)), "1e+21");
        assert_eq!(to_go_json(&json!(1.5e-7)), "1.5e-7");
        assert_eq!(to_go_json(&json!(100.0)), "100");
    }

    #[test]
    fn go_fmt_forms() {
        assert_eq!(
            go_v(&json!({"b": [1, "x"], "a": null})),
            "map[a:<nil> b:[1 x]]"
        );
        assert_eq!(go_quote("a\"b\n\u{1}é"), "\"a\\\"b\\n\\x01é\"");
        assert_eq!(go_float_v(1e6), "1e+06");
        assert_eq!(go_float_v(1.5), "1.5");
        assert_eq!(go_float_v(0.00001), "1e-05");
    }
}
