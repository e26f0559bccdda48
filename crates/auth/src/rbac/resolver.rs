//! Walking the bindings that apply to a user (upstream `DefaultRuleResolver.VisitRulesFor`)
//! to authorize a request or to list what a user may do.

use serde_json::{Value, json};

use super::cache::{PolicySnapshot, RbacCache};
use super::policy::{Binding, PolicyRule};
use super::rules::{Attributes, describe_subject, rule_allows, subject_matches};
use crate::user::{SYSTEM_MASTERS, UserInfo};

/// An authorization decision. RBAC never denies outright: `allowed == false` means "no
/// opinion", which the server turns into 403.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// Allowed: `RBAC: allowed by ...` (empty for the system:masters fast path).
    /// Not allowed: empty, or `RBAC: <errors>` when a binding refers to a missing role;
    /// the server appends a non-empty reason to the 403 message after `": "`.
    pub reason: String,
}

impl Decision {
    /// The `status` of a SubjectAccessReview / SelfSubjectAccessReview.
    pub fn to_review_status(&self) -> Value {
        let mut s = json!({ "allowed": self.allowed });
        if !self.reason.is_empty() {
            s["reason"] = self.reason.clone().into();
        }
        s
    }
}

/// What a user may do in a namespace (SelfSubjectRulesReview status).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubjectRules {
    /// Rules with resources (verbs, apiGroups, resources, resourceNames).
    pub resource_rules: Vec<PolicyRule>,
    /// Rules with nonResourceURLs (verbs, nonResourceURLs).
    pub non_resource_rules: Vec<PolicyRule>,
    pub incomplete: bool,
    /// Why the list may be short (a binding to a missing role), if anything.
    pub evaluation_error: Option<String>,
}

impl SubjectRules {
    /// `status` of a SelfSubjectRulesReview (`authorization.k8s.io/v1`).
    pub fn to_status(&self) -> Value {
        let resource: Vec<Value> = self
            .resource_rules
            .iter()
            .map(|r| {
                let mut v = json!({ "verbs": r.verbs });
                for (key, list) in [
                    ("apiGroups", &r.api_groups),
                    ("resources", &r.resources),
                    ("resourceNames", &r.resource_names),
                ] {
                    if !list.is_empty() {
                        v[key] = json!(list);
                    }
                }
                v
            })
            .collect();
        let non_resource: Vec<Value> = self
            .non_resource_rules
            .iter()
            .map(|r| json!({ "verbs": r.verbs, "nonResourceURLs": r.non_resource_urls }))
            .collect();
        let mut s = json!({
            "resourceRules": resource,
            "nonResourceRules": non_resource,
            "incomplete": self.incomplete,
        });
        if let Some(e) = &self.evaluation_error {
            s["evaluationError"] = e.clone().into();
        }
        s
    }
}

/// Where a rule came from, for allow reasons.
fn describe_binding(binding: &Binding, subject: usize) -> String {
    let kind = if binding.namespace.is_empty() {
        "ClusterRoleBinding"
    } else {
        "RoleBinding"
    };
    let name = if binding.namespace.is_empty() {
        binding.name.clone()
    } else {
        format!("{}/{}", binding.name, binding.namespace)
    };
    let who = binding
        .subjects
        .get(subject)
        .map(|s| describe_subject(s, &binding.namespace))
        .unwrap_or_default();
    format!(
        "{kind} {name:?} of {} {:?} to {who}",
        binding.role_ref.kind, binding.role_ref.name
    )
}

/// The rules a binding's roleRef grants, or upstream's error text.
fn role_ref_rules<'a>(
    policy: &'a PolicySnapshot,
    binding: &Binding,
) -> Result<&'a [PolicyRule], String> {
    let r = &binding.role_ref;
    match r.kind.as_str() {
        "Role" => policy
            .role_rules(&binding.namespace, &r.name)
            .ok_or_else(|| format!("role.rbac.authorization.k8s.io {:?} not found", r.name)),
        "ClusterRole" => policy.cluster_role_rules(&r.name).ok_or_else(|| {
            format!(
                "clusterrole.rbac.authorization.k8s.io {:?} not found",
                r.name
            )
        }),
        other => Err(format!("unsupported role reference kind: {other:?}")),
    }
}

/// Calls `visit(source, rule)` for every rule granted to `user` by ClusterRoleBindings and
/// then by RoleBindings of `namespace`, and `error(text)` for bindings whose role is
/// missing. Stops when `visit` returns false.
fn visit_rules(
    policy: &PolicySnapshot,
    user: &UserInfo,
    namespace: &str,
    mut visit: impl FnMut(&dyn Fn() -> String, &PolicyRule) -> bool,
    mut error: impl FnMut(String),
) {
    let bindings = policy.cluster_role_bindings().chain(
        (!namespace.is_empty())
            .then(|| policy.role_bindings(namespace))
            .into_iter()
            .flatten(),
    );
    for binding in bindings {
        let Some(subject) = binding
            .subjects
            .iter()
            .position(|s| subject_matches(user, s, &binding.namespace))
        else {
            continue;
        };
        match role_ref_rules(policy, binding) {
            Ok(rules) => {
                let source = || describe_binding(binding, subject);
                for rule in rules {
                    if !visit(&source, rule) {
                        return;
                    }
                }
            }
            Err(e) => error(e),
        }
    }
}

/// Upstream's aggregate error text: one error as is, several deduplicated in brackets.
fn aggregate_errors(errors: &[String]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for e in errors {
        if !seen.contains(&e.as_str()) {
            seen.push(e);
        }
    }
    match seen.as_slice() {
        [one] => one.to_string(),
        many => format!("[{}]", many.join(", ")),
    }
}

/// RBAC alone (upstream `RBACAuthorizer.Authorize`).
pub fn authorize_rbac(policy: &PolicySnapshot, user: &UserInfo, attrs: &Attributes) -> Decision {
    let mut allowed_by = None;
    let mut errors = Vec::new();
    visit_rules(
        policy,
        user,
        &attrs.namespace,
        |source, rule| {
            if rule_allows(attrs, rule) {
                allowed_by = Some(source());
                return false;
            }
            true
        },
        |e| errors.push(e),
    );
    match allowed_by {
        Some(source) => Decision {
            allowed: true,
            reason: format!("RBAC: allowed by {source}"),
        },
        None if errors.is_empty() => Decision {
            allowed: false,
            reason: String::new(),
        },
        None => Decision {
            allowed: false,
            reason: format!("RBAC: {}", aggregate_errors(&errors)),
        },
    }
}

impl RbacCache {
    /// The API server's authorizer chain: members of `system:masters` are allowed
    /// everything (upstream's privileged-group authorizer, consulted first), then RBAC.
    pub fn authorize(&self, user: &UserInfo, attrs: &Attributes) -> Decision {
        if user.in_group(SYSTEM_MASTERS) {
            return Decision {
                allowed: true,
                reason: String::new(),
            };
        }
        authorize_rbac(&self.snapshot(), user, attrs)
    }

    /// Everything RBAC grants `user` in `namespace` (plus cluster-wide grants), for
    /// SelfSubjectRulesReview. Rules appear once per binding that grants them, as upstream.
    pub fn rules_for(&self, user: &UserInfo, namespace: &str) -> SubjectRules {
        let policy = self.snapshot();
        let mut out = SubjectRules::default();
        let mut errors = Vec::new();
        visit_rules(
            &policy,
            user,
            namespace,
            |_, rule| {
                if !rule.resources.is_empty() {
                    out.resource_rules.push(PolicyRule {
                        non_resource_urls: Vec::new(),
                        ..rule.clone()
                    });
                }
                if !rule.non_resource_urls.is_empty() {
                    out.non_resource_rules.push(PolicyRule {
                        verbs: rule.verbs.clone(),
                        non_resource_urls: rule.non_resource_urls.clone(),
                        ..PolicyRule::default()
                    });
                }
                true
            },
            |e| errors.push(e),
        );
        if !errors.is_empty() {
            out.evaluation_error = Some(aggregate_errors(&errors));
        }
        out
    }
}
