//! Service-account tokens on the server side: the TokenRequest endpoint
//! (`serviceaccounts/<name>/token`), the bearer-token authenticator, and the check that a
//! token's service account (and bound pod) still exist with the uid it names.

use kubehci_api::{ApiError, GroupResource};
use kubehci_auth::satoken::{Claims, ISSUER, KubernetesClaims, ObjectClaim, SaTokenVerifier};
use kubehci_auth::{TokenAuthenticator, UserInfo};
use serde_json::{Value, json};

use crate::rest::Ctx;
use crate::state::State;

/// Bearer tokens signed by the cluster's service-account key.
pub struct SaTokens(pub SaTokenVerifier);

impl TokenAuthenticator for SaTokens {
    fn authenticate_token(&self, token: &str) -> Option<UserInfo> {
        self.0
            .verify(token, chrono::Utc::now().timestamp())
            .map(|c| c.user())
    }
}

async fn stored(state: &State, key: &str) -> Option<Value> {
    let kv = state.backend.get(key, None).await.ok()??;
    serde_json::from_slice(&kv.value).ok()
}

/// For a user authenticated by a service-account token: the account (and bound pod) must
/// still exist with the same uid, as upstream's legacy/bound token validation requires.
pub async fn still_valid(state: &State, user: &UserInfo) -> bool {
    let Some((ns, name)) = kubehci_auth::user::split_service_account_username(&user.name) else {
        return true;
    };
    let from_jwt = user
        .extra
        .get("authentication.kubernetes.io/credential-id")
        .is_some_and(|v| v.iter().any(|c| c.starts_with("JTI=")));
    if !from_jwt {
        return true;
    }
    let Some(sa) = stored(
        state,
        &format!("/registry/core/serviceaccounts/{ns}/{name}"),
    )
    .await
    else {
        return false;
    };
    if kubehci_api::meta::uid(&sa) != user.uid {
        return false;
    }
    if let (Some(pod), Some(uid)) = (
        user.extra
            .get("authentication.kubernetes.io/pod-name")
            .and_then(|v| v.first()),
        user.extra
            .get("authentication.kubernetes.io/pod-uid")
            .and_then(|v| v.first()),
    ) {
        let Some(p) = stored(state, &format!("/registry/core/pods/{ns}/{pod}")).await else {
            return false;
        };
        if kubehci_api::meta::uid(&p) != uid || p.pointer("/metadata/deletionTimestamp").is_some() {
            return false;
        }
    }
    true
}

/// `POST .../serviceaccounts/<name>/token`: issues a token (TokenRequest in, out).
pub async fn token_request(
    state: &State,
    ctx: &Ctx,
    body: &[u8],
) -> Result<(u16, Value), ApiError> {
    let mut req = crate::rest::write::decode_body(ctx, body)?;
    crate::rest::write::require_object(&req)?;
    if req
        .get("spec")
        .is_some_and(|s| !s.is_object() && !s.is_null())
    {
        return Err(ApiError::bad_request(
            "json: cannot unmarshal into Go struct field TokenRequest.spec of type \
             v1.TokenRequestSpec",
        ));
    }
    let ns = ctx.namespace().to_string();
    let name = ctx.info.name.clone();
    let sa = stored(
        state,
        &format!("/registry/core/serviceaccounts/{ns}/{name}"),
    )
    .await
    .ok_or_else(|| ApiError::not_found(&GroupResource::new("", "serviceaccounts"), &name))?;
    let expiration = req
        .pointer("/spec/expirationSeconds")
        .and_then(Value::as_i64)
        .unwrap_or(3600);
    if expiration < 600 {
        return Err(ApiError::invalid(
            "TokenRequest.authentication.k8s.io",
            "authentication.k8s.io",
            "TokenRequest",
            &name,
            &[kubehci_api::FieldError::invalid(
                "spec.expirationSeconds",
                expiration,
                "may not specify a duration less than 10 minutes",
            )],
        ));
    }
    let expiration = expiration.min(48 * 3600);
    let audiences: Vec<String> = req
        .pointer("/spec/audiences")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .filter(|a: &Vec<String>| !a.is_empty())
        .unwrap_or_else(|| vec![ISSUER.to_string()]);
    let mut pod = None;
    if let Some(r) = req.pointer("/spec/boundObjectRef") {
        let kind = r.get("kind").and_then(Value::as_str).unwrap_or("");
        let pname = r.get("name").and_then(Value::as_str).unwrap_or("");
        if kind != "Pod" {
            return Err(ApiError::bad_request(format!(
                "cannot bind token for object of kind {kind:?}: only Pod is supported"
            )));
        }
        let p = stored(state, &format!("/registry/core/pods/{ns}/{pname}"))
            .await
            .ok_or_else(|| ApiError::not_found(&GroupResource::new("", "pods"), pname))?;
        let uid = kubehci_api::meta::uid(&p).to_string();
        if let Some(want) = r
            .get("uid")
            .and_then(Value::as_str)
            .filter(|u| !u.is_empty())
            && want != uid
        {
            return Err(ApiError::conflict(
                &GroupResource::new("", "pods"),
                pname,
                "the UID in the bound object reference does not match",
            ));
        }
        pod = Some(ObjectClaim {
            name: pname.to_string(),
            uid,
        });
    }
    let now = chrono::Utc::now();
    let exp = now.timestamp() + expiration;
    let claims = Claims {
        iss: ISSUER.into(),
        sub: kubehci_auth::user::service_account_username(&ns, &name),
        aud: audiences.clone(),
        exp,
        iat: now.timestamp(),
        nbf: now.timestamp(),
        jti: uuid::Uuid::new_v4().to_string(),
        kubernetes: KubernetesClaims {
            namespace: ns,
            serviceaccount: ObjectClaim {
                name: name.clone(),
                uid: kubehci_api::meta::uid(&sa).to_string(),
            },
            pod,
            secret: None,
        },
    };
    let token = state.sa_signer.sign(&claims).map_err(ApiError::internal)?;
    let expires = chrono::DateTime::from_timestamp(exp, 0)
        .unwrap_or(now)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut spec = req
        .get("spec")
        .filter(|s| s.is_object())
        .cloned()
        .unwrap_or_else(|| json!({}));
    spec["expirationSeconds"] = json!(expiration);
    spec["audiences"] = json!(audiences);
    if let Some(o) = req.as_object_mut() {
        o.insert("spec".into(), spec);
        o.insert(
            "status".into(),
            json!({"token": token, "expirationTimestamp": expires}),
        );
    }
    let md = kubehci_api::meta::metadata_mut(&mut req);
    md.insert("name".into(), json!(name));
    md.insert("namespace".into(), json!(ctx.namespace()));
    md.insert(
        "creationTimestamp".into(),
        json!(now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    );
    Ok((201, req))
}
