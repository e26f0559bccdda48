//! Records other components write: Events (core `v1` and `events.k8s.io/v1`) and
//! Leases (`coordination.k8s.io/v1`).

use kubehci_api::FieldError;
use serde_json::Value;

use crate::json::{Errs, P, field, get_i64, get_str, s};
use crate::names::{dns1123_subdomain, qualified_name};

fn namespace_of(obj: &Value) -> &str {
    crate::objectmeta::meta(obj)
        .map(|m| s(m, "namespace"))
        .unwrap_or("")
}

/// `legacyValidateEvent` with the field names of the API version in use.
fn legacy(
    obj: &Value,
    regarding_key: &str,
    reporter_path: &str,
    names: (&str, &str),
    e: &mut Errs,
) {
    let ns = namespace_of(obj);
    let involved_ns = field(obj, regarding_key)
        .map(|r| s(r, "namespace"))
        .unwrap_or("");
    let ip = P::new("involvedObject").child("namespace");
    let event_time = s(obj, "eventTime");
    if event_time.is_empty() {
        let mismatch = if involved_ns.is_empty() {
            !ns.is_empty() && ns != "default"
        } else {
            ns != involved_ns
        };
        if mismatch {
            e.push(FieldError::invalid(
                &ip,
                involved_ns,
                "does not match event.namespace",
            ));
        }
    } else {
        if involved_ns.is_empty() && ns != "default" && ns != "kube-system" {
            e.push(FieldError::invalid(
                &ip,
                involved_ns,
                "does not match event.namespace",
            ));
        }
        let controller = s(obj, "reportingController");
        if controller.is_empty() {
            e.push(FieldError::required(reporter_path, ""));
        }
        for msg in qualified_name(controller) {
            e.push(FieldError::invalid(reporter_path, controller, msg));
        }
        for (k, limit) in [("reportingInstance", 128), ("action", 128), ("reason", 128)] {
            let v = s(obj, k);
            if v.is_empty() {
                e.push(FieldError::required(k, ""));
            }
            if v.len() > limit {
                e.push(FieldError::invalid(
                    k,
                    "",
                    format!("can have at most {limit} characters"),
                ));
            }
        }
        let (note_key, note_path) = names;
        if s(obj, note_key).len() > 1024 {
            e.push(FieldError::invalid(
                note_path,
                "",
                "can have at most 1024 characters",
            ));
        }
    }
    for msg in dns1123_subdomain(ns) {
        e.push(FieldError::invalid("namespace", ns, msg));
    }
}

/// Core `v1` events only get the legacy checks.
pub(crate) fn core_event(obj: &Value, e: &mut Errs) {
    legacy(
        obj,
        "involvedObject",
        "reportingComponent",
        ("message", "message"),
        e,
    );
}

/// `events.k8s.io/v1` events get the strict checks as well.
pub(crate) fn event_v1(obj: &Value, e: &mut Errs) {
    legacy(obj, "regarding", "reportingController", ("note", "note"), e);
    if s(obj, "eventTime").is_empty() {
        e.push(FieldError::required("eventTime", ""));
    }
    let t = s(obj, "type");
    if !matches!(t, "Normal" | "Warning") {
        e.push(FieldError::invalid(
            "type",
            "",
            format!("has invalid value: {t}"),
        ));
    }
    for (k, path) in [
        ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"),
        ("deprecatedCount", "count"),
    ] {
        if field(obj, k).is_some_and(|v| v.as_i64() != Some(0)) {
            e.push(FieldError::invalid(path, "", "needs to be unset"));
        }
    }
    if field(obj, "deprecatedSource")
        .is_some_and(|src| !s(src, "component").is_empty() || !s(src, "host").is_empty())
    {
        e.push(FieldError::invalid("source", "", "needs to be unset"));
    }
}

/// `ValidateLeaseSpec`.
pub(crate) fn lease(obj: &Value, e: &mut Errs) {
    let sp = P::new("spec");
    let spec = field(obj, "spec").unwrap_or(&Value::Null);
    if let Some(d) = get_i64(spec, "leaseDurationSeconds", &sp, e).filter(|d| *d <= 0) {
        e.push(FieldError::invalid(
            sp.child("leaseDurationSeconds"),
            d,
            "must be greater than 0",
        ));
    }
    if let Some(t) = get_i64(spec, "leaseTransitions", &sp, e).filter(|t| *t < 0) {
        e.push(FieldError::invalid(
            sp.child("leaseTransitions"),
            t,
            "must be greater than or equal to 0",
        ));
    }
    let strategy = get_str(spec, "strategy", &sp, e).unwrap_or("");
    if !strategy.is_empty() && strategy != "OldestEmulationVersion" {
        e.push(FieldError::not_supported(
            sp.child("strategy"),
            strategy,
            &["OldestEmulationVersion"],
        ));
    }
    if !s(spec, "preferredHolder").is_empty() && strategy.is_empty() {
        e.push(FieldError::forbidden(
            sp.child("preferredHolder"),
            "may only be specified if `strategy` is defined",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_and_leases() {
        let ev = json!({"metadata": {"name": "x.1", "namespace": "default"}, "involvedObject": {"namespace": "other"}});
        let mut e = Vec::new();
        core_event(&ev, &mut e);
        assert_eq!(
            e[0].to_string(),
            "involvedObject.namespace: Invalid value: \"other\": does not match event.namespace"
        );
        let mut e = Vec::new();
        lease(
            &json!({"spec": {"leaseDurationSeconds": 0, "leaseTransitions": -1}}),
            &mut e,
        );
        let e: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert_eq!(
            e,
            vec![
                "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0",
                "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0",
            ]
        );
    }
}
