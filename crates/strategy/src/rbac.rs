//! RBAC (`rbac.authorization.k8s.io/v1`): Roles, ClusterRoles and their bindings.

use kubehci_api::FieldError;
use serde_json::{Value, json};

use crate::gofmt;
use crate::json::{
    Errs, P, ensure_obj, field, get_arr, get_obj, get_str, get_strs, items_mut, s, set,
};
use crate::names::{NameRule, dns1123_subdomain};

const GROUP: &str = "rbac.authorization.k8s.io";

/// `SetDefaults_RoleBinding` / `_ClusterRoleBinding` / `_Subject`.
pub(crate) fn binding_defaults(obj: &mut Value) {
    if let Some(r) = ensure_obj(obj, "roleRef")
        && s(r, "apiGroup").is_empty()
    {
        set(r, "apiGroup", json!(GROUP));
    }
    for sub in items_mut(obj, "subjects") {
        if s(sub, "apiGroup").is_empty() && matches!(s(sub, "kind"), "User" | "Group") {
            set(sub, "apiGroup", json!(GROUP));
        }
    }
}

/// `ValidatePolicyRule`.
fn rule(r: &Value, namespaced: bool, p: &P, e: &mut Errs) {
    if get_strs(r, "verbs", p, e).is_empty() {
        e.push(FieldError::required(
            p.child("verbs"),
            "verbs must contain at least one value",
        ));
    }
    let urls = get_strs(r, "nonResourceURLs", p, e);
    if !urls.is_empty() {
        let rendered = gofmt::string_slice(Some(&urls));
        if namespaced {
            e.push(gofmt::invalid_raw(
                p.child("nonResourceURLs"),
                &rendered,
                "namespaced rules cannot apply to non-resource URLs",
            ));
        }
        let has_resources = ["apiGroups", "resources", "resourceNames"]
            .iter()
            .any(|k| !crate::json::items(r, k).is_empty());
        if has_resources {
            e.push(gofmt::invalid_raw(
                p.child("nonResourceURLs"),
                &rendered,
                "rules cannot apply to both regular resources and non-resource URLs",
            ));
        }
        return;
    }
    if get_strs(r, "apiGroups", p, e).is_empty() {
        e.push(FieldError::required(
            p.child("apiGroups"),
            "resource rules must supply at least one api group",
        ));
    }
    if get_strs(r, "resources", p, e).is_empty() {
        e.push(FieldError::required(
            p.child("resources"),
            "resource rules must supply at least one resource",
        ));
    }
}

/// `ValidateRole` / `ValidateClusterRole` beyond metadata.
pub(crate) fn role(obj: &Value, namespaced: bool, e: &mut Errs) {
    let rp = P::new("rules");
    for (i, r) in get_arr(obj, "rules", &P::new(""), e).iter().enumerate() {
        rule(r, namespaced, &rp.index(i), e);
    }
    if namespaced {
        return;
    }
    if let Some(agg) = get_obj(obj, "aggregationRule", &P::new(""), e) {
        let ap = P::new("aggregationRule").child("clusterRoleSelectors");
        let sels = get_arr(agg, "clusterRoleSelectors", &P::new("aggregationRule"), e);
        if sels.is_empty() {
            e.push(FieldError::required(
                &ap,
                "at least one clusterRoleSelector required if aggregationRule is non-nil",
            ));
        }
        for (i, sel) in sels.iter().enumerate() {
            crate::labelselector::validate(sel, &ap.index(i), e);
        }
    }
}

/// `ValidateRoleBinding` / `ValidateClusterRoleBinding` beyond metadata.
pub(crate) fn binding(obj: &Value, namespaced: bool, e: &mut Errs) {
    let rp = P::new("roleRef");
    let rr = field(obj, "roleRef").unwrap_or(&Value::Null);
    let group = get_str(rr, "apiGroup", &rp, e).unwrap_or("");
    if group != GROUP {
        e.push(FieldError::not_supported(
            rp.child("apiGroup"),
            group,
            &[GROUP],
        ));
    }
    let kind = get_str(rr, "kind", &rp, e).unwrap_or("");
    let kinds: &[&str] = if namespaced {
        &["Role", "ClusterRole"]
    } else {
        &["ClusterRole"]
    };
    if !kinds.contains(&kind) {
        e.push(FieldError::not_supported(rp.child("kind"), kind, kinds));
    }
    match get_str(rr, "name", &rp, e).filter(|n| !n.is_empty()) {
        None => e.push(FieldError::required(rp.child("name"), "")),
        Some(n) => {
            for msg in NameRule::PathSegment.check(n, false) {
                e.push(FieldError::invalid(rp.child("name"), n, msg));
            }
        }
    }
    let sp = P::new("subjects");
    for (i, sub) in get_arr(obj, "subjects", &P::new(""), e).iter().enumerate() {
        subject(sub, namespaced, &sp.index(i), e);
    }
}

fn subject(sub: &Value, namespaced: bool, p: &P, e: &mut Errs) {
    let name = get_str(sub, "name", p, e).unwrap_or("");
    if name.is_empty() {
        e.push(FieldError::required(p.child("name"), ""));
    }
    let group = get_str(sub, "apiGroup", p, e).unwrap_or("");
    match get_str(sub, "kind", p, e).unwrap_or("") {
        "ServiceAccount" => {
            if !name.is_empty() {
                for msg in dns1123_subdomain(name) {
                    e.push(FieldError::invalid(p.child("name"), name, msg));
                }
            }
            if !group.is_empty() {
                e.push(FieldError::not_supported(p.child("apiGroup"), group, &[""]));
            }
            if !namespaced && s(sub, "namespace").is_empty() {
                e.push(FieldError::required(p.child("namespace"), ""));
            }
        }
        "User" | "Group" => {
            if group != GROUP {
                e.push(FieldError::not_supported(
                    p.child("apiGroup"),
                    group,
                    &[GROUP],
                ));
            }
        }
        other => e.push(FieldError::not_supported(
            p.child("kind"),
            other,
            &["ServiceAccount", "User", "Group"],
        )),
    }
}

/// A binding's `roleRef` can never change.
pub(crate) fn binding_update(new: &Value, old: &Value, e: &mut Errs) {
    let (n, o) = (
        field(new, "roleRef").unwrap_or(&Value::Null),
        field(old, "roleRef").unwrap_or(&Value::Null),
    );
    let key = |r: &Value| {
        (
            s(r, "apiGroup").to_string(),
            s(r, "kind").to_string(),
            s(r, "name").to_string(),
        )
    };
    if key(n) != key(o) {
        let rendered = format!(
            "rbac.RoleRef{{APIGroup:{}, Kind:{}, Name:{}}}",
            gofmt::quote(s(n, "apiGroup")),
            gofmt::quote(s(n, "kind")),
            gofmt::quote(s(n, "name"))
        );
        e.push(gofmt::invalid_raw(
            "roleRef",
            &rendered,
            "cannot change roleRef",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_and_bindings() {
        let r = json!({"rules": [{"apiGroups": [""], "resources": ["pods"]}, {"verbs": ["get"], "nonResourceURLs": ["/healthz"]}]});
        let mut e = Vec::new();
        role(&r, true, &mut e);
        let e: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert_eq!(
            e,
            vec![
                "rules[0].verbs: Required value: verbs must contain at least one value",
                "rules[1].nonResourceURLs: Invalid value: []string{\"/healthz\"}: namespaced rules cannot apply to non-resource URLs",
            ]
        );
        let mut b = json!({"roleRef": {"kind": "ClusterRole", "name": "view"}, "subjects": [{"kind": "User", "name": "jane"}, {"kind": "ServiceAccount", "name": "default"}]});
        binding_defaults(&mut b);
        assert_eq!(b["roleRef"]["apiGroup"], GROUP);
        assert_eq!(b["subjects"][0]["apiGroup"], GROUP);
        let mut e = Vec::new();
        binding(&b, false, &mut e);
        assert_eq!(e[0].to_string(), "subjects[1].namespace: Required value");
        let mut e = Vec::new();
        let mut changed = b.clone();
        changed["roleRef"]["name"] = json!("edit");
        binding_update(&changed, &b, &mut e);
        assert_eq!(
            e[0].to_string(),
            "roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"ClusterRole\", Name:\"edit\"}: cannot change roleRef"
        );
    }
}
