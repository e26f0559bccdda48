//! PersistentVolumeClaims: defaulting and validation.

use kubehci_api::FieldError;
use serde_json::{Value, json};

use crate::gofmt;
use crate::json::{Errs, P, dflt, ensure_obj, field, get_obj, get_str, get_strs, obj_mut, s, same};
use crate::names::dns1123_subdomain;
use crate::quantity::canonicalize_list;
use crate::resource_validation::{list, quantity_value};

pub(crate) const ACCESS_MODES: [&str; 4] = [
    "ReadOnlyMany",
    "ReadWriteMany",
    "ReadWriteOnce",
    "ReadWriteOncePod",
];

/// `SetDefaults_PersistentVolumeClaimSpec`.
pub(crate) fn pvc_spec_defaults(spec: &mut Value) {
    dflt(spec, "volumeMode", json!("Filesystem"));
    if let Some(res) = obj_mut(spec, "resources") {
        for k in ["requests", "limits"] {
            if let Some(l) = obj_mut(res, k) {
                canonicalize_list(l);
            }
        }
    }
}

/// `SetDefaults_PersistentVolumeClaim` (also applied to StatefulSet claim templates).
pub(crate) fn pvc_defaults(obj: &mut Value) {
    if let Some(spec) = ensure_obj(obj, "spec") {
        pvc_spec_defaults(spec);
    }
    if let Some(st) = ensure_obj(obj, "status") {
        if s(st, "phase").is_empty() {
            crate::json::set(st, "phase", json!("Pending"));
        }
        for k in ["capacity", "allocatedResources"] {
            if let Some(l) = obj_mut(st, k) {
                canonicalize_list(l);
            }
        }
    }
}

pub(crate) fn access_modes(spec: &Value, sp: &P, required_detail: &str, e: &mut Errs) {
    let modes = get_strs(spec, "accessModes", sp, e);
    if modes.is_empty() {
        e.push(FieldError::required(
            sp.child("accessModes"),
            required_detail,
        ));
    }
    let (mut rwop, mut other) = (false, false);
    for m in &modes {
        if !ACCESS_MODES.contains(m) {
            e.push(FieldError::not_supported(
                sp.child("accessModes"),
                *m,
                &ACCESS_MODES,
            ));
        } else if *m == "ReadWriteOncePod" {
            rwop = true;
        } else {
            other = true;
        }
    }
    if rwop && other {
        e.push(FieldError::forbidden(
            sp.child("accessModes"),
            "may not use ReadWriteOncePod with other access modes",
        ));
    }
}

pub(crate) fn volume_mode(spec: &Value, sp: &P, e: &mut Errs) {
    if let Some(m) =
        get_str(spec, "volumeMode", sp, e).filter(|m| !matches!(*m, "Block" | "Filesystem"))
    {
        e.push(FieldError::not_supported(
            sp.child("volumeMode"),
            m,
            &["Block", "Filesystem"],
        ));
    }
}

pub(crate) fn class_name(spec: &Value, sp: &P, e: &mut Errs) {
    if let Some(c) = get_str(spec, "storageClassName", sp, e).filter(|c| !c.is_empty()) {
        for msg in dns1123_subdomain(c) {
            e.push(FieldError::invalid(sp.child("storageClassName"), c, msg));
        }
    }
}

/// `ValidatePersistentVolumeClaimSpec`.
pub(crate) fn validate_pvc_spec(spec: &Value, sp: &P, e: &mut Errs) {
    access_modes(spec, sp, "at least 1 access mode is required", e);
    if let Some(sel) = get_obj(spec, "selector", sp, e) {
        crate::labelselector::validate(sel, &sp.child("selector"), e);
    }
    let rp = sp.child("resources");
    let res = field(spec, "resources").unwrap_or(&Value::Null);
    let requests = list(res, "requests", &rp, e);
    let storage_p = rp.key("storage");
    match requests.iter().find(|(n, _)| n == "storage") {
        None => e.push(FieldError::required(&storage_p, "")),
        Some((_, q)) if q.is_negative() || q.is_zero() => {
            e.push(FieldError::invalid(
                &storage_p,
                q.canonical(),
                "must be greater than zero",
            ));
        }
        Some((n, q)) => quantity_value(n, q, &storage_p, e),
    }
    class_name(spec, sp, e);
    volume_mode(spec, sp, e);
    for k in ["dataSource", "dataSourceRef"] {
        if let Some(ds) = get_obj(spec, k, sp, e) {
            let dp = sp.child(k);
            if s(ds, "name").is_empty() {
                e.push(FieldError::required(dp.child("name"), ""));
            }
            if s(ds, "kind").is_empty() {
                e.push(FieldError::required(dp.child("kind"), ""));
            }
            let group = s(ds, "apiGroup");
            if group.is_empty() && s(ds, "kind") != "PersistentVolumeClaim" {
                e.push(FieldError::invalid(
                    &dp,
                    s(ds, "kind"),
                    "must be 'PersistentVolumeClaim' when referencing the default apiGroup",
                ));
            }
            for msg in if group.is_empty() {
                Vec::new()
            } else {
                dns1123_subdomain(group)
            } {
                e.push(FieldError::invalid(dp.child("apiGroup"), group, msg));
            }
        }
    }
}

pub(crate) fn pvc(obj: &Value, e: &mut Errs) {
    let spec = get_obj(obj, "spec", &P::new(""), e).unwrap_or(&Value::Null);
    validate_pvc_spec(spec, &P::new("spec"), e);
}

/// `ValidatePersistentVolumeClaimUpdate`: only a bound claim's storage request (and the
/// volume name, once) may change.
pub(crate) fn pvc_update(new: &Value, old: &Value, e: &mut Errs) {
    let empty = json!({});
    let (ns, os) = (
        field(new, "spec").unwrap_or(&empty),
        field(old, "spec").unwrap_or(&empty),
    );
    let mut a = ns.clone();
    let mut b = os.clone();
    if s(os, "volumeName").is_empty() {
        crate::json::set(&mut b, "volumeName", crate::json::cloned(ns, "volumeName"));
    }
    if field(os, "storageClassName").is_none() && field(ns, "storageClassName").is_some() {
        crate::json::set(
            &mut b,
            "storageClassName",
            crate::json::cloned(ns, "storageClassName"),
        );
    }
    let bound = old.get("status").map(|st| s(st, "phase")) == Some("Bound");
    if bound {
        let old_storage = crate::json::at(os, &["resources", "requests", "storage"]).cloned();
        if let (Some(req), Some(v)) = (
            crate::json::at_mut(&mut a, &["resources", "requests"]),
            old_storage,
        ) {
            crate::json::set(req, "storage", v);
        }
        crate::json::set(
            &mut a,
            "volumeAttributesClassName",
            crate::json::cloned(os, "volumeAttributesClassName"),
        );
    }
    if !same(Some(&a), Some(&b)) {
        e.push(FieldError::forbidden(
            "spec",
            format!(
                "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n{}",
                crate::pod_update::spec_diff("core.PersistentVolumeClaimSpec", &b, &a)
            ),
        ));
    }
    let q = |sp: &Value| {
        crate::json::at(sp, &["resources", "requests", "storage"])
            .and_then(crate::quantity::Quantity::from_json)
            .and_then(Result::ok)
    };
    if let (Some(n), Some(o)) = (q(ns), q(os))
        && n.cmp_value(&o) == std::cmp::Ordering::Less
    {
        let cap = old
            .get("status")
            .and_then(|st| crate::json::at(st, &["capacity", "storage"]))
            .and_then(crate::quantity::Quantity::from_json)
            .and_then(Result::ok);
        if cap.is_none_or(|c| n.cmp_value(&c) != std::cmp::Ordering::Greater) {
            e.push(FieldError::forbidden(
                "spec.resources.requests.storage",
                "field can not be less than status.capacity",
            ));
        }
    }
    if !same(ns.get("volumeMode"), os.get("volumeMode")) {
        e.push(gofmt::immutable("volumeMode", field(ns, "volumeMode")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pv::*;

    #[test]
    fn pvc_defaults_and_rules() {
        let mut c = json!({"spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1024Mi"}}}});
        pvc_defaults(&mut c);
        assert_eq!(c["spec"]["volumeMode"], "Filesystem");
        assert_eq!(c["spec"]["resources"]["requests"]["storage"], "1Gi");
        let mut e = Vec::new();
        pvc(&json!({"spec": {"accessModes": ["Sometimes"]}}), &mut e);
        let e: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert_eq!(
            e,
            vec![
                "spec.accessModes: Unsupported value: \"Sometimes\": supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"",
                "spec.resources[storage]: Required value",
            ]
        );
        let old = json!({"spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "a"}});
        let new = json!({"spec": {"accessModes": ["ReadWriteMany"], "storageClassName": "a"}});
        let mut e = Vec::new();
        pvc_update(&new, &old, &mut e);
        assert!(e[0].to_string().starts_with("spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n"));
    }

    #[test]
    fn pv_rules() {
        let mut v = json!({"spec": {"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/data"}}});
        pv_defaults(&mut v);
        assert_eq!(v["spec"]["persistentVolumeReclaimPolicy"], "Retain");
        let mut e = Vec::new();
        pv(&v, &mut e);
        assert!(e.is_empty(), "{e:?}");
        let mut e = Vec::new();
        pv(
            &json!({"spec": {"accessModes": ["ReadWriteOnce"], "persistentVolumeReclaimPolicy": "Retain", "capacity": {"storage": "1Gi"}}}),
            &mut e,
        );
        assert_eq!(
            e[0].to_string(),
            "spec: Required value: must specify a volume type"
        );
    }
}
