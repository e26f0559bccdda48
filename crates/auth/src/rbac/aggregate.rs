//! ClusterRole aggregation: the rules of a ClusterRole with an `aggregationRule` are the
//! rules of every other ClusterRole its selectors match, in name order, without repeats,
//! which is what upstream's clusterrole-aggregation controller writes into `rules`.
//! Aggregated roles may select other aggregated roles (`admin` selects `edit`, which
//! selects `view`), so the result here is the controller's steady state.

use std::collections::{BTreeMap, BTreeSet};

use super::policy::{PolicyRule, RoleObject};

/// The effective rules of every ClusterRole in `roles` that has an aggregation rule.
pub fn aggregate_all(roles: &BTreeMap<String, RoleObject>) -> BTreeMap<String, Vec<PolicyRule>> {
    let mut memo = BTreeMap::new();
    for (name, role) in roles {
        if role.aggregation.is_some() {
            let mut visiting = BTreeSet::new();
            effective(name, roles, &mut memo, &mut visiting);
        }
    }
    memo
}

/// The rules the aggregation controller would write into ClusterRole `name`, or `None`
/// when it has no aggregation rule (or does not exist).
pub fn aggregated_rules(
    name: &str,
    roles: &BTreeMap<String, RoleObject>,
) -> Option<Vec<PolicyRule>> {
    roles.get(name)?.aggregation.as_ref()?;
    let mut memo = BTreeMap::new();
    Some(effective(name, roles, &mut memo, &mut BTreeSet::new()))
}

fn effective(
    name: &str,
    roles: &BTreeMap<String, RoleObject>,
    memo: &mut BTreeMap<String, Vec<PolicyRule>>,
    visiting: &mut BTreeSet<String>,
) -> Vec<PolicyRule> {
    let Some(role) = roles.get(name) else {
        return Vec::new();
    };
    let Some(selectors) = &role.aggregation else {
        return role.rules.clone();
    };
    if let Some(done) = memo.get(name) {
        return done.clone();
    }
    if !visiting.insert(name.to_string()) {
        // A cycle: use what is stored, as the controller would on its next pass.
        return role.rules.clone();
    }
    let mut out: Vec<PolicyRule> = Vec::new();
    for (other_name, other) in roles {
        if other_name == name || !selectors.iter().any(|s| s.matches(&other.labels)) {
            continue;
        }
        for rule in effective(other_name, roles, memo, visiting) {
            if !out.contains(&rule) {
                out.push(rule);
            }
        }
    }
    visiting.remove(name);
    memo.insert(name.to_string(), out.clone());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn role(name: &str, v: serde_json::Value) -> (String, RoleObject) {
        (name.to_string(), RoleObject::from_value(name, &v))
    }

    #[test]
    fn nested_aggregation_and_cycles() {
        let roles: BTreeMap<String, RoleObject> = [
            role("top", json!({"aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"to-top": "true"}}]}})),
            role("mid", json!({"metadata": {"labels": {"to-top": "true"}},
                "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"to-mid": "true"}}]}})),
            role("leaf", json!({"metadata": {"labels": {"to-mid": "true"}},
                "rules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]})),
            role("extra", json!({"metadata": {"labels": {"to-top": "true"}},
                "rules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]},
                          {"verbs": ["list"], "apiGroups": [""], "resources": ["pods"]}]})),
            role("loop", json!({"metadata": {"labels": {"to-loop": "true"}},
                "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"to-loop": "true"}}]}})),
        ]
        .into();
        let all = aggregate_all(&roles);
        let verbs = |n: &str| {
            all.get(n)
                .map(|r| r.iter().map(|r| r.verbs[0].clone()).collect::<Vec<_>>())
        };
        assert_eq!(verbs("mid"), Some(vec!["get".to_string()]));
        // `extra` sorts before `mid`; the repeated get rule appears once.
        assert_eq!(
            verbs("top"),
            Some(vec!["get".to_string(), "list".to_string()])
        );
        assert_eq!(verbs("loop"), Some(vec![]));
        assert!(aggregated_rules("leaf", &roles).is_none());
        assert_eq!(aggregated_rules("top", &roles).map(|r| r.len()), Some(2));
    }
}
