//! Escalation prevention: granting only what one holds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kubehci_auth::UserInfo;
use kubehci_auth::bootstrap::bootstrap_cache;
use kubehci_auth::rbac::{PolicyRule, RbacKind, RoleRef, compact_string, covers};
use serde_json::json;

fn rule(verbs: &[&str], groups: &[&str], resources: &[&str]) -> PolicyRule {
    let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect();
    PolicyRule {
        verbs: v(verbs),
        api_groups: v(groups),
        resources: v(resources),
        ..PolicyRule::default()
    }
}

#[test]
fn covers_follows_upstream() {
    let owner = vec![
        rule(&["get", "list"], &[""], &["pods", "*/status"]),
        rule(&["*"], &["apps"], &["deployments"]),
    ];
    assert!(covers(&owner, &[rule(&["get"], &[""], &["pods"])]).0);
    assert!(
        covers(
            &owner,
            &[rule(&["list"], &[""], &["pods/status", "services/status"])]
        )
        .0
    );
    assert!(
        covers(
            &owner,
            &[rule(&["delete", "patch"], &["apps"], &["deployments"])]
        )
        .0
    );
    let (ok, missing) = covers(
        &owner,
        &[rule(&["get", "watch"], &[""], &["pods", "secrets"])],
    );
    assert!(!ok);
    assert_eq!(missing.len(), 3);
    let named = PolicyRule {
        resource_names: vec!["x".into()],
        ..rule(&["get"], &[""], &["pods"])
    };
    assert!(covers(&owner, std::slice::from_ref(&named)).0);
    assert!(!covers(&[named], &[rule(&["get"], &[""], &["pods"])]).0);
    let urls = PolicyRule {
        verbs: vec!["get".into()],
        non_resource_urls: vec!["/apis/*".into()],
        ..PolicyRule::default()
    };
    let want = PolicyRule {
        verbs: vec!["get".into()],
        non_resource_urls: vec!["/apis/apps".into()],
        ..PolicyRule::default()
    };
    assert!(covers(&[urls], &[want]).0);
    assert_eq!(
        compact_string(&rule(&["get", "list"], &[""], &["pods"])),
        "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"get\" \"list\"]}"
    );
}

#[test]
fn namespace_admin_cannot_grant_more_than_admin() {
    let cache = bootstrap_cache();
    let rb = json!({"kind": "RoleBinding", "metadata": {"name": "ad", "namespace": "dev"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"},
        "subjects": [{"kind": "User", "name": "ad"}]});
    cache.upsert(RbacKind::RoleBinding, "dev", "ad", &rb);
    let ad = UserInfo::new("ad", &["system:authenticated"]);
    let edit = cache
        .role_ref_rules(
            "dev",
            &RoleRef {
                kind: "ClusterRole".into(),
                name: "edit".into(),
                ..RoleRef::default()
            },
        )
        .unwrap();
    assert!(cache.confirm_no_escalation(&ad, "dev", &edit).is_ok());
    assert!(cache.confirm_no_escalation(&ad, "prod", &edit).is_err());
    let err = cache
        .confirm_no_escalation(
            &ad,
            "dev",
            &[
                rule(&["get", "list"], &[""], &["nodes"]),
                rule(&["delete"], &[""], &["nodes"]),
            ],
        )
        .unwrap_err();
    assert_eq!(
        err,
        "user \"ad\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"\"], Resources:[\"nodes\"], Verbs:[\"get\" \"list\" \"delete\"]}"
    );
    let missing = RoleRef {
        kind: "Role".into(),
        name: "ghost".into(),
        ..RoleRef::default()
    };
    assert_eq!(
        cache.role_ref_rules("dev", &missing).unwrap_err(),
        "role.rbac.authorization.k8s.io \"ghost\" not found"
    );
}
