//! Access and identity reviews: SelfSubjectAccessReview, SubjectAccessReview,
//! LocalSubjectAccessReview, SelfSubjectRulesReview, SelfSubjectReview, TokenReview.
//! They are computed, never stored.

use kubehci_api::{ApiError, ResourceInfo};
use kubehci_auth::{Attributes, UserInfo};
use serde_json::{Value, json};

use crate::rest::Ctx;
use crate::state::State;

pub fn is_review(info: &ResourceInfo) -> bool {
    matches!(
        info.group.as_str(),
        "authorization.k8s.io" | "authentication.k8s.io"
    )
}

fn attrs_from_spec(spec: &Value) -> Attributes {
    if let Some(r) = spec.get("resourceAttributes") {
        let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let mut a = Attributes::resource(
            &s("verb"),
            &s("group"),
            &s("resource"),
            &s("namespace"),
            &s("name"),
        );
        a.subresource = s("subresource");
        a.api_version = s("version");
        a
    } else {
        let n = spec
            .get("nonResourceAttributes")
            .cloned()
            .unwrap_or_default();
        let s = |k: &str| n.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        Attributes::non_resource(&s("verb"), &s("path"))
    }
}

fn user_from_spec(spec: &Value) -> UserInfo {
    let mut u = UserInfo::new(spec.get("user").and_then(Value::as_str).unwrap_or(""), &[]);
    u.groups = spec
        .get("groups")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|g| g.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    u.uid = spec
        .get("uid")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    u
}

pub async fn serve(state: &State, ctx: &Ctx, body: &[u8]) -> Result<(u16, Value), ApiError> {
    let mut obj = crate::rest::write::decode_body(ctx, body)?;
    crate::rest::write::check_type(&ctx.resource, &obj)?;
    let spec = obj.get("spec").cloned().unwrap_or_else(|| json!({}));
    let status = match ctx.resource.resource.as_str() {
        "selfsubjectaccessreviews" => state
            .rbac
            .authorize(&ctx.user, &attrs_from_spec(&spec))
            .to_review_status(),
        "subjectaccessreviews" => state
            .rbac
            .authorize(&user_from_spec(&spec), &attrs_from_spec(&spec))
            .to_review_status(),
        "localsubjectaccessreviews" => {
            let mut a = attrs_from_spec(&spec);
            a.namespace = ctx.info.namespace.clone();
            state
                .rbac
                .authorize(&user_from_spec(&spec), &a)
                .to_review_status()
        }
        "selfsubjectrulesreviews" => {
            let ns = spec.get("namespace").and_then(Value::as_str).unwrap_or("");
            state.rbac.rules_for(&ctx.user, ns).to_status()
        }
        "selfsubjectreviews" => json!({"userInfo": ctx.user.to_json()}),
        "tokenreviews" => {
            let token = spec.get("token").and_then(Value::as_str).unwrap_or("");
            match state.authn.tokens.authenticate_token(token) {
                Some(u) => {
                    json!({"authenticated": true, "user": u.with_authenticated_group().to_json()})
                }
                None => json!({"authenticated": false, "error": "invalid bearer token"}),
            }
        }
        _ => return Err(ApiError::path_not_found()),
    };
    obj["status"] = status;
    let md = kubehci_api::meta::metadata_mut(&mut obj);
    md.insert("creationTimestamp".into(), Value::Null);
    Ok((201, obj))
}
