//! Jobs (`batch/v1`): defaulting, the generated selector, and validation.

use kubehci_api::FieldError;
use serde_json::{Value, json};

use crate::gofmt;
use crate::json::{
    Errs, P, dflt, ensure_obj, field, get_i64, get_obj, get_str, s, same, set, str_map,
};
use crate::labelselector::{self, Selector};
use crate::pod_defaults::template_at;
use crate::pod_validation::template_spec;

pub(crate) const JOB_NAME: &str = "batch.kubernetes.io/job-name";

pub(crate) const LEGACY_JOB_NAME: &str = "job-name";

pub(crate) const CONTROLLER_UID: &str = "batch.kubernetes.io/controller-uid";

pub(crate) const LEGACY_CONTROLLER_UID: &str = "controller-uid";

pub(crate) fn job_defaults(obj: &mut Value) {
    template_at(obj, &["spec", "template"]);
    let template_labels = obj
        .get("spec")
        .and_then(|sp| crate::json::at(sp, &["template", "metadata", "labels"]))
        .cloned();
    let Some(spec) = ensure_obj(obj, "spec") else {
        return;
    };
    if field(spec, "completions").is_none() && field(spec, "parallelism").is_none() {
        set(spec, "completions", json!(1));
    }
    dflt(spec, "parallelism", json!(1));
    let backoff = if field(spec, "backoffLimitPerIndex").is_some() {
        2_147_483_647
    } else {
        6
    };
    dflt(spec, "backoffLimit", json!(backoff));
    dflt(spec, "completionMode", json!("NonIndexed"));
    dflt(spec, "suspend", json!(false));
    let replacement = if field(spec, "podFailurePolicy").is_some() {
        "Failed"
    } else {
        "TerminatingOrFailed"
    };
    dflt(spec, "podReplacementPolicy", json!(replacement));
    if let Some(labels) = template_labels.filter(|l| l.as_object().is_some_and(|m| !m.is_empty()))
        && let Some(md) = ensure_obj(obj, "metadata")
        && md
            .get("labels")
            .and_then(Value::as_object)
            .is_none_or(|m| m.is_empty())
    {
        set(md, "labels", labels);
    }
}

/// What the job strategy does once the server has assigned `metadata.uid` (upstream's
/// `generateSelector`): unless `spec.manualSelector` is true, label the pod template
/// with the job name and uid (new and legacy keys) and select on
/// `batch.kubernetes.io/controller-uid`. Job labels left empty are then copied from the
/// template, as upstream's defaulting does when the stored job is read back.
pub fn generate_job_selector(obj: &mut Value) {
    let manual = obj
        .get("spec")
        .and_then(|sp| sp.get("manualSelector"))
        .and_then(Value::as_bool)
        == Some(true);
    let name = obj
        .get("metadata")
        .map(|m| s(m, "name").to_string())
        .unwrap_or_default();
    let uid = obj
        .get("metadata")
        .map(|m| s(m, "uid").to_string())
        .unwrap_or_default();
    if !manual {
        let Some(spec) = ensure_obj(obj, "spec") else {
            return;
        };
        if let Some(labels) = ensure_obj(spec, "template")
            .and_then(|t| ensure_obj(t, "metadata"))
            .and_then(|m| ensure_obj(m, "labels"))
        {
            for (k, v) in [
                (LEGACY_JOB_NAME, &name),
                (JOB_NAME, &name),
                (LEGACY_CONTROLLER_UID, &uid),
                (CONTROLLER_UID, &uid),
            ] {
                dflt(labels, k, json!(v));
            }
        }
        if let Some(ml) =
            ensure_obj(spec, "selector").and_then(|sel| ensure_obj(sel, "matchLabels"))
        {
            dflt(ml, CONTROLLER_UID, json!(uid));
        }
    }
    let template_labels = obj
        .get("spec")
        .and_then(|sp| crate::json::at(sp, &["template", "metadata", "labels"]))
        .cloned();
    if let (Some(labels), Some(md)) = (template_labels, ensure_obj(obj, "metadata"))
        && md
            .get("labels")
            .and_then(Value::as_object)
            .is_none_or(|m| m.is_empty())
    {
        set(md, "labels", labels);
    }
}

pub(crate) fn nonneg(o: &Value, k: &str, p: &P, e: &mut Errs) {
    if let Some(v) = get_i64(o, k, p, e).filter(|v| *v < 0) {
        e.push(FieldError::invalid(
            p.child(k),
            v,
            "must be greater than or equal to 0",
        ));
    }
}

/// `validateJobSpec`: everything but the selector.
pub(crate) fn job_spec_common(spec: &Value, sp: &P, e: &mut Errs) {
    for k in [
        "parallelism",
        "completions",
        "activeDeadlineSeconds",
        "backoffLimit",
        "ttlSecondsAfterFinished",
    ] {
        nonneg(spec, k, sp, e);
    }
    if let Some(mode) = get_str(spec, "completionMode", sp, e) {
        if !matches!(mode, "NonIndexed" | "Indexed") {
            e.push(FieldError::not_supported(
                sp.child("completionMode"),
                mode,
                &["NonIndexed", "Indexed"],
            ));
        }
        if mode == "Indexed" {
            if field(spec, "completions").is_none() {
                e.push(FieldError::required(
                    sp.child("completions"),
                    "when completion mode is Indexed",
                ));
            }
            if let Some(par) = crate::json::int(spec, "parallelism").filter(|p| *p > 100_000) {
                e.push(FieldError::invalid(
                    sp.child("parallelism"),
                    par,
                    "must be less than or equal to 100000 when completion mode is Indexed",
                ));
            }
        }
    }
    let failure_policy = field(spec, "podFailurePolicy").is_some();
    if let Some(prp) = get_str(spec, "podReplacementPolicy", sp, e) {
        let allowed: &[&str] = if failure_policy {
            &["Failed"]
        } else {
            &["Failed", "TerminatingOrFailed"]
        };
        if !allowed.contains(&prp) {
            e.push(FieldError::not_supported(
                sp.child("podReplacementPolicy"),
                prp,
                allowed,
            ));
        }
    }
    let tp = sp.child("template");
    let template = field(spec, "template");
    template_spec(template, &tp, e);
    let rp = template
        .and_then(|t| field(t, "spec"))
        .map(|ts| s(ts, "restartPolicy"))
        .unwrap_or("");
    if !matches!(rp, "OnFailure" | "Never") {
        e.push(FieldError::not_supported(
            tp.at(&["spec", "restartPolicy"]),
            rp,
            &["OnFailure", "Never"],
        ));
    } else if rp == "OnFailure" && failure_policy {
        e.push(FieldError::invalid(
            tp.at(&["spec", "restartPolicy"]),
            rp,
            "only \"Never\" is supported when podFailurePolicy is specified",
        ));
    }
}

/// `ValidateJobSpec`.
pub(crate) fn job(obj: &Value, e: &mut Errs) {
    let sp = P::new("spec");
    let spec = get_obj(obj, "spec", &P::new(""), e).unwrap_or(&Value::Null);
    job_spec_common(spec, &sp, e);
    let sel = get_obj(spec, "selector", &sp, e);
    match sel {
        None => e.push(FieldError::required(sp.child("selector"), "")),
        Some(sel) => labelselector::validate(sel, &sp.child("selector"), e),
    }
    if Selector::from_value(sel) != Selector::Invalid {
        let meta = field(spec, "template").and_then(|t| field(t, "metadata"));
        let labels = meta.map(|m| str_map(m, "labels")).unwrap_or_default();
        if !Selector::from_value(sel).matches(&labels) {
            e.push(gofmt::invalid_raw(
                sp.at(&["template", "metadata", "labels"]),
                &gofmt::labels_of(meta),
                "`selector` does not match template `labels`",
            ));
        }
    }
    let name = crate::objectmeta::meta(obj)
        .map(|m| s(m, "name"))
        .unwrap_or("");
    let indexed = s(spec, "completionMode") == "Indexed";
    if let Some(c) = crate::json::int(spec, "completions").filter(|c| indexed && *c > 0) {
        let host = format!("{name}-{}", c - 1);
        if !crate::names::dns1123_label(&host).is_empty() {
            e.push(FieldError::invalid(
                "metadata.name",
                name,
                format!("will not able to create pod with invalid DNS label: {host}"),
            ));
        }
    }
}

/// `validateGeneratedSelector`: the labels the server generated must be intact.
pub(crate) fn job_create(obj: &Value, e: &mut Errs) {
    let spec = field(obj, "spec").unwrap_or(&Value::Null);
    if spec.get("manualSelector").and_then(Value::as_bool) == Some(true) {
        return;
    }
    let mp = P::new("spec").at(&["template", "metadata"]);
    let Some(labels) = crate::json::at(spec, &["template", "metadata", "labels"]) else {
        e.push(FieldError::required(mp.child("labels"), ""));
        return;
    };
    let Some(sel) = field(spec, "selector") else {
        return;
    };
    let md = field(obj, "metadata").unwrap_or(&Value::Null);
    let (uid, name) = (s(md, "uid"), s(md, "name"));
    if uid.is_empty() {
        e.push(FieldError::required("metadata.uid", ""));
    }
    for (k, want) in [
        (LEGACY_CONTROLLER_UID, uid),
        (LEGACY_JOB_NAME, name),
        (CONTROLLER_UID, uid),
        (JOB_NAME, name),
    ] {
        let lp = mp.child("labels").key(k);
        match labels.get(k).and_then(Value::as_str) {
            None => e.push(FieldError::required(lp, format!("must be '{want}'"))),
            Some(v) if v != want => e.push(gofmt::invalid_raw(
                lp,
                &gofmt::labels_of(field(spec, "template").and_then(|t| field(t, "metadata"))),
                &format!("must be '{want}'"),
            )),
            Some(_) => {}
        }
    }
    let expected = json!({"matchLabels": {CONTROLLER_UID: uid}});
    if !same(Some(sel), Some(&expected)) {
        e.push(gofmt::invalid_raw(
            "spec.selector",
            &gofmt::label_selector(Some(sel)),
            "`selector` not auto-generated",
        ));
    }
}

pub(crate) fn job_update(new: &Value, old: &Value, e: &mut Errs) {
    let sp = P::new("spec");
    let empty = json!({});
    let (ns, os) = (
        field(new, "spec").unwrap_or(&empty),
        field(old, "spec").unwrap_or(&empty),
    );
    let indexed = s(ns, "completionMode") == "Indexed";
    if !same(ns.get("completions"), os.get("completions")) {
        if !indexed {
            e.push(gofmt::immutable(
                sp.child("completions"),
                field(ns, "completions"),
            ));
        } else if field(ns, "completions").is_some()
            && ns.get("completions") != ns.get("parallelism")
        {
            e.push(FieldError::invalid(
                sp.child("completions"),
                crate::json::cloned(ns, "completions"),
                "can only be modified in tandem with spec.parallelism",
            ));
        }
    }
    if !same(ns.get("selector"), os.get("selector")) {
        e.push(gofmt::immutable_raw(
            sp.child("selector"),
            &gofmt::label_selector(field(ns, "selector")),
        ));
    }
    let mut old_template = crate::json::cloned(os, "template");
    let new_template = crate::json::cloned(ns, "template");
    let never_started = crate::json::flag(os, "suspend")
        && old
            .get("status")
            .and_then(|st| field(st, "startTime"))
            .is_none();
    if never_started {
        if let Some(m) = old_template.as_object_mut() {
            m.insert(
                "metadata".into(),
                crate::json::cloned(&new_template, "metadata"),
            );
        }
        if let (Some(ots), Some(nts)) = (
            crate::json::obj_mut(&mut old_template, "spec"),
            new_template.get("spec"),
        ) {
            for k in ["nodeSelector", "tolerations", "schedulingGates", "affinity"] {
                set(ots, k, crate::json::cloned(nts, k));
            }
        }
    }
    if !same(Some(&new_template), Some(&old_template)) {
        e.push(gofmt::immutable_raw(
            sp.child("template"),
            "core.PodTemplateSpec{...}",
        ));
    }
    for k in [
        "completionMode",
        "podFailurePolicy",
        "backoffLimitPerIndex",
        "managedBy",
        "successPolicy",
    ] {
        if !same(ns.get(k), os.get(k)) {
            let v = field(ns, k);
            if v.is_some_and(Value::is_object) {
                e.push(gofmt::immutable_raw(sp.child(k), "{...}"));
            } else {
                e.push(gofmt::immutable(sp.child(k), v));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_selector_and_labels() {
        let mut j = json!({"metadata": {"name": "pi", "uid": "u-1"},
            "spec": {"template": {"spec": {"restartPolicy": "Never"}}}});
        job_defaults(&mut j);
        generate_job_selector(&mut j);
        assert_eq!(
            j["spec"]["selector"],
            json!({"matchLabels": {"batch.kubernetes.io/controller-uid": "u-1"}})
        );
        assert_eq!(
            j["metadata"]["labels"],
            json!({"job-name": "pi", "batch.kubernetes.io/job-name": "pi",
            "controller-uid": "u-1", "batch.kubernetes.io/controller-uid": "u-1"})
        );
        assert_eq!(j["spec"]["completions"], 1);
        assert_eq!(j["spec"]["backoffLimit"], 6);
        assert_eq!(j["spec"]["podReplacementPolicy"], "TerminatingOrFailed");
        let mut e = Vec::new();
        job_create(&j, &mut e);
        assert!(e.is_empty(), "{e:?}");
    }
}
