//! The 403 upstream sends when authorization says no (`responsewriters.Forbidden`).

use kubehci_api::status::{forbidden_prefix, forbidden_reason};
use kubehci_api::{ApiError, GroupResource};
use serde_json::json;

use crate::rbac::Attributes;

/// The message body: `User "bob" cannot list resource "pods" in API group "" in the
/// namespace "dev"`, or `User "bob" cannot get path "/metrics"` for non-resource requests.
pub fn forbidden_reason_text(user: &str, attrs: &Attributes) -> String {
    if !attrs.resource_request {
        return format!("User {user:?} cannot {} path {:?}", attrs.verb, attrs.path);
    }
    let gr = GroupResource::new(&attrs.api_group, &attrs.resource);
    forbidden_reason(user, &attrs.verb, &gr, &attrs.subresource, &attrs.namespace)
}

/// The full `Status` message: `pods "x" is forbidden: User ... ` (`forbidden: User ...` for
/// non-resource requests), with `: <reason>` appended when the authorizer gave one.
pub fn forbidden_message(user: &str, attrs: &Attributes, reason: &str) -> String {
    let mut msg = forbidden_reason_text(user, attrs);
    if !reason.is_empty() {
        msg = format!("{msg}: {reason}");
    }
    let gr = GroupResource::new(&attrs.api_group, &attrs.resource);
    if gr.group.is_empty() && gr.resource.is_empty() {
        format!("forbidden: {msg}")
    } else {
        format!("{}: {msg}", forbidden_prefix(&gr, &attrs.name))
    }
}

/// The 403 `Status` error (`reason: Forbidden`, details naming the resource).
pub fn forbidden_error(user: &str, attrs: &Attributes, reason: &str) -> ApiError {
    let message = forbidden_message(user, attrs, reason);
    let gr = GroupResource::new(&attrs.api_group, &attrs.resource);
    let mut err = ApiError::forbidden(&gr, &attrs.name, message);
    if attrs.resource.is_empty() {
        let mut d = json!({});
        if !attrs.name.is_empty() {
            d["name"] = attrs.name.clone().into();
        }
        err.details = Some(d);
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_match_upstream() {
        let a = Attributes::resource("list", "", "secrets", "dev", "");
        assert_eq!(
            forbidden_message("bob", &a, ""),
            "secrets is forbidden: User \"bob\" cannot list resource \"secrets\" in API group \"\" in the namespace \"dev\""
        );
        assert_eq!(
            forbidden_message("bob", &a, ""),
            kubehci_api::status::forbidden_message(
                "bob",
                "list",
                &GroupResource::new("", "secrets"),
                "",
                "",
                "dev"
            )
        );
        let a = Attributes::resource("get", "apps", "deployments/scale", "", "web");
        assert_eq!(
            forbidden_message("bob", &a, "RBAC: x"),
            "deployments.apps \"web\" is forbidden: User \"bob\" cannot get resource \"deployments/scale\" in API group \"apps\" at the cluster scope: RBAC: x"
        );
        let n = Attributes::non_resource("get", "/metrics");
        assert_eq!(
            forbidden_message("system:anonymous", &n, ""),
            "forbidden: User \"system:anonymous\" cannot get path \"/metrics\""
        );
        let e = forbidden_error("system:anonymous", &n, "");
        assert_eq!(e.code, 403);
        assert_eq!(e.to_status()["details"], json!({}));
        let e = forbidden_error(
            "bob",
            &Attributes::resource("get", "", "pods", "dev", "p"),
            "",
        );
        assert_eq!(
            e.to_status()["details"],
            json!({"kind": "pods", "name": "p"})
        );
    }
}
