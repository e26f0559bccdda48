//! `Impersonate-*` headers: the checks they need, the identity they produce, the errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kubehci_auth::bootstrap::bootstrap_cache;
use kubehci_auth::impersonate::{ImpersonationHeaders, impersonate, plan};
use kubehci_auth::rbac::{Attributes, RbacKind};
use kubehci_auth::{ImpersonationError, UserInfo};
use serde_json::json;

fn headers(pairs: &[(&str, &str)]) -> ImpersonationHeaders {
    ImpersonationHeaders::from_headers(pairs.iter().copied())
}

#[test]
fn no_headers_no_impersonation() {
    assert!(headers(&[("Authorization", "Bearer x")]).is_empty());
    assert_eq!(plan(&headers(&[])).unwrap(), None);
    let cache = bootstrap_cache();
    let alice = UserInfo::new("alice", &["system:authenticated"]);
    assert_eq!(
        impersonate(&alice, &headers(&[]), |u, a| cache.authorize(u, a)).unwrap(),
        None
    );
}

#[test]
fn checks_in_upstream_order() {
    let h = headers(&[
        ("Impersonate-User", "bob"),
        ("impersonate-group", "dev"),
        ("Impersonate-Group", "ops"),
        ("Impersonate-Extra-Scopes", "view"),
        ("Impersonate-Extra-Scopes", "edit"),
        ("Impersonate-Extra-Acme.com%2Fproject", "p1"),
        ("Impersonate-Uid", "1234"),
    ]);
    let p = plan(&h).unwrap().unwrap();
    let summary: Vec<(String, String, String, String)> = p
        .checks
        .iter()
        .map(|a| {
            (
                a.api_group.clone(),
                a.resource.clone(),
                a.subresource.clone(),
                a.name.clone(),
            )
        })
        .collect();
    let s = |g: &str, r: &str, sub: &str, n: &str| {
        (g.to_string(), r.to_string(), sub.to_string(), n.to_string())
    };
    assert_eq!(
        summary,
        vec![
            s("", "users", "", "bob"),
            s("", "groups", "", "dev"),
            s("", "groups", "", "ops"),
            s(
                "authentication.k8s.io",
                "userextras",
                "acme.com/project",
                "p1"
            ),
            s("authentication.k8s.io", "userextras", "scopes", "view"),
            s("authentication.k8s.io", "userextras", "scopes", "edit"),
            s("authentication.k8s.io", "uids", "", "1234"),
        ]
    );
    assert!(
        p.checks
            .iter()
            .all(|a| a.verb == "impersonate" && a.resource_request)
    );
    assert_eq!(p.user.name, "bob");
    assert_eq!(p.user.uid, "1234");
    assert_eq!(p.user.groups, vec!["dev", "ops", "system:authenticated"]);
    assert_eq!(p.user.extra["scopes"], vec!["view", "edit"]);
}

#[test]
fn service_accounts_and_special_groups() {
    let p = plan(&headers(&[(
        "Impersonate-User",
        "system:serviceaccount:ci:builder",
    )]))
    .unwrap()
    .unwrap();
    assert_eq!(
        p.checks,
        vec![Attributes::resource(
            "impersonate",
            "",
            "serviceaccounts",
            "ci",
            "builder"
        )]
    );
    assert_eq!(
        p.user.groups,
        vec![
            "system:serviceaccounts",
            "system:serviceaccounts:ci",
            "system:authenticated"
        ]
    );
    // Explicit groups replace the service account's fixed ones.
    let p = plan(&headers(&[
        ("Impersonate-User", "system:serviceaccount:ci:builder"),
        ("Impersonate-Group", "x"),
    ]))
    .unwrap()
    .unwrap();
    assert_eq!(p.user.groups, vec!["x", "system:authenticated"]);
    // A malformed service-account name is an ordinary user.
    let p = plan(&headers(&[(
        "Impersonate-User",
        "system:serviceaccount:ci",
    )]))
    .unwrap()
    .unwrap();
    assert_eq!(p.checks[0].resource, "users");
    let p = plan(&headers(&[("Impersonate-User", "system:anonymous")]))
        .unwrap()
        .unwrap();
    assert_eq!(p.user.groups, vec!["system:unauthenticated"]);
    let p = plan(&headers(&[
        ("Impersonate-User", "bob"),
        ("Impersonate-Group", "system:unauthenticated"),
    ]))
    .unwrap()
    .unwrap();
    assert_eq!(p.user.groups, vec!["system:unauthenticated"]);
}

#[test]
fn groups_without_user_is_refused_with_upstream_text() {
    let err = plan(&headers(&[("Impersonate-Group", "system:masters")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "requested [{Group  system:masters    }] without impersonating a user"
    );
    let err = plan(&headers(&[
        ("Impersonate-Extra-Scopes", "v"),
        ("Impersonate-Uid", "7"),
    ]))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "requested [{UserExtra  v  authentication.k8s.io/v1  scopes} {UID  7  authentication.k8s.io/v1  }] without impersonating a user"
    );
    assert!(matches!(err, ImpersonationError::WithoutUser(_)));
}

#[test]
fn impersonation_is_authorized_as_the_requester() {
    let cache = bootstrap_cache();
    let alice = UserInfo::new("alice", &["system:authenticated"]);
    let h = headers(&[("Impersonate-User", "bob")]);
    match impersonate(&alice, &h, |u, a| cache.authorize(u, a)) {
        Err(ImpersonationError::Forbidden(e)) => {
            assert_eq!(e.code, 403);
            assert_eq!(
                e.message,
                "users \"bob\" is forbidden: User \"alice\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope"
            );
        }
        other => panic!("unexpected {other:?}"),
    }

    let role = json!({"kind": "ClusterRole", "metadata": {"name": "impersonator"}, "rules": [
        {"verbs": ["impersonate"], "apiGroups": [""], "resources": ["users"], "resourceNames": ["bob"]},
        {"verbs": ["impersonate"], "apiGroups": [""], "resources": ["groups"]}]});
    cache.upsert(RbacKind::ClusterRole, "", "impersonator", &role);
    let crb = json!({"kind": "ClusterRoleBinding", "metadata": {"name": "impersonator"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "impersonator"},
        "subjects": [{"kind": "User", "name": "alice"}]});
    cache.upsert(RbacKind::ClusterRoleBinding, "", "impersonator", &crb);
    let bob = impersonate(&alice, &h, |u, a| cache.authorize(u, a))
        .unwrap()
        .unwrap();
    assert_eq!(bob, UserInfo::new("bob", &["system:authenticated"]));

    let with_extra = headers(&[
        ("Impersonate-User", "bob"),
        ("Impersonate-Group", "dev"),
        ("Impersonate-Extra-Scopes", "s1"),
    ]);
    match impersonate(&alice, &with_extra, |u, a| cache.authorize(u, a)) {
        Err(ImpersonationError::Forbidden(e)) => assert_eq!(
            e.message,
            "userextras.authentication.k8s.io \"s1\" is forbidden: User \"alice\" cannot impersonate resource \"userextras/scopes\" in API group \"authentication.k8s.io\" at the cluster scope"
        ),
        other => panic!("unexpected {other:?}"),
    }
    let sa = headers(&[(
        "Impersonate-User",
        "system:serviceaccount:kube-system:default",
    )]);
    match impersonate(&alice, &sa, |u, a| cache.authorize(u, a)) {
        Err(ImpersonationError::Forbidden(e)) => assert_eq!(
            e.message,
            "serviceaccounts \"default\" is forbidden: User \"alice\" cannot impersonate resource \"serviceaccounts\" in API group \"\" in the namespace \"kube-system\""
        ),
        other => panic!("unexpected {other:?}"),
    }
    let admin = UserInfo::new(
        "kubernetes-admin",
        &["system:masters", "system:authenticated"],
    );
    assert_eq!(
        impersonate(&admin, &sa, |u, a| cache.authorize(u, a))
            .unwrap()
            .unwrap()
            .name,
        "system:serviceaccount:kube-system:default"
    );
}
