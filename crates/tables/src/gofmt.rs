//! How Go prints JSON-decoded values, for CRD columns of type `string`: scalars as
//! `fmt.Fprint` does, objects and arrays as `json.Marshal` does (sorted keys, HTML
//! characters escaped, Go's float formatting).

use serde_json::{Number, Value};

/// `(digits, exponent)` of the shortest round-trip decimal form of a positive float:
/// the value is `0.d1d2d3… × 10^exponent`.
fn shortest_digits(f: f64) -> (String, i32) {
    // Rust's `{:e}` prints the shortest round-trip digits: `1.2345e6`.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    (digits.to_string(), exp.parse::<i32>().unwrap_or(0) + 1)
}

/// `%e` with the shortest digits: `1.234567e+06`, exponent at least two digits.
fn format_e(digits: &str, dp: i32) -> String {
    let (first, rest) = digits.split_at(1);
    let exp = dp - 1;
    let sign = if exp < 0 { '-' } else { '+' };
    let mant = if rest.is_empty() {
        first.to_string()
    } else {
        format!("{first}.{rest}")
    };
    format!("{mant}e{sign}{:02}", exp.abs())
}

/// `%f` with the shortest digits.
fn format_f(digits: &str, dp: i32) -> String {
    if dp <= 0 {
        return format!("0.{}{digits}", "0".repeat(dp.unsigned_abs() as usize));
    }
    let dp = dp as usize;
    if digits.len() <= dp {
        return format!("{digits}{}", "0".repeat(dp - digits.len()));
    }
    format!("{}.{}", &digits[..dp], &digits[dp..])
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)` (what `fmt.Print` uses for float64).
pub(crate) fn format_float_g(f: f64) -> String {
    if f == 0.0 {
        return "0".to_string();
    }
    let sign = if f < 0.0 { "-" } else { "" };
    let (digits, dp) = shortest_digits(f.abs());
    let exp = dp - 1;
    // With the shortest representation Go decides on %e with precision 6.
    let body = if !(-4..6).contains(&exp) {
        format_e(&digits, dp)
    } else {
        format_f(&digits, dp)
    };
    format!("{sign}{body}")
}

/// Go's `encoding/json` float formatting: `%f`, or `%e` below 1e-6 and from 1e21.
fn format_float_json(f: f64) -> String {
    if f == 0.0 {
        return "0".to_string();
    }
    let sign = if f < 0.0 { "-" } else { "" };
    let (digits, dp) = shortest_digits(f.abs());
    let abs = f.abs();
    let body = if !(1e-6..1e21).contains(&abs) {
        let e = format_e(&digits, dp);
        // Go cleans e-09 up to e-9 (negative exponents only).
        match e.split_once("e-0") {
            Some((m, x)) => format!("{m}e-{x}"),
            None => e,
        }
    } else {
        format_f(&digits, dp)
    };
    format!("{sign}{body}")
}

fn number_text(n: &Number, json: bool) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    if json {
        format_float_json(f)
    } else {
        format_float_g(f)
    }
}

/// A JSON string as Go's encoder writes it (`<`, `>`, `&`, U+2028, U+2029 escaped).
fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn marshal_into(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_text(n, true)),
        Value::String(s) => json_string(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                marshal_into(x, out);
            }
            out.push(']');
        }
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(k, out);
                out.push(':');
                if let Some(x) = o.get(k) {
                    marshal_into(x, out);
                }
            }
            out.push('}');
        }
    }
}

/// Go's `json.Marshal` of a decoded value.
pub(crate) fn marshal(v: &Value) -> String {
    let mut out = String::new();
    marshal_into(v, &mut out);
    out
}

/// What client-go's JSONPath printer writes for one result: JSON for objects and
/// arrays, `fmt.Fprint` text for scalars, `<no value>` for null.
pub(crate) fn print_result(v: &Value) -> String {
    match v {
        Value::Object(_) | Value::Array(_) => marshal(v),
        Value::Null => "<no value>".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number_text(n, false),
        Value::String(s) => s.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_print_like_go() {
        assert_eq!(format_float_g(1.5), "1.5");
        assert_eq!(format_float_g(100000.0), "100000");
        assert_eq!(format_float_g(1e6), "1e+06");
        assert_eq!(format_float_g(1234567.0), "1.234567e+06");
        assert_eq!(format_float_g(0.0001), "0.0001");
        assert_eq!(format_float_g(0.00001), "1e-05");
        assert_eq!(format_float_g(-2.25), "-2.25");
        assert_eq!(format_float_json(1e21), "1e+21");
        assert_eq!(format_float_json(1e-7), "1e-7");
        assert_eq!(format_float_json(123456789.5), "123456789.5");
    }

    #[test]
    fn marshal_sorts_keys_and_escapes_html() {
        let v = json!({"b": [1, 2.5, "<a&b>"], "a": {"y": null, "x": true}});
        assert_eq!(
            marshal(&v),
            r#"{"a":{"x":true,"y":null},"b":[1,2.5,"\u003ca\u0026b\u003e"]}"#
        );
        assert_eq!(print_result(&json!(3)), "3");
        assert_eq!(print_result(&Value::Null), "<no value>");
    }
}
