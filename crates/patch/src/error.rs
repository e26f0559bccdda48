//! The one error type of this crate and its mapping onto upstream's `Status` codes.
//!
//! Upstream (`k8s.io/apiserver/pkg/endpoints/handlers/patch.go`) turns patch failures into
//! different HTTP codes depending on where they happen; each variant here documents the
//! code the API server must answer with, and [`PatchError::to_api_error`] builds it.

use kubehci_api::ApiError;
use serde_json::{Value, json};

/// Upstream's cap on the number of operations in one JSON patch.
pub const MAX_JSON_PATCH_OPERATIONS: usize = 10_000;

/// Upstream's message for 422s produced by `NewGenericServerResponse`; the detailed text is
/// dropped by upstream, we keep it in [`PatchError`]'s `Display` for logs.
const GENERIC_422: &str = "the server rejected our request due to an error in our request";

/// One field owned by another manager that an apply would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// Printed manager, as upstream's `printManager`: `"kubectl"` for an Apply manager,
    /// `"kube-controller-manager" using apps/v1` for an Update manager, optionally with
    /// `with subresource "status"`.
    pub manager: String,
    /// Bare manager name (`fieldManager`).
    pub manager_name: String,
    /// Field path in upstream's notation, e.g. `.spec.replicas` or
    /// `.spec.containers[name="nginx"].image`.
    pub field: String,
}

/// Everything that can go wrong while patching or tracking managed fields.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PatchError {
    /// Malformed patch document or request: 400 `BadRequest`.
    #[error("{0}")]
    BadRequest(String),
    /// A well-formed patch that cannot be applied to this object (JSON patch operation
    /// failures, lists of lists, `$retainKeys` mismatches): 422 `Invalid`. Upstream answers
    /// with a generic message and drops this text.
    #[error("{0}")]
    Unprocessable(String),
    /// Strategic merge patch on a kind without Go struct tags (custom resources): upstream
    /// never routes it (415 `UnsupportedMediaType`).
    #[error("strategic merge patch format is not supported")]
    StrategicMergeUnsupported,
    /// More than [`MAX_JSON_PATCH_OPERATIONS`] operations: 413 `RequestEntityTooLarge`.
    #[error("The allowed maximum operations in a JSON patch is {max}, got {got}")]
    TooManyOperations { max: usize, got: usize },
    /// Server-side apply conflicts: 409 `Conflict` with one `FieldManagerConflict` cause per
    /// field.
    #[error("{}", conflicts_message(.0))]
    Conflicts(Vec<Conflict>),
    /// Failures upstream returns as plain Go errors (unknown `$patch` values, missing merge
    /// keys, objects that do not match their schema during apply, ...): 500
    /// `InternalError`, message passed through.
    #[error("{0}")]
    Internal(String),
    /// Nesting deeper than this crate walks (upstream's decoders stop far earlier): 400.
    #[error("nesting depth exceeds the limit of {0}")]
    TooDeep(usize),
}

/// Alias used by the apply entry points (one error type for the whole crate).
pub type ApplyError = PatchError;

impl PatchError {
    /// HTTP status code upstream answers with.
    pub fn status_code(&self) -> u16 {
        match self {
            PatchError::BadRequest(_) | PatchError::TooDeep(_) => 400,
            PatchError::Unprocessable(_) => 422,
            PatchError::StrategicMergeUnsupported => 415,
            PatchError::TooManyOperations { .. } => 413,
            PatchError::Conflicts(_) => 409,
            PatchError::Internal(_) => 500,
        }
    }

    /// `Status.reason` upstream answers with (empty for plain 500s).
    pub fn reason(&self) -> &'static str {
        match self {
            PatchError::BadRequest(_) | PatchError::TooDeep(_) => "BadRequest",
            PatchError::Unprocessable(_) => "Invalid",
            PatchError::StrategicMergeUnsupported => "UnsupportedMediaType",
            PatchError::TooManyOperations { .. } => "RequestEntityTooLarge",
            PatchError::Conflicts(_) => "Conflict",
            PatchError::Internal(_) => "",
        }
    }

    /// The `Status` upstream would send for this error.
    pub fn to_api_error(&self) -> ApiError {
        match self {
            PatchError::Unprocessable(_) => {
                let mut e = ApiError::new(422, "Invalid", GENERIC_422);
                e.details = Some(json!({}));
                e
            }
            PatchError::StrategicMergeUnsupported => ApiError::new(
                415,
                "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
            ),
            PatchError::Conflicts(conflicts) => {
                let causes: Vec<Value> = conflicts
                    .iter()
                    .map(|c| {
                        json!({
                            "reason": "FieldManagerConflict",
                            "message": format!("conflict with {}", c.manager),
                            "field": c.field,
                        })
                    })
                    .collect();
                let mut e = ApiError::new(409, "Conflict", self.to_string());
                e.details = Some(json!({ "causes": causes }));
                e
            }
            // Upstream's `ErrorToAPIStatus` for errors that are not a `Status`: code 500,
            // reason unset, message passed through.
            PatchError::Internal(m) => ApiError::new(500, "", m.clone()),
            other => ApiError::new(other.status_code(), other.reason(), other.to_string()),
        }
    }
}

/// Upstream's `getConflictMessage`: one line for a single conflict, otherwise grouped by
/// manager (managers sorted, paths in set order).
fn conflicts_message(conflicts: &[Conflict]) -> String {
    if let [only] = conflicts {
        return format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            only.manager, only.field
        );
    }
    let mut managers: Vec<&str> = conflicts.iter().map(|c| c.manager.as_str()).collect();
    managers.sort_unstable();
    managers.dedup();
    let mut lines = Vec::new();
    for m in managers {
        lines.push(format!("conflicts with {m}:"));
        for c in conflicts.iter().filter(|c| c.manager == m) {
            lines.push(format!("- {}", c.field));
        }
    }
    format!(
        "Apply failed with {} conflicts: {}",
        conflicts.len(),
        lines.join("\n")
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn c(m: &str, f: &str) -> Conflict {
        Conflict {
            manager: format!("{m:?}"),
            manager_name: m.into(),
            field: f.into(),
        }
    }

    #[test]
    fn single_conflict_message() {
        let e = PatchError::Conflicts(vec![Conflict {
            manager: "\"kubectl-client-side-apply\" using apps/v1".into(),
            manager_name: "kubectl-client-side-apply".into(),
            field: ".spec.replicas".into(),
        }]);
        assert_eq!(
            e.to_string(),
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas"
        );
        let api = e.to_api_error();
        assert_eq!(api.code, 409);
        assert_eq!(api.reason, "Conflict");
        assert_eq!(
            api.details,
            Some(json!({"causes": [{
                "reason": "FieldManagerConflict",
                "message": "conflict with \"kubectl-client-side-apply\" using apps/v1",
                "field": ".spec.replicas"
            }]}))
        );
    }

    #[test]
    fn grouped_conflict_message() {
        let e = PatchError::Conflicts(vec![
            c("b", ".spec.x"),
            c("a", ".spec.y"),
            c("b", ".spec.z"),
        ]);
        assert_eq!(
            e.to_string(),
            "Apply failed with 3 conflicts: conflicts with \"a\":\n- .spec.y\nconflicts with \"b\":\n- .spec.x\n- .spec.z"
        );
    }

    #[test]
    fn status_codes() {
        assert_eq!(PatchError::BadRequest("x".into()).to_api_error().code, 400);
        let u = PatchError::Unprocessable("detail".into()).to_api_error();
        assert_eq!(
            (u.code, u.reason.as_str(), u.message.as_str()),
            (422, "Invalid", GENERIC_422)
        );
        assert_eq!(
            PatchError::StrategicMergeUnsupported.to_api_error().code,
            415
        );
        assert_eq!(
            PatchError::TooManyOperations { max: 1, got: 2 }
                .to_api_error()
                .code,
            413
        );
        let i = PatchError::Internal("boom".into()).to_api_error();
        assert_eq!(
            (i.code, i.reason.as_str(), i.message.as_str()),
            (500, "", "boom")
        );
    }
}
