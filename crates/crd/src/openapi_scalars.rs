//! kube-openapi's scalar checks: the type validator (with its integer/number
//! leniency and formats), strings (length, pattern), numbers (bounds, multipleOf with
//! Go's native-type quirks) and `enum`.

use kubehci_api::gofmt::{go_float, go_v};
use serde_json::Value;

use crate::openapi::Validator;
use crate::openapi_errors::{Code, Res, err, invalid_type};
use crate::props::Props;

pub(crate) enum Num {
    Int(i64),
    Float(f64),
}

pub(crate) fn num(v: &Value) -> Option<Num> {
    let n = v.as_number()?;
    Some(match n.as_i64() {
        Some(i) => Num::Int(i),
        None => Num::Float(n.as_f64().unwrap_or(0.0)),
    })
}

/// The JSON-schema type name of a decoded value (`int64` → integer, `float64` → number).
pub(crate) fn sch_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// go-swag's `IsFloat64AJSONInteger`.
pub(crate) fn float_is_json_integer(f: f64) -> bool {
    f.is_finite() && f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0
}

impl Validator<'_> {
    pub(crate) fn check_type(
        &self,
        types: &[&str],
        format: &str,
        data: &Value,
        name: &str,
        res: &mut Res,
    ) {
        let got = sch_type(data);
        let has = |t: &str| types.contains(&t);
        let float_int = matches!(data, Value::Number(n) if !n.is_i64()
            && float_is_json_integer(n.as_f64().unwrap_or(0.5)) && has("integer"));
        let int_float = got == "integer" && has("number");
        let stringish = matches!(data, Value::String(_) | Value::Array(_));
        let native_format = match got {
            "integer" => "int64",
            "number" => "float64",
            _ => "",
        };
        if !(stringish
            || format.is_empty()
            || has(got)
            || native_format == format
            || float_int
            || int_float)
        {
            res.add(invalid_type(name, format, native_format));
            return;
        }
        if stringish && !format.is_empty() && !has("number") && !has("integer") {
            return;
        }
        if !(has(got) || float_int || int_float) {
            res.add(invalid_type(name, &types.join(","), got));
        }
    }

    pub(crate) fn check_string(&self, p: &Props, s: &str, name: &str, res: &mut Res) {
        let len = i64::try_from(s.chars().count()).unwrap_or(i64::MAX);
        let value = Some(Value::String(s.to_string()));
        if let Some(max) = p.max_length.filter(|&m| len > m) {
            let mut e = err(
                Code::TooLong,
                name,
                value,
                format!("{name} in body should be at most {max} chars long"),
            );
            e.limit = max;
            res.add(e);
        } else if let Some(min) = p.min_length.filter(|&m| len < m) {
            res.add(err(
                Code::Other,
                name,
                value,
                format!("{name} in body should be at least {min} chars long"),
            ));
        } else if !p.pattern.is_empty() {
            let pattern = match self.regexes.0.get(&p.pattern) {
                Some(Ok(re)) if re.is_match(s) => return,
                Some(Err(why)) => format!("{}, but pattern is invalid: {why}", p.pattern),
                _ => p.pattern.clone(),
            };
            res.add(err(
                Code::Other,
                name,
                value,
                format!("{name} in body should match '{pattern}'"),
            ));
        }
    }

    pub(crate) fn check_number(
        &self,
        p: &Props,
        types: &[&str],
        n: Num,
        data: &Value,
        name: &str,
        res: &mut Res,
    ) {
        let integer_typed = types == ["integer"];
        let value = Some(data.clone());
        if integer_typed
            && let Num::Float(f) = n
            && !(float_is_json_integer(f) && f.abs() < 9.2e18)
        {
            let msg = format!("Checked value must be of type integer (default format) in {name}");
            res.add(err(Code::Composite, name, None, msg));
        }
        // A bound applies natively unless an integer schema declares a fractional bound.
        let native = |bound: f64| !integer_typed || float_is_json_integer(bound);
        let f = match n {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        };
        if let Some(factor) = p.multiple_of {
            let bad = match n {
                Num::Int(i) if native(factor) => {
                    let fi = factor as i64;
                    if fi <= 0 {
                        let msg =
                            format!("factor MultipleOf declared for {name} must be positive: {fi}");
                        res.add(err(Code::Other, name, Some(Value::from(fi)), msg));
                        None
                    } else {
                        (i % fi != 0).then(|| fi.to_string())
                    }
                }
                _ if factor <= 0.0 => {
                    let msg = format!(
                        "factor MultipleOf declared for {name} must be positive: {}",
                        go_float(factor)
                    );
                    res.add(err(Code::Other, name, Some(Value::from(factor)), msg));
                    None
                }
                _ => {
                    let mult = if factor < 1.0 {
                        1.0 / factor * f
                    } else {
                        f / factor
                    };
                    (!float_is_json_integer(mult)).then(|| go_float(factor))
                }
            };
            if let Some(shown) = bad {
                res.add(err(
                    Code::Other,
                    name,
                    value.clone(),
                    format!("{name} in body should be a multiple of {shown}"),
                ));
            }
        }
        let bound_text = |bound: f64| match n {
            Num::Int(_) if native(bound) => (bound as i64).to_string(),
            _ => go_float(bound),
        };
        let cmp_value = |bound: f64| match n {
            Num::Int(i) if native(bound) => (i as f64, (bound as i64) as f64),
            _ => (f, bound),
        };
        if let Some(min) = p.minimum {
            let (v, b) = cmp_value(min);
            if (!p.exclusive_minimum && v < b) || (p.exclusive_minimum && v <= b) {
                let op = if p.exclusive_minimum {
                    "greater than"
                } else {
                    "greater than or equal to"
                };
                let msg = format!("{name} in body should be {op} {}", bound_text(min));
                res.add(err(Code::Other, name, value.clone(), msg));
            }
        }
        if let Some(max) = p.maximum {
            let (v, b) = cmp_value(max);
            if (!p.exclusive_maximum && v > b) || (p.exclusive_maximum && v >= b) {
                let op = if p.exclusive_maximum {
                    "less than"
                } else {
                    "less than or equal to"
                };
                let msg = format!("{name} in body should be {op} {}", bound_text(max));
                res.add(err(Code::Other, name, value, msg));
            }
        }
    }

    pub(crate) fn check_enum(&self, p: &Props, data: &Value, name: &str, res: &mut Res) {
        if p.enum_values.is_empty() {
            return;
        }
        let matches = |e: &Value| match (e, data) {
            (_, Value::Null) => false,
            (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
            _ => e == data,
        };
        if !p.enum_values.iter().any(matches) {
            let shown = go_v(&Value::Array(p.enum_values.clone()));
            let mut e = err(
                Code::Enum,
                name,
                Some(data.clone()),
                format!("{name} in body should be one of {shown}"),
            );
            e.allowed = p.enum_values.clone();
            res.add(e);
        }
    }
}
