//! Pod specs, pods and pod templates on create (`ValidatePodSpec`, `ValidatePodCreate`,
//! `ValidatePodTemplateSpec`).

use std::collections::BTreeSet;

use kubehci_api::FieldError;
use serde_json::Value;

use crate::container_validation::{PodCtx, containers, init_containers};
use crate::json::{Errs, P, field, get_arr, get_i64, get_obj, get_str, get_str_map, get_strs, s};
use crate::names::{dns1123_label, dns1123_subdomain, is_valid_ip, qualified_name, range_error};
use crate::objectmeta::{validate_annotations, validate_labels};
use crate::scheduling_validation::{affinity, tolerations, topology_spread};
use crate::security_context_validation::pod_security_context;
use crate::volume_validation::volumes;

pub(crate) const MAX_INT32: i64 = 2_147_483_647;

/// `ValidatePodSpec`. `pod_name` is set for real pods (ephemeral volume names use it);
/// `is_pod` distinguishes a pod from a template embedded in another kind.
pub(crate) fn pod_spec(spec: &Value, pod_name: Option<&str>, is_pod: bool, p: &P, e: &mut Errs) {
    let grace = get_i64(spec, "terminationGracePeriodSeconds", p, e);
    if grace.is_none() {
        e.push(FieldError::required(
            p.child("terminationGracePeriodSeconds"),
            "",
        ));
    }
    let sc = get_obj(spec, "securityContext", p, e);
    let host_users = sc
        .and_then(|sc| sc.get("hostUsers"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let vols = volumes(
        get_arr(spec, "volumes", p, e),
        pod_name,
        &p.child("volumes"),
        e,
    );
    let ctx = PodCtx {
        volumes: vols,
        grace,
        host_users,
    };
    let regular = get_arr(spec, "containers", p, e);
    containers(regular, &ctx, &p.child("containers"), e);
    init_containers(
        get_arr(spec, "initContainers", p, e),
        regular,
        &ctx,
        &p.child("initContainers"),
        e,
    );
    host_network_ports(spec, is_pod, p, e);
    let restart = get_str(spec, "restartPolicy", p, e).unwrap_or("");
    match restart {
        "Always" | "OnFailure" | "Never" => {}
        "" => e.push(FieldError::required(p.child("restartPolicy"), "")),
        other => e.push(FieldError::not_supported(
            p.child("restartPolicy"),
            other,
            &["Always", "OnFailure", "Never"],
        )),
    }
    let dns = get_str(spec, "dnsPolicy", p, e).unwrap_or("");
    match dns {
        "ClusterFirstWithHostNet" | "ClusterFirst" | "Default" | "None" => {}
        "" => e.push(FieldError::required(p.child("dnsPolicy"), "")),
        other => e.push(FieldError::not_supported(
            p.child("dnsPolicy"),
            other,
            &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
        )),
    }
    if let Some(ns) = get_str_map(spec, "nodeSelector", p, e) {
        validate_labels(&ns, &p.child("nodeSelector"), e);
    }
    if let Some(sc) = sc {
        pod_security_context(sc, &p.child("securityContext"), e);
    }
    for (i, ps) in get_arr(spec, "imagePullSecrets", p, e).iter().enumerate() {
        if ps
            .as_object()
            .is_some_and(|m| m.keys().any(|k| k != "name"))
        {
            e.push(FieldError::invalid(
                p.child("imagePullSecrets").index(i),
                ps.clone(),
                "only name may be set",
            ));
        }
    }
    if let Some(aff) = get_obj(spec, "affinity", p, e) {
        affinity(aff, &p.child("affinity"), e);
    }
    dns_config(spec, dns, p, e);
    for (i, g) in get_arr(spec, "readinessGates", p, e).iter().enumerate() {
        let cp = p.child("readinessGates").index(i).child("conditionType");
        for msg in qualified_name(s(g, "conditionType")) {
            e.push(FieldError::invalid(&cp, s(g, "conditionType"), msg));
        }
    }
    let mut gates = BTreeSet::new();
    for (i, g) in get_arr(spec, "schedulingGates", p, e).iter().enumerate() {
        let gp = p.child("schedulingGates").index(i);
        let name = s(g, "name");
        for msg in qualified_name(name) {
            e.push(FieldError::invalid(&gp, name, msg));
        }
        if !gates.insert(name) {
            e.push(FieldError::duplicate(&gp, name));
        }
    }
    topology_spread(spec, p, e);
    for (k, subdomain) in [
        ("serviceAccountName", true),
        ("nodeName", true),
        ("priorityClassName", true),
    ] {
        if let Some(v) = get_str(spec, k, p, e).filter(|v| !v.is_empty() && subdomain) {
            for msg in dns1123_subdomain(v) {
                e.push(FieldError::invalid(p.child(k), v, msg));
            }
        }
    }
    if let Some(v) =
        get_i64(spec, "activeDeadlineSeconds", p, e).filter(|v| !(1..=MAX_INT32).contains(v))
    {
        e.push(FieldError::invalid(
            p.child("activeDeadlineSeconds"),
            v,
            range_error(1, MAX_INT32),
        ));
    }
    for k in ["hostname", "subdomain"] {
        if let Some(v) = get_str(spec, k, p, e).filter(|v| !v.is_empty()) {
            for msg in dns1123_label(v) {
                e.push(FieldError::invalid(p.child(k), v, msg));
            }
        }
    }
    tolerations(
        get_arr(spec, "tolerations", p, e),
        &p.child("tolerations"),
        e,
    );
    for (i, ha) in get_arr(spec, "hostAliases", p, e).iter().enumerate() {
        let hp = p.child("hostAliases").index(i);
        let ip = s(ha, "ip");
        if !is_valid_ip(ip) {
            e.push(FieldError::invalid(
                hp.child("ip"),
                ip,
                crate::names::IP_MSG,
            ));
        }
        for (j, h) in get_strs(ha, "hostnames", &hp, e).iter().enumerate() {
            for msg in dns1123_subdomain(h) {
                e.push(FieldError::invalid(hp.child("hostnames").index(j), *h, msg));
            }
        }
    }
    if let Some(rc) = get_str(spec, "runtimeClassName", p, e) {
        for msg in dns1123_subdomain(rc) {
            e.push(FieldError::invalid(p.child("runtimeClassName"), rc, msg));
        }
    }
    match get_str(spec, "preemptionPolicy", p, e) {
        None | Some("PreemptLowerPriority" | "Never") => {}
        Some("") => e.push(FieldError::required(p.child("preemptionPolicy"), "")),
        Some(other) => e.push(FieldError::not_supported(
            p.child("preemptionPolicy"),
            other,
            &["Never", "PreemptLowerPriority"],
        )),
    }
    if let Some(os) = get_obj(spec, "os", p, e) {
        let name = s(os, "name");
        if name.is_empty() {
            e.push(FieldError::required(p.at(&["os", "name"]), ""));
        } else if !matches!(name, "linux" | "windows") {
            e.push(FieldError::not_supported(
                p.at(&["os", "name"]),
                name,
                &["linux", "windows"],
            ));
        }
    }
}

pub(crate) fn host_network_ports(spec: &Value, is_pod: bool, p: &P, e: &mut Errs) {
    if !crate::json::flag(spec, "hostNetwork") {
        return;
    }
    for (i, c) in crate::json::items(spec, "containers").iter().enumerate() {
        for (j, port) in crate::json::items(c, "ports").iter().enumerate() {
            let hp = crate::json::int(port, "hostPort").unwrap_or(0);
            let cp = crate::json::int(port, "containerPort").unwrap_or(0);
            if (is_pod || hp != 0) && hp != cp {
                e.push(FieldError::invalid(
                    p.child("containers")
                        .index(i)
                        .child("ports")
                        .index(j)
                        .child("hostPort"),
                    hp,
                    "must match `containerPort` when `hostNetwork` is true",
                ));
            }
        }
    }
}

pub(crate) fn dns_config(spec: &Value, dns: &str, p: &P, e: &mut Errs) {
    let dp = p.child("dnsConfig");
    let cfg = get_obj(spec, "dnsConfig", p, e);
    if dns == "None" {
        match cfg {
            None => {
                e.push(FieldError::required(
                    &dp,
                    "must provide `dnsConfig` when `dnsPolicy` is None",
                ));
                return;
            }
            Some(c) if crate::json::items(c, "nameservers").is_empty() => {
                e.push(FieldError::required(
                    dp.child("nameservers"),
                    "must provide at least one DNS nameserver when `dnsPolicy` is None",
                ));
                return;
            }
            _ => {}
        }
    }
    let Some(cfg) = cfg else { return };
    let ns = get_strs(cfg, "nameservers", &dp, e);
    if ns.len() > 3 {
        e.push(crate::gofmt::invalid_raw(
            dp.child("nameservers"),
            &crate::gofmt::string_slice(Some(&ns)),
            "must not have more than 3 nameservers",
        ));
    }
    for (i, n) in ns.iter().enumerate() {
        if !is_valid_ip(n) {
            e.push(FieldError::invalid(
                dp.child("nameservers").index(i),
                *n,
                crate::names::IP_MSG,
            ));
        }
    }
    for (i, o) in get_arr(cfg, "options", &dp, e).iter().enumerate() {
        if s(o, "name").is_empty() {
            e.push(FieldError::required(
                dp.child("options").index(i),
                "must not be empty",
            ));
        }
    }
}

/// What only a Pod's creation checks (`ValidatePodCreate` beyond the spec).
pub(crate) fn pod_create(obj: &Value, e: &mut Errs) {
    let sp = P::new("spec");
    let spec = field(obj, "spec").unwrap_or(&Value::Null);
    if !crate::json::items(spec, "ephemeralContainers").is_empty() {
        e.push(FieldError::forbidden(
            sp.child("ephemeralContainers"),
            "cannot be set on create",
        ));
    }
    if !s(spec, "nodeName").is_empty() && !crate::json::items(spec, "schedulingGates").is_empty() {
        e.push(FieldError::forbidden(
            sp.child("nodeName"),
            "cannot be set until all schedulingGates have been cleared",
        ));
    }
}

/// `validatePodMetadataAndSpec` without the metadata (checked generically).
pub(crate) fn pod_spec_of(obj: &Value, e: &mut Errs) {
    let sp = P::new("spec");
    let Some(spec) = get_obj(obj, "spec", &P::new(""), e) else {
        e.push(FieldError::required(sp.child("containers"), ""));
        return;
    };
    let name = crate::objectmeta::meta(obj).map(|m| s(m, "name"));
    pod_spec(spec, name, true, &sp, e);
    if s(spec, "serviceAccountName").is_empty() {
        for (vi, v) in crate::json::items(spec, "volumes").iter().enumerate() {
            for (si, src) in v
                .get("projected")
                .map(|pr| crate::json::items(pr, "sources"))
                .unwrap_or(&[])
                .iter()
                .enumerate()
            {
                if field(src, "serviceAccountToken").is_some() {
                    e.push(FieldError::forbidden(
                        sp.at(&["volumes"])
                            .index(vi)
                            .at(&["projected", "sources"])
                            .index(si)
                            .child("serviceAccountToken"),
                        "must not be specified when serviceAccountName is not set",
                    ));
                }
            }
        }
    }
    for list in ["containers", "initContainers"] {
        for (i, c) in crate::json::items(spec, list).iter().enumerate() {
            let image = s(c, "image");
            if image.trim() != image {
                e.push(FieldError::invalid(
                    sp.child(list).index(i).child("image"),
                    image,
                    "must not have leading or trailing whitespace",
                ));
            }
        }
    }
}

/// `ValidatePodTemplateSpec` for the template at `p` (`nil` templates are required).
pub(crate) fn template_spec(t: Option<&Value>, p: &P, e: &mut Errs) {
    let Some(t) = t.filter(|t| t.is_object()) else {
        e.push(FieldError::required(p, ""));
        return;
    };
    let md = field(t, "metadata").unwrap_or(&Value::Null);
    if let Some(l) = get_str_map(md, "labels", &p.child("metadata"), e) {
        validate_labels(&l, &p.child("labels"), e);
    }
    if let Some(a) = get_str_map(md, "annotations", &p.child("metadata"), e) {
        validate_annotations(&a, &p.child("annotations"), e);
    }
    let sp = p.child("spec");
    let spec = get_obj(t, "spec", p, e).unwrap_or(&Value::Null);
    pod_spec(spec, None, false, &sp, e);
    if !crate::json::items(spec, "ephemeralContainers").is_empty() {
        e.push(FieldError::forbidden(
            sp.child("ephemeralContainers"),
            "ephemeral containers not allowed in pod template",
        ));
    }
}
