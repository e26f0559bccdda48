//! The authenticated identity of a request and the well-known names around it
//! (`k8s.io/apiserver/pkg/authentication/user` and `.../serviceaccount`).

use std::collections::BTreeMap;

use kubehci_api::validation;
use serde::{Deserialize, Serialize};

/// Members are allowed everything, before RBAC is consulted.
pub const SYSTEM_MASTERS: &str = "system:masters";
/// Added to every authenticated identity.
pub const ALL_AUTHENTICATED: &str = "system:authenticated";
/// The group of the anonymous identity.
pub const ALL_UNAUTHENTICATED: &str = "system:unauthenticated";
/// The user name of unauthenticated requests.
pub const ANONYMOUS: &str = "system:anonymous";
/// Group of every service account.
pub const SERVICE_ACCOUNTS_GROUP: &str = "system:serviceaccounts";
/// `system:serviceaccount:<namespace>:<name>`.
pub const SERVICE_ACCOUNT_USER_PREFIX: &str = "system:serviceaccount:";
/// Group of the nodes (kubelets).
pub const NODES_GROUP: &str = "system:nodes";
/// `user.Info` extra key holding a fingerprint of the credential used.
pub const CREDENTIAL_ID_KEY: &str = "authentication.kubernetes.io/credential-id";

/// Who is making a request: upstream's `user.DefaultInfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub name: String,
    pub uid: String,
    pub groups: Vec<String>,
    pub extra: BTreeMap<String, Vec<String>>,
}

impl UserInfo {
    /// A user with a name and groups, no uid and no extra.
    pub fn new(name: &str, groups: &[&str]) -> Self {
        Self {
            name: name.to_string(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            ..Self::default()
        }
    }

    /// `system:anonymous` in `system:unauthenticated`.
    pub fn anonymous() -> Self {
        Self::new(ANONYMOUS, &[ALL_UNAUTHENTICATED])
    }

    /// The identity a service account token authenticates as.
    pub fn service_account(namespace: &str, name: &str, uid: &str) -> Self {
        let mut groups = service_account_groups(namespace);
        groups.push(ALL_AUTHENTICATED.to_string());
        Self {
            name: service_account_username(namespace, name),
            uid: uid.to_string(),
            groups,
            extra: BTreeMap::new(),
        }
    }

    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }

    /// Upstream's `AuthenticatedGroupAdder`: every identity but the anonymous one gets
    /// `system:authenticated`, unless it already names either of the two "all" groups.
    pub fn with_authenticated_group(mut self) -> Self {
        if self.name != ANONYMOUS
            && !self.in_group(ALL_AUTHENTICATED)
            && !self.in_group(ALL_UNAUTHENTICATED)
        {
            self.groups.push(ALL_AUTHENTICATED.to_string());
        }
        self
    }

    /// The `status.userInfo` of a SelfSubjectReview / TokenReview (`authentication/v1`).
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({ "username": self.name });
        if !self.uid.is_empty() {
            v["uid"] = self.uid.clone().into();
        }
        if !self.groups.is_empty() {
            v["groups"] = serde_json::json!(self.groups);
        }
        if !self.extra.is_empty() {
            v["extra"] = serde_json::json!(self.extra);
        }
        v
    }
}

/// `system:serviceaccount:<namespace>:<name>`.
pub fn service_account_username(namespace: &str, name: &str) -> String {
    format!("{SERVICE_ACCOUNT_USER_PREFIX}{namespace}:{name}")
}

/// The groups every service account of `namespace` belongs to.
pub fn service_account_groups(namespace: &str) -> Vec<String> {
    vec![
        SERVICE_ACCOUNTS_GROUP.to_string(),
        format!("{SERVICE_ACCOUNTS_GROUP}:{namespace}"),
    ]
}

/// Splits `system:serviceaccount:<ns>:<name>` into (namespace, name) when both parts are
/// valid names, as upstream's `serviceaccount.SplitUsername`.
pub fn split_service_account_username(username: &str) -> Option<(&str, &str)> {
    let rest = username.strip_prefix(SERVICE_ACCOUNT_USER_PREFIX)?;
    let mut parts = rest.split(':');
    let (ns, name) = (parts.next()?, parts.next()?);
    if parts.next().is_some() || !is_dns1123_label(ns) || !is_dns1123_subdomain(name) {
        return None;
    }
    Some((ns, name))
}

/// Whether `username` is the service account `namespace/name`.
pub fn matches_service_account(namespace: &str, name: &str, username: &str) -> bool {
    username
        .strip_prefix(SERVICE_ACCOUNT_USER_PREFIX)
        .and_then(|rest| rest.strip_prefix(namespace))
        .and_then(|rest| rest.strip_prefix(':'))
        .is_some_and(|rest| rest == name)
}

/// RFC 1123 label: at most 63 of `[a-z0-9-]`, alphanumeric at both ends.
pub fn is_dns1123_label(s: &str) -> bool {
    s.len() <= validation::DNS1123_LABEL_MAX && validation::matches_dns1123_label(s)
}

/// RFC 1123 subdomain: dot-separated labels, at most 253 characters.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= validation::DNS1123_SUBDOMAIN_MAX && s.split('.').all(is_dns1123_label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_account_names_split_and_match() {
        assert_eq!(
            split_service_account_username("system:serviceaccount:kube-system:default"),
            Some(("kube-system", "default"))
        );
        assert_eq!(
            split_service_account_username("system:serviceaccount:ns:a.b"),
            Some(("ns", "a.b"))
        );
        assert_eq!(
            split_service_account_username("system:serviceaccount:ns"),
            None
        );
        assert_eq!(
            split_service_account_username("system:serviceaccount:ns:a:b"),
            None
        );
        assert_eq!(
            split_service_account_username("system:serviceaccount:NS:a"),
            None
        );
        assert_eq!(split_service_account_username("bob"), None);
        assert!(matches_service_account(
            "dev",
            "ci",
            "system:serviceaccount:dev:ci"
        ));
        assert!(!matches_service_account(
            "dev",
            "ci",
            "system:serviceaccount:dev:cid"
        ));
        assert!(!matches_service_account(
            "de",
            "v:ci",
            "system:serviceaccount:dev:ci"
        ));
    }

    #[test]
    fn authenticated_group_is_added_once() {
        let u = UserInfo::new("bob", &["dev"]).with_authenticated_group();
        assert_eq!(u.groups, vec!["dev", ALL_AUTHENTICATED]);
        assert_eq!(u.clone().with_authenticated_group(), u);
        assert_eq!(
            UserInfo::anonymous().with_authenticated_group().groups,
            vec![ALL_UNAUTHENTICATED]
        );
        let sa = UserInfo::service_account("dev", "ci", "u1");
        assert_eq!(
            sa.groups,
            vec![
                "system:serviceaccounts",
                "system:serviceaccounts:dev",
                ALL_AUTHENTICATED
            ]
        );
    }
}
