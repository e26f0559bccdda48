//! kube-openapi's `SchemaValidator` semantics over [`Props`]: the checks run in the
//! same order (type, junctors, string, format, number, array, enum, object), errors
//! carry the same `<name> in body ...` messages, and [`to_field_errors`] maps them to
//! field errors the way `kubeOpenAPIResultToFieldErrors` does.

use std::collections::HashMap;

use kubehci_api::{FieldError, FieldErrorType};
use regex::Regex;
use serde_json::Value;

use crate::formats;
use crate::path::{FieldPath, go_float, go_value};
use crate::props::{MAX_SCHEMA_DEPTH, Props};

/// Compiled `pattern`s of a schema, keyed by their source.
#[derive(Debug, Clone, Default)]
pub struct RegexCache(HashMap<String, Result<Regex, String>>);

impl RegexCache {
    pub fn build(p: &Props) -> Self {
        let cache = std::cell::RefCell::new(HashMap::new());
        p.any(&|s| {
            if !s.pattern.is_empty() && !cache.borrow().contains_key(&s.pattern) {
                let compiled = Regex::new(&s.pattern).map_err(|e| e.to_string());
                cache.borrow_mut().insert(s.pattern.clone(), compiled);
            }
            false
        });
        Self(cache.into_inner())
    }
}

/// The kind of a kube-openapi error, which decides the field error it becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Required,
    Enum,
    TooLong,
    MaxItems,
    TooManyProperties,
    InvalidType,
    Other,
    /// Not a `Validation` error (junctor summaries, range-check errors).
    Composite,
}

/// One kube-openapi validation error.
#[derive(Debug, Clone)]
pub struct OpenApiError {
    pub code: Code,
    /// The dotted data path (`spec.items[0].name`, `.key` at the root).
    pub name: String,
    pub value: Option<Value>,
    pub msg: String,
    /// The limit for `TooLong`/`MaxItems`/`TooManyProperties`.
    pub limit: i64,
    pub allowed: Vec<Value>,
}

fn err(code: Code, name: &str, value: Option<Value>, msg: String) -> OpenApiError {
    OpenApiError {
        code,
        name: name.to_string(),
        value,
        msg,
        limit: -1,
        allowed: Vec::new(),
    }
}

/// A result that keeps one error per message, like kube-openapi's `Result.AddErrors`.
#[derive(Debug, Default)]
struct Res(Vec<OpenApiError>);

impl Res {
    fn add(&mut self, e: OpenApiError) {
        if !self.0.iter().any(|x| x.msg == e.msg) {
            self.0.push(e);
        }
    }
    fn merge(&mut self, other: Res) {
        for e in other.0 {
            self.add(e);
        }
    }
}

enum Num {
    Int(i64),
    Float(f64),
}

fn num(v: &Value) -> Option<Num> {
    let n = v.as_number()?;
    Some(match n.as_i64() {
        Some(i) => Num::Int(i),
        None => Num::Float(n.as_f64().unwrap_or(0.0)),
    })
}

/// The JSON-schema type name of a decoded value (`int64` → integer, `float64` → number).
fn sch_type(v: &Value) -> &'static str {
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
fn float_is_json_integer(f: f64) -> bool {
    f.is_finite() && f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0
}

fn invalid_type(name: &str, type_name: &str, got: &str) -> OpenApiError {
    let msg = format!("{name} in body must be of type {type_name}: {got:?}");
    err(
        Code::InvalidType,
        name,
        Some(Value::String(got.to_string())),
        msg,
    )
}

/// Validates data against a schema node with kube-openapi's rules.
pub struct Validator<'a> {
    pub regexes: &'a RegexCache,
}

impl Validator<'_> {
    /// All errors for `data` at data path `name` (empty at the root).
    pub fn validate(&self, p: &Props, data: &Value, name: &str) -> Vec<OpenApiError> {
        self.run(p, data, name, 0).0
    }

    fn run(&self, p: &Props, data: &Value, name: &str, depth: usize) -> Res {
        let mut res = Res::default();
        if depth > MAX_SCHEMA_DEPTH {
            return res;
        }
        let types: Vec<&str> = if p.x_int_or_string {
            vec!["integer", "string"]
        } else if p.ty.is_empty() {
            Vec::new()
        } else {
            vec![p.ty.as_str()]
        };
        let format = if formats::supported(&p.format) {
            p.format.as_str()
        } else {
            ""
        };
        if data.is_null() {
            if !types.is_empty() && !p.nullable {
                res.add(invalid_type(name, &types.join(","), "null"));
            }
            self.check_enum(p, data, name, &mut res);
            return res;
        }
        if !types.is_empty() || !format.is_empty() {
            self.check_type(&types, format, data, name, &mut res);
        }
        self.check_junctors(p, data, name, &mut res, depth);
        if let Value::String(s) = data {
            self.check_string(p, s, name, &mut res);
            if !format.is_empty() && !formats::check(format, s) {
                res.add(invalid_type(name, format, s));
            }
        }
        if let Some(n) = num(data) {
            self.check_number(p, &types, n, data, name, &mut res);
        }
        if let Value::Array(items) = data {
            self.check_array(p, items, name, &mut res, depth);
        }
        self.check_enum(p, data, name, &mut res);
        if let Value::Object(map) = data {
            self.check_object(p, map, name, &mut res, depth);
        }
        res
    }

    fn check_type(&self, types: &[&str], format: &str, data: &Value, name: &str, res: &mut Res) {
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
        if !stringish
            && !format.is_empty()
            && !(has(got) || native_format == format || float_int || int_float)
        {
            res.add(invalid_type(name, format, native_format));
            return;
        }
        if !(has("number") || has("integer")) && !format.is_empty() && stringish {
            return;
        }
        if !(has(got) || float_int || int_float) {
            res.add(invalid_type(name, &types.join(","), got));
        }
    }

    fn check_junctors(&self, p: &Props, data: &Value, name: &str, res: &mut Res, depth: usize) {
        if !p.any_of.is_empty() {
            let mut best: Option<Res> = None;
            let mut ok = false;
            for branch in &p.any_of {
                let r = self.run(branch, data, name, depth + 1);
                if r.0.is_empty() {
                    ok = true;
                    best = None;
                    break;
                }
                if best.as_ref().is_none_or(|b| r.0.len() < b.0.len()) {
                    best = Some(r);
                }
            }
            if !ok {
                let msg = format!("{name:?} must validate at least one schema (anyOf)");
                res.add(err(Code::Composite, name, None, msg));
            }
            if let Some(b) = best {
                res.merge(b);
            }
        }
        if !p.one_of.is_empty() {
            let mut best: Option<Res> = None;
            let mut valid = 0;
            for branch in &p.one_of {
                let r = self.run(branch, data, name, depth + 1);
                if r.0.is_empty() {
                    valid += 1;
                    best = None;
                } else if valid == 0 && best.as_ref().is_none_or(|b| r.0.len() < b.0.len()) {
                    best = Some(r);
                }
            }
            if valid != 1 {
                let extra = if valid == 0 {
                    "Found none valid".to_string()
                } else {
                    format!("Found {valid} valid alternatives")
                };
                let msg =
                    format!("{name:?} must validate one and only one schema (oneOf). {extra}");
                res.add(err(Code::Composite, name, None, msg));
                if let Some(b) = best {
                    res.merge(b);
                }
            }
        }
        if !p.all_of.is_empty() {
            let mut valid = 0;
            for branch in &p.all_of {
                let r = self.run(branch, data, name, depth + 1);
                if r.0.is_empty() {
                    valid += 1;
                }
                res.merge(r);
            }
            if valid != p.all_of.len() {
                let extra = if valid == 0 { ". None validated" } else { "" };
                let msg = format!("{name:?} must validate all the schemas (allOf){extra}");
                res.add(err(Code::Composite, name, None, msg));
            }
        }
        if let Some(not) = &p.not
            && self.run(not, data, name, depth + 1).0.is_empty()
        {
            res.add(err(
                Code::Composite,
                name,
                None,
                format!("{name:?} must not validate the schema (not)"),
            ));
        }
    }

    fn check_string(&self, p: &Props, s: &str, name: &str, res: &mut Res) {
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

    fn check_number(
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

    fn check_array(&self, p: &Props, items: &[Value], name: &str, res: &mut Res, depth: usize) {
        if let Some(schema) = &p.items {
            for (i, item) in items.iter().enumerate() {
                res.merge(self.run(schema, item, &format!("{name}[{i}]"), depth + 1));
            }
        }
        let size = i64::try_from(items.len()).unwrap_or(i64::MAX);
        if let Some(min) = p.min_items.filter(|&m| size < m) {
            let msg = format!("{name} in body should have at least {min} items");
            res.add(err(Code::Other, name, Some(Value::from(size)), msg));
        }
        if let Some(max) = p.max_items.filter(|&m| size > m) {
            let mut e = err(
                Code::MaxItems,
                name,
                Some(Value::from(size)),
                format!("{name} in body should have at most {max} items"),
            );
            e.limit = max;
            res.add(e);
        }
        if p.unique_items && items.len() <= 4096 {
            let dup = items
                .iter()
                .enumerate()
                .any(|(i, a)| items[..i].contains(a));
            if dup {
                res.add(err(
                    Code::Other,
                    name,
                    None,
                    format!("{name} in body shouldn't contain duplicates"),
                ));
            }
        }
    }

    fn check_enum(&self, p: &Props, data: &Value, name: &str, res: &mut Res) {
        if p.enum_values.is_empty() {
            return;
        }
        let matches = |e: &Value| match (e, data) {
            (_, Value::Null) => false,
            (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
            _ => e == data,
        };
        if !p.enum_values.iter().any(matches) {
            let shown = go_value(&Value::Array(p.enum_values.clone()));
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

    fn check_object(
        &self,
        p: &Props,
        map: &serde_json::Map<String, Value>,
        name: &str,
        res: &mut Res,
        depth: usize,
    ) {
        let count = i64::try_from(map.len()).unwrap_or(i64::MAX);
        if let Some(min) = p.min_properties.filter(|&m| count < m) {
            let msg = format!("{name} in body should have at least {min} properties");
            res.add(err(Code::Other, name, Some(Value::from(count)), msg));
        }
        if let Some(max) = p.max_properties.filter(|&m| count > m) {
            let msg = format!("{name} in body should have at most {max} properties");
            let mut e = err(Code::TooManyProperties, name, Some(Value::from(count)), msg);
            e.limit = max;
            res.add(e);
        }
        match &p.additional_properties {
            Some(ap) if !ap.allows => {
                for k in map.keys().filter(|k| !p.properties.contains_key(*k)) {
                    let msg = format!("{name}.{k} in body is a forbidden property");
                    res.add(err(Code::Other, name, Some(Value::String(k.clone())), msg));
                }
            }
            Some(ap) => {
                if let Some(schema) = &ap.schema {
                    for (k, v) in map.iter().filter(|(k, _)| !p.properties.contains_key(*k)) {
                        res.merge(self.run(schema, v, &format!("{name}.{k}"), depth + 1));
                    }
                }
            }
            None => {}
        }
        for (k, schema) in &p.properties {
            if let Some(v) = map.get(k) {
                let child = if name.is_empty() {
                    k.clone()
                } else {
                    format!("{name}.{k}")
                };
                res.merge(self.run(schema, v, &child, depth + 1));
            }
        }
        for k in p.required.iter().filter(|k| !map.contains_key(*k)) {
            let child = format!("{name}.{k}");
            res.add(err(
                Code::Required,
                &child,
                None,
                format!("{child} in body is required"),
            ));
        }
    }
}

/// `kubeOpenAPIResultToFieldErrors`: errors under `fld` (the empty path prints `<nil>`).
pub fn to_field_errors(fld: &FieldPath, errs: Vec<OpenApiError>) -> Vec<FieldError> {
    errs.into_iter()
        .map(|e| {
            let path = if e.code == Code::Composite || e.name.is_empty() || e.name == "." {
                fld.or_nil()
            } else {
                fld.child(e.name.trim_start_matches('.')).or_nil()
            };
            let value = e.value.unwrap_or_else(|| Value::String(String::new()));
            match e.code {
                Code::Required => FieldError::required(path, ""),
                Code::Enum => {
                    let allowed: Vec<String> = e
                        .allowed
                        .iter()
                        .map(|a| a.as_str().map_or_else(|| a.to_string(), str::to_string))
                        .collect();
                    let refs: Vec<&str> = allowed.iter().map(String::as_str).collect();
                    FieldError::not_supported(path, value, &refs)
                }
                Code::TooLong => FieldError {
                    kind: FieldErrorType::TooLong,
                    field: path,
                    value: None,
                    detail: format!("may not be more than {} bytes", e.limit),
                },
                Code::MaxItems | Code::TooManyProperties => FieldError {
                    kind: FieldErrorType::TooMany,
                    field: path,
                    value: Some(value),
                    detail: format!("must have at most {} items", e.limit),
                },
                Code::InvalidType => FieldError {
                    kind: FieldErrorType::TypeInvalid,
                    field: path,
                    value: Some(value),
                    detail: e.msg,
                },
                Code::Other | Code::Composite => FieldError::invalid(path, value, e.msg),
            }
        })
        .collect()
}
