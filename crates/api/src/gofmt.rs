//! Byte-exact renderings of JSON-decoded values the way upstream's Go code prints them:
//! `encoding/json` (sorted keys, HTML-safe escapes, Go's float forms), `fmt`'s `%v`, `%q`
//! and `%T`, and the `%#v` forms of `[]string` and `map[string]string` that field errors
//! show. Numbers follow Go's decoding into `interface{}`: int64 when they fit, else float64.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

/// `json.Marshal(v)`: object keys sorted, `<>&` and U+2028/9 escaped, Go number forms.
pub fn to_go_json(v: &Value) -> String {
    let mut out = String::new();
    write_go_json(v, &mut out);
    out
}

/// Appends `json.Marshal(v)` to `out`.
pub fn write_go_json(v: &Value, out: &mut String) {
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
                write_go_json(item, out);
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
                write_go_json(val, out);
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

/// A JSON string literal as Go's `encoding/json` (Go 1.22+) writes it.
pub fn write_json_str(s: &str, out: &mut String) {
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

/// Go's JSON number form: integers as is, floats as [`go_json_float`].
pub fn json_number(n: &Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    go_json_float(n.as_f64().unwrap_or(0.0))
}

/// `encoding/json`'s float64: `%f` form, exponent form (`1e+21`, `1e-7`) below 1e-6 and
/// from 1e21.
pub fn go_json_float(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        exp_form(f, false)
    } else {
        format!("{f}")
    }
}

/// Exponent notation from Rust's shortest digits: Go writes `1e+21`; `%v` pads the
/// exponent to two digits (`1e+06`), `encoding/json` does not (`1e-7`).
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

/// Go's `%v` of a float64 (`strconv.FormatFloat(f, 'g', -1, 64)`): shortest round-trip
/// digits, exponent form (`1e+06`) when the decimal exponent is < -4 or >= 6.
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if f == 0.0 {
        // `-0` keeps its sign, as in Go.
        return format!("{f}");
    }
    // The decimal exponent of the shortest digits, from Rust's `{:e}` (`d.dddde<exp>`).
    let sci = format!("{f:e}");
    let exp = sci
        .split_once('e')
        .and_then(|(_, e)| e.parse::<i32>().ok())
        .unwrap_or(0);
    if (-4..6).contains(&exp) {
        format!("{f}")
    } else {
        exp_form(f, true)
    }
}

/// `fmt.Sprintf("%v", n)` for a decoded JSON number (int64 or float64).
pub fn go_number(n: &Number) -> String {
    if n.is_i64() {
        return n.to_string();
    }
    go_float(n.as_f64().unwrap_or(0.0))
}

/// `strconv.Quote`: the `%q` form of a string.
pub fn go_quote(s: &str) -> String {
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
pub fn go_v(v: &Value) -> String {
    let mut out = String::new();
    write_v(v, &mut out);
    out
}

fn write_v(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&go_number(n)),
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

/// Go's `%T` (`reflect.TypeOf(x)`) of a decoded JSON value.
pub fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_i64() => "int64",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// `%#v` of a `[]string`: `[]string{"a", "b"}`, or `[]string(nil)` for an absent list.
/// Items are quoted as Rust's `{:?}` does (Go's `%q` for printable text).
pub fn go_string_slice<S: AsRef<str>>(v: Option<&[S]>) -> String {
    match v {
        None => "[]string(nil)".to_string(),
        Some(v) => {
            let parts: Vec<String> = v.iter().map(|s| format!("{:?}", s.as_ref())).collect();
            format!("[]string{{{}}}", parts.join(", "))
        }
    }
}

/// `%#v` of a `map[string]string`: `map[string]string{"a":"b", "c":"d"}`, or
/// `map[string]string(nil)` for an absent map.
pub fn go_string_map(m: Option<&BTreeMap<String, String>>) -> String {
    match m {
        None => "map[string]string(nil)".to_string(),
        Some(m) => {
            let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k:?}:{v:?}")).collect();
            format!("map[string]string{{{}}}", parts.join(", "))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    use super::go_float as go_float_v;

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

    #[test]
    fn floats_print_like_go() {
        assert_eq!(go_float(1.0), "1");
        assert_eq!(go_float(1.5), "1.5");
        assert_eq!(go_float(-0.25), "-0.25");
        assert_eq!(go_float(1e21), "1e+21");
        assert_eq!(go_float(1e6), "1e+06");
        assert_eq!(go_float(1234567.0), "1.234567e+06");
        assert_eq!(go_float(0.00001), "1e-05");
        assert_eq!(go_float(123456.0), "123456");
    }
}
