//! LimitRanges and ResourceQuotas: defaulting and validation.

use std::collections::BTreeSet;

use kubehci_api::FieldError;
use serde_json::Value;

use crate::gofmt;
use crate::json::{
    Errs, P, field, get_arr, get_obj, get_str, get_strs, items, items_mut, obj_mut, s,
};
use crate::names::qualified_name;
use crate::quantity::{Quantity, canonicalize_list};
use crate::resource_validation::{list, quantity_value, resource_name};

const LIMIT_LISTS: [&str; 5] = [
    "max",
    "min",
    "default",
    "defaultRequest",
    "maxLimitRequestRatio",
];
const QUOTA_RESOURCES: [&str; 19] = [
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.storage",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
    "services",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "services.nodeports",
    "services.loadbalancers",
];
const SCOPES: [&str; 6] = [
    "BestEffort",
    "NotBestEffort",
    "Terminating",
    "NotTerminating",
    "PriorityClass",
    "CrossNamespacePodAffinity",
];

/// `SetDefaults_LimitRangeItem`: container defaults fall back to max, requests to the
/// default limit or min.
pub(crate) fn limit_range_defaults(obj: &mut Value) {
    let Some(spec) = obj_mut(obj, "spec") else {
        return;
    };
    for item in items_mut(spec, "limits") {
        for k in LIMIT_LISTS {
            if let Some(l) = obj_mut(item, k) {
                canonicalize_list(l);
            }
        }
        if s(item, "type") != "Container" || !item.is_object() {
            continue;
        }
        let get = |item: &Value, k: &str| {
            item.get(k)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let (max, min) = (get(item, "max"), get(item, "min"));
        let mut default = get(item, "default");
        for (k, v) in max {
            default.entry(k).or_insert(v);
        }
        let mut request = get(item, "defaultRequest");
        for (k, v) in default.iter().chain(min.iter()) {
            request.entry(k.clone()).or_insert(v.clone());
        }
        crate::json::set(item, "default", Value::Object(default));
        crate::json::set(item, "defaultRequest", Value::Object(request));
    }
}

pub(crate) fn resource_quota_defaults(obj: &mut Value) {
    if let Some(hard) = obj_mut(obj, "spec").and_then(|sp| obj_mut(sp, "hard")) {
        canonicalize_list(hard);
    }
}

/// `ValidateLimitRange`.
pub(crate) fn limit_range(obj: &Value, e: &mut Errs) {
    let lp = P::new("spec").child("limits");
    let spec = field(obj, "spec").unwrap_or(&Value::Null);
    let mut types = BTreeSet::new();
    for (i, item) in get_arr(spec, "limits", &P::new("spec"), e)
        .iter()
        .enumerate()
    {
        let ip = lp.index(i);
        let t = get_str(item, "type", &ip, e).unwrap_or("");
        let before = e.len();
        for msg in qualified_name(t) {
            e.push(FieldError::invalid(ip.child("type"), t, msg));
        }
        if e.len() == before
            && !t.contains('/')
            && !matches!(t, "Pod" | "Container" | "PersistentVolumeClaim")
        {
            e.push(FieldError::invalid(
                ip.child("type"),
                t,
                "must be a standard limit type or fully qualified",
            ));
        }
        if !types.insert(t) {
            e.push(FieldError::duplicate(ip.child("type"), t));
        }
        let mut lists = Vec::new();
        for k in LIMIT_LISTS {
            if t == "Pod" && matches!(k, "default" | "defaultRequest") {
                if item
                    .get(k)
                    .and_then(Value::as_object)
                    .is_some_and(|m| !m.is_empty())
                {
                    e.push(FieldError::forbidden(
                        ip.child(k),
                        "may not be specified when `type` is 'Pod'",
                    ));
                }
                lists.push(Vec::new());
                continue;
            }
            let l = list(item, k, &ip, e);
            for (name, _) in &l {
                resource_name(name, &ip.child(k).key(name), e);
            }
            lists.push(l);
        }
        let find =
            |idx: usize, name: &str| lists[idx].iter().find(|(n, _)| n == name).map(|(_, q)| *q);
        let names: BTreeSet<String> = lists.iter().flatten().map(|(n, _)| n.clone()).collect();
        for name in &names {
            let (max, min, def, req) = (find(0, name), find(1, name), find(2, name), find(3, name));
            let gt = |a: Option<Quantity>, b: Option<Quantity>| match (a, b) {
                (Some(a), Some(b)) => a.cmp_value(&b) == std::cmp::Ordering::Greater,
                _ => false,
            };
            let c = |q: Option<Quantity>| q.map(|q| q.canonical()).unwrap_or_default();
            let rq = |q: Option<Quantity>| {
                q.map(|q| crate::resource_validation::go_quantity(&q))
                    .unwrap_or_default()
            };
            if gt(min, max) {
                e.push(gofmt::invalid_raw(
                    ip.child("min").key(name),
                    &rq(min),
                    &format!("min value {} is greater than max value {}", c(min), c(max)),
                ));
            }
            if gt(min, req) {
                e.push(gofmt::invalid_raw(
                    ip.child("defaultRequest").key(name),
                    &rq(req),
                    &format!(
                        "min value {} is greater than default request value {}",
                        c(min),
                        c(req)
                    ),
                ));
            }
            if gt(req, max) {
                e.push(gofmt::invalid_raw(
                    ip.child("defaultRequest").key(name),
                    &rq(req),
                    &format!(
                        "default request value {} is greater than max value {}",
                        c(req),
                        c(max)
                    ),
                ));
            }
            if gt(req, def) {
                e.push(gofmt::invalid_raw(
                    ip.child("defaultRequest").key(name),
                    &rq(req),
                    &format!(
                        "default request value {} is greater than default limit value {}",
                        c(req),
                        c(def)
                    ),
                ));
            }
            if gt(min, def) {
                e.push(gofmt::invalid_raw(
                    ip.child("default").key(name),
                    &rq(min),
                    &format!(
                        "min value {} is greater than default value {}",
                        c(min),
                        c(def)
                    ),
                ));
            }
            if gt(def, max) {
                e.push(gofmt::invalid_raw(
                    ip.child("default").key(name),
                    &rq(max),
                    &format!(
                        "default value {} is greater than max value {}",
                        c(def),
                        c(max)
                    ),
                ));
            }
        }
        if t == "PersistentVolumeClaim"
            && find(0, "storage").is_none()
            && find(1, "storage").is_none()
        {
            e.push(FieldError::required(
                ip.child("limits"),
                "either minimum or maximum storage value is required, but neither was provided",
            ));
        }
    }
}

fn quota_resource_name(name: &str, p: &P, e: &mut Errs) {
    if resource_name(name, p, e)
        && !name.contains('/')
        && !QUOTA_RESOURCES.contains(&name)
        && !name.starts_with("requests.hugepages-")
        && !name.starts_with("count/")
    {
        e.push(FieldError::invalid(
            p,
            name,
            "must be a standard resource for quota",
        ));
    }
}

fn go_scopes(v: Option<&Value>) -> String {
    let scopes: Vec<String> = v
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|x| gofmt::quote(x.as_str().unwrap_or("")))
        .collect();
    format!("[]core.ResourceQuotaScope{{{}}}", scopes.join(", "))
}

/// `ValidateResourceQuota` (spec and status lists).
pub(crate) fn resource_quota(obj: &Value, e: &mut Errs) {
    let sp = P::new("spec");
    let spec = get_obj(obj, "spec", &P::new(""), e).unwrap_or(&Value::Null);
    let hard = list(spec, "hard", &sp, e);
    for (name, q) in &hard {
        let p = sp.child("hard").key(name);
        quota_resource_name(name, &p, e);
        quantity_value(name, q, &p, e);
    }
    let scopes = get_strs(spec, "scopes", &sp, e);
    let rendered = go_scopes(spec.get("scopes"));
    for sc in &scopes {
        if !SCOPES.contains(sc) {
            e.push(gofmt::invalid_raw(
                sp.child("scopes"),
                &rendered,
                "unsupported scope",
            ));
        }
    }
    for (a, b) in [
        ("BestEffort", "NotBestEffort"),
        ("Terminating", "NotTerminating"),
    ] {
        if scopes.contains(&a) && scopes.contains(&b) {
            e.push(gofmt::invalid_raw(
                sp.child("scopes"),
                &rendered,
                "conflicting scopes",
            ));
        }
    }
    let stp = P::new("status");
    let st = field(obj, "status").unwrap_or(&Value::Null);
    for k in ["hard", "used"] {
        for (name, q) in list(st, k, &stp, e) {
            let p = stp.child(k).key(&name);
            quota_resource_name(&name, &p, e);
            quantity_value(&name, &q, &p, e);
        }
    }
}

pub(crate) fn resource_quota_update(new: &Value, old: &Value, e: &mut Errs) {
    let set_of = |v: &Value| -> BTreeSet<String> {
        v.get("spec")
            .map(|sp| items(sp, "scopes"))
            .unwrap_or(&[])
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    };
    if set_of(new) != set_of(old) {
        e.push(gofmt::immutable_raw(
            "spec.scopes",
            &go_scopes(new.get("spec").and_then(|sp| sp.get("scopes"))),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn limit_range_defaults_from_max() {
        let mut lr = json!({"spec": {"limits": [{"type": "Container", "max": {"cpu": "1"}, "min": {"memory": "64Mi"}}]}});
        limit_range_defaults(&mut lr);
        assert_eq!(lr["spec"]["limits"][0]["default"], json!({"cpu": "1"}));
        assert_eq!(
            lr["spec"]["limits"][0]["defaultRequest"],
            json!({"cpu": "1", "memory": "64Mi"})
        );
        let mut e = Vec::new();
        limit_range(&lr, &mut e);
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn quota_names_and_scopes() {
        let q = json!({"spec": {"hard": {"pods": "10", "gpus": "1"}, "scopes": ["BestEffort", "NotBestEffort"]}});
        let mut e = Vec::new();
        resource_quota(&q, &mut e);
        let e: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert_eq!(
            e,
            vec![
                "spec.hard[gpus]: Invalid value: \"gpus\": must be a standard resource type or fully qualified",
                "spec.scopes: Invalid value: []core.ResourceQuotaScope{\"BestEffort\", \"NotBestEffort\"}: conflicting scopes",
            ]
        );
    }
}
