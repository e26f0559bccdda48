//! ConfigMaps, Secrets, Namespaces and Nodes: defaulting and validation.

use std::collections::BTreeSet;

use base64::Engine as _;
use kubehci_api::{FieldError, FieldErrorType};
use serde_json::{Map, Value, json};

use crate::gofmt;
use crate::json::{
    Errs, P, dflt, ensure_obj, field, get_arr, get_obj, get_strs, items, obj_mut, remove, s, same,
    set,
};
use crate::names::{config_map_key, is_valid_cidr, label_value, qualified_name};
use crate::objectmeta::{too_long, validate_label_name};

const MAX_SECRET_SIZE: usize = 1024 * 1024;
const STANDARD_FINALIZERS: [&str; 3] = ["kubernetes", "orphan", "foregroundDeletion"];

/// `SetDefaults_Secret` plus the v1 conversion of `stringData` into `data`.
pub(crate) fn secret_defaults(obj: &mut Value) {
    if s(obj, "type").is_empty() && obj.is_object() {
        set(obj, "type", json!("Opaque"));
    }
    let Some(Value::Object(string_data)) = obj.get("stringData").cloned() else {
        remove(obj, "stringData");
        return;
    };
    if let Some(Value::Object(data)) = ensure_obj(obj, "data") {
        for (k, v) in string_data {
            let text = v.as_str().unwrap_or("").to_string();
            data.insert(
                k,
                json!(base64::engine::general_purpose::STANDARD.encode(text)),
            );
        }
    }
    remove(obj, "stringData");
}

fn data_keys(obj: &Value, k: &str, e: &mut Errs) -> Vec<(String, Option<usize>)> {
    let mut out = Vec::new();
    if let Some(m) = get_obj(obj, k, &P::new(""), e).and_then(Value::as_object) {
        for (key, v) in m {
            out.push((key.clone(), v.as_str().map(|s| s.len())));
        }
    }
    out
}

/// `ValidateSecret`.
pub(crate) fn secret(obj: &Value, e: &mut Errs) {
    let dp = P::new("data");
    let mut total = 0usize;
    let data = obj
        .get("data")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (key, v) in &data {
        for msg in config_map_key(key) {
            e.push(FieldError::invalid(dp.key(key), key.as_str(), msg));
        }
        match v
            .as_str()
            .map(|t| base64::engine::general_purpose::STANDARD.decode(t))
        {
            Some(Ok(bytes)) => total += bytes.len(),
            Some(Err(err)) => e.push(FieldError::invalid(
                dp.key(key),
                "<secret contents redacted>",
                err.to_string(),
            )),
            None if v.is_null() => {}
            None => e.push(crate::json::type_error(&dp.key(key), v, "string")),
        }
    }
    if total > MAX_SECRET_SIZE {
        e.push(too_long(&dp, MAX_SECRET_SIZE));
    }
    let annotations = crate::objectmeta::meta(obj)
        .map(|m| crate::json::str_map(m, "annotations"))
        .unwrap_or_default();
    let has = |k: &str| data.contains_key(k);
    match s(obj, "type") {
        "kubernetes.io/service-account-token"
            if annotations
                .get("kubernetes.io/service-account.name")
                .is_none_or(|v| v.is_empty()) =>
        {
            e.push(FieldError::required(
                P::new("metadata")
                    .child("annotations")
                    .key("kubernetes.io/service-account.name"),
                "",
            ));
        }
        "kubernetes.io/dockercfg" if !has(".dockercfg") => {
            e.push(FieldError::required(dp.key(".dockercfg"), ""))
        }
        "kubernetes.io/dockerconfigjson" if !has(".dockerconfigjson") => {
            e.push(FieldError::required(dp.key(".dockerconfigjson"), ""));
        }
        "kubernetes.io/basic-auth" if !has("username") && !has("password") => {
            e.push(FieldError::required(dp.key("username"), ""));
            e.push(FieldError::required(dp.key("password"), ""));
        }
        "kubernetes.io/ssh-auth"
            if data
                .get("ssh-privatekey")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty) =>
        {
            e.push(FieldError::required(dp.key("ssh-privatekey"), ""));
        }
        "kubernetes.io/tls" => {
            for k in ["tls.crt", "tls.key"] {
                if !has(k) {
                    e.push(FieldError::required(dp.key(k), ""));
                }
            }
        }
        _ => {}
    }
}

fn immutable_data(new: &Value, old: &Value, keys: &[&str], e: &mut Errs) {
    if old.get("immutable").and_then(Value::as_bool) != Some(true) {
        return;
    }
    if new.get("immutable").and_then(Value::as_bool) != Some(true) {
        e.push(FieldError::forbidden(
            "immutable",
            "field is immutable when `immutable` is set",
        ));
    }
    for k in keys {
        if !same(new.get(*k), old.get(*k)) {
            e.push(FieldError::forbidden(
                *k,
                "field is immutable when `immutable` is set",
            ));
        }
    }
}

pub(crate) fn secret_update(new: &Value, old: &Value, e: &mut Errs) {
    if s(new, "type") != s(old, "type") {
        e.push(FieldError::invalid(
            "type",
            s(new, "type"),
            "field is immutable",
        ));
    }
    immutable_data(new, old, &["data"], e);
}

/// `ValidateConfigMap`.
pub(crate) fn config_map(obj: &Value, e: &mut Errs) {
    let data = data_keys(obj, "data", e);
    let binary = data_keys(obj, "binaryData", e);
    let mut total = 0;
    for (key, len) in &data {
        for msg in config_map_key(key) {
            e.push(FieldError::invalid(
                P::new("data").key(key),
                key.as_str(),
                msg,
            ));
        }
        if binary.iter().any(|(b, _)| b == key) {
            e.push(FieldError::invalid(
                P::new("data").key(key),
                key.as_str(),
                "duplicate of key present in binaryData",
            ));
        }
        total += len.unwrap_or(0);
    }
    for (key, len) in &binary {
        for msg in config_map_key(key) {
            e.push(FieldError::invalid(
                P::new("binaryData").key(key),
                key.as_str(),
                msg,
            ));
        }
        total += len.unwrap_or(0) * 3 / 4;
    }
    if total > MAX_SECRET_SIZE {
        e.push(too_long(&P::new(""), MAX_SECRET_SIZE));
    }
}

pub(crate) fn config_map_update(new: &Value, old: &Value, e: &mut Errs) {
    immutable_data(new, old, &["data", "binaryData"], e);
}

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

fn finalizer_names(obj: &Value, e: &mut Errs) {
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

fn taints(spec: &Value, e: &mut Errs) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_configmaps() {
        let mut sec = json!({"stringData": {"user": "admin"}, "data": {"bad key": "eA=="}});
        secret_defaults(&mut sec);
        assert_eq!(
            sec,
            json!({"type": "Opaque", "data": {"bad key": "eA==", "user": "YWRtaW4="}})
        );
        let mut e = Vec::new();
        secret(&sec, &mut e);
        assert_eq!(e.len(), 1);
        assert!(e[0].to_string().starts_with("data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.'"));
        let old = json!({"immutable": true, "data": {"a": "1"}});
        let mut e = Vec::new();
        config_map_update(
            &json!({"immutable": true, "data": {"a": "2"}}),
            &old,
            &mut e,
        );
        assert_eq!(
            e[0].to_string(),
            "data: Forbidden: field is immutable when `immutable` is set"
        );
    }

    #[test]
    fn namespace_label_and_finalizer() {
        let mut ns = json!({"metadata": {"name": "team-a"}});
        namespace_defaults(&mut ns);
        assert_eq!(
            ns["metadata"]["labels"],
            json!({"kubernetes.io/metadata.name": "team-a"})
        );
        let mut spec = json!({});
        ensure_kubernetes_finalizer(&mut spec);
        assert_eq!(spec, json!({"finalizers": ["kubernetes"]}));
    }
}
