//! PersistentVolumes: defaulting and validation.

use kubehci_api::{FieldError, FieldErrorType};
use serde_json::{Value, json};

use crate::container_validation::no_backsteps;
use crate::gofmt;
use crate::json::{Errs, P, dflt, ensure_obj, field, get_obj, get_str, obj_mut, s, same};
use crate::pvc::{access_modes, class_name, volume_mode};
use crate::quantity::canonicalize_list;
use crate::resource_validation::list;

pub(crate) const PV_SOURCES: [&str; 22] = [
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "hostPath",
    "glusterfs",
    "nfs",
    "rbd",
    "quobyte",
    "cinder",
    "cephfs",
    "fc",
    "flexVolume",
    "azureFile",
    "vsphereVolume",
    "photonPersistentDisk",
    "portworxVolume",
    "azureDisk",
    "scaleIO",
    "local",
    "storageos",
    "csi",
    "iscsi",
    "flocker",
];

pub(crate) fn pv_defaults(obj: &mut Value) {
    if let Some(spec) = ensure_obj(obj, "spec") {
        if s(spec, "persistentVolumeReclaimPolicy").is_empty() {
            crate::json::set(spec, "persistentVolumeReclaimPolicy", json!("Retain"));
        }
        dflt(spec, "volumeMode", json!("Filesystem"));
        if let Some(c) = obj_mut(spec, "capacity") {
            canonicalize_list(c);
        }
        if let Some(h) = obj_mut(spec, "hostPath") {
            dflt(h, "type", json!(""));
        }
    }
    if let Some(st) = obj_mut(obj, "status")
        && s(st, "phase").is_empty()
    {
        crate::json::set(st, "phase", json!("Pending"));
    }
}

/// `ValidatePersistentVolumeSpec` (not inline).
pub(crate) fn pv(obj: &Value, e: &mut Errs) {
    let sp = P::new("spec");
    let spec = get_obj(obj, "spec", &P::new(""), e).unwrap_or(&Value::Null);
    access_modes(spec, &sp, "", e);
    let cp = sp.child("capacity");
    let capacity = list(spec, "capacity", &sp, e);
    let raw_cap = spec.get("capacity").and_then(Value::as_object);
    if raw_cap.is_none_or(|m| m.is_empty()) {
        e.push(FieldError::required(&cp, ""));
    }
    if raw_cap.is_some_and(|m| !m.contains_key("storage") || m.len() > 1) || raw_cap.is_none() {
        e.push(gofmt::raw(
            FieldErrorType::NotSupported,
            &cp,
            "core.ResourceList{...}",
            "supported values: \"storage\"",
        ));
    }
    for (name, q) in &capacity {
        if q.is_negative() || q.is_zero() {
            e.push(FieldError::invalid(
                cp.key(name),
                q.canonical(),
                "must be greater than zero",
            ));
        }
    }
    match get_str(spec, "persistentVolumeReclaimPolicy", &sp, e).unwrap_or("") {
        "" => e.push(FieldError::required(
            sp.child("persistentVolumeReclaimPolicy"),
            "",
        )),
        "Delete" | "Recycle" | "Retain" => {}
        other => e.push(FieldError::not_supported(
            sp.child("persistentVolumeReclaimPolicy"),
            other,
            &["Delete", "Recycle", "Retain"],
        )),
    }
    let mut n = 0;
    for src in PV_SOURCES {
        let Some(v) = get_obj(spec, src, &sp, e) else {
            continue;
        };
        let vp = sp.child(src);
        if n > 0 {
            e.push(FieldError::forbidden(
                vp,
                "may not specify more than 1 volume type",
            ));
            continue;
        }
        n += 1;
        match src {
            "hostPath" => match get_str(v, "path", &vp, e).filter(|p| !p.is_empty()) {
                None => e.push(FieldError::required(vp.child("path"), "")),
                Some(path) => no_backsteps(path, &vp.child("path"), e),
            },
            "nfs" => {
                for k in ["server", "path"] {
                    if s(v, k).is_empty() {
                        e.push(FieldError::required(vp.child(k), ""));
                    }
                }
                let path = s(v, "path");
                if !path.is_empty() && !path.starts_with('/') {
                    e.push(FieldError::invalid(
                        vp.child("path"),
                        path,
                        "must be an absolute path",
                    ));
                }
            }
            "csi" => {
                for k in ["driver", "volumeHandle"] {
                    if s(v, k).is_empty() {
                        e.push(FieldError::required(vp.child(k), ""));
                    }
                }
            }
            "local" => {
                if s(v, "path").is_empty() {
                    e.push(FieldError::required(vp.child("path"), ""));
                }
                if field(spec, "nodeAffinity").is_none() {
                    e.push(FieldError::required(
                        sp.child("nodeAffinity"),
                        "Local volume requires node affinity",
                    ));
                }
            }
            _ => {}
        }
    }
    if n == 0 {
        e.push(FieldError::required(&sp, "must specify a volume type"));
    }
    class_name(spec, &sp, e);
    volume_mode(spec, &sp, e);
}

pub(crate) fn pv_update(new: &Value, old: &Value, e: &mut Errs) {
    let empty = json!({});
    let (ns, os) = (
        field(new, "spec").unwrap_or(&empty),
        field(old, "spec").unwrap_or(&empty),
    );
    let source = |sp: &Value| {
        let mut src = serde_json::Map::new();
        for k in PV_SOURCES {
            if let Some(v) = field(sp, k) {
                src.insert(k.to_string(), v.clone());
            }
        }
        Value::Object(src)
    };
    let (a, b) = (source(ns), source(os));
    if !same(Some(&a), Some(&b)) {
        e.push(FieldError::forbidden(
            "spec.persistentvolumesource",
            format!(
                "spec.persistentvolumesource is immutable after creation\n{}",
                crate::pod_update::spec_diff("core.PersistentVolumeSource", &b, &a)
            ),
        ));
    }
    if !same(ns.get("volumeMode"), os.get("volumeMode")) {
        e.push(gofmt::immutable("volumeMode", field(ns, "volumeMode")));
    }
    if field(os, "nodeAffinity").is_some() && !same(ns.get("nodeAffinity"), os.get("nodeAffinity"))
    {
        e.push(gofmt::immutable_raw(
            "nodeAffinity",
            "&core.VolumeNodeAffinity{...}",
        ));
    }
}
