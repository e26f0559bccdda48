//! RBAC escalation prevention: a user may only create a Role, or bind one, that grants
//! what the user already holds (upstream `validation.Covers` / `ConfirmNoEscalation`).
//! The server lets `system:masters` and holders of the `escalate` (roles) or `bind`
//! (bindings) verb skip this check, as upstream's RBAC storage does.

use super::cache::RbacCache;
use super::policy::{PolicyRule, RoleRef};
use crate::user::UserInfo;

/// Splits a rule into rules of one group, resource, verb and name (or one URL and verb).
fn breakdown(rule: &PolicyRule) -> Vec<PolicyRule> {
    let one = |s: &String| vec![s.clone()];
    let mut out = Vec::new();
    for group in &rule.api_groups {
        for resource in &rule.resources {
            for verb in &rule.verbs {
                let base = PolicyRule {
                    api_groups: one(group),
                    resources: one(resource),
                    verbs: one(verb),
                    ..PolicyRule::default()
                };
                if rule.resource_names.is_empty() {
                    out.push(base);
                } else {
                    out.extend(rule.resource_names.iter().map(|n| PolicyRule {
                        resource_names: one(n),
                        ..base.clone()
                    }));
                }
            }
        }
    }
    for url in &rule.non_resource_urls {
        for verb in &rule.verbs {
            out.push(PolicyRule {
                non_resource_urls: one(url),
                verbs: one(verb),
                ..PolicyRule::default()
            });
        }
    }
    out
}

fn has(set: &[String], s: &str) -> bool {
    set.iter().any(|x| x == s)
}

fn has_all(set: &[String], wanted: &[String]) -> bool {
    wanted.iter().all(|w| has(set, w))
}

fn resources_cover(owner: &[String], wanted: &[String]) -> bool {
    has(owner, "*")
        || wanted.iter().all(|path| {
            has(owner, path)
                || path
                    .split_once('/')
                    .is_some_and(|(_, sub)| has(owner, &format!("*/{sub}")))
        })
}

fn urls_cover(owner: &[String], wanted: &[String]) -> bool {
    wanted.iter().all(|path| {
        owner
            .iter()
            .any(|o| o == path || (o.ends_with('*') && path.starts_with(o.trim_end_matches('*'))))
    })
}

/// Whether `owner` (any rule) covers the atomic rule `sub`.
fn rule_covers(owner: &PolicyRule, sub: &PolicyRule) -> bool {
    let names = if sub.resource_names.is_empty() {
        owner.resource_names.is_empty()
    } else {
        owner.resource_names.is_empty() || has_all(&owner.resource_names, &sub.resource_names)
    };
    (has(&owner.verbs, "*") || has_all(&owner.verbs, &sub.verbs))
        && (has(&owner.api_groups, "*") || has_all(&owner.api_groups, &sub.api_groups))
        && resources_cover(&owner.resources, &sub.resources)
        && urls_cover(&owner.non_resource_urls, &sub.non_resource_urls)
        && names
}

/// Whether `owner` rules grant everything `servant` rules do; if not, the atomic rules
/// that are missing.
pub fn covers(owner: &[PolicyRule], servant: &[PolicyRule]) -> (bool, Vec<PolicyRule>) {
    let missing: Vec<PolicyRule> = servant
        .iter()
        .flat_map(breakdown)
        .filter(|sub| !owner.iter().any(|o| rule_covers(o, sub)))
        .collect();
    (missing.is_empty(), missing)
}

/// Merges atomic rules that differ only in their verb (upstream `CompactRules`).
fn compact(rules: Vec<PolicyRule>) -> Vec<PolicyRule> {
    let mut out: Vec<PolicyRule> = Vec::new();
    for rule in rules {
        let simple = rule.non_resource_urls.is_empty()
            && rule.api_groups.len() == 1
            && rule.resources.len() == 1
            && rule.resource_names.len() <= 1;
        let existing = simple
            .then(|| {
                out.iter_mut().find(|r| {
                    r.api_groups == rule.api_groups
                        && r.resources == rule.resources
                        && r.resource_names == rule.resource_names
                })
            })
            .flatten();
        match existing {
            Some(r) => {
                for v in rule.verbs {
                    if !r.verbs.contains(&v) {
                        r.verbs.push(v);
                    }
                }
            }
            None => out.push(rule),
        }
    }
    out
}

/// Go's `%q` of a string slice: `["a" "b"]`.
fn quoted(list: &[String]) -> String {
    format!(
        "[{}]",
        list.iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(" ")
    )
}

/// Upstream's `CompactString` of a rule, used in escalation messages.
pub fn compact_string(r: &PolicyRule) -> String {
    let parts: Vec<String> = [
        ("APIGroups", &r.api_groups),
        ("Resources", &r.resources),
        ("NonResourceURLs", &r.non_resource_urls),
        ("ResourceNames", &r.resource_names),
        ("Verbs", &r.verbs),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k}:{}", quoted(v)))
    .collect();
    format!("{{{}}}", parts.join(", "))
}

impl RbacCache {
    /// `Ok` when `user`'s RBAC rules in `namespace` cover `rules`; otherwise upstream's
    /// message (`user "bob" (groups=[...]) is attempting to grant RBAC permissions not
    /// currently held:\n...`), which the server wraps in a 403 for the role or binding.
    pub fn confirm_no_escalation(
        &self,
        user: &UserInfo,
        namespace: &str,
        rules: &[PolicyRule],
    ) -> Result<(), String> {
        let held = self.rules_for(user, namespace);
        let owner: Vec<PolicyRule> = held
            .resource_rules
            .into_iter()
            .chain(held.non_resource_rules)
            .collect();
        let (ok, missing) = covers(&owner, rules);
        if ok {
            return Ok(());
        }
        let mut lines: Vec<String> = compact(missing).iter().map(compact_string).collect();
        lines.sort();
        lines.dedup();
        let mut msg = format!(
            "user {:?} (groups={}) is attempting to grant RBAC permissions not currently held:\n{}",
            user.name,
            quoted(&user.groups),
            lines.join("\n")
        );
        if let Some(e) = held.evaluation_error {
            msg.push_str(&format!("; resolution errors: [{e}]"));
        }
        Err(msg)
    }

    /// The rules a binding in `namespace` with `role_ref` would grant, or upstream's
    /// not-found text.
    pub fn role_ref_rules(
        &self,
        namespace: &str,
        role_ref: &RoleRef,
    ) -> Result<Vec<PolicyRule>, String> {
        let policy = self.snapshot();
        let found = match role_ref.kind.as_str() {
            "Role" => policy.role_rules(namespace, &role_ref.name),
            "ClusterRole" => policy.cluster_role_rules(&role_ref.name),
            other => return Err(format!("unsupported role reference kind: {other:?}")),
        };
        let kind = role_ref.kind.to_ascii_lowercase();
        found.map(<[PolicyRule]>::to_vec).ok_or_else(|| {
            format!(
                "{kind}.rbac.authorization.k8s.io {:?} not found",
                role_ref.name
            )
        })
    }
}
