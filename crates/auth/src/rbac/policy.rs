//! The RBAC objects as the authorizer sees them, read from their JSON (`rbac.authorization.k8s.io/v1`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The four RBAC kinds the cache is fed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RbacKind {
    Role,
    ClusterRole,
    RoleBinding,
    ClusterRoleBinding,
}

impl RbacKind {
    /// From a `kind` (`ClusterRole`) or a resource (`clusterroles`).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "Role" | "roles" => Self::Role,
            "ClusterRole" | "clusterroles" => Self::ClusterRole,
            "RoleBinding" | "rolebindings" => Self::RoleBinding,
            "ClusterRoleBinding" | "clusterrolebindings" => Self::ClusterRoleBinding,
            _ => return None,
        })
    }
}

/// One `PolicyRule`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PolicyRule {
    pub verbs: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub api_groups: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resource_names: Vec<String>,
    #[serde(rename = "nonResourceURLs", skip_serializing_if = "Vec::is_empty")]
    pub non_resource_urls: Vec<String>,
}

/// A binding subject.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Subject {
    pub kind: String,
    pub api_group: String,
    pub name: String,
    pub namespace: String,
}

/// A binding's `roleRef`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RoleRef {
    pub api_group: String,
    pub kind: String,
    pub name: String,
}

/// A RoleBinding or ClusterRoleBinding (namespace empty for the latter).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Binding {
    pub name: String,
    pub namespace: String,
    pub role_ref: RoleRef,
    pub subjects: Vec<Subject>,
}

/// `matchExpressions` entry of a label selector.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LabelSelectorRequirement {
    pub key: String,
    pub operator: String,
    pub values: Vec<String>,
}

/// A `metav1.LabelSelector`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LabelSelector {
    pub match_labels: BTreeMap<String, String>,
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

impl LabelSelector {
    /// Whether `labels` satisfy the selector; an empty selector selects everything and an
    /// unknown operator selects nothing.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| {
                let value = labels.get(&r.key);
                match r.operator.as_str() {
                    "In" => value.is_some_and(|v| r.values.contains(v)),
                    "NotIn" => value.is_none_or(|v| !r.values.contains(v)),
                    "Exists" => value.is_some(),
                    "DoesNotExist" => value.is_none(),
                    _ => false,
                }
            })
    }
}

/// A Role or ClusterRole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleObject {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub rules: Vec<PolicyRule>,
    /// `aggregationRule.clusterRoleSelectors` (ClusterRoles only).
    pub aggregation: Option<Vec<LabelSelector>>,
}

/// Deserializes `obj[key]` leniently: missing or malformed is the default value.
fn field<T: serde::de::DeserializeOwned + Default>(obj: &Value, key: &str) -> T {
    match obj.get(key) {
        None | Some(Value::Null) => T::default(),
        Some(v) => serde_json::from_value(v.clone()).unwrap_or_else(|e| {
            tracing::warn!(field = key, error = %e, "ignoring malformed RBAC field");
            T::default()
        }),
    }
}

impl RoleObject {
    pub fn from_value(name: &str, obj: &Value) -> Self {
        let meta = obj.get("metadata").cloned().unwrap_or(Value::Null);
        let aggregation = obj
            .get("aggregationRule")
            .filter(|a| a.is_object())
            .map(|a| field::<Vec<LabelSelector>>(a, "clusterRoleSelectors"));
        Self {
            name: name.to_string(),
            labels: field(&meta, "labels"),
            rules: field(obj, "rules"),
            aggregation,
        }
    }
}

impl Binding {
    pub fn from_value(namespace: &str, name: &str, obj: &Value) -> Self {
        Self {
            name: name.to_string(),
            namespace: namespace.to_string(),
            role_ref: field(obj, "roleRef"),
            subjects: field(obj, "subjects"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selectors_follow_label_semantics() {
        let labels: BTreeMap<String, String> = [("a".to_string(), "1".to_string())].into();
        let sel = |v: Value| serde_json::from_value::<LabelSelector>(v).unwrap_or_default();
        assert!(sel(json!({})).matches(&labels));
        assert!(sel(json!({"matchLabels": {"a": "1"}})).matches(&labels));
        assert!(!sel(json!({"matchLabels": {"a": "2"}})).matches(&labels));
        assert!(
            sel(json!({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1"]}]}))
                .matches(&labels)
        );
        assert!(
            sel(json!({"matchExpressions": [{"key": "b", "operator": "NotIn", "values": ["1"]}]}))
                .matches(&labels)
        );
        assert!(
            !sel(json!({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}))
                .matches(&labels)
        );
        assert!(
            !sel(json!({"matchExpressions": [{"key": "a", "operator": "Bogus"}]})).matches(&labels)
        );
    }

    #[test]
    fn malformed_fields_read_as_empty() {
        let r = RoleObject::from_value("x", &json!({"rules": "nope", "metadata": {"labels": 3}}));
        assert!(r.rules.is_empty() && r.labels.is_empty() && r.aggregation.is_none());
        let b = Binding::from_value(
            "ns",
            "b",
            &json!({"subjects": [{"kind": "User", "name": "bob"}]}),
        );
        assert_eq!(b.subjects[0].name, "bob");
        assert_eq!(b.role_ref, RoleRef::default());
    }
}
