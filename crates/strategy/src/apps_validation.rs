//! Deployments, ReplicaSets and DaemonSets, with the selector and template rules the
//! workload kinds share.

use kubehci_api::FieldError;
use serde_json::Value;

use crate::gofmt;
use crate::json::{Errs, P, field, get_i64, get_obj, s, same};
use crate::labelselector::{self, Selector};
use crate::names::percent;
use crate::pod_validation::template_spec;

pub(crate) fn nonneg(o: &Value, k: &str, p: &P, e: &mut Errs) {
    if let Some(v) = get_i64(o, k, p, e).filter(|v| *v < 0) {
        e.push(FieldError::invalid(
            p.child(k),
            v,
            "must be greater than or equal to 0",
        ));
    }
}

pub(crate) fn spec_of<'a>(obj: &'a Value, e: &mut Errs) -> &'a Value {
    get_obj(obj, "spec", &P::new(""), e).unwrap_or(&Value::Null)
}

/// Selector required, valid and non-empty (`what` names the kind in the message).
pub(crate) fn selector(spec: &Value, sp: &P, what: &str, e: &mut Errs) {
    match get_obj(spec, "selector", sp, e) {
        None => e.push(FieldError::required(sp.child("selector"), "")),
        Some(sel) => {
            labelselector::validate(sel, &sp.child("selector"), e);
            if Selector::from_value(Some(sel)) == Selector::Everything {
                e.push(gofmt::invalid_raw(
                    sp.child("selector"),
                    &gofmt::label_selector(Some(sel)),
                    &format!("empty selector is invalid for {what}"),
                ));
            }
        }
    }
}

/// `ValidatePodTemplateSpecForReplicaSet` (also used by Deployments and DaemonSets).
pub(crate) fn template_for_controller(spec: &Value, sp: &P, kind: &str, e: &mut Errs) {
    let tp = sp.child("template");
    let template = field(spec, "template");
    let sel = field(spec, "selector");
    if Selector::from_value(sel) == Selector::Invalid {
        e.push(gofmt::invalid_raw(
            sp.child("selector"),
            &gofmt::label_selector(sel),
            "invalid label selector",
        ));
    } else if template.is_some() {
        labelselector::check_template(sel, template, &tp, e);
    }
    template_spec(template, &tp, e);
    restart_always(template, &tp, e);
    if let Some(ads) = template
        .and_then(|t| field(t, "spec"))
        .and_then(|sp| field(sp, "activeDeadlineSeconds"))
    {
        let msg = format!("activeDeadlineSeconds in {kind} is not Supported");
        e.push(FieldError::invalid(
            tp.at(&["spec", "activeDeadlineSeconds"]),
            ads.clone(),
            msg,
        ));
    }
}

pub(crate) fn restart_always(template: Option<&Value>, tp: &P, e: &mut Errs) {
    let rp = template
        .and_then(|t| field(t, "spec"))
        .map(|sp| s(sp, "restartPolicy"))
        .unwrap_or("");
    if template.is_some() && rp != "Always" {
        e.push(FieldError::not_supported(
            tp.at(&["spec", "restartPolicy"]),
            rp,
            &["Always"],
        ));
    }
}

pub(crate) fn deployment(obj: &Value, e: &mut Errs) {
    let sp = P::new("spec");
    let spec = spec_of(obj, e);
    nonneg(spec, "replicas", &sp, e);
    selector(spec, &sp, "deployment", e);
    template_for_controller(spec, &sp, "ReplicaSet", e);
    strategy(spec, &sp, e);
    nonneg(spec, "minReadySeconds", &sp, e);
    nonneg(spec, "revisionHistoryLimit", &sp, e);
    if let Some(pds) = get_i64(spec, "progressDeadlineSeconds", &sp, e) {
        nonneg(spec, "progressDeadlineSeconds", &sp, e);
        if pds <= crate::json::int(spec, "minReadySeconds").unwrap_or(0) {
            e.push(FieldError::invalid(
                sp.child("progressDeadlineSeconds"),
                pds,
                "must be greater than minReadySeconds",
            ));
        }
    }
}

pub(crate) fn strategy(spec: &Value, sp: &P, e: &mut Errs) {
    let stp = sp.child("strategy");
    let st = field(spec, "strategy").unwrap_or(&Value::Null);
    let ru = field(st, "rollingUpdate");
    match s(st, "type") {
        "Recreate" => {
            if ru.is_some() {
                e.push(FieldError::forbidden(
                    stp.child("rollingUpdate"),
                    "may not be specified when strategy `type` is 'Recreate'",
                ));
            }
        }
        "RollingUpdate" => match ru {
            None => e.push(FieldError::required(
                stp.child("rollingUpdate"),
                "this should be defaulted and never be nil",
            )),
            Some(ru) => rolling_update(ru, &stp.child("rollingUpdate"), e),
        },
        other => {
            let rendered = format!(
                "apps.DeploymentStrategy{{Type:{}, RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}}",
                gofmt::quote(other)
            );
            e.push(gofmt::raw(
                kubehci_api::FieldErrorType::NotSupported,
                &stp,
                &rendered,
                "supported values: \"Recreate\", \"RollingUpdate\"",
            ));
        }
    }
}

/// An int-or-percent's value (`Some(25, true)` for `"25%"`).
pub(crate) fn int_or_percent(v: Option<&Value>) -> Option<(i64, bool)> {
    match v? {
        Value::String(s) => s
            .strip_suffix('%')
            .and_then(|n| n.parse().ok())
            .map(|n| (n, true)),
        other => other.as_i64().map(|n| (n, false)),
    }
}

/// `ValidatePositiveIntOrPercent` plus the 100% cap for `maxUnavailable`.
pub(crate) fn positive_int_or_percent(v: Option<&Value>, p: &P, cap: bool, e: &mut Errs) {
    match v {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => {
            for msg in percent(s) {
                e.push(gofmt::invalid_raw(
                    p,
                    &gofmt::int_or_string(&Value::String(s.clone())),
                    &msg,
                ));
            }
        }
        Some(n @ Value::Number(_)) => {
            let n = n.as_i64().unwrap_or(-1);
            if n < 0 {
                e.push(FieldError::invalid(
                    p,
                    n,
                    "must be greater than or equal to 0",
                ));
            }
        }
        Some(other) => e.push(gofmt::invalid_raw(
            p,
            &other.to_string(),
            "must be an integer or percentage (e.g '5%')",
        )),
    }
    if cap && int_or_percent(v).is_some_and(|(n, pct)| pct && n > 100) {
        e.push(gofmt::invalid_raw(
            p,
            &gofmt::int_or_string(v.unwrap_or(&Value::Null)),
            "must not be greater than 100%",
        ));
    }
}

pub(crate) fn rolling_update(ru: &Value, p: &P, e: &mut Errs) {
    let (mu, ms) = (field(ru, "maxUnavailable"), field(ru, "maxSurge"));
    positive_int_or_percent(mu, &p.child("maxUnavailable"), false, e);
    positive_int_or_percent(ms, &p.child("maxSurge"), false, e);
    let zero = |v: Option<&Value>| int_or_percent(v).is_none_or(|(n, _)| n == 0);
    if zero(mu) && zero(ms) {
        e.push(gofmt::invalid_raw(
            p.child("maxUnavailable"),
            &gofmt::int_or_string(mu.unwrap_or(&Value::Null)),
            "may not be 0 when `maxSurge` is 0",
        ));
    }
    if int_or_percent(mu).is_some_and(|(n, pct)| pct && n > 100) {
        e.push(gofmt::invalid_raw(
            p.child("maxUnavailable"),
            &gofmt::int_or_string(mu.unwrap_or(&Value::Null)),
            "must not be greater than 100%",
        ));
    }
}

pub(crate) fn replica_set(obj: &Value, e: &mut Errs) {
    let sp = P::new("spec");
    let spec = spec_of(obj, e);
    nonneg(spec, "replicas", &sp, e);
    nonneg(spec, "minReadySeconds", &sp, e);
    selector(spec, &sp, "deployment", e);
    template_for_controller(spec, &sp, "ReplicaSet", e);
}

pub(crate) fn daemon_set(obj: &Value, e: &mut Errs) {
    let sp = P::new("spec");
    let spec = spec_of(obj, e);
    selector(spec, &sp, "daemonset", e);
    template_for_controller(spec, &sp, "DaemonSet", e);
    nonneg(spec, "minReadySeconds", &sp, e);
    nonneg(spec, "revisionHistoryLimit", &sp, e);
    let up = sp.child("updateStrategy");
    let us = field(spec, "updateStrategy").unwrap_or(&Value::Null);
    match s(us, "type") {
        "OnDelete" => {}
        "RollingUpdate" => {
            if let Some(ru) = field(us, "rollingUpdate") {
                let rp = up.child("rollingUpdate");
                let (mu, ms) = (field(ru, "maxUnavailable"), field(ru, "maxSurge"));
                positive_int_or_percent(mu, &rp.child("maxUnavailable"), true, e);
                positive_int_or_percent(ms, &rp.child("maxSurge"), true, e);
                let zero = |v: Option<&Value>| int_or_percent(v).is_none_or(|(n, _)| n == 0);
                if zero(mu) && zero(ms) {
                    e.push(gofmt::invalid_raw(
                        rp.child("maxUnavailable"),
                        &gofmt::int_or_string(mu.unwrap_or(&Value::Null)),
                        "may not be 0 when `maxSurge` is 0",
                    ));
                }
            }
        }
        other => e.push(FieldError::not_supported(
            up.child("type"),
            other,
            &["OnDelete", "RollingUpdate"],
        )),
    }
}

/// Deployments, ReplicaSets and DaemonSets may not change their selector.
pub(crate) fn selector_immutable(new: &Value, old: &Value, e: &mut Errs) {
    let ns = new.get("spec").and_then(|sp| field(sp, "selector"));
    let os = old.get("spec").and_then(|sp| field(sp, "selector"));
    if !same(ns, os) {
        e.push(gofmt::immutable_raw(
            "spec.selector",
            &gofmt::label_selector(ns),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statefulset_validation::*;
    use serde_json::json;

    fn deploy(spec: Value) -> Vec<String> {
        let mut e = Vec::new();
        deployment(&json!({"spec": spec}), &mut e);
        e.iter().map(ToString::to_string).collect()
    }

    fn template() -> Value {
        json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx",
            "imagePullPolicy": "Always", "terminationMessagePolicy": "File"}], "restartPolicy": "Always",
            "dnsPolicy": "ClusterFirst", "terminationGracePeriodSeconds": 30}})
    }

    #[test]
    fn deployment_rules() {
        let ok = json!({"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": template(),
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}});
        assert_eq!(deploy(ok), Vec::<String>::new());
        let bad = json!({"replicas": -1, "template": template(),
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 0}}});
        assert_eq!(
            deploy(bad),
            vec![
                "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
                "spec.selector: Required value",
                "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`",
                "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: may not be 0 when `maxSurge` is 0",
            ]
        );
    }

    #[test]
    fn immutable_selector_and_sts_fields() {
        let old =
            json!({"spec": {"selector": {"matchLabels": {"app": "web"}}, "serviceName": "a"}});
        let new =
            json!({"spec": {"selector": {"matchLabels": {"app": "web2"}}, "serviceName": "b"}});
        let mut e = Vec::new();
        selector_immutable(&new, &old, &mut e);
        stateful_set_update(&new, &old, &mut e);
        assert_eq!(
            e[0].to_string(),
            "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web2\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"
        );
        assert!(e[1].to_string().starts_with("spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals'"));
    }
}
