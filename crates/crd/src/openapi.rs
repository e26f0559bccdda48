//! kube-openapi's `SchemaValidator` semantics over [`Props`]: the checks run in the
//! same order (type, junctors, string, format, number, array, enum, object), errors
//! carry the same `<name> in body ...` messages, and
//! [`to_field_errors`](crate::openapi_errors::to_field_errors) maps them to field errors.

use std::collections::HashMap;

use regex::Regex;
use serde_json::Value;

use crate::formats;
use crate::openapi_errors::{Code, OpenApiError, Res, err, invalid_type};
use crate::openapi_scalars::num;
use crate::props::{MAX_SCHEMA_DEPTH, Props};

/// Compiled `pattern`s of a schema, keyed by their source.
#[derive(Debug, Clone, Default)]
pub struct RegexCache(pub(crate) HashMap<String, Result<Regex, String>>);

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
