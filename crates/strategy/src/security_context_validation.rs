//! Pod and container security contexts (`ValidateSecurityContext`,
//! `validatePodSpecSecurityContext`, seccomp profiles).

use std::collections::BTreeSet;

use kubehci_api::FieldError;
use serde_json::Value;

use crate::container_validation::local_descending_path;
use crate::gofmt;
use crate::json::{Errs, P, get_arr, get_bool, get_i64, get_obj, get_str};
use crate::names::range_error;

pub(crate) fn id_range(sc: &Value, k: &str, p: &P, e: &mut Errs) {
    if let Some(id) = get_i64(sc, k, p, e).filter(|id| !(0..=4_294_967_295).contains(id)) {
        e.push(FieldError::invalid(
            p.child(k),
            id,
            range_error(0, 4_294_967_295),
        ));
    }
}

/// `ValidateSecurityContext` of a container.
pub(crate) fn security_context(sc: &Value, host_users: bool, p: &P, e: &mut Errs) {
    id_range(sc, "runAsUser", p, e);
    id_range(sc, "runAsGroup", p, e);
    if let Some(pm) = get_str(sc, "procMount", p, e) {
        if !matches!(pm, "Default" | "Unmasked") {
            e.push(FieldError::not_supported(
                p.child("procMount"),
                pm,
                &["Default", "Unmasked"],
            ));
        }
        if host_users && pm == "Unmasked" {
            e.push(FieldError::invalid(
                p.child("procMount"),
                pm,
                "`hostUsers` must be false to use `Unmasked`",
            ));
        }
    }
    if let Some(sp) = get_obj(sc, "seccompProfile", p, e) {
        seccomp_profile(sp, &p.child("seccompProfile"), e);
    }
    let privileged = get_bool(sc, "privileged", p, e) == Some(true);
    if get_bool(sc, "allowPrivilegeEscalation", p, e) == Some(false) {
        let add = sc
            .get("capabilities")
            .map(|c| crate::json::items(c, "add"))
            .unwrap_or(&[]);
        if privileged {
            e.push(gofmt::invalid_raw(
                p,
                "core.SecurityContext{...}",
                "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
            ));
        }
        if add.iter().any(|c| c.as_str() == Some("CAP_SYS_ADMIN")) {
            e.push(gofmt::invalid_raw(
                p,
                "core.SecurityContext{...}",
                "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN",
            ));
        }
    }
}

/// `validateSeccompProfileField`.
pub(crate) fn seccomp_profile(sp: &Value, p: &P, e: &mut Errs) {
    let t = get_str(sp, "type", p, e).unwrap_or("");
    match t {
        "Localhost" | "RuntimeDefault" | "Unconfined" => {}
        "" => e.push(FieldError::required(
            p.child("type"),
            "type is required when seccompProfile is set",
        )),
        other => e.push(FieldError::not_supported(
            p.child("type"),
            other,
            &["Localhost", "RuntimeDefault", "Unconfined"],
        )),
    }
    let local = get_str(sp, "localhostProfile", p, e);
    match (t, local) {
        ("Localhost", None) => {
            e.push(FieldError::required(
                p.child("localhostProfile"),
                "must be set when seccomp type is Localhost",
            ));
        }
        ("Localhost", Some(l)) => local_descending_path(l, &p.child("localhostProfile"), e),
        (_, Some(_)) => e.push(gofmt::invalid_raw(
            p.child("localhostProfile"),
            "core.SeccompProfile{...}",
            "can only be set when seccomp type is Localhost",
        )),
        _ => {}
    }
}

/// `validatePodSpecSecurityContext` (the pod-level security context).
pub(crate) fn pod_security_context(sc: &Value, p: &P, e: &mut Errs) {
    for k in ["fsGroup", "runAsUser", "runAsGroup"] {
        id_range(sc, k, p, e);
    }
    for (i, g) in get_arr(sc, "supplementalGroups", p, e).iter().enumerate() {
        if let Some(id) = g.as_i64().filter(|id| !(0..=4_294_967_295).contains(id)) {
            e.push(FieldError::invalid(
                p.child("supplementalGroups").index(i),
                id,
                range_error(0, 4_294_967_295),
            ));
        }
    }
    if let Some(pol) = get_str(sc, "fsGroupChangePolicy", p, e)
        && !matches!(pol, "Always" | "OnRootMismatch")
    {
        e.push(FieldError::not_supported(
            p.child("fsGroupChangePolicy"),
            pol,
            &["Always", "OnRootMismatch"],
        ));
    }
    if let Some(sp) = get_obj(sc, "seccompProfile", p, e) {
        seccomp_profile(sp, &p.child("seccompProfile"), e);
    }
    let mut names = BTreeSet::new();
    for (i, s) in get_arr(sc, "sysctls", p, e).iter().enumerate() {
        let np = p.child("sysctls").index(i).child("name");
        let name = crate::json::s(s, "name");
        if name.is_empty() {
            e.push(FieldError::required(np, ""));
        } else if !names.insert(name) {
            e.push(FieldError::duplicate(np, name));
        }
    }
}
