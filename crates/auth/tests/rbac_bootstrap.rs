//! The bootstrap policy itself: discovery and self-review grants, aggregation, rule listing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{bind_user, can, role_binding, user};
use kubehci_auth::UserInfo;
use kubehci_auth::bootstrap::bootstrap_cache;
use kubehci_auth::rbac::{Attributes, RbacKind};
use serde_json::json;

#[test]
fn non_resource_urls_from_bootstrap() {
    let cache = bootstrap_cache();
    let anon = UserInfo::anonymous();
    let get = |u: &UserInfo, path: &str| {
        cache
            .authorize(u, &Attributes::non_resource("get", path))
            .allowed
    };
    assert!(get(&anon, "/healthz"));
    assert!(get(&anon, "/version"));
    assert!(!get(&anon, "/api"));
    assert!(!get(&anon, "/healthz/etcd"));
    let bob = user("bob");
    assert!(get(&bob, "/api"));
    assert!(get(&bob, "/apis/apps/v1"));
    assert!(get(&bob, "/openapi/v3"));
    assert!(!get(&bob, "/metrics"));
    assert!(
        !cache
            .authorize(&bob, &Attributes::non_resource("post", "/api"))
            .allowed
    );
    assert!(can(
        &cache,
        &bob,
        "create",
        "authorization.k8s.io",
        "selfsubjectaccessreviews",
        "",
        ""
    ));
    assert!(can(
        &cache,
        &bob,
        "create",
        "authorization.k8s.io",
        "selfsubjectrulesreviews",
        "",
        ""
    ));
    assert!(can(
        &cache,
        &bob,
        "create",
        "authentication.k8s.io",
        "selfsubjectreviews",
        "",
        ""
    ));
}

#[test]
fn custom_roles_aggregate_into_view() {
    let cache = bootstrap_cache();
    bind_user(&cache, "dev", "alice", "view");
    let alice = user("alice");
    assert!(!can(
        &cache,
        &alice,
        "list",
        "example.com",
        "widgets",
        "dev",
        ""
    ));
    let widgets = json!({"kind": "ClusterRole",
        "metadata": {"name": "widgets-view", "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
        "rules": [{"verbs": ["get", "list"], "apiGroups": ["example.com"], "resources": ["widgets"]}]});
    cache.upsert(RbacKind::ClusterRole, "", "widgets-view", &widgets);
    assert!(can(
        &cache,
        &alice,
        "list",
        "example.com",
        "widgets",
        "dev",
        ""
    ));
    // view aggregates into edit and edit into admin.
    bind_user(&cache, "dev", "ad", "admin");
    assert!(can(
        &cache,
        &user("ad"),
        "list",
        "example.com",
        "widgets",
        "dev",
        ""
    ));
    cache.remove(RbacKind::ClusterRole, "", "widgets-view");
    assert!(!can(
        &cache,
        &alice,
        "list",
        "example.com",
        "widgets",
        "dev",
        ""
    ));
}

#[test]
fn rules_for_lists_grants_and_errors() {
    let cache = bootstrap_cache();
    bind_user(&cache, "dev", "alice", "view");
    let alice = user("alice");
    let rules = cache.rules_for(&alice, "dev");
    assert!(!rules.incomplete);
    assert_eq!(rules.evaluation_error, None);
    assert!(
        rules
            .resource_rules
            .iter()
            .any(|r| r.resources.contains(&"pods/log".to_string()))
    );
    assert!(
        rules
            .resource_rules
            .iter()
            .any(|r| r.resources.contains(&"selfsubjectrulesreviews".to_string()))
    );
    assert!(
        rules
            .non_resource_rules
            .iter()
            .any(|r| r.non_resource_urls.contains(&"/api/*".to_string()))
    );
    let in_prod = cache.rules_for(&alice, "prod");
    assert!(
        !in_prod
            .resource_rules
            .iter()
            .any(|r| r.resources.contains(&"pods".to_string()))
    );
    let status = rules.to_status();
    assert_eq!(status["incomplete"], false);
    assert!(status["resourceRules"][0]["verbs"].is_array());
    assert!(status.get("evaluationError").is_none());

    let rb = role_binding(
        "dev",
        "bad",
        "Role",
        "nope",
        json!([{"kind": "User", "name": "alice"}]),
    );
    cache.upsert(RbacKind::RoleBinding, "dev", "bad", &rb);
    let rules = cache.rules_for(&alice, "dev");
    assert_eq!(
        rules.evaluation_error.as_deref(),
        Some("role.rbac.authorization.k8s.io \"nope\" not found")
    );
}

#[test]
fn bootstrap_objects_are_labelled_and_aggregated() {
    let roles = kubehci_auth::bootstrap::cluster_roles();
    let find = |n: &str| {
        roles
            .iter()
            .find(|r| r["metadata"]["name"] == n)
            .cloned()
            .unwrap()
    };
    for r in &roles {
        assert_eq!(
            r["metadata"]["labels"]["kubernetes.io/bootstrapping"],
            "rbac-defaults"
        );
        assert_eq!(
            r["metadata"]["annotations"]["rbac.authorization.kubernetes.io/autoupdate"],
            "true"
        );
    }
    let view = find("view");
    assert_eq!(
        view["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-edit"],
        "true"
    );
    assert_eq!(view["rules"], find("system:aggregate-to-view")["rules"]);
    let edit_rules = find("edit")["rules"].as_array().unwrap().len();
    let admin_rules = find("admin")["rules"].as_array().unwrap().len();
    assert_eq!(admin_rules, edit_rules + 2);
    let bindings = kubehci_auth::bootstrap::cluster_role_bindings();
    let piv = bindings
        .iter()
        .find(|b| b["metadata"]["name"] == "system:public-info-viewer")
        .unwrap();
    assert_eq!(piv["subjects"].as_array().unwrap().len(), 2);
}
