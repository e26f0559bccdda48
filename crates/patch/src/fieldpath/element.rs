//! One step of a field path (structured-merge-diff `PathElement`): a struct field, an
//! associative-list key, a set value or a list index, with SMD's total order, its
//! `.field[key="v"]` string form and its `f:`/`k:`/`v:`/`i:` FieldsV1 form.

use std::cmp::Ordering;

use kubehci_api::gofmt::{go_number, go_quote, to_go_json, write_json_str};
use serde_json::{Map, Value};

/// One path step.
#[derive(Debug, Clone)]
pub(crate) enum PathElement {
    /// A map key or struct field.
    Field(String),
    /// An associative-list item, by its key fields (sorted by name).
    Key(Vec<(String, Value)>),
    /// A set item, by value.
    Value(Value),
    /// A list index (never produced by this crate; accepted when decoding).
    Index(i64),
}

impl PathElement {
    fn rank(&self) -> u8 {
        match self {
            PathElement::Field(_) => 0,
            PathElement::Key(_) => 1,
            PathElement::Value(_) => 2,
            PathElement::Index(_) => 3,
        }
    }

    /// SMD's total order: fields < keys < values < indices, then by content.
    pub(crate) fn compare(&self, other: &Self) -> Ordering {
        match (self, other) {
            (PathElement::Field(a), PathElement::Field(b)) => a.cmp(b),
            (PathElement::Key(a), PathElement::Key(b)) => compare_keys(a, b),
            (PathElement::Value(a), PathElement::Value(b)) => value_cmp(a, b),
            (PathElement::Index(a), PathElement::Index(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }

    /// Upstream's `PathElement.String()`: `.name`, `[k1=v1,k2=v2]`, `[=v]`, `[3]`.
    pub(crate) fn display(&self) -> String {
        match self {
            PathElement::Field(f) => format!(".{f}"),
            PathElement::Key(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{k}={}", value_to_string(v)))
                    .collect();
                format!("[{}]", parts.join(","))
            }
            PathElement::Value(v) => format!("[={}]", value_to_string(v)),
            PathElement::Index(i) => format!("[{i}]"),
        }
    }

    /// FieldsV1 key: `f:name`, `k:{"name":"x"}`, `v:"x"`, `i:0`.
    pub(crate) fn serialize(&self) -> String {
        match self {
            PathElement::Field(f) => format!("f:{f}"),
            PathElement::Key(fields) => {
                let mut out = String::from("k:{");
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_str(k, &mut out);
                    out.push(':');
                    out.push_str(&to_go_json(v));
                }
                out.push('}');
                out
            }
            PathElement::Value(v) => format!("v:{}", to_go_json(v)),
            PathElement::Index(i) => format!("i:{i}"),
        }
    }

    /// Parses a FieldsV1 key; `Ok(None)` for an unknown element type (skipped, as upstream).
    pub(crate) fn deserialize(s: &str) -> Result<Option<PathElement>, String> {
        let b = s.as_bytes();
        if b.len() < 2 {
            return Err("key must be 2 characters long:".into());
        }
        if b[1] != b':' {
            return Err(format!("missing colon: {s}"));
        }
        // Both bytes are ASCII (checked above for the colon; the tag is compared as a byte),
        // so slicing at 2 is on a char boundary whenever the tag is one of ours.
        match b[0] {
            b'f' => Ok(Some(PathElement::Field(s[2..].to_string()))),
            b'v' => {
                let v: Value = serde_json::from_str(&s[2..]).map_err(|e| e.to_string())?;
                Ok(Some(PathElement::Value(v)))
            }
            b'k' => {
                let m: Map<String, Value> =
                    serde_json::from_str(&s[2..]).map_err(|e| e.to_string())?;
                let mut fields: Vec<(String, Value)> = m.into_iter().collect();
                fields.sort_by(|a, b| a.0.cmp(&b.0));
                Ok(Some(PathElement::Key(fields)))
            }
            b'i' => s[2..]
                .parse::<i64>()
                .map(|i| Some(PathElement::Index(i)))
                .map_err(|e| e.to_string()),
            _ => Ok(None),
        }
    }
}

impl PartialEq for PathElement {
    fn eq(&self, other: &Self) -> bool {
        self.compare(other) == Ordering::Equal
    }
}

impl Eq for PathElement {}

impl PartialOrd for PathElement {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PathElement {
    fn cmp(&self, other: &Self) -> Ordering {
        self.compare(other)
    }
}

fn compare_keys(a: &[(String, Value)], b: &[(String, Value)]) -> Ordering {
    for ((ka, va), (kb, vb)) in a.iter().zip(b.iter()) {
        let c = ka.cmp(kb).then_with(|| value_cmp(va, vb));
        if c != Ordering::Equal {
            return c;
        }
    }
    a.len().cmp(&b.len())
}

fn as_float(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) if !n.is_i64() => n.as_f64(),
        _ => None,
    }
}

fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

fn float_cmp(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b).unwrap_or(Ordering::Equal)
}

/// SMD `value.Compare`: a total order across types (float/int numerically, then strings,
/// booleans, lists, maps, null).
pub(crate) fn value_cmp(a: &Value, b: &Value) -> Ordering {
    if let Some(fa) = as_float(a) {
        return match (as_float(b), as_int(b)) {
            (Some(fb), _) => float_cmp(fa, fb),
            (None, Some(ib)) => float_cmp(fa, ib as f64),
            _ => Ordering::Less,
        };
    }
    if let Some(fb) = as_float(b) {
        return match as_int(a) {
            Some(ia) => float_cmp(ia as f64, fb),
            None => Ordering::Greater,
        };
    }
    let rank = |v: &Value| match v {
        Value::Number(_) => 0,
        Value::String(_) => 1,
        Value::Bool(_) => 2,
        Value::Array(_) => 3,
        Value::Object(_) => 4,
        Value::Null => 5,
    };
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => as_int(a).cmp(&as_int(b)),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => {
            for (l, r) in x.iter().zip(y.iter()) {
                let c = value_cmp(l, r);
                if c != Ordering::Equal {
                    return c;
                }
            }
            x.len().cmp(&y.len())
        }
        (Value::Object(x), Value::Object(y)) => {
            let mut xs: Vec<_> = x.iter().collect();
            let mut ys: Vec<_> = y.iter().collect();
            xs.sort_by(|p, q| p.0.cmp(q.0));
            ys.sort_by(|p, q| p.0.cmp(q.0));
            for ((kx, vx), (ky, vy)) in xs.iter().zip(ys.iter()) {
                let c = kx.cmp(ky).then_with(|| value_cmp(vx, vy));
                if c != Ordering::Equal {
                    return c;
                }
            }
            xs.len().cmp(&ys.len())
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

/// SMD `value.Equals`: like `==` but ints and floats compare numerically.
pub(crate) fn value_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if x.is_f64() || y.is_f64() {
                x.as_f64() == y.as_f64()
            } else {
                x == y
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(l, r)| value_eq(l, r))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| value_eq(v, w)))
        }
        _ => a == b,
    }
}

/// SMD `value.ToString`, used in path strings.
fn value_to_string(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => go_number(n),
        Value::String(s) => go_quote(s),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(value_to_string).collect();
            format!("[{}]", parts.join(","))
        }
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| format!("{k}={}", value_to_string(v)))
            .collect(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trip_and_display() {
        let k = PathElement::Key(vec![
            ("containerPort".into(), json!(80)),
            ("protocol".into(), json!("TCP")),
        ]);
        assert_eq!(k.serialize(), r#"k:{"containerPort":80,"protocol":"TCP"}"#);
        assert_eq!(k.display(), r#"[containerPort=80,protocol="TCP"]"#);
        let back = PathElement::deserialize(r#"k:{"protocol":"TCP","containerPort":80}"#)
            .unwrap()
            .unwrap();
        assert_eq!(back, k);
        assert_eq!(
            PathElement::Value(json!("a<b")).serialize(),
            r#"v:"a\u003cb""#
        );
        assert_eq!(PathElement::Value(json!("x")).display(), r#"[="x"]"#);
        assert_eq!(PathElement::deserialize("z:whatever").unwrap(), None);
        assert!(PathElement::deserialize("f").is_err());
        assert!(PathElement::deserialize("fx").is_err());
        assert!(PathElement::deserialize("k:[1]").is_err());
        assert!(PathElement::deserialize("i:99999999999999999999").is_err());
    }

    #[test]
    fn ordering() {
        let f = PathElement::Field("a".into());
        let k = PathElement::Key(vec![("name".into(), json!("a"))]);
        let v = PathElement::Value(json!(1));
        assert!(f < k && k < v);
        assert_eq!(value_cmp(&json!(1), &json!(1.0)), Ordering::Equal);
        assert_eq!(value_cmp(&json!(1), &json!("a")), Ordering::Less);
        assert!(value_eq(&json!({"a": [1]}), &json!({"a": [1.0]})));
    }
}
