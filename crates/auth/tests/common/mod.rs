//! RBAC test helpers: bindings to bootstrap ClusterRoles and authorization questions.
#![allow(dead_code)]

use kubehci_auth::UserInfo;
use kubehci_auth::rbac::{Attributes, RbacCache, RbacKind};
use serde_json::{Value, json};

pub fn role_binding(ns: &str, name: &str, role_kind: &str, role: &str, subjects: Value) -> Value {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": ns},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        "subjects": subjects,
    })
}

pub fn bind_user(cache: &RbacCache, ns: &str, user: &str, cluster_role: &str) {
    let name = format!("{user}-{cluster_role}");
    let rb = role_binding(
        ns,
        &name,
        "ClusterRole",
        cluster_role,
        json!([{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": user}]),
    );
    cache.upsert(RbacKind::RoleBinding, ns, &name, &rb);
}

pub fn can(
    cache: &RbacCache,
    user: &UserInfo,
    verb: &str,
    group: &str,
    resource: &str,
    ns: &str,
    name: &str,
) -> bool {
    cache
        .authorize(user, &Attributes::resource(verb, group, resource, ns, name))
        .allowed
}

pub fn user(name: &str) -> UserInfo {
    UserInfo::new(name, &["system:authenticated"])
}
