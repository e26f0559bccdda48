//! Namespaces and Nodes: defaulting and validation.

use std::collections::BTreeSet;

use kubehci_api::{FieldError, FieldErrorType};
use serde_json::{Map, Value, json};

use crate::gofmt;
use crate::json::{Errs, P, dflt, ensure_obj, field, get_arr, get_strs, items, obj_mut, s, set};
use crate::names::{is_valid_cidr, label_value, qualified_name};
use crate::objectmeta::validate_label_name;

pub(crate) const STANDARD_FINALIZERS: [&str; 3] = ["kubernetes", "orphan", "foregroundDeletion"];

/// `SetDefaults_Namespace`: the `kubernetes.io/metadata.name` label; status Active.
pub(crate) fn namespace_defaults(obj: &mut Value) {
    let name = obj
        .get("metadata")
        .map(|m| s(m, "name").to_string())
        .unwrap_or_default();
    if !name.is_empty()
        && let Some(labels) = ensure_obj(obj, "metadata").and_then(|m| ensure_obj(m, "labels"))
    {
        set(labels, "kubernetes.io/metadata.name", json!(name));
    }
    if let Some(st) = obj_mut(obj, "status")
        && s(st, "phase").is_empty()
    {
        set(st, "phase", json!("Active"));
    }
}

/// On create a namespace always carries the `kubernetes` finalizer.
pub(crate) fn ensure_kubernetes_finalizer(spec: &mut Value) {
    let mut fins: Vec<Value> = items(spec, "finalizers").to_vec();
    if !fins.iter().any(|f| f.as_str() == Some("kubernetes")) {
        fins.push(json!("kubernetes"));
    }
    set(spec, "finalizers", Value::Array(fins));
}

pub(crate) fn finalizer_names(obj: &Value, e: &mut Errs) {
    let fp = P::new("spec").child("finalizers");
    let spec = field(obj, "spec").unwrap_or(&Value::Null);
    for f in get_strs(spec, "finalizers", &P::new("spec"), e) {
        for msg in qualified_name(f) {
            e.push(FieldError::invalid(&fp, f, msg));
        }
        if !f.contains('/') && !STANDARD_FINALIZERS.contains(&f) {
            e.push(FieldError::invalid(
                &fp,
                f,
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
}

pub(crate) fn namespace(obj: &Value, e: &mut Errs) {
    finalizer_names(obj, e);
}

/// The `finalize` subresource may only set valid finalizer names.
pub(crate) fn namespace_finalizers(obj: &Value, e: &mut Errs) {
    finalizer_names(obj, e);
}

pub(crate) fn namespace_status(obj: &Value, e: &mut Errs) {
    let deleting =
        crate::objectmeta::meta(obj).is_some_and(|m| field(m, "deletionTimestamp").is_some());
    let phase = obj.get("status").map(|st| s(st, "phase")).unwrap_or("");
    let p = P::new("status").child("Phase");
    if !deleting && phase != "Active" {
        e.push(FieldError::invalid(
            p,
            phase,
            "may only be 'Active' if `deletionTimestamp` is empty",
        ));
    } else if deleting && phase != "Terminating" {
        e.push(FieldError::invalid(
            p,
            phase,
            "may only be 'Terminating' if `deletionTimestamp` is not empty",
        ));
    }
}

/// `SetDefaults_NodeStatus`: allocatable defaults to capacity; quantities canonical.
pub(crate) fn node_defaults(obj: &mut Value) {
    let Some(st) = obj_mut(obj, "status") else {
        return;
    };
    if let Some(cap) = field(st, "capacity").cloned() {
        dflt(st, "allocatable", cap);
    }
    for k in ["capacity", "allocatable"] {
        if let Some(list) = obj_mut(st, k) {
            crate::quantity::canonicalize_list(list);
        }
    }
}

pub(crate) fn taints(spec: &Value, e: &mut Errs) {
    let tp = P::new("metadata").child("taints");
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    for (i, t) in get_arr(spec, "taints", &P::new("spec"), e)
        .iter()
        .enumerate()
    {
        let ip = tp.index(i);
        let (key, value, effect) = (s(t, "key"), s(t, "value"), s(t, "effect"));
        validate_label_name(key, &ip.child("key"), e);
        let errs = label_value(value);
        if !errs.is_empty() {
            e.push(FieldError::invalid(
                ip.child("value"),
                value,
                errs.join(";"),
            ));
        }
        match effect {
            "" => e.push(FieldError::required(ip.child("effect"), "")),
            "NoSchedule" | "PreferNoSchedule" | "NoExecute" => {}
            other => e.push(FieldError::not_supported(
                ip.child("effect"),
                other,
                &["NoSchedule", "PreferNoSchedule", "NoExecute"],
            )),
        }
        if !seen.insert((effect.to_string(), key.to_string())) {
            let rendered = format!(
                "core.Taint{{Key:{}, Value:{}, Effect:{}, TimeAdded:<nil>}}",
                gofmt::quote(key),
                gofmt::quote(value),
                gofmt::quote(effect)
            );
            e.push(gofmt::raw(
                FieldErrorType::Duplicate,
                ip,
                &rendered,
                "taints must be unique by key and effect pair",
            ));
        }
    }
}

/// `ValidateNode`.
pub(crate) fn node(obj: &Value, e: &mut Errs) {
    let spec = field(obj, "spec").unwrap_or(&Value::Null);
    taints(spec, e);
    let cp = P::new("spec").child("podCIDRs");
    let cidrs = get_strs(spec, "podCIDRs", &P::new("spec"), e);
    for (i, c) in cidrs.iter().enumerate() {
        if !is_valid_cidr(c) {
            e.push(FieldError::invalid(cp.index(i), *c, crate::names::CIDR_MSG));
        }
    }
    let mut seen = BTreeSet::new();
    for (i, c) in cidrs.iter().enumerate() {
        if !seen.insert(*c) {
            e.push(FieldError::duplicate(cp.index(i), *c));
        }
    }
    let st = field(obj, "status").unwrap_or(&Value::Null);
    for k in ["capacity", "allocatable"] {
        let lp = P::new("status").child(k);
        for (name, q) in crate::resource_validation::list(st, k, &P::new("status"), e) {
            crate::resource_validation::quantity_value(&name, &q, &lp.child(&name), e);
        }
    }
}

pub(crate) fn node_update(new: &Value, old: &Value, e: &mut Errs) {
    let empty = Value::Object(Map::new());
    let (ns, os) = (
        field(new, "spec").unwrap_or(&empty),
        field(old, "spec").unwrap_or(&empty),
    );
    let (nc, oc) = (items(ns, "podCIDRs"), items(os, "podCIDRs"));
    if !oc.is_empty() && nc != oc {
        e.push(FieldError::forbidden(
            "spec.podCIDRs",
            "node updates may not change podCIDR except from \"\" to valid",
        ));
    }
    if !s(os, "providerID").is_empty() && s(os, "providerID") != s(ns, "providerID") {
        e.push(FieldError::forbidden(
            "spec.providerID",
            "node updates may not change providerID except from \"\" to valid",
        ));
    }
    if s(ns, "externalID") != s(os, "externalID") {
        e.push(FieldError::forbidden(
            "spec.externalID",
            "may not be updated",
        ));
    }
    let mut seen = BTreeSet::new();
    for (i, a) in items(field(new, "status").unwrap_or(&empty), "addresses")
        .iter()
        .enumerate()
    {
        if !seen.insert(a.to_string()) {
            let rendered = format!(
                "core.NodeAddress{{Type:{}, Address:{}}}",
                gofmt::quote(s(a, "type")),
                gofmt::quote(s(a, "address"))
            );
            e.push(gofmt::raw(
                FieldErrorType::Duplicate,
                P::new("status").child("addresses").index(i),
                &rendered,
                "",
            ));
        }
    }
}
