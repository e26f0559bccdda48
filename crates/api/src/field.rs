//! Field errors for `422 Invalid`, formatted as upstream's `field.Error`.

use serde_json::Value;

/// Upstream's `field.ErrorType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldErrorType {
    NotFound,
    Required,
    Duplicate,
    Invalid,
    NotSupported,
    Forbidden,
    TooLong,
    TooMany,
    Internal,
    TypeInvalid,
}

impl FieldErrorType {
    /// The text upstream prints (`Required value`, `Invalid value`, ...).
    pub fn text(self) -> &'static str {
        match self {
            Self::NotFound => "Not found",
            Self::Required => "Required value",
            Self::Duplicate => "Duplicate value",
            Self::Invalid => "Invalid value",
            Self::NotSupported => "Unsupported value",
            Self::Forbidden => "Forbidden",
            Self::TooLong => "Too long",
            Self::TooMany => "Too many",
            Self::Internal => "Internal error",
            Self::TypeInvalid => "Invalid value",
        }
    }

    /// The `StatusCause.reason` upstream sends.
    pub fn cause_reason(self) -> &'static str {
        match self {
            Self::NotFound => "FieldValueNotFound",
            Self::Required => "FieldValueRequired",
            Self::Duplicate => "FieldValueDuplicate",
            Self::Invalid => "FieldValueInvalid",
            Self::NotSupported => "FieldValueNotSupported",
            Self::Forbidden => "FieldValueForbidden",
            Self::TooLong => "FieldValueTooLong",
            Self::TooMany => "FieldValueTooMany",
            Self::Internal => "InternalError",
            Self::TypeInvalid => "FieldValueTypeInvalid",
        }
    }
}

/// One invalid field: `spec.replicas: Invalid value: -1: must be greater than or equal to 0`.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub kind: FieldErrorType,
    /// Dotted path with indices: `spec.template.spec.containers[0].name`.
    pub field: String,
    /// The offending value; `None` when upstream omits it.
    pub value: Option<Value>,
    pub detail: String,
}

impl FieldError {
    pub fn required(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            kind: FieldErrorType::Required,
            field: field.into(),
            value: None,
            detail: detail.into(),
        }
    }

    pub fn invalid(
        field: impl Into<String>,
        value: impl Into<Value>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            kind: FieldErrorType::Invalid,
            field: field.into(),
            value: Some(value.into()),
            detail: detail.into(),
        }
    }

    pub fn forbidden(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            kind: FieldErrorType::Forbidden,
            field: field.into(),
            value: None,
            detail: detail.into(),
        }
    }

    pub fn duplicate(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self {
            kind: FieldErrorType::Duplicate,
            field: field.into(),
            value: Some(value.into()),
            detail: String::new(),
        }
    }

    pub fn not_found(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self {
            kind: FieldErrorType::NotFound,
            field: field.into(),
            value: Some(value.into()),
            detail: String::new(),
        }
    }

    pub fn too_long(field: impl Into<String>, max: usize) -> Self {
        Self {
            kind: FieldErrorType::TooLong,
            field: field.into(),
            value: None,
            detail: format!("must have at most {max} bytes"),
        }
    }

    /// `Unsupported value: "x": supported values: "a", "b"`.
    pub fn not_supported(
        field: impl Into<String>,
        value: impl Into<Value>,
        supported: &[&str],
    ) -> Self {
        let detail = if supported.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        Self {
            kind: FieldErrorType::NotSupported,
            field: field.into(),
            value: Some(value.into()),
            detail,
        }
    }

    pub fn internal(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            kind: FieldErrorType::Internal,
            field: field.into(),
            value: None,
            detail: detail.into(),
        }
    }

    /// Upstream's `ErrorBody()`: the message without the field path.
    pub fn body(&self) -> String {
        let mut s = match (self.kind, &self.value) {
            (
                FieldErrorType::Required
                | FieldErrorType::Forbidden
                | FieldErrorType::TooLong
                | FieldErrorType::Internal,
                _,
            )
            | (_, None) => self.kind.text().to_string(),
            (_, Some(v)) => format!("{}: {}", self.kind.text(), format_value(v)),
        };
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.body())
    }
}

/// Go's `%#v`-ish value printing as upstream's field errors show it: strings quoted,
/// numbers and booleans bare, `null` for nil, objects/arrays as JSON.
pub fn format_value(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// An ordered list of field errors.
pub type FieldErrors = Vec<FieldError>;

/// Upstream's aggregate formatting: one error bare, several in `[a, b]`.
pub fn aggregate(errs: &[FieldError]) -> String {
    // Upstream de-duplicates identical messages in the aggregate.
    let mut msgs: Vec<String> = Vec::new();
    for e in errs {
        let m = e.to_string();
        if !msgs.contains(&m) {
            msgs.push(m);
        }
    }
    if msgs.len() == 1 {
        msgs.remove(0)
    } else {
        format!("[{}]", msgs.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_match_upstream_shape() {
        let e = FieldError::invalid("metadata.name", "Foo", "a lowercase RFC 1123 subdomain");
        assert_eq!(
            e.to_string(),
            "metadata.name: Invalid value: \"Foo\": a lowercase RFC 1123 subdomain"
        );
        let r = FieldError::required("spec.containers", "");
        assert_eq!(r.to_string(), "spec.containers: Required value");
        let n = FieldError::not_supported("spec.restartPolicy", "Sometimes", &["Always", "Never"]);
        assert_eq!(
            n.to_string(),
            "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"Never\""
        );
        assert_eq!(
            aggregate(std::slice::from_ref(&r)),
            "spec.containers: Required value"
        );
        assert_eq!(
            aggregate(&[r.clone(), r.clone(), e.clone()])
                .matches(", ")
                .count(),
            1
        );
    }
}
