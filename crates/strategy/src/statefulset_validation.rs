//! StatefulSets, ReplicationControllers, ControllerRevisions, and the status counts of
//! every workload kind.

use kubehci_api::FieldError;
use serde_json::Value;

use crate::apps_validation::{nonneg, restart_always, selector, spec_of};
use crate::gofmt;
use crate::json::{Errs, P, field, get_obj, get_str, get_str_map, s, same};
use crate::labelselector::{self, Selector};
use crate::pod_validation::template_spec;

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
