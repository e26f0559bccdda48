//! `metav1.Status` errors with upstream's codes, reasons and message shapes.

use serde_json::{Value, json};

use crate::field::{FieldError, aggregate};
use crate::registry::GroupResource;

/// An API error that becomes a `Status` response body.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: u16,
    /// `StatusReason`: `NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, ...
    pub reason: String,
    pub message: String,
    /// `details` object, already shaped (`name`, `group`, `kind`, `causes`, ...).
    pub details: Option<Value>,
}

impl ApiError {
    pub fn new(code: u16, reason: &str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.to_string(),
            message: message.into(),
            details: None,
        }
    }

    fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// `pods "x" not found`.
    pub fn not_found(gr: &GroupResource, name: &str) -> Self {
        Self::new(404, "NotFound", format!("{gr} {name:?} not found"))
            .with_details(details(gr, name))
    }

    /// `pods "x" already exists`.
    pub fn already_exists(gr: &GroupResource, name: &str) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{gr} {name:?} already exists"),
        )
        .with_details(details(gr, name))
    }

    /// Optimistic-concurrency conflict, upstream's exact words.
    pub fn conflict_modified(gr: &GroupResource, name: &str) -> Self {
        Self::conflict(
            gr,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    /// `Operation cannot be fulfilled on pods "x": <why>`.
    pub fn conflict(gr: &GroupResource, name: &str, why: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!("Operation cannot be fulfilled on {gr} {name:?}: {why}"),
        )
        .with_details(details(gr, name))
    }

    /// `Deployment.apps "x" is invalid: <aggregate>` with one cause per field error.
    pub fn invalid(
        qualified_kind: &str,
        group: &str,
        kind: &str,
        name: &str,
        errs: &[FieldError],
    ) -> Self {
        let causes: Vec<Value> = errs
            .iter()
            .map(
                |e| json!({"reason": e.kind.cause_reason(), "message": e.body(), "field": e.field}),
            )
            .collect();
        let mut d = json!({"name": name, "kind": kind, "causes": causes});
        if !group.is_empty() {
            d["group"] = json!(group);
        }
        Self::new(
            422,
            "Invalid",
            format!("{qualified_kind} {name:?} is invalid: {}", aggregate(errs)),
        )
        .with_details(d)
    }

    /// 403 with an already-formatted message (see `forbidden_message`).
    pub fn forbidden(gr: &GroupResource, name: &str, message: impl Into<String>) -> Self {
        Self::new(403, "Forbidden", message).with_details(details(gr, name))
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized")
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// 410 for a watch or list from a compacted revision.
    pub fn expired(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    pub fn gone(message: impl Into<String>) -> Self {
        Self::new(410, "Gone", message)
    }

    pub fn method_not_supported(gr: &GroupResource, action: &str) -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            format!("{action} is not supported on resources of kind {gr:?}"),
        )
        .with_details(json!({"group": gr.group, "kind": gr.resource}))
    }

    pub fn not_acceptable(message: impl Into<String>) -> Self {
        Self::new(406, "NotAcceptable", message)
    }

    pub fn unsupported_media_type(content_type: &str) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf; got {content_type}"
            ),
        )
    }

    pub fn request_entity_too_large(message: impl Into<String>) -> Self {
        Self::new(413, "RequestEntityTooLarge", message)
    }

    pub fn too_many_requests(message: impl Into<String>) -> Self {
        Self::new(429, "TooManyRequests", message)
    }

    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self::new(
            500,
            "InternalError",
            format!("Internal error occurred: {message}"),
        )
    }

    pub fn service_unavailable(message: impl Into<String>) -> Self {
        Self::new(503, "ServiceUnavailable", message)
    }

    /// The path-not-found body upstream serves for unknown URLs.
    pub fn path_not_found() -> Self {
        Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .with_details(json!({}))
    }

    /// The `Status` object.
    pub fn to_status(&self) -> Value {
        let mut s = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(d) = &self.details {
            s["details"] = d.clone();
        }
        s
    }
}

fn details(gr: &GroupResource, name: &str) -> Value {
    let mut d = json!({"kind": gr.resource});
    if !name.is_empty() {
        d["name"] = json!(name);
    }
    if !gr.group.is_empty() {
        d["group"] = json!(gr.group);
    }
    d
}

/// A successful `Status` (e.g. the body of a delete that finished at once).
pub fn success_status(gr: &GroupResource, name: &str, uid: Option<&str>) -> Value {
    let mut d = details(gr, name);
    if let Some(uid) = uid {
        d["uid"] = json!(uid);
    }
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": d})
}

/// Upstream's forbidden message:
/// `User "bob" cannot list resource "pods" in API group "" in the namespace "default"`,
/// prefixed with `pods "x" is forbidden: ` (or `pods is forbidden: ` without a name).
pub fn forbidden_message(
    user: &str,
    verb: &str,
    gr: &GroupResource,
    subresource: &str,
    name: &str,
    namespace: &str,
) -> String {
    format!(
        "{}: {}",
        forbidden_prefix(gr, name),
        forbidden_reason(user, verb, gr, subresource, namespace)
    )
}

/// `pods "x" is forbidden`, or `pods is forbidden` without a name.
pub fn forbidden_prefix(gr: &GroupResource, name: &str) -> String {
    if name.is_empty() {
        format!("{gr} is forbidden")
    } else {
        format!("{gr} {name:?} is forbidden")
    }
}

/// `User "bob" cannot list resource "pods" in API group "" in the namespace "default"`
/// (`at the cluster scope` without a namespace).
pub fn forbidden_reason(
    user: &str,
    verb: &str,
    gr: &GroupResource,
    subresource: &str,
    namespace: &str,
) -> String {
    let res = if subresource.is_empty() {
        gr.resource.clone()
    } else {
        format!("{}/{}", gr.resource, subresource)
    };
    let scope = if namespace.is_empty() {
        " at the cluster scope".to_string()
    } else {
        format!(" in the namespace {namespace:?}")
    };
    format!(
        "User {user:?} cannot {verb} resource {res:?} in API group {:?}{scope}",
        gr.group
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_and_forbidden_match_upstream() {
        let gr = GroupResource::new("apps", "deployments");
        let e = ApiError::not_found(&gr, "web");
        assert_eq!(e.message, "deployments.apps \"web\" not found");
        assert_eq!(e.to_status()["details"]["group"], "apps");
        let m = forbidden_message(
            "bob",
            "list",
            &GroupResource::new("", "secrets"),
            "",
            "",
            "dev",
        );
        assert_eq!(
            m,
            "secrets is forbidden: User \"bob\" cannot list resource \"secrets\" in API group \"\" in the namespace \"dev\""
        );
    }
}
