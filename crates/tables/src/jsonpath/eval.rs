//! Evaluation of parsed paths over JSON values, with client-go's semantics: missing
//! keys give no result, indexing or filtering a non-array is an error.

use serde_json::Value;

use super::{Lit, Operand, Step, err};
use crate::TableError;

pub(super) fn eval<'a>(
    steps: &[Step],
    mut cur: Vec<&'a Value>,
) -> Result<Vec<&'a Value>, TableError> {
    for step in steps {
        cur = apply(step, cur)?;
    }
    Ok(cur)
}

fn apply<'a>(step: &Step, input: Vec<&'a Value>) -> Result<Vec<&'a Value>, TableError> {
    let mut out = Vec::new();
    for v in input.into_iter().filter(|v| !v.is_null()) {
        match step {
            Step::Field(name) => out.extend(v.as_object().and_then(|o| o.get(name))),
            Step::Wildcard => match v {
                Value::Object(o) => out.extend(o.values()),
                Value::Array(a) => out.extend(a.iter()),
                _ => {}
            },
            Step::Recursive => recurse(v, &mut out),
            Step::Slice {
                start,
                end,
                step,
                derived,
            } => {
                let a = v
                    .as_array()
                    .ok_or_else(|| err("value is not array or slice"))?;
                out.extend(slice(a, *start, *end, *step, *derived)?);
            }
            Step::Filter { left, op, right } => {
                let a = v
                    .as_array()
                    .ok_or_else(|| err("value is not array or slice and cannot be filtered"))?;
                for item in a {
                    if filter_passes(item, left, op.as_deref(), right.as_ref())? {
                        out.push(item);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Containers (objects, arrays) with children, depth first, as `evalRecursive` does.
fn recurse<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    let children: Vec<&Value> = match v {
        Value::Object(o) => o.values().collect(),
        Value::Array(a) => a.iter().collect(),
        _ => return,
    };
    if children.is_empty() {
        return;
    }
    out.push(v);
    for c in children {
        recurse(c, out);
    }
}

fn slice(
    a: &[Value],
    start: Option<i64>,
    end: Option<i64>,
    step: Option<i64>,
    derived: bool,
) -> Result<Vec<&Value>, TableError> {
    let len = a.len() as i64;
    let mut s = start.unwrap_or(0);
    if s < 0 {
        s += len;
    }
    let mut e = end.unwrap_or(len);
    if e < 0 || (e == 0 && derived) {
        e += len;
    }
    if s == e {
        return Ok(Vec::new());
    }
    if s >= len || s < 0 || e > len || e < 0 {
        return Err(err(format!(
            "array index out of bounds: index {s}, length {len}"
        )));
    }
    if s > e {
        return Err(err(format!(
            "starting index {s} is greater than ending index {e}"
        )));
    }
    let step = step.unwrap_or(1);
    if step <= 0 {
        return Err(err("step must be > 0"));
    }
    let range = a.get(s as usize..e as usize).unwrap_or(&[]);
    Ok(range.iter().step_by(step as usize).collect())
}

fn filter_passes(
    item: &Value,
    left: &[Step],
    op: Option<&str>,
    right: Option<&Operand>,
) -> Result<bool, TableError> {
    let lefts = eval(left, vec![item]);
    let Some(op) = op else {
        return Ok(lefts.is_ok_and(|l| !l.is_empty()));
    };
    let lefts = lefts?;
    let l = match lefts.as_slice() {
        [] => return Ok(false),
        [one] => *one,
        _ => return Err(err("can only compare one element at a time")),
    };
    let r: Value = match right {
        Some(Operand::Path(p)) => match eval(p, vec![item])?.as_slice() {
            [] => return Ok(false),
            [one] => (*one).clone(),
            _ => return Err(err("can only compare one element at a time")),
        },
        Some(Operand::Lit(Lit::Str(s))) => Value::String(s.clone()),
        Some(Operand::Lit(Lit::Int(n))) => Value::from(*n),
        Some(Operand::Lit(Lit::Float(f))) => Value::from(*f),
        Some(Operand::Lit(Lit::Bool(b))) => Value::Bool(*b),
        None => return Ok(false),
    };
    compare(l, &r, op)
}

/// text/template's comparisons: same basic kind only (integers with integers).
fn compare(l: &Value, r: &Value, op: &str) -> Result<bool, TableError> {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (l, r) {
        (Value::String(a), Value::String(b)) => {
            if op == "=~" {
                return Err(err("regular expression filters are not supported"));
            }
            Some(a.cmp(b))
        }
        (Value::Number(a), Value::Number(b)) if a.is_f64() == b.is_f64() => {
            match (a.as_i64(), b.as_i64(), a.as_f64(), b.as_f64()) {
                (Some(x), Some(y), _, _) => Some(x.cmp(&y)),
                (_, _, Some(x), Some(y)) => x.partial_cmp(&y),
                _ => None,
            }
        }
        (Value::Bool(a), Value::Bool(b)) if matches!(op, "==" | "!=") => Some(a.cmp(b)),
        _ => return Err(err("incompatible types for comparison")),
    };
    let ord = ord.ok_or_else(|| err("incompatible types for comparison"))?;
    Ok(match op {
        "==" => ord == Ordering::Equal,
        "!=" => ord != Ordering::Equal,
        "<" => ord == Ordering::Less,
        ">" => ord == Ordering::Greater,
        "<=" => ord != Ordering::Greater,
        ">=" => ord != Ordering::Less,
        _ => return Err(err(format!("unrecognized filter operator {op}"))),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::jsonpath::JsonPath;

    fn find(path: &str, v: &Value) -> Result<Vec<Value>, String> {
        let p = JsonPath::parse(path).map_err(|e| e.to_string())?;
        p.find(v)
            .map(|r| r.into_iter().cloned().collect())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn paths_evaluate_like_client_go() {
        let v = json!({"metadata": {"labels": {"app.kubernetes.io/name": "web"}},
            "spec": {"items": [{"n": 1, "k": "a"}, {"n": 2, "k": "b"}, {"n": 3, "k": "c"}], "m": {"x": 1}}});
        assert_eq!(
            find(".metadata.labels.app\\.kubernetes\\.io/name", &v),
            Ok(vec![json!("web")])
        );
        assert_eq!(
            find(".metadata.labels['app.kubernetes.io/name']", &v),
            Ok(vec![json!("web")])
        );
        assert_eq!(
            find("{.spec.items[*].k}", &v),
            Ok(vec![json!("a"), json!("b"), json!("c")])
        );
        assert_eq!(
            find(".spec.items[0:3:2].n", &v),
            Ok(vec![json!(1), json!(3)])
        );
        assert_eq!(find(".spec.items[-1].k", &v), Ok(vec![json!("c")]));
        assert_eq!(
            find(".spec.items[?(@.n > 1)].k", &v),
            Ok(vec![json!("b"), json!("c")])
        );
        assert_eq!(
            find(".spec.items[?(@.k != 'a')].n", &v),
            Ok(vec![json!(2), json!(3)])
        );
        assert_eq!(find(".spec.items[?(@.missing)].n", &v), Ok(vec![]));
        assert_eq!(find("$.spec.m.*", &v), Ok(vec![json!(1)]));
        assert_eq!(
            find("..k", &v),
            Ok(vec![json!("a"), json!("b"), json!("c")])
        );
        assert_eq!(find(".spec.nothing.deeper", &v), Ok(vec![]));
        assert!(find(".spec.items[5]", &v).is_err());
        assert!(find(".spec.m[0]", &v).is_err());
        assert!(find(".spec.items[?(@.n == 'x')]", &v).is_err());
        assert!(JsonPath::parse(".spec[?(@.x").is_err());
    }
}
