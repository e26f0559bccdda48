//! kube-openapi's validation errors (codes, names, messages) and their mapping to
//! field errors (`kubeOpenAPIResultToFieldErrors`).

use kubehci_api::{FieldError, FieldErrorType};
use serde_json::Value;

use crate::path::FieldPath;

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

pub(crate) fn err(code: Code, name: &str, value: Option<Value>, msg: String) -> OpenApiError {
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
pub(crate) struct Res(pub(crate) Vec<OpenApiError>);

impl Res {
    pub(crate) fn add(&mut self, e: OpenApiError) {
        if !self.0.iter().any(|x| x.msg == e.msg) {
            self.0.push(e);
        }
    }
    pub(crate) fn merge(&mut self, other: Res) {
        for e in other.0 {
            self.add(e);
        }
    }
}

pub(crate) fn invalid_type(name: &str, type_name: &str, got: &str) -> OpenApiError {
    let msg = format!("{name} in body must be of type {type_name}: {got:?}");
    err(
        Code::InvalidType,
        name,
        Some(Value::String(got.to_string())),
        msg,
    )
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
