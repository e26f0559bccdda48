//! Does one rule grant one request? (upstream `rbac.RuleAllows` and `evaluation_helpers.go`)

use super::policy::{PolicyRule, Subject};
use crate::user::{UserInfo, matches_service_account};

/// What a request asks to do, as the authorizer sees it (upstream `authorizer.Attributes`
/// without the user).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attributes {
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`,
    /// `impersonate`, `bind`, `escalate`, ...; for non-resource requests the lower-cased
    /// HTTP method (`get`, `post`, ...).
    pub verb: String,
    pub api_group: String,
    pub api_version: String,
    pub resource: String,
    pub subresource: String,
    /// Object name; empty for list/watch/create without a name. For the `namespaces`
    /// resource the server sets `namespace` to the name too, as upstream's RequestInfo does.
    pub name: String,
    pub namespace: String,
    pub resource_request: bool,
    /// URL path of a non-resource request.
    pub path: String,
}

impl Attributes {
    /// A resource request.
    pub fn resource(
        verb: &str,
        api_group: &str,
        resource: &str,
        namespace: &str,
        name: &str,
    ) -> Self {
        let (resource, subresource) = resource.split_once('/').unwrap_or((resource, ""));
        Self {
            verb: verb.to_string(),
            api_group: api_group.to_string(),
            resource: resource.to_string(),
            subresource: subresource.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
            resource_request: true,
            ..Self::default()
        }
    }

    /// A non-resource request (`/healthz`, `/api`, ...).
    pub fn non_resource(verb: &str, path: &str) -> Self {
        Self {
            verb: verb.to_string(),
            path: path.to_string(),
            ..Self::default()
        }
    }
}

pub fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    rule.verbs.iter().any(|v| v == "*" || v == verb)
}

pub fn api_group_matches(rule: &PolicyRule, group: &str) -> bool {
    rule.api_groups.iter().any(|g| g == "*" || g == group)
}

/// `combined` is `resource` or `resource/subresource`; `*/subresource` matches any
/// resource's subresource of that name.
pub fn resource_matches(rule: &PolicyRule, combined: &str, subresource: &str) -> bool {
    rule.resources.iter().any(|r| {
        r == "*"
            || r == combined
            || (!subresource.is_empty() && r.strip_prefix("*/").is_some_and(|s| s == subresource))
    })
}

/// No resourceNames means any name; otherwise the request must name one of them (so a
/// list or a create without a name never matches a rule with resourceNames).
pub fn resource_name_matches(rule: &PolicyRule, name: &str) -> bool {
    rule.resource_names.is_empty() || rule.resource_names.iter().any(|n| n == name)
}

/// `*` matches every path, `/foo/*` every path starting with `/foo/`.
pub fn non_resource_url_matches(rule: &PolicyRule, path: &str) -> bool {
    rule.non_resource_urls.iter().any(|u| {
        u == "*"
            || u == path
            || u.strip_suffix('*')
                .is_some_and(|prefix| path.starts_with(prefix.trim_end_matches('*')))
    })
}

/// Whether `rule` grants the request described by `attrs`.
pub fn rule_allows(attrs: &Attributes, rule: &PolicyRule) -> bool {
    if !verb_matches(rule, &attrs.verb) {
        return false;
    }
    if !attrs.resource_request {
        return non_resource_url_matches(rule, &attrs.path);
    }
    let combined = if attrs.subresource.is_empty() {
        attrs.resource.clone()
    } else {
        format!("{}/{}", attrs.resource, attrs.subresource)
    };
    api_group_matches(rule, &attrs.api_group)
        && resource_matches(rule, &combined, &attrs.subresource)
        && resource_name_matches(rule, &attrs.name)
}

/// Whether `subject` names `user`. A ServiceAccount subject without a namespace means the
/// binding's namespace (`binding_namespace`, empty for cluster bindings).
pub fn subject_matches(user: &UserInfo, subject: &Subject, binding_namespace: &str) -> bool {
    match subject.kind.as_str() {
        "User" => user.name == subject.name,
        "Group" => user.in_group(&subject.name),
        "ServiceAccount" => {
            let ns = if subject.namespace.is_empty() {
                binding_namespace
            } else {
                &subject.namespace
            };
            !ns.is_empty() && matches_service_account(ns, &subject.name, &user.name)
        }
        _ => false,
    }
}

/// Upstream's subject description in allow reasons: `User "bob"`, `ServiceAccount "ci/dev"`.
pub fn describe_subject(subject: &Subject, binding_namespace: &str) -> String {
    if subject.kind == "ServiceAccount" {
        let ns = if subject.namespace.is_empty() {
            binding_namespace
        } else {
            &subject.namespace
        };
        format!("{} {:?}", subject.kind, format!("{}/{}", subject.name, ns))
    } else {
        format!("{} {:?}", subject.kind, subject.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(verbs: &[&str], groups: &[&str], resources: &[&str], names: &[&str]) -> PolicyRule {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect();
        PolicyRule {
            verbs: v(verbs),
            api_groups: v(groups),
            resources: v(resources),
            resource_names: v(names),
            ..PolicyRule::default()
        }
    }

    #[test]
    fn resource_rules() {
        let r = rule(&["get"], &[""], &["pods", "*/scale"], &[]);
        assert!(rule_allows(
            &Attributes::resource("get", "", "pods", "ns", "p"),
            &r
        ));
        assert!(!rule_allows(
            &Attributes::resource("list", "", "pods", "ns", ""),
            &r
        ));
        assert!(!rule_allows(
            &Attributes::resource("get", "apps", "pods", "ns", ""),
            &r
        ));
        assert!(!rule_allows(
            &Attributes::resource("get", "", "pods/log", "ns", "p"),
            &r
        ));
        assert!(rule_allows(
            &Attributes::resource("get", "", "deployments/scale", "ns", "d"),
            &r
        ));
        assert!(!rule_allows(
            &Attributes::resource("get", "", "scale", "ns", ""),
            &r
        ));
        let named = rule(&["*"], &["*"], &["configmaps"], &["cfg"]);
        assert!(rule_allows(
            &Attributes::resource("update", "", "configmaps", "ns", "cfg"),
            &named
        ));
        assert!(!rule_allows(
            &Attributes::resource("update", "", "configmaps", "ns", "other"),
            &named
        ));
        assert!(!rule_allows(
            &Attributes::resource("list", "", "configmaps", "ns", ""),
            &named
        ));
    }

    #[test]
    fn non_resource_rules() {
        let r = PolicyRule {
            verbs: vec!["get".into()],
            non_resource_urls: vec!["/healthz".into(), "/apis/*".into()],
            ..PolicyRule::default()
        };
        assert!(rule_allows(
            &Attributes::non_resource("get", "/healthz"),
            &r
        ));
        assert!(!rule_allows(
            &Attributes::non_resource("get", "/healthz/etcd"),
            &r
        ));
        assert!(rule_allows(
            &Attributes::non_resource("get", "/apis/apps/v1"),
            &r
        ));
        assert!(!rule_allows(&Attributes::non_resource("get", "/apis"), &r));
        assert!(!rule_allows(
            &Attributes::non_resource("post", "/healthz"),
            &r
        ));
        let mut res = Attributes::resource("get", "", "pods", "", "");
        res.path = "/healthz".into();
        assert!(!rule_allows(&res, &r));
    }

    #[test]
    fn subjects() {
        let sa = UserInfo::service_account("dev", "ci", "");
        let s = |kind: &str, name: &str, ns: &str| Subject {
            kind: kind.into(),
            name: name.into(),
            namespace: ns.into(),
            ..Subject::default()
        };
        assert!(subject_matches(&sa, &s("ServiceAccount", "ci", ""), "dev"));
        assert!(!subject_matches(&sa, &s("ServiceAccount", "ci", ""), ""));
        assert!(subject_matches(
            &sa,
            &s("ServiceAccount", "ci", "dev"),
            "prod"
        ));
        assert!(subject_matches(
            &sa,
            &s("Group", "system:serviceaccounts:dev", ""),
            ""
        ));
        assert!(!subject_matches(&sa, &s("User", "ci", ""), ""));
        assert_eq!(
            describe_subject(&s("ServiceAccount", "ci", ""), "dev"),
            "ServiceAccount \"ci/dev\""
        );
    }
}
