//! `storage.k8s.io/v1`: StorageClasses, CSIDrivers, CSINodes and VolumeAttachments.

use std::collections::BTreeSet;

use kubehci_api::FieldError;
use serde_json::{Value, json};

use crate::gofmt;
use crate::json::{
    Errs, P, dflt, ensure_obj, field, get_arr, get_obj, get_str, get_strs, s, same, set,
};
use crate::names::{dns1123_subdomain, qualified_name};
use crate::objectmeta::too_long;

pub(crate) fn storage_class_defaults(obj: &mut Value) {
    if s(obj, "reclaimPolicy").is_empty() && obj.is_object() {
        set(obj, "reclaimPolicy", json!("Delete"));
    }
    if s(obj, "volumeBindingMode").is_empty() && obj.is_object() {
        set(obj, "volumeBindingMode", json!("Immediate"));
    }
}

pub(crate) fn csi_driver_defaults(obj: &mut Value) {
    let Some(spec) = ensure_obj(obj, "spec") else {
        return;
    };
    dflt(spec, "attachRequired", json!(true));
    dflt(spec, "podInfoOnMount", json!(false));
    dflt(spec, "storageCapacity", json!(false));
    dflt(spec, "fsGroupPolicy", json!("ReadWriteOnceWithFSType"));
    dflt(spec, "requiresRepublish", json!(false));
    dflt(spec, "seLinuxMount", json!(false));
    if crate::json::items(spec, "volumeLifecycleModes").is_empty() {
        set(spec, "volumeLifecycleModes", json!(["Persistent"]));
    }
}

/// `ValidateCSIDriverName`.
fn csi_driver_name(name: &str, p: &P, e: &mut Errs) {
    if name.is_empty() {
        e.push(FieldError::required(p, ""));
    }
    if name.len() > 63 {
        e.push(too_long(p, 63));
    }
    for msg in dns1123_subdomain(&name.to_lowercase()) {
        e.push(FieldError::invalid(p, name, msg));
    }
}

/// `ValidateStorageClass` beyond metadata.
pub(crate) fn storage_class(obj: &Value, e: &mut Errs) {
    let root = P::new("");
    match get_str(obj, "provisioner", &root, e).filter(|x| !x.is_empty()) {
        None => e.push(FieldError::required("provisioner", "")),
        Some(p) => {
            for msg in qualified_name(&p.to_lowercase()) {
                e.push(FieldError::invalid("provisioner", p.to_lowercase(), msg));
            }
        }
    }
    if let Some(params) = get_obj(obj, "parameters", &root, e).and_then(Value::as_object) {
        let pp = P::new("parameters");
        if params.len() > 512 {
            e.push(too_long(&pp, 512));
        } else {
            let mut total = 0;
            for (k, v) in params {
                if k.is_empty() {
                    e.push(FieldError::invalid(&pp, "", "field can not be empty."));
                }
                total += k.len() + v.as_str().map_or(0, str::len);
            }
            if total > 256 * 1024 {
                e.push(too_long(&pp, 256 * 1024));
            }
        }
    }
    if let Some(rp) = get_str(obj, "reclaimPolicy", &root, e)
        .filter(|x| !x.is_empty() && !matches!(*x, "Delete" | "Retain"))
    {
        e.push(FieldError::not_supported(
            "reclaimPolicy",
            rp,
            &["Delete", "Retain"],
        ));
    }
    match get_str(obj, "volumeBindingMode", &root, e) {
        None => e.push(FieldError::required("volumeBindingMode", "")),
        Some("Immediate" | "WaitForFirstConsumer") => {}
        Some(other) => e.push(FieldError::not_supported(
            "volumeBindingMode",
            other,
            &["Immediate", "WaitForFirstConsumer"],
        )),
    }
    let tp = P::new("allowedTopologies");
    for (i, term) in get_arr(obj, "allowedTopologies", &root, e)
        .iter()
        .enumerate()
    {
        let mut keys = BTreeSet::new();
        for (j, req) in crate::json::items(term, "matchLabelExpressions")
            .iter()
            .enumerate()
        {
            let rp = tp.index(i).child("matchLabelExpressions").index(j);
            let values = get_strs(req, "values", &rp, e);
            if values.is_empty() {
                e.push(FieldError::required(rp.child("values"), ""));
            }
            let key = s(req, "key");
            crate::objectmeta::validate_label_name(key, &rp.child("key"), e);
            if !keys.insert(key) {
                e.push(FieldError::duplicate(rp.child("key"), key));
            }
        }
    }
}

pub(crate) fn storage_class_update(new: &Value, old: &Value, e: &mut Errs) {
    if !same(new.get("parameters"), old.get("parameters")) {
        e.push(FieldError::forbidden(
            "parameters",
            "updates to parameters are forbidden.",
        ));
    }
    if s(new, "provisioner") != s(old, "provisioner") {
        e.push(FieldError::forbidden(
            "provisioner",
            "updates to provisioner are forbidden.",
        ));
    }
    if s(new, "reclaimPolicy") != s(old, "reclaimPolicy") {
        e.push(FieldError::forbidden(
            "reclaimPolicy",
            "updates to reclaimPolicy are forbidden.",
        ));
    }
    if s(new, "volumeBindingMode") != s(old, "volumeBindingMode") {
        e.push(gofmt::immutable(
            "volumeBindingMode",
            field(new, "volumeBindingMode"),
        ));
    }
}

/// `ValidateCSIDriver` (upstream checks `name` at the top-level path `name`).
pub(crate) fn csi_driver(obj: &Value, e: &mut Errs) {
    let name = crate::objectmeta::meta(obj)
        .map(|m| s(m, "name"))
        .unwrap_or("");
    csi_driver_name(name, &P::new("name"), e);
    let sp = P::new("spec");
    let spec = get_obj(obj, "spec", &P::new(""), e).unwrap_or(&Value::Null);
    for (k, path) in [
        ("attachRequired", "attachedRequired"),
        ("podInfoOnMount", "podInfoOnMount"),
        ("storageCapacity", "storageCapacity"),
    ] {
        if field(spec, k).is_none() {
            e.push(FieldError::required(sp.child(path), ""));
        }
    }
    if let Some(p) = get_str(spec, "fsGroupPolicy", &sp, e)
        && !matches!(p, "File" | "None" | "ReadWriteOnceWithFSType")
    {
        e.push(FieldError::not_supported(
            sp.child("fsGroupPolicy"),
            p,
            &["File", "None", "ReadWriteOnceWithFSType"],
        ));
    }
    for m in get_strs(spec, "volumeLifecycleModes", &sp, e) {
        if !matches!(m, "Ephemeral" | "Persistent") {
            e.push(FieldError::not_supported(
                sp.child("volumeLifecycleModes"),
                m,
                &["Ephemeral", "Persistent"],
            ));
        }
    }
    if field(spec, "seLinuxMount").is_none() {
        e.push(FieldError::required(sp.child("seLinuxMount"), ""));
    }
}

pub(crate) fn csi_driver_update(new: &Value, old: &Value, e: &mut Errs) {
    let (ns, os) = (
        field(new, "spec").unwrap_or(&Value::Null),
        field(old, "spec").unwrap_or(&Value::Null),
    );
    for (k, path) in [
        ("attachRequired", "attachedRequired"),
        ("fsGroupPolicy", "fsGroupPolicy"),
        ("podInfoOnMount", "podInfoOnMount"),
        ("volumeLifecycleModes", "volumeLifecycleModes"),
    ] {
        if ns.get(k) != os.get(k) {
            let v = field(ns, k);
            let p = P::new("spec").child(path);
            if k == "volumeLifecycleModes" {
                let modes: Vec<String> = crate::json::items(ns, k)
                    .iter()
                    .map(|m| gofmt::quote(m.as_str().unwrap_or("")))
                    .collect();
                e.push(gofmt::immutable_raw(
                    p,
                    &format!("[]storage.VolumeLifecycleMode{{{}}}", modes.join(", ")),
                ));
            } else {
                e.push(gofmt::immutable(p, v));
            }
        }
    }
}

/// `ValidateCSINode`.
pub(crate) fn csi_node(obj: &Value, e: &mut Errs) {
    let dp = P::new("spec").child("drivers");
    let spec = field(obj, "spec").unwrap_or(&Value::Null);
    let mut names = BTreeSet::new();
    for (i, d) in get_arr(spec, "drivers", &P::new("spec"), e)
        .iter()
        .enumerate()
    {
        let ip = dp.index(i);
        let name = s(d, "name");
        csi_driver_name(name, &ip.child("name"), e);
        if !names.insert(name) {
            e.push(FieldError::duplicate(ip.child("name"), name));
        }
        let node_id = s(d, "nodeID");
        if node_id.is_empty() {
            e.push(FieldError::required(ip.child("nodeID"), ""));
        } else if node_id.len() > 256 {
            e.push(FieldError::invalid(
                ip.child("nodeID"),
                node_id,
                "must be 256 characters or less",
            ));
        }
        for key in get_strs(d, "topologyKeys", &ip, e) {
            for msg in qualified_name(key) {
                e.push(FieldError::invalid(ip.child("topologyKeys"), key, msg));
            }
        }
    }
}

/// `ValidateVolumeAttachment` beyond metadata.
pub(crate) fn volume_attachment(obj: &Value, e: &mut Errs) {
    let sp = P::new("spec");
    let spec = get_obj(obj, "spec", &P::new(""), e).unwrap_or(&Value::Null);
    csi_driver_name(s(spec, "attacher"), &sp.child("attacher"), e);
    let src = field(spec, "source").unwrap_or(&Value::Null);
    let (pv, inline) = (
        field(src, "persistentVolumeName").is_some(),
        field(src, "inlineVolumeSpec").is_some(),
    );
    if pv == inline {
        e.push(FieldError::required(
            sp.child("source"),
            "must specify exactly one of inlineVolumeSpec and persistentVolumeName",
        ));
    }
    if let Some(n) = field(src, "persistentVolumeName").and_then(Value::as_str)
        && n.is_empty()
    {
        e.push(FieldError::required(
            sp.at(&["source", "persistentVolumeName"]),
            "must specify non empty persistentVolumeName",
        ));
    }
    match s(spec, "nodeName") {
        "" => e.push(FieldError::required(sp.child("nodeName"), "")),
        n => {
            for msg in dns1123_subdomain(n) {
                e.push(FieldError::invalid(sp.child("nodeName"), n, msg));
            }
        }
    }
}

pub(crate) fn volume_attachment_update(new: &Value, old: &Value, e: &mut Errs) {
    if !same(new.get("spec"), old.get("spec")) {
        e.push(gofmt::immutable_raw(
            "spec",
            "storage.VolumeAttachmentSpec{...}",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_class_rules() {
        let mut sc = json!({"provisioner": ""});
        storage_class_defaults(&mut sc);
        assert_eq!(
            sc,
            json!({"provisioner": "", "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate"})
        );
        let mut e = Vec::new();
        storage_class(&sc, &mut e);
        assert_eq!(e[0].to_string(), "provisioner: Required value");
        let mut e = Vec::new();
        storage_class_update(
            &json!({"provisioner": "b", "reclaimPolicy": "Delete"}),
            &json!({"provisioner": "a", "reclaimPolicy": "Delete"}),
            &mut e,
        );
        assert_eq!(
            e[0].to_string(),
            "provisioner: Forbidden: updates to provisioner are forbidden."
        );
    }

    #[test]
    fn csi_driver_defaults_match_upstream() {
        let mut d = json!({"metadata": {"name": "disk.kubehci.io"}, "spec": {}});
        csi_driver_defaults(&mut d);
        assert_eq!(
            d["spec"],
            json!({"attachRequired": true, "podInfoOnMount": false, "storageCapacity": false,
            "fsGroupPolicy": "ReadWriteOnceWithFSType", "requiresRepublish": false, "seLinuxMount": false,
            "volumeLifecycleModes": ["Persistent"]})
        );
        let mut e = Vec::new();
        csi_driver(&d, &mut e);
        assert!(e.is_empty(), "{e:?}");
    }
}
