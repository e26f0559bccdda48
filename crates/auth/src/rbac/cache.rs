//! The in-memory RBAC policy the server feeds from its store and watches.
//!
//! Writers replace one object at a time; readers take a cheap `Arc` snapshot of the whole
//! policy, so an authorization decision never blocks a writer for longer than a pointer
//! swap and always sees one consistent version of the policy.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::RwLock;
use serde_json::Value;

use super::aggregate::aggregate_all;
use super::policy::{Binding, PolicyRule, RbacKind, RoleObject};

/// One consistent version of the RBAC policy.
#[derive(Debug, Clone, Default)]
pub struct PolicySnapshot {
    pub(crate) cluster_roles: BTreeMap<String, RoleObject>,
    /// Rules of aggregated ClusterRoles, computed from their selectors.
    pub(crate) aggregated: BTreeMap<String, Vec<PolicyRule>>,
    /// (namespace, name) -> Role.
    pub(crate) roles: BTreeMap<(String, String), RoleObject>,
    pub(crate) cluster_role_bindings: BTreeMap<String, Binding>,
    /// namespace -> name -> RoleBinding.
    pub(crate) role_bindings: BTreeMap<String, BTreeMap<String, Binding>>,
}

impl PolicySnapshot {
    /// The rules ClusterRole `name` grants (aggregated ones included).
    pub fn cluster_role_rules(&self, name: &str) -> Option<&[PolicyRule]> {
        if let Some(rules) = self.aggregated.get(name) {
            return Some(rules);
        }
        self.cluster_roles.get(name).map(|r| r.rules.as_slice())
    }

    pub fn role_rules(&self, namespace: &str, name: &str) -> Option<&[PolicyRule]> {
        self.roles
            .get(&(namespace.to_string(), name.to_string()))
            .map(|r| r.rules.as_slice())
    }

    /// ClusterRoleBindings in name order.
    pub fn cluster_role_bindings(&self) -> impl Iterator<Item = &Binding> {
        self.cluster_role_bindings.values()
    }

    /// RoleBindings of `namespace` in name order.
    pub fn role_bindings(&self, namespace: &str) -> impl Iterator<Item = &Binding> {
        self.role_bindings
            .get(namespace)
            .into_iter()
            .flat_map(|m| m.values())
    }

    /// The rules the aggregation controller would store in ClusterRole `name`, if it has
    /// an aggregation rule: lets a controller write them back so `kubectl get` shows them.
    pub fn aggregated_rules(&self, name: &str) -> Option<&[PolicyRule]> {
        self.aggregated.get(name).map(Vec::as_slice)
    }
}

/// The RBAC policy cache. Cheap to share (`Arc<RbacCache>`), safe to use from any thread.
#[derive(Debug, Default)]
pub struct RbacCache {
    current: RwLock<Arc<PolicySnapshot>>,
}

impl RbacCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The current policy.
    pub fn snapshot(&self) -> Arc<PolicySnapshot> {
        self.current.read().clone()
    }

    fn update(&self, f: impl FnOnce(&mut PolicySnapshot)) {
        let mut guard = self.current.write();
        let mut next = (**guard).clone();
        f(&mut next);
        *guard = Arc::new(next);
    }

    /// Adds or replaces an object (`namespace` empty for cluster-scoped kinds). Malformed
    /// fields are read as empty, so a broken object grants nothing.
    pub fn upsert(&self, kind: RbacKind, namespace: &str, name: &str, obj: &Value) {
        self.update(|s| match kind {
            RbacKind::ClusterRole => {
                s.cluster_roles
                    .insert(name.to_string(), RoleObject::from_value(name, obj));
                s.aggregated = aggregate_all(&s.cluster_roles);
            }
            RbacKind::Role => {
                s.roles.insert(
                    (namespace.to_string(), name.to_string()),
                    RoleObject::from_value(name, obj),
                );
            }
            RbacKind::ClusterRoleBinding => {
                s.cluster_role_bindings
                    .insert(name.to_string(), Binding::from_value("", name, obj));
            }
            RbacKind::RoleBinding => {
                s.role_bindings
                    .entry(namespace.to_string())
                    .or_default()
                    .insert(name.to_string(), Binding::from_value(namespace, name, obj));
            }
        });
    }

    /// Removes an object; removing an absent one does nothing.
    pub fn remove(&self, kind: RbacKind, namespace: &str, name: &str) {
        self.update(|s| match kind {
            RbacKind::ClusterRole => {
                if s.cluster_roles.remove(name).is_some() {
                    s.aggregated = aggregate_all(&s.cluster_roles);
                }
            }
            RbacKind::Role => {
                s.roles.remove(&(namespace.to_string(), name.to_string()));
            }
            RbacKind::ClusterRoleBinding => {
                s.cluster_role_bindings.remove(name);
            }
            RbacKind::RoleBinding => {
                if let Some(m) = s.role_bindings.get_mut(namespace) {
                    m.remove(name);
                    if m.is_empty() {
                        s.role_bindings.remove(namespace);
                    }
                }
            }
        });
    }

    /// Replaces the whole policy with `objects` (kind, namespace, name, object), e.g. after
    /// a relist.
    pub fn replace_all<'a>(
        &self,
        objects: impl IntoIterator<Item = (RbacKind, &'a str, &'a str, &'a Value)>,
    ) {
        let mut next = PolicySnapshot::default();
        for (kind, ns, name, obj) in objects {
            match kind {
                RbacKind::ClusterRole => {
                    next.cluster_roles
                        .insert(name.to_string(), RoleObject::from_value(name, obj));
                }
                RbacKind::Role => {
                    next.roles.insert(
                        (ns.to_string(), name.to_string()),
                        RoleObject::from_value(name, obj),
                    );
                }
                RbacKind::ClusterRoleBinding => {
                    next.cluster_role_bindings
                        .insert(name.to_string(), Binding::from_value("", name, obj));
                }
                RbacKind::RoleBinding => {
                    next.role_bindings
                        .entry(ns.to_string())
                        .or_default()
                        .insert(name.to_string(), Binding::from_value(ns, name, obj));
                }
            }
        }
        next.aggregated = aggregate_all(&next.cluster_roles);
        *self.current.write() = Arc::new(next);
    }
}
