//! PodDisruptionBudgets (`policy/v1`) and PriorityClasses (`scheduling.k8s.io/v1`).

use kubehci_api::FieldError;
use serde_json::{Value, json};

use crate::gofmt;
use crate::json::{Errs, P, dflt, field, get_obj, get_str, s};
use crate::names::percent;

pub(crate) fn priority_class_defaults(obj: &mut Value) {
    dflt(obj, "preemptionPolicy", json!("PreemptLowerPriority"));
}

fn int_or_percent(v: &Value, p: &P, e: &mut Errs) {
    match v {
        Value::String(s) => {
            for msg in percent(s) {
                e.push(gofmt::invalid_raw(p, &gofmt::int_or_string(v), &msg));
            }
            let over = s
                .strip_suffix('%')
                .and_then(|n| n.parse::<i64>().ok())
                .is_some_and(|n| n > 100);
            if over {
                e.push(gofmt::invalid_raw(
                    p,
                    &gofmt::int_or_string(v),
                    "must not be greater than 100%",
                ));
            }
        }
        Value::Number(n) => {
            let n = n.as_i64().unwrap_or(-1);
            if n < 0 {
                e.push(FieldError::invalid(
                    p,
                    n,
                    "must be greater than or equal to 0",
                ));
            }
        }
        Value::Null => {}
        other => e.push(gofmt::invalid_raw(
            p,
            &other.to_string(),
            "must be an integer or percentage (e.g '5%')",
        )),
    }
}

/// `ValidatePodDisruptionBudgetSpec`.
pub(crate) fn pdb(obj: &Value, e: &mut Errs) {
    let sp = P::new("spec");
    let spec = get_obj(obj, "spec", &P::new(""), e).unwrap_or(&Value::Null);
    let (min, max) = (field(spec, "minAvailable"), field(spec, "maxUnavailable"));
    if min.is_some() && max.is_some() {
        e.push(gofmt::invalid_raw(
            &sp,
            "policy.PodDisruptionBudgetSpec{...}",
            "minAvailable and maxUnavailable cannot be both set",
        ));
    }
    if let Some(v) = min {
        int_or_percent(v, &sp.child("minAvailable"), e);
    }
    if let Some(v) = max {
        int_or_percent(v, &sp.child("maxUnavailable"), e);
    }
    if let Some(sel) = get_obj(spec, "selector", &sp, e) {
        crate::labelselector::validate(sel, &sp.child("selector"), e);
    }
    if let Some(p) = get_str(spec, "unhealthyPodEvictionPolicy", &sp, e)
        .filter(|p| !matches!(*p, "AlwaysAllow" | "IfHealthyBudget"))
    {
        e.push(FieldError::not_supported(
            sp.child("unhealthyPodEvictionPolicy"),
            p,
            &["AlwaysAllow", "IfHealthyBudget"],
        ));
    }
}

const SYSTEM_CLASSES: [(&str, i64); 2] = [
    ("system-node-critical", 2_000_001_000),
    ("system-cluster-critical", 2_000_000_000),
];

/// `ValidatePriorityClass` beyond metadata.
pub(crate) fn priority_class(obj: &Value, e: &mut Errs) {
    let name = crate::objectmeta::meta(obj)
        .map(|m| s(m, "name"))
        .unwrap_or("");
    let value = crate::json::get_i64(obj, "value", &P::new(""), e).unwrap_or(0);
    let global = crate::json::flag(obj, "globalDefault");
    if name.starts_with("system-") {
        let err = match SYSTEM_CLASSES.iter().find(|(n, _)| *n == name) {
            None => Some(format!("{name} is not a known system priority class")),
            Some((n, v)) if *v != value => Some(format!("value of {n} PriorityClass must be {v}")),
            Some((n, _)) if global => {
                Some(format!("globalDefault of {n} PriorityClass must be false"))
            }
            Some(_) => None,
        };
        if let Some(err) = err {
            e.push(FieldError::forbidden(
                "metadata.name",
                format!("priority class names with 'system-' prefix are reserved for system use only. error: {err}"),
            ));
        }
    } else if value > 1_000_000_000 {
        e.push(FieldError::forbidden(
            "value",
            "maximum allowed value of a user defined priority is 1000000000",
        ));
    }
    match get_str(obj, "preemptionPolicy", &P::new(""), e) {
        None | Some("PreemptLowerPriority" | "Never") => {}
        Some("") => e.push(FieldError::required("preemptionPolicy", "")),
        Some(other) => e.push(FieldError::not_supported(
            "preemptionPolicy",
            other,
            &["Never", "PreemptLowerPriority"],
        )),
    }
}

pub(crate) fn priority_class_update(new: &Value, old: &Value, e: &mut Errs) {
    if crate::json::int(new, "value") != crate::json::int(old, "value") {
        e.push(FieldError::forbidden(
            "value",
            "may not be changed in an update.",
        ));
    }
    if s(new, "preemptionPolicy") != s(old, "preemptionPolicy") {
        e.push(gofmt::immutable(
            "preemptionPolicy",
            field(new, "preemptionPolicy"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdb_and_priority_rules() {
        let mut e = Vec::new();
        pdb(
            &json!({"spec": {"minAvailable": "120%", "maxUnavailable": 1}}),
            &mut e,
        );
        let e: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert_eq!(
            e,
            vec![
                "spec: Invalid value: policy.PodDisruptionBudgetSpec{...}: minAvailable and maxUnavailable cannot be both set",
                "spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"120%\"}: must not be greater than 100%",
            ]
        );
        let mut pc = json!({"metadata": {"name": "high"}, "value": 2_000_000_000});
        priority_class_defaults(&mut pc);
        assert_eq!(pc["preemptionPolicy"], "PreemptLowerPriority");
        let mut e = Vec::new();
        priority_class(&pc, &mut e);
        assert_eq!(
            e[0].to_string(),
            "value: Forbidden: maximum allowed value of a user defined priority is 1000000000"
        );
        let mut e = Vec::new();
        priority_class(
            &json!({"metadata": {"name": "system-x"}, "value": 1}),
            &mut e,
        );
        assert_eq!(
            e[0].to_string(),
            "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-x is not a known system priority class"
        );
    }
}
