//! Field selectors (`fieldSelector=a=b,c!=d`), parsed, escaped and matched as
//! `k8s.io/apimachinery/pkg/fields` does.

use serde_json::Value;

use super::SelectorError;
use super::field_table::{self, FieldRules};

/// `=`/`==` (equal) or `!=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldOp {
    Equals,
    NotEquals,
}

/// One `field op value` term; `value` is unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldTerm {
    pub field: String,
    pub op: FieldOp,
    pub value: String,
}

/// A conjunction of terms, in upstream's order (terms sorted as written).
/// No terms selects everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldSelector {
    terms: Vec<FieldTerm>,
}

/// Upstream's `EscapeValue`: `\` → `\\`, `,` → `\,`, `=` → `\=`.
pub fn escape_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Upstream's `UnescapeValue`, with its error texts.
pub fn unescape_value(s: &str) -> Result<String, SelectorError> {
    let mut out = String::with_capacity(s.len());
    let mut in_slash = false;
    for c in s.chars() {
        if in_slash {
            if !matches!(c, '\\' | ',' | '=') {
                return Err(SelectorError::Field(format!(
                    "invalid field selector: invalid escape sequence: \\{c}"
                )));
            }
            out.push(c);
            in_slash = false;
            continue;
        }
        match c {
            '\\' => in_slash = true,
            // Go prints the rune with %v, i.e. as its code point number.
            ',' | '=' => {
                return Err(SelectorError::Field(format!(
                    "invalid field selector: unescaped character in value: {}",
                    c as u32
                )));
            }
            _ => out.push(c),
        }
    }
    if in_slash {
        return Err(SelectorError::Field(
            "invalid field selector: invalid escape sequence: \\".into(),
        ));
    }
    Ok(out)
}

/// Splits on commas not escaped by a backslash (escapes are kept in the terms).
fn split_terms(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut in_slash = false;
    for (i, c) in s.char_indices() {
        if in_slash {
            in_slash = false;
        } else if c == '\\' {
            in_slash = true;
        } else if c == ',' {
            terms.push(&s[start..i]);
            start = i + 1;
        }
    }
    terms.push(&s[start..]);
    terms
}

/// The first `!=`, `==` or `=` splits a term (no escaping on the left side).
fn split_term(term: &str) -> Option<(&str, FieldOp, &str)> {
    for (i, _) in term.char_indices() {
        let rest = &term[i..];
        for (tok, op) in [
            ("!=", FieldOp::NotEquals),
            ("==", FieldOp::Equals),
            ("=", FieldOp::Equals),
        ] {
            if let Some(rhs) = rest.strip_prefix(tok) {
                return Some((&term[..i], op, rhs));
            }
        }
    }
    None
}

impl FieldSelector {
    /// Parses the query-string form. Terms are sorted as strings first, as upstream.
    pub fn parse(s: &str) -> Result<Self, SelectorError> {
        let mut parts = split_terms(s);
        parts.sort_unstable();
        let mut terms = Vec::new();
        for part in parts.into_iter().filter(|p| !p.is_empty()) {
            let Some((lhs, op, rhs)) = split_term(part) else {
                return Err(SelectorError::Field(format!(
                    "invalid selector: '{s}'; can't understand '{part}'"
                )));
            };
            terms.push(FieldTerm {
                field: lhs.to_string(),
                op,
                value: unescape_value(rhs)?,
            });
        }
        Ok(Self { terms })
    }

    /// A selector from terms already built (e.g. `metadata.name=x` for a watch by name).
    pub fn from_terms(terms: Vec<FieldTerm>) -> Self {
        Self { terms }
    }

    pub fn terms(&self) -> &[FieldTerm] {
        &self.terms
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The value a field must equal, if a term demands it.
    pub fn requires_exact_match(&self, field: &str) -> Option<&str> {
        self.terms
            .iter()
            .find(|t| t.field == field && t.op == FieldOp::Equals)
            .map(|t| t.value.as_str())
    }

    /// Runs the field-label conversion of a built-in resource, as the API server does
    /// before listing: unsupported labels fail with upstream's message (a 400), and
    /// aliases are renamed (pods' `spec.host`, events.k8s.io's `regarding.*`).
    pub fn validate(&self, group: &str, resource: &str) -> Result<Self, SelectorError> {
        self.convert(&field_table::rules(group, resource))
    }

    /// The same for a custom resource: `metadata.name`, `metadata.namespace` when
    /// namespaced, and the CRD's `selectableFields` paths (without the leading dot).
    pub fn validate_custom(
        &self,
        namespaced: bool,
        selectable: &[String],
    ) -> Result<Self, SelectorError> {
        self.convert(&FieldRules::custom(namespaced, selectable))
    }

    fn convert(&self, rules: &FieldRules) -> Result<Self, SelectorError> {
        let mut terms = Vec::with_capacity(self.terms.len());
        for t in &self.terms {
            let field = rules
                .convert(&t.field)
                .map_err(SelectorError::FieldNotSupported)?;
            terms.push(FieldTerm {
                field,
                op: t.op,
                value: t.value.clone(),
            });
        }
        Ok(Self { terms })
    }

    /// Matches with a lookup of field values; a missing field counts as `""`,
    /// as a `fields.Set` lookup does upstream.
    pub fn matches_with(&self, lookup: impl Fn(&str) -> Option<String>) -> bool {
        self.terms.iter().all(|t| {
            let got = lookup(&t.field).unwrap_or_default();
            (got == t.value) == (t.op == FieldOp::Equals)
        })
    }

    /// Matches a built-in object by its selectable fields ([`field_value`]).
    pub fn matches(&self, group: &str, resource: &str, obj: &Value) -> bool {
        self.matches_with(|f| field_table::field_value(group, resource, obj, f))
    }

    /// Matches a custom object: metadata fields, then plain JSON paths.
    pub fn matches_custom(&self, obj: &Value) -> bool {
        self.matches_with(|f| field_table::custom_field_value(obj, f))
    }
}

impl std::fmt::Display for FieldSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .terms
            .iter()
            .map(|t| {
                let op = if t.op == FieldOp::Equals { "=" } else { "!=" };
                format!("{}{op}{}", t.field, escape_value(&t.value))
            })
            .collect();
        f.write_str(&parts.join(","))
    }
}
