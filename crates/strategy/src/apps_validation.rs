//! Validation of the workload controllers: Deployments, ReplicaSets, StatefulSets,
//! DaemonSets, ReplicationControllers and ControllerRevisions.

use kubehci_api::FieldError;
use serde_json::Value;

use crate::gofmt;
use crate::json::{Errs, P, field, get_i64, get_obj, get_str, get_str_map, s, same};
use crate::labelselector::{self, Selector};
use crate::names::percent;
use crate::pod_validation::template_spec;

fn nonneg(o: &Value, k: &str, p: &P, e: &mut Errs) {
    if let Some(v) = get_i64(o, k, p, e).filter(|v| *v < 0) {
        e.push(FieldError::invalid(
            p.child(k),
            v,
            "must be greater than or equal to 0",
        ));
    }
}

fn spec_of<'a>(obj: &'a Value, e: &mut Errs) -> &'a Value {
    get_obj(obj, "spec", &P::new(""), e).unwrap_or(&Value::Null)
}

/// Selector required, valid and non-empty (`what` names the kind in the message).
fn selector(spec: &Value, sp: &P, what: &str, e: &mut Errs) {
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
fn template_for_controller(spec: &Value, sp: &P, kind: &str, e: &mut Errs) {
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

fn restart_always(template: Option<&Value>, tp: &P, e: &mut Errs) {
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

fn strategy(spec: &Value, sp: &P, e: &mut Errs) {
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
fn int_or_percent(v: Option<&Value>) -> Option<(i64, bool)> {
    match v? {
        Value::String(s) => s
            .strip_suffix('%')
            .and_then(|n| n.parse().ok())
            .map(|n| (n, true)),
        other => other.as_i64().map(|n| (n, false)),
    }
}

/// `ValidatePositiveIntOrPercent` plus the 100% cap for `maxUnavailable`.
fn positive_int_or_percent(v: Option<&Value>, p: &P, cap: bool, e: &mut Errs) {
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

fn rolling_update(ru: &Value, p: &P, e: &mut Errs) {
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

pub(crate) fn stateful_set(obj: &Value, e: &mut Errs) {
    let sp = P::new("spec");
    let spec = spec_of(obj, e);
    match get_str(spec, "podManagementPolicy", &sp, e).unwrap_or("") {
        "" => e.push(FieldError::required(sp.child("podManagementPolicy"), "")),
        "OrderedReady" | "Parallel" => {}
        other => e.push(FieldError::invalid(
            sp.child("podManagementPolicy"),
            other,
            "must be 'OrderedReady' or 'Parallel'",
        )),
    }
    let up = sp.child("updateStrategy");
    let us = field(spec, "updateStrategy").unwrap_or(&Value::Null);
    match s(us, "type") {
        "" => e.push(FieldError::required(&up, "")),
        "OnDelete" => {
            if field(us, "rollingUpdate").is_some() {
                e.push(gofmt::invalid_raw(
                    up.child("rollingUpdate"),
                    "apps.RollingUpdateStatefulSetStrategy{...}",
                    "only allowed for updateStrategy 'RollingUpdate'",
                ));
            }
        }
        "RollingUpdate" => {
            if let Some(ru) = field(us, "rollingUpdate") {
                nonneg(ru, "partition", &up.child("rollingUpdate"), e);
            }
        }
        other => e.push(gofmt::invalid_raw(
            &up,
            &format!("apps.StatefulSetUpdateStrategy{{Type:{}, RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}}", gofmt::quote(other)),
            "must be 'RollingUpdate' or 'OnDelete'",
        )),
    }
    if let Some(pol) = get_obj(spec, "persistentVolumeClaimRetentionPolicy", &sp, e) {
        let pp = sp.child("persistentVolumeClaimRetentionPolicy");
        for k in ["whenDeleted", "whenScaled"] {
            let v = s(pol, k);
            if !matches!(v, "Retain" | "Delete") {
                e.push(FieldError::not_supported(
                    pp.child(k),
                    v,
                    &["Retain", "Delete"],
                ));
            }
        }
    }
    if let Some(o) = get_obj(spec, "ordinals", &sp, e) {
        nonneg(o, "start", &sp.child("ordinals"), e);
    }
    nonneg(spec, "replicas", &sp, e);
    nonneg(spec, "minReadySeconds", &sp, e);
    selector(spec, &sp, "statefulset", e);
    let tp = sp.child("template");
    let template = field(spec, "template");
    let sel = field(spec, "selector");
    if Selector::from_value(sel) == Selector::Invalid {
        e.push(gofmt::invalid_raw(
            sp.child("selector"),
            &gofmt::label_selector(sel),
            "",
        ));
    } else {
        labelselector::check_template(sel, template, &tp, e);
    }
    template_spec(template, &tp, e);
    restart_always(template, &tp, e);
    if let Some(ads) = template
        .and_then(|t| field(t, "spec"))
        .and_then(|sp| field(sp, "activeDeadlineSeconds"))
    {
        e.push(FieldError::invalid(
            tp.at(&["spec", "activeDeadlineSeconds"]),
            ads.clone(),
            "must not be specified",
        ));
    }
}

/// `ValidateReplicationControllerSpec`.
pub(crate) fn replication_controller(obj: &Value, e: &mut Errs) {
    let sp = P::new("spec");
    let spec = spec_of(obj, e);
    nonneg(spec, "minReadySeconds", &sp, e);
    let sel = get_str_map(spec, "selector", &sp, e).unwrap_or_default();
    if sel.is_empty() {
        e.push(FieldError::required(sp.child("selector"), ""));
    }
    nonneg(spec, "replicas", &sp, e);
    let tp = sp.child("template");
    let Some(template) = field(spec, "template") else {
        e.push(FieldError::required(&tp, ""));
        return;
    };
    let meta = field(template, "metadata");
    let labels = meta
        .map(|m| crate::json::str_map(m, "labels"))
        .unwrap_or_default();
    if !sel.is_empty() && !labelselector::from_map(&sel).matches(&labels) {
        e.push(gofmt::invalid_raw(
            tp.at(&["metadata", "labels"]),
            &gofmt::labels_of(meta),
            "`selector` does not match template `labels`",
        ));
    }
    template_spec(Some(template), &tp, e);
    restart_always(Some(template), &tp, e);
    if field(template, "spec")
        .and_then(|sp| field(sp, "activeDeadlineSeconds"))
        .is_some()
    {
        e.push(FieldError::forbidden(
            tp.at(&["spec", "activeDeadlineSeconds"]),
            "activeDeadlineSeconds in ReplicationController is not Supported",
        ));
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

pub(crate) fn stateful_set_update(new: &Value, old: &Value, e: &mut Errs) {
    let mutable = [
        "replicas",
        "template",
        "updateStrategy",
        "minReadySeconds",
        "ordinals",
        "persistentVolumeClaimRetentionPolicy",
    ];
    let strip = |v: &Value| {
        let mut spec = v.get("spec").cloned().unwrap_or(Value::Null);
        for k in mutable {
            crate::json::remove(&mut spec, k);
        }
        spec
    };
    if !same(Some(&strip(new)), Some(&strip(old))) {
        e.push(FieldError::forbidden(
            "spec",
            "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ));
    }
}

pub(crate) fn controller_revision(obj: &Value, e: &mut Errs) {
    if field(obj, "data").is_none() {
        e.push(FieldError::required("data", "data is mandatory"));
    }
    nonneg(obj, "revision", &P::new(""), e);
}

pub(crate) fn controller_revision_update(new: &Value, old: &Value, e: &mut Errs) {
    if !same(new.get("data"), old.get("data")) {
        e.push(gofmt::immutable_raw("data", "runtime.RawExtension{...}"));
    }
}

/// Status counts of the workload kinds may not be negative.
pub(crate) fn status_counts(new: &Value, e: &mut Errs) {
    let stp = P::new("status");
    let st = field(new, "status").unwrap_or(&Value::Null);
    for k in [
        "replicas",
        "readyReplicas",
        "availableReplicas",
        "updatedReplicas",
        "unavailableReplicas",
        "currentReplicas",
        "fullyLabeledReplicas",
        "observedGeneration",
        "collisionCount",
        "currentNumberScheduled",
        "numberMisscheduled",
        "desiredNumberScheduled",
        "numberReady",
        "updatedNumberScheduled",
        "numberAvailable",
        "numberUnavailable",
    ] {
        nonneg(st, k, &stp, e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
