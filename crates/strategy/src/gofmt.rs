//! Go's `%#v` renderings of the values upstream puts in field errors (maps, string
//! slices, label selectors, int-or-strings), and field errors carrying such a rendering.

use std::collections::BTreeMap;

use kubehci_api::gofmt::{go_string_map, go_string_slice};
use kubehci_api::{FieldError, FieldErrorType};
use serde_json::Value;

/// `%q` of a string.
pub(crate) fn quote(s: &str) -> String {
    format!("{s:?}")
}

/// A JSON object of strings as a `map[string]string` `%#v` (absent map is `nil`).
fn json_string_map(v: Option<&Value>) -> String {
    let m = v.and_then(Value::as_object).map(|o| {
        o.iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
            .collect::<BTreeMap<_, _>>()
    });
    go_string_map(m.as_ref())
}

/// The labels of an object-like value as `%#v` (absent map is `nil`).
pub(crate) fn labels_of(meta: Option<&Value>) -> String {
    json_string_map(meta.and_then(|m| m.get("labels")))
}

/// `[]string{"a", "b"}`, or `[]string(nil)` for an absent list.
pub(crate) fn string_slice(v: Option<&[&str]>) -> String {
    go_string_slice(v)
}

/// A JSON array of strings as `%#v`.
pub(crate) fn json_strings(v: Option<&Value>) -> String {
    match v.and_then(Value::as_array) {
        None => string_slice(None),
        Some(a) => {
            let items: Vec<&str> = a.iter().map(|x| x.as_str().unwrap_or("")).collect();
            string_slice(Some(&items))
        }
    }
}

/// `v1.LabelSelector{MatchLabels:..., MatchExpressions:...}`; `null` for no selector.
pub(crate) fn label_selector(sel: Option<&Value>) -> String {
    let Some(sel) = sel.filter(|s| s.is_object()) else {
        return "null".to_string();
    };
    let exprs = match sel.get("matchExpressions").and_then(Value::as_array) {
        None => "[]v1.LabelSelectorRequirement(nil)".to_string(),
        Some(a) => {
            let parts: Vec<String> = a
                .iter()
                .map(|r| {
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:{}}}",
                        quote(r.get("key").and_then(Value::as_str).unwrap_or("")),
                        quote(r.get("operator").and_then(Value::as_str).unwrap_or("")),
                        json_strings(r.get("values"))
                    )
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", parts.join(", "))
        }
    };
    format!(
        "v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{exprs}}}",
        json_string_map(sel.get("matchLabels"))
    )
}

/// `intstr.IntOrString{Type:0, IntVal:1, StrVal:""}`.
pub(crate) fn int_or_string(v: &Value) -> String {
    match v {
        Value::String(s) => format!(
            "intstr.IntOrString{{Type:1, IntVal:0, StrVal:{}}}",
            quote(s)
        ),
        other => format!(
            "intstr.IntOrString{{Type:0, IntVal:{}, StrVal:\"\"}}",
            other.as_i64().unwrap_or(0)
        ),
    }
}

/// A field error whose bad value is shown verbatim (already rendered as Go would).
pub(crate) fn raw(
    kind: FieldErrorType,
    field: impl Into<String>,
    rendered: &str,
    detail: &str,
) -> FieldError {
    let detail = if detail.is_empty() {
        rendered.to_string()
    } else {
        format!("{rendered}: {detail}")
    };
    FieldError {
        kind,
        field: field.into(),
        value: None,
        detail,
    }
}

/// `Invalid value: <rendered>: detail`.
pub(crate) fn invalid_raw(field: impl Into<String>, rendered: &str, detail: &str) -> FieldError {
    raw(FieldErrorType::Invalid, field, rendered, detail)
}

/// `field is immutable` with a rendered value.
pub(crate) fn immutable_raw(field: impl Into<String>, rendered: &str) -> FieldError {
    invalid_raw(field, rendered, "field is immutable")
}

/// `field is immutable` for a scalar JSON value (strings quoted, numbers bare, absent `null`).
pub(crate) fn immutable(field: impl Into<String>, new: Option<&Value>) -> FieldError {
    FieldError::invalid(
        field,
        new.cloned().unwrap_or(Value::Null),
        "field is immutable",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_like_go() {
        let sel = json!({"matchLabels": {"b": "2", "a": "1"}});
        assert_eq!(
            label_selector(Some(&sel)),
            "v1.LabelSelector{MatchLabels:map[string]string{\"a\":\"1\", \"b\":\"2\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}"
        );
        assert_eq!(string_slice(Some(&["x"])), "[]string{\"x\"}");
        assert_eq!(
            int_or_string(&json!(0)),
            "intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}"
        );
        let e = invalid_raw("spec.x", "map[string]string(nil)", "bad");
        assert_eq!(
            e.to_string(),
            "spec.x: Invalid value: map[string]string(nil): bad"
        );
    }
}
