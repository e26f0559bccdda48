//! User impersonation (`Impersonate-*` headers), as upstream's `WithImpersonation` filter:
//! every requested attribute is one `impersonate` authorization check of the *requester*,
//! in the order user, groups, extras, uid; the first denied check is the 403.

use std::collections::BTreeMap;

use kubehci_api::ApiError;

use crate::forbidden::forbidden_error;
use crate::rbac::{Attributes, Decision};
use crate::user::{
    ALL_AUTHENTICATED, ALL_UNAUTHENTICATED, ANONYMOUS, UserInfo, service_account_groups,
    service_account_username, split_service_account_username,
};

pub const USER_HEADER: &str = "impersonate-user";
pub const GROUP_HEADER: &str = "impersonate-group";
pub const UID_HEADER: &str = "impersonate-uid";
pub const EXTRA_HEADER_PREFIX: &str = "impersonate-extra-";
const AUTHENTICATION_GROUP: &str = "authentication.k8s.io";

/// The `Impersonate-*` headers of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImpersonationHeaders {
    /// First `Impersonate-User` value.
    pub user: Option<String>,
    /// Every `Impersonate-Group` value, in order.
    pub groups: Vec<String>,
    /// First `Impersonate-Uid` value.
    pub uid: Option<String>,
    /// Extra key (lower-cased, percent-decoded) -> values, in header order.
    pub extra: BTreeMap<String, Vec<String>>,
}

impl ImpersonationHeaders {
    /// Collects the impersonation headers from (name, value) pairs; names in any case.
    /// Empty user and uid values count as absent, as upstream.
    pub fn from_headers<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut out = Self::default();
        for (name, value) in headers {
            let lower = name.to_ascii_lowercase();
            if lower == USER_HEADER {
                out.user.get_or_insert_with(|| value.to_string());
            } else if lower == GROUP_HEADER {
                out.groups.push(value.to_string());
            } else if lower == UID_HEADER {
                out.uid.get_or_insert_with(|| value.to_string());
            } else if let Some(key) = lower.strip_prefix(EXTRA_HEADER_PREFIX) {
                out.extra
                    .entry(unescape_extra_key(key))
                    .or_default()
                    .push(value.to_string());
            }
        }
        out.user = out.user.filter(|u| !u.is_empty());
        out.uid = out.uid.filter(|u| !u.is_empty());
        out
    }

    pub fn is_empty(&self) -> bool {
        self.user.is_none() && self.groups.is_empty() && self.uid.is_none() && self.extra.is_empty()
    }
}

/// Percent-decodes an extra key; a malformed escape keeps the key as sent.
fn unescape_extra_key(key: &str) -> String {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(b) => out.push(b),
                None => return key.to_string(),
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| key.to_string())
}

/// Why impersonation was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImpersonationError {
    /// Groups, extras or a uid without `Impersonate-User`. Upstream v1.33 answers this with
    /// a plain-text 500 (`Internal Server Error: "<uri>": <message>`); later releases with
    /// a 400 `BadRequest` Status. kubectl refuses such flags before sending.
    #[error("{0}")]
    WithoutUser(String),
    /// A check was denied: the 403 Status to send.
    #[error("{}", .0.message)]
    Forbidden(ApiError),
}

/// What impersonation needs checked, and who the request runs as once all checks pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImpersonationPlan {
    /// `impersonate` checks, in upstream's order; authorize each as the *requester*.
    pub checks: Vec<Attributes>,
    /// The identity the request continues as.
    pub user: UserInfo,
}

/// Go's `%v` of the `ObjectReference` upstream builds for one request.
fn describe(
    kind: &str,
    namespace: &str,
    name: &str,
    api_version: &str,
    field_path: &str,
) -> String {
    format!("{{{kind} {namespace} {name}  {api_version}  {field_path}}}")
}

/// The checks and the resulting identity for `headers`; `Ok(None)` when the request does
/// not impersonate.
pub fn plan(
    headers: &ImpersonationHeaders,
) -> Result<Option<ImpersonationPlan>, ImpersonationError> {
    if headers.is_empty() {
        return Ok(None);
    }
    let auth_v1 = format!("{AUTHENTICATION_GROUP}/v1");
    let mut checks = Vec::new();
    let mut described = Vec::new();
    let mut user = UserInfo::default();
    let mut groups = Vec::new();
    if let Some(requested) = &headers.user {
        if let Some((ns, name)) = split_service_account_username(requested) {
            checks.push(Attributes::resource(
                "impersonate",
                "",
                "serviceaccounts",
                ns,
                name,
            ));
            described.push(describe("ServiceAccount", ns, name, "", ""));
            user.name = service_account_username(ns, name);
            if headers.groups.is_empty() {
                groups = service_account_groups(ns);
            }
        } else {
            checks.push(Attributes::resource(
                "impersonate",
                "",
                "users",
                "",
                requested,
            ));
            described.push(describe("User", "", requested, "", ""));
            user.name = requested.clone();
        }
    }
    for group in &headers.groups {
        checks.push(Attributes::resource("impersonate", "", "groups", "", group));
        described.push(describe("Group", "", group, "", ""));
        groups.push(group.clone());
    }
    for (key, values) in &headers.extra {
        for value in values {
            let mut a =
                Attributes::resource("impersonate", AUTHENTICATION_GROUP, "userextras", "", value);
            a.subresource = key.clone();
            a.api_version = "v1".into();
            checks.push(a);
            described.push(describe("UserExtra", "", value, &auth_v1, key));
        }
    }
    user.extra = headers.extra.clone();
    if let Some(uid) = &headers.uid {
        let mut a = Attributes::resource("impersonate", AUTHENTICATION_GROUP, "uids", "", uid);
        a.api_version = "v1".into();
        checks.push(a);
        described.push(describe("UID", "", uid, &auth_v1, ""));
        user.uid = uid.clone();
    }
    if headers.user.is_none() {
        return Err(ImpersonationError::WithoutUser(format!(
            "requested [{}] without impersonating a user",
            described.join(" ")
        )));
    }
    if user.name != ANONYMOUS {
        if !groups
            .iter()
            .any(|g| g == ALL_AUTHENTICATED || g == ALL_UNAUTHENTICATED)
        {
            groups.push(ALL_AUTHENTICATED.to_string());
        }
    } else if !groups.iter().any(|g| g == ALL_UNAUTHENTICATED) {
        groups.push(ALL_UNAUTHENTICATED.to_string());
    }
    user.groups = groups;
    Ok(Some(ImpersonationPlan { checks, user }))
}

/// Runs the whole filter: `Ok(None)` when nothing is impersonated, `Ok(Some(user))` for
/// the identity to continue as, or the error to answer with. `authorize` is the server's
/// authorizer (e.g. `RbacCache::authorize`).
pub fn impersonate(
    requester: &UserInfo,
    headers: &ImpersonationHeaders,
    authorize: impl Fn(&UserInfo, &Attributes) -> Decision,
) -> Result<Option<UserInfo>, ImpersonationError> {
    let Some(plan) = plan(headers)? else {
        return Ok(None);
    };
    for check in &plan.checks {
        let decision = authorize(requester, check);
        if !decision.allowed {
            return Err(ImpersonationError::Forbidden(forbidden_error(
                &requester.name,
                check,
                &decision.reason,
            )));
        }
    }
    Ok(Some(plan.user))
}
