//! The scheduling parts of a pod spec: tolerations, affinity and topology spread.

use kubehci_api::FieldError;
use serde_json::Value;

use crate::json::{Errs, P, field, get_arr, get_i64, get_obj, get_str, get_strs, s};
use crate::labelselector;
use crate::names::{dns1123_label, label_value};
use crate::objectmeta::validate_label_name;

/// `ValidateTolerations`.
pub(crate) fn tolerations(list: &[Value], p: &P, e: &mut Errs) {
    for (i, t) in list.iter().enumerate() {
        let ip = p.index(i);
        let key = get_str(t, "key", &ip, e).unwrap_or("");
        let op = get_str(t, "operator", &ip, e).unwrap_or("");
        let effect = get_str(t, "effect", &ip, e).unwrap_or("");
        let value = get_str(t, "value", &ip, e).unwrap_or("");
        if !key.is_empty() {
            validate_label_name(key, &ip.child("key"), e);
        }
        if key.is_empty() && op != "Exists" {
            e.push(FieldError::invalid(
                ip.child("operator"),
                op,
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            ));
        }
        if get_i64(t, "tolerationSeconds", &ip, e).is_some() && effect != "NoExecute" {
            e.push(FieldError::invalid(
                ip.child("effect"),
                effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
        match op {
            "Equal" | "" => {
                let errs = label_value(value);
                if !errs.is_empty() {
                    e.push(FieldError::invalid(
                        ip.child("operator"),
                        value,
                        errs.join(";"),
                    ));
                }
            }
            "Exists" => {
                if !value.is_empty() {
                    e.push(FieldError::invalid(
                        ip.child("operator"),
                        value,
                        "value must be empty when `operator` is 'Exists'",
                    ));
                }
            }
            other => e.push(FieldError::not_supported(
                ip.child("operator"),
                other,
                &["Equal", "Exists"],
            )),
        }
        if !effect.is_empty() && !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute")
        {
            e.push(FieldError::not_supported(
                ip.child("effect"),
                effect,
                &["NoSchedule", "PreferNoSchedule", "NoExecute"],
            ));
        }
    }
}

pub(crate) fn affinity(aff: &Value, p: &P, e: &mut Errs) {
    if let Some(na) = get_obj(aff, "nodeAffinity", p, e) {
        let np = p.child("nodeAffinity");
        if let Some(req) = get_obj(na, "requiredDuringSchedulingIgnoredDuringExecution", &np, e) {
            let rp = np.child("requiredDuringSchedulingIgnoredDuringExecution");
            let terms = get_arr(req, "nodeSelectorTerms", &rp, e);
            if terms.is_empty() {
                e.push(FieldError::required(
                    rp.child("nodeSelectorTerms"),
                    "must have at least one node selector term",
                ));
            }
            for (i, t) in terms.iter().enumerate() {
                node_selector_term(t, &rp.child("nodeSelectorTerms").index(i), e);
            }
        }
        let pp = np.child("preferredDuringSchedulingIgnoredDuringExecution");
        for (i, t) in get_arr(
            na,
            "preferredDuringSchedulingIgnoredDuringExecution",
            &np,
            e,
        )
        .iter()
        .enumerate()
        {
            weight(t, &pp.index(i), e);
            if let Some(pref) = field(t, "preference") {
                node_selector_term(pref, &pp.index(i).child("preference"), e);
            }
        }
    }
    for k in ["podAffinity", "podAntiAffinity"] {
        let Some(pa) = get_obj(aff, k, p, e) else {
            continue;
        };
        let kp = p.child(k);
        let rp = kp.child("requiredDuringSchedulingIgnoredDuringExecution");
        for (i, t) in get_arr(pa, "requiredDuringSchedulingIgnoredDuringExecution", &kp, e)
            .iter()
            .enumerate()
        {
            pod_affinity_term(t, &rp.index(i), e);
        }
        let pp = kp.child("preferredDuringSchedulingIgnoredDuringExecution");
        for (i, t) in get_arr(
            pa,
            "preferredDuringSchedulingIgnoredDuringExecution",
            &kp,
            e,
        )
        .iter()
        .enumerate()
        {
            weight(t, &pp.index(i), e);
            pod_affinity_term(
                field(t, "podAffinityTerm").unwrap_or(&Value::Null),
                &pp.index(i).child("podAffinityTerm"),
                e,
            );
        }
    }
}

pub(crate) fn weight(t: &Value, p: &P, e: &mut Errs) {
    let w = crate::json::int(t, "weight").unwrap_or(0);
    if !(1..=100).contains(&w) {
        e.push(FieldError::invalid(
            p.child("weight"),
            w,
            "must be in the range 1-100",
        ));
    }
}

pub(crate) fn node_selector_term(t: &Value, p: &P, e: &mut Errs) {
    for (j, r) in get_arr(t, "matchExpressions", p, e).iter().enumerate() {
        let rp = p.child("matchExpressions").index(j);
        let values = get_strs(r, "values", &rp, e);
        match s(r, "operator") {
            "In" | "NotIn" if values.is_empty() => e.push(FieldError::required(
                rp.child("values"),
                "must be specified when `operator` is 'In' or 'NotIn'",
            )),
            "Exists" | "DoesNotExist" if !values.is_empty() => e.push(FieldError::forbidden(
                rp.child("values"),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            )),
            "Gt" | "Lt" if values.len() != 1 => e.push(FieldError::required(
                rp.child("values"),
                "must be specified single value when `operator` is 'Lt' or 'Gt'",
            )),
            "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt" => {}
            other => e.push(FieldError::invalid(
                rp.child("operator"),
                other,
                "not a valid selector operator",
            )),
        }
        validate_label_name(s(r, "key"), &rp.child("key"), e);
    }
}

pub(crate) fn pod_affinity_term(t: &Value, p: &P, e: &mut Errs) {
    if let Some(sel) = get_obj(t, "labelSelector", p, e) {
        labelselector::validate(sel, &p.child("labelSelector"), e);
    }
    for ns in get_strs(t, "namespaces", p, e) {
        for msg in dns1123_label(ns) {
            e.push(FieldError::invalid(p.child("namespace"), ns, msg));
        }
    }
    let key = get_str(t, "topologyKey", p, e).unwrap_or("");
    if key.is_empty() {
        e.push(FieldError::required(
            p.child("topologyKey"),
            "can not be empty",
        ));
    }
    validate_label_name(key, &p.child("topologyKey"), e);
}

pub(crate) fn topology_spread(spec: &Value, p: &P, e: &mut Errs) {
    let tp = p.child("topologySpreadConstraints");
    let list = get_arr(spec, "topologySpreadConstraints", p, e);
    for (i, c) in list.iter().enumerate() {
        let cp = tp.index(i);
        let skew = crate::json::int(c, "maxSkew").unwrap_or(0);
        if skew <= 0 {
            e.push(FieldError::invalid(
                cp.child("maxSkew"),
                skew,
                "must be greater than zero",
            ));
        }
        let key = s(c, "topologyKey");
        if key.is_empty() {
            e.push(FieldError::required(
                cp.child("topologyKey"),
                "can not be empty",
            ));
        }
        let when = s(c, "whenUnsatisfiable");
        if !matches!(when, "DoNotSchedule" | "ScheduleAnyway") {
            e.push(FieldError::not_supported(
                cp.child("whenUnsatisfiable"),
                when,
                &["DoNotSchedule", "ScheduleAnyway"],
            ));
        }
        if list[i + 1..]
            .iter()
            .any(|o| s(o, "topologyKey") == key && s(o, "whenUnsatisfiable") == when)
        {
            e.push(FieldError::duplicate(
                cp.child("{topologyKey, whenUnsatisfiable}"),
                format!("{{{key}, {when}}}"),
            ));
        }
        if let Some(sel) = get_obj(c, "labelSelector", &cp, e) {
            labelselector::validate(sel, &cp.child("labelSelector"), e);
        }
    }
}
