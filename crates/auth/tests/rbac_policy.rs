//! RBAC over the bootstrap policy plus bindings a cluster admin would create.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{bind_user, can, role_binding, user};
use kubehci_auth::bootstrap::bootstrap_cache;
use kubehci_auth::rbac::{Attributes, RbacCache, RbacKind};
use kubehci_auth::{UserInfo, forbidden_message};
use serde_json::json;

#[test]
fn view_in_dev_reads_pods_but_not_secrets_nor_prod() {
    let cache = bootstrap_cache();
    bind_user(&cache, "dev", "alice", "view");
    let alice = user("alice");
    for verb in ["get", "list", "watch"] {
        assert!(
            can(&cache, &alice, verb, "", "pods", "dev", ""),
            "{verb} pods"
        );
    }
    assert!(can(&cache, &alice, "get", "", "pods/log", "dev", "web"));
    assert!(can(
        &cache,
        &alice,
        "list",
        "apps",
        "deployments",
        "dev",
        ""
    ));
    assert!(!can(&cache, &alice, "list", "", "secrets", "dev", ""));
    assert!(!can(&cache, &alice, "create", "", "pods", "dev", ""));
    assert!(!can(
        &cache,
        &alice,
        "create",
        "",
        "pods/exec",
        "dev",
        "web"
    ));
    assert!(!can(&cache, &alice, "list", "", "pods", "prod", ""));
    assert!(!can(&cache, &alice, "list", "", "pods", "", ""));

    let d = cache.authorize(&alice, &Attributes::resource("list", "", "pods", "dev", ""));
    assert_eq!(
        d.reason,
        "RBAC: allowed by RoleBinding \"alice-view/dev\" of ClusterRole \"view\" to User \"alice\""
    );
    let deny = cache.authorize(
        &alice,
        &Attributes::resource("list", "", "secrets", "dev", ""),
    );
    assert_eq!(deny.reason, "");
    assert_eq!(
        forbidden_message(
            &alice.name,
            &Attributes::resource("list", "", "secrets", "dev", ""),
            &deny.reason
        ),
        "secrets is forbidden: User \"alice\" cannot list resource \"secrets\" in API group \"\" in the namespace \"dev\""
    );
}

#[test]
fn edit_and_admin_powers() {
    let cache = bootstrap_cache();
    bind_user(&cache, "dev", "ed", "edit");
    bind_user(&cache, "dev", "ad", "admin");
    let (ed, ad) = (user("ed"), user("ad"));
    assert!(can(&cache, &ed, "create", "apps", "deployments", "dev", ""));
    assert!(can(
        &cache,
        &ed,
        "patch",
        "apps",
        "deployments/scale",
        "dev",
        "web"
    ));
    assert!(can(&cache, &ed, "list", "", "secrets", "dev", ""));
    assert!(can(&cache, &ed, "create", "", "pods/exec", "dev", "web"));
    assert!(!can(
        &cache,
        &ed,
        "create",
        "rbac.authorization.k8s.io",
        "rolebindings",
        "dev",
        ""
    ));
    assert!(!can(
        &cache,
        &ed,
        "update",
        "",
        "resourcequotas",
        "dev",
        "q"
    ));
    assert!(can(
        &cache,
        &ad,
        "create",
        "rbac.authorization.k8s.io",
        "rolebindings",
        "dev",
        ""
    ));
    assert!(can(&cache, &ad, "create", "apps", "deployments", "dev", ""));
    assert!(can(&cache, &ad, "get", "", "pods", "dev", "p"));
    assert!(!can(
        &cache,
        &ad,
        "create",
        "rbac.authorization.k8s.io",
        "rolebindings",
        "prod",
        ""
    ));
    assert!(!can(&cache, &ad, "delete", "", "namespaces", "dev", "dev"));
}

#[test]
fn cluster_admin_and_system_masters() {
    let cache = bootstrap_cache();
    let crb = json!({"kind": "ClusterRoleBinding", "metadata": {"name": "root"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "root"}]});
    cache.upsert(RbacKind::ClusterRoleBinding, "", "root", &crb);
    let root = user("root");
    assert!(can(&cache, &root, "delete", "", "nodes", "", "n1"));
    assert!(can(
        &cache,
        &root,
        "escalate",
        "rbac.authorization.k8s.io",
        "clusterroles",
        "",
        "x"
    ));
    assert!(
        cache
            .authorize(&root, &Attributes::non_resource("get", "/metrics"))
            .allowed
    );

    // system:masters is allowed before RBAC is consulted, even with no policy at all.
    let empty = RbacCache::new();
    let admin = UserInfo::new(
        "kubernetes-admin",
        &["system:masters", "system:authenticated"],
    );
    let d = empty.authorize(
        &admin,
        &Attributes::resource("delete", "", "nodes", "", "n1"),
    );
    assert!(d.allowed);
    assert_eq!(d.reason, "");
    assert!(
        !empty
            .authorize(&root, &Attributes::resource("get", "", "pods", "dev", ""))
            .allowed
    );
}

#[test]
fn resource_names_and_subresources() {
    let cache = RbacCache::new();
    let role = json!({"kind": "Role", "metadata": {"name": "one-cm", "namespace": "dev"}, "rules": [
        {"verbs": ["get", "update"], "apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["app-config"]},
        {"verbs": ["get"], "apiGroups": ["apps"], "resources": ["*/scale"]},
        {"verbs": ["create"], "apiGroups": [""], "resources": ["pods/eviction"]}]});
    cache.upsert(RbacKind::Role, "dev", "one-cm", &role);
    let rb = role_binding(
        "dev",
        "b",
        "Role",
        "one-cm",
        json!([{"kind": "Group", "name": "devs"}]),
    );
    cache.upsert(RbacKind::RoleBinding, "dev", "b", &rb);
    let bob = UserInfo::new("bob", &["devs"]);
    assert!(can(
        &cache,
        &bob,
        "get",
        "",
        "configmaps",
        "dev",
        "app-config"
    ));
    assert!(!can(&cache, &bob, "get", "", "configmaps", "dev", "other"));
    assert!(!can(&cache, &bob, "list", "", "configmaps", "dev", ""));
    assert!(!can(&cache, &bob, "create", "", "configmaps", "dev", ""));
    assert!(can(
        &cache,
        &bob,
        "get",
        "apps",
        "deployments/scale",
        "dev",
        "web"
    ));
    assert!(can(
        &cache,
        &bob,
        "get",
        "apps",
        "statefulsets/scale",
        "dev",
        "db"
    ));
    assert!(!can(
        &cache,
        &bob,
        "get",
        "apps",
        "deployments",
        "dev",
        "web"
    ));
    assert!(can(&cache, &bob, "create", "", "pods/eviction", "dev", "p"));
    assert!(!can(&cache, &bob, "create", "", "pods", "dev", ""));
}

#[test]
fn service_account_subjects_and_groups() {
    let cache = bootstrap_cache();
    let rb = role_binding(
        "ci",
        "sa",
        "ClusterRole",
        "edit",
        json!([{"kind": "ServiceAccount", "name": "builder"}]),
    );
    cache.upsert(RbacKind::RoleBinding, "ci", "sa", &rb);
    let rb = role_binding(
        "shared",
        "all-sa",
        "ClusterRole",
        "view",
        json!([{"kind": "Group", "name": "system:serviceaccounts:ci"}]),
    );
    cache.upsert(RbacKind::RoleBinding, "shared", "all-sa", &rb);
    let sa = UserInfo::service_account("ci", "builder", "uid-1");
    let other = UserInfo::service_account("dev", "builder", "uid-2");
    assert!(can(&cache, &sa, "create", "", "pods", "ci", ""));
    assert!(!can(&cache, &other, "create", "", "pods", "ci", ""));
    assert!(can(&cache, &sa, "list", "", "pods", "shared", ""));
    assert!(!can(&cache, &other, "list", "", "pods", "shared", ""));
    let d = cache.authorize(&sa, &Attributes::resource("create", "", "pods", "ci", ""));
    assert_eq!(
        d.reason,
        "RBAC: allowed by RoleBinding \"sa/ci\" of ClusterRole \"edit\" to ServiceAccount \"builder/ci\""
    );
}

#[test]
fn missing_roles_give_upstream_reasons() {
    let cache = RbacCache::new();
    let rb = role_binding(
        "dev",
        "b1",
        "Role",
        "ghost",
        json!([{"kind": "User", "name": "bob"}]),
    );
    cache.upsert(RbacKind::RoleBinding, "dev", "b1", &rb);
    let bob = user("bob");
    let attrs = Attributes::resource("get", "", "pods", "dev", "p");
    let d = cache.authorize(&bob, &attrs);
    assert!(!d.allowed);
    assert_eq!(
        d.reason,
        "RBAC: role.rbac.authorization.k8s.io \"ghost\" not found"
    );
    assert_eq!(
        forbidden_message("bob", &attrs, &d.reason),
        "pods \"p\" is forbidden: User \"bob\" cannot get resource \"pods\" in API group \"\" in the namespace \"dev\": RBAC: role.rbac.authorization.k8s.io \"ghost\" not found"
    );
    let rb = role_binding(
        "dev",
        "b2",
        "ClusterRole",
        "phantom",
        json!([{"kind": "User", "name": "bob"}]),
    );
    cache.upsert(RbacKind::RoleBinding, "dev", "b2", &rb);
    assert_eq!(
        cache.authorize(&bob, &attrs).reason,
        "RBAC: [role.rbac.authorization.k8s.io \"ghost\" not found, clusterrole.rbac.authorization.k8s.io \"phantom\" not found]"
    );
    // Bindings that do not name the user are not looked at.
    assert_eq!(cache.authorize(&user("carol"), &attrs).reason, "");
    cache.remove(RbacKind::RoleBinding, "dev", "b1");
    cache.remove(RbacKind::RoleBinding, "dev", "b2");
    assert_eq!(cache.authorize(&bob, &attrs).reason, "");
}
