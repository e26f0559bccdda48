//! The RBAC objects kube-apiserver creates at startup (upstream's bootstrap policy), as
//! JSON objects ready to store, each labelled `kubernetes.io/bootstrapping: rbac-defaults`
//! and annotated `rbac.authorization.kubernetes.io/autoupdate: "true"`.

mod system_roles;
mod user_roles;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::rbac::{RbacCache, RbacKind, RoleObject, aggregated_rules};

const API_VERSION: &str = "rbac.authorization.k8s.io/v1";
const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
pub const BOOTSTRAP_LABEL: (&str, &str) = ("kubernetes.io/bootstrapping", "rbac-defaults");
pub const AUTOUPDATE_ANNOTATION: (&str, &str) =
    ("rbac.authorization.kubernetes.io/autoupdate", "true");

pub(crate) const READ: &[&str] = &["get", "list", "watch"];
pub(crate) const WRITE: &[&str] = &["create", "delete", "deletecollection", "patch", "update"];
pub(crate) const READ_WRITE: &[&str] = kubehci_api::registry::ALL_VERBS;

/// A resource rule, fields in the order the API serves them.
pub(crate) fn rule(verbs: &[&str], groups: &[&str], resources: &[&str]) -> Value {
    json!({ "verbs": verbs, "apiGroups": groups, "resources": resources })
}

/// A resource rule limited to `names`.
pub(crate) fn named(verbs: &[&str], groups: &[&str], resources: &[&str], names: &[&str]) -> Value {
    json!({ "verbs": verbs, "apiGroups": groups, "resources": resources, "resourceNames": names })
}

/// A non-resource rule.
pub(crate) fn urls(verbs: &[&str], urls: &[&str]) -> Value {
    json!({ "verbs": verbs, "nonResourceURLs": urls })
}

/// A bootstrap ClusterRole before it is turned into an object.
pub(crate) struct Role {
    name: &'static str,
    labels: Vec<&'static str>,
    rules: Vec<Value>,
    aggregate_from: Option<&'static str>,
}

impl Role {
    pub(crate) fn new(name: &'static str, rules: Vec<Value>) -> Self {
        Self {
            name,
            labels: Vec::new(),
            rules,
            aggregate_from: None,
        }
    }

    /// A role whose rules are those of the roles labelled `from: "true"`.
    pub(crate) fn aggregated(
        name: &'static str,
        labels: &[&'static str],
        from: &'static str,
    ) -> Self {
        Self {
            name,
            labels: labels.to_vec(),
            rules: Vec::new(),
            aggregate_from: Some(from),
        }
    }

    /// Adds `label: "true"` labels.
    pub(crate) fn labelled(mut self, labels: &[&'static str]) -> Self {
        self.labels.extend_from_slice(labels);
        self
    }

    fn to_value(&self) -> Value {
        let mut labels = serde_json::Map::new();
        labels.insert(BOOTSTRAP_LABEL.0.into(), BOOTSTRAP_LABEL.1.into());
        for l in &self.labels {
            labels.insert(l.to_string(), "true".into());
        }
        let mut v = json!({
            "apiVersion": API_VERSION,
            "kind": "ClusterRole",
            "metadata": {
                "name": self.name,
                "labels": labels,
                "annotations": { AUTOUPDATE_ANNOTATION.0: AUTOUPDATE_ANNOTATION.1 },
            },
        });
        if let Some(from) = self.aggregate_from {
            v["aggregationRule"] =
                json!({ "clusterRoleSelectors": [{ "matchLabels": { from: "true" } }] });
        }
        v["rules"] = json!(self.rules);
        v
    }
}

/// Every bootstrap ClusterRole, by name. Aggregated roles (`admin`, `edit`, `view`) carry
/// the rules the aggregation controller would give them, so they read as on a running
/// upstream cluster.
pub fn cluster_roles() -> Vec<Value> {
    let mut roles: Vec<Role> = user_roles::roles();
    roles.extend(system_roles::roles());
    roles.sort_by_key(|r| r.name);
    let mut values: Vec<Value> = roles.iter().map(Role::to_value).collect();
    let parsed: BTreeMap<String, RoleObject> = roles
        .iter()
        .zip(&values)
        .map(|(r, v)| (r.name.to_string(), RoleObject::from_value(r.name, v)))
        .collect();
    for (role, value) in roles.iter().zip(values.iter_mut()) {
        if let Some(rules) = aggregated_rules(role.name, &parsed) {
            value["rules"] = json!(rules);
        }
    }
    values
}

fn subject(kind: &str, name: &str) -> Value {
    json!({ "kind": kind, "apiGroup": RBAC_GROUP, "name": name })
}

fn binding(name: &str, subjects: Vec<Value>) -> Value {
    let mut v = json!({
        "apiVersion": API_VERSION,
        "kind": "ClusterRoleBinding",
        "metadata": {
            "name": name,
            "labels": { BOOTSTRAP_LABEL.0: BOOTSTRAP_LABEL.1 },
            "annotations": { AUTOUPDATE_ANNOTATION.0: AUTOUPDATE_ANNOTATION.1 },
        },
        "roleRef": { "apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": name },
    });
    if !subjects.is_empty() {
        v["subjects"] = json!(subjects);
    }
    v
}

/// Every bootstrap ClusterRoleBinding (each binds the ClusterRole of the same name), by name.
pub fn cluster_role_bindings() -> Vec<Value> {
    let group = |n: &str| subject("Group", n);
    let user = |n: &str| subject("User", n);
    vec![
        binding("cluster-admin", vec![group("system:masters")]),
        binding("system:basic-user", vec![group("system:authenticated")]),
        binding("system:discovery", vec![group("system:authenticated")]),
        binding(
            "system:kube-controller-manager",
            vec![user("system:kube-controller-manager")],
        ),
        binding(
            "system:kube-dns",
            vec![
                json!({ "kind": "ServiceAccount", "name": "kube-dns", "namespace": "kube-system" }),
            ],
        ),
        binding("system:kube-scheduler", vec![user("system:kube-scheduler")]),
        binding("system:monitoring", vec![group("system:monitoring")]),
        // Deviation: upstream binds no one and authorizes nodes with the Node authorizer,
        // which kubehci does not have yet; the node agents (group system:nodes) get the role.
        binding("system:node", vec![group("system:nodes")]),
        binding("system:node-proxier", vec![user("system:kube-proxy")]),
        binding(
            "system:public-info-viewer",
            vec![
                group("system:authenticated"),
                group("system:unauthenticated"),
            ],
        ),
        binding(
            "system:service-account-issuer-discovery",
            vec![group("system:serviceaccounts")],
        ),
        binding(
            "system:volume-scheduler",
            vec![user("system:kube-scheduler")],
        ),
    ]
}

/// All bootstrap objects as (kind, namespace, name, object): roles first.
pub fn objects() -> Vec<(RbacKind, String, String, Value)> {
    let name = |v: &Value| {
        v["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let roles = cluster_roles()
        .into_iter()
        .map(|v| (RbacKind::ClusterRole, String::new(), name(&v), v));
    let bindings = cluster_role_bindings()
        .into_iter()
        .map(|v| (RbacKind::ClusterRoleBinding, String::new(), name(&v), v));
    roles.chain(bindings).collect()
}

/// A cache holding exactly the bootstrap policy (handy for tests and first start).
pub fn bootstrap_cache() -> RbacCache {
    let cache = RbacCache::new();
    let objects = objects();
    cache.replace_all(
        objects
            .iter()
            .map(|(k, ns, n, v)| (*k, ns.as_str(), n.as_str(), v)),
    );
    cache
}
