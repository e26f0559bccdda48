//! The JSONPath subset CRD printer columns use, evaluated as client-go's
//! `util/jsonpath` does with missing keys allowed: `.a.b`, `['key']`, `[n]`,
//! `[start:end:step]`, `[*]`, `.*`, `..field` and filters such as
//! `[?(@.type=="Ready")]` or `[?(@.name)]`.

mod eval;

use serde_json::Value;

use crate::TableError;

#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Path(Vec<Step>),
    Lit(Lit),
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Field(String),
    Wildcard,
    Recursive,
    /// `[start:end:step]`; an index `n` is `[n:n+1]` whose end is "derived".
    Slice {
        start: Option<i64>,
        end: Option<i64>,
        step: Option<i64>,
        derived: bool,
    },
    Filter {
        left: Vec<Step>,
        op: Option<String>,
        right: Option<Operand>,
    },
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    steps: Vec<Step>,
}

fn err(msg: impl Into<String>) -> TableError {
    TableError::JsonPath(msg.into())
}

fn is_terminator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '.' | ',' | '[' | ']' | '$' | '@' | '{' | '}')
}

/// Parses steps until the end of `s`.
fn parse_steps(s: &str) -> Result<Vec<Step>, TableError> {
    let chars: Vec<char> = s.chars().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '$' | '@' if steps.is_empty() => i += 1,
            '.' if chars.get(i + 1) == Some(&'.') => {
                steps.push(Step::Recursive);
                i += 1;
            }
            '.' => {
                let mut name = String::new();
                i += 1;
                while i < chars.len() {
                    match chars[i] {
                        '\\' if i + 1 < chars.len() => {
                            name.push(chars[i + 1]);
                            i += 2;
                        }
                        c if is_terminator(c) => break,
                        c => {
                            name.push(c);
                            i += 1;
                        }
                    }
                }
                if name == "*" {
                    steps.push(Step::Wildcard);
                } else if !name.is_empty() {
                    steps.push(Step::Field(name));
                }
            }
            '[' => {
                let (step, next) = parse_bracket(&chars, i)?;
                steps.push(step);
                i = next;
            }
            c => return Err(err(format!("unrecognized character in action: {c:?}"))),
        }
    }
    Ok(steps)
}

/// Parses `[...]` starting at `open`; returns the step and the index after `]`.
fn parse_bracket(chars: &[char], open: usize) -> Result<(Step, usize), TableError> {
    let mut depth = 0;
    let mut quote: Option<char> = None;
    let mut close = None;
    for (j, &c) in chars.iter().enumerate().skip(open) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[') => depth += 1,
            (None, ']') => {
                depth -= 1;
                if depth == 0 {
                    close = Some(j);
                    break;
                }
            }
            _ => {}
        }
    }
    let close = close.ok_or_else(|| err("unterminated array"))?;
    let inner: String = chars[open + 1..close].iter().collect();
    let inner = inner.trim();
    let step = if let Some(filter) = inner.strip_prefix("?(").and_then(|f| f.strip_suffix(')')) {
        parse_filter(filter)?
    } else if let Some(key) = quoted(inner) {
        Step::Field(key)
    } else if inner == "*" {
        Step::Slice {
            start: None,
            end: None,
            step: None,
            derived: false,
        }
    } else {
        parse_slice(inner)?
    };
    Ok((step, close + 1))
}

fn quoted(s: &str) -> Option<String> {
    let inner = s.strip_prefix('\'').and_then(|x| x.strip_suffix('\''));
    inner
        .or_else(|| s.strip_prefix('"').and_then(|x| x.strip_suffix('"')))
        .map(str::to_string)
}

fn parse_slice(inner: &str) -> Result<Step, TableError> {
    let parts: Vec<&str> = inner.split(':').map(str::trim).collect();
    let num = |p: &str| -> Result<Option<i64>, TableError> {
        if p.is_empty() {
            Ok(None)
        } else {
            p.parse()
                .map(Some)
                .map_err(|_| err(format!("invalid array index {p}")))
        }
    };
    match parts.as_slice() {
        [one] => {
            let n = num(one)?.ok_or_else(|| err("invalid array index"))?;
            Ok(Step::Slice {
                start: Some(n),
                end: Some(n.saturating_add(1)),
                step: None,
                derived: true,
            })
        }
        [a, b] => Ok(Step::Slice {
            start: num(a)?,
            end: num(b)?,
            step: None,
            derived: false,
        }),
        [a, b, c] => Ok(Step::Slice {
            start: num(a)?,
            end: num(b)?,
            step: num(c)?,
            derived: false,
        }),
        _ => Err(err(format!("invalid array index {inner}"))),
    }
}

fn parse_filter(f: &str) -> Result<Step, TableError> {
    for op in ["==", "!=", "<=", ">=", "=~", "<", ">"] {
        if let Some((l, r)) = split_outside_quotes(f, op) {
            let left = parse_steps(l.trim())?;
            return Ok(Step::Filter {
                left,
                op: Some(op.to_string()),
                right: Some(parse_operand(r.trim())?),
            });
        }
    }
    Ok(Step::Filter {
        left: parse_steps(f.trim())?,
        op: None,
        right: None,
    })
}

fn split_outside_quotes<'a>(s: &'a str, op: &str) -> Option<(&'a str, &'a str)> {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if s[i..].starts_with(op) => return Some((&s[..i], &s[i + op.len()..])),
            None => {}
        }
    }
    None
}

fn parse_operand(s: &str) -> Result<Operand, TableError> {
    if s.starts_with('@') || s.starts_with('$') || s.starts_with('.') {
        return parse_steps(s).map(Operand::Path);
    }
    if let Some(q) = quoted(s) {
        return Ok(Operand::Lit(Lit::Str(q)));
    }
    match s {
        "true" => return Ok(Operand::Lit(Lit::Bool(true))),
        "false" => return Ok(Operand::Lit(Lit::Bool(false))),
        _ => {}
    }
    if let Ok(n) = s.parse::<i64>() {
        return Ok(Operand::Lit(Lit::Int(n)));
    }
    s.parse::<f64>()
        .map(|f| Operand::Lit(Lit::Float(f)))
        .map_err(|_| err(format!("unrecognized operand {s}")))
}

impl JsonPath {
    /// Parses a column's `jsonPath` (as written in a CRD, without `{}`).
    pub fn parse(path: &str) -> Result<Self, TableError> {
        let p = path.trim();
        let p = p
            .strip_prefix('{')
            .and_then(|x| x.strip_suffix('}'))
            .unwrap_or(p);
        Ok(Self {
            steps: parse_steps(p)?,
        })
    }

    /// All values the path selects, in order; errors where client-go errors
    /// (index out of range, filtering or slicing a non-array, bad comparisons).
    pub fn find<'a>(&self, root: &'a Value) -> Result<Vec<&'a Value>, TableError> {
        eval::eval(&self.steps, vec![root])
    }
}
