//! Pod specs, pods and pod templates on create (`ValidatePodSpec`, `ValidatePodCreate`,
//! `ValidatePodTemplateSpec`).

use std::collections::BTreeSet;

use kubehci_api::FieldError;
use serde_json::Value;

use crate::container_validation::{PodCtx, containers, init_containers, pod_security_context};
use crate::json::{Errs, P, field, get_arr, get_i64, get_obj, get_str, get_str_map, get_strs, s};
use crate::labelselector;
use crate::names::{
    dns1123_label, dns1123_subdomain, is_valid_ip, label_value, qualified_name, range_error,
};
use crate::objectmeta::{validate_annotations, validate_label_name, validate_labels};
use crate::volume_validation::volumes;

const MAX_INT32: i64 = 2_147_483_647;

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
        None | Some("PreemptLowerPriority" | "PreemptNever") => {}
        Some("") => e.push(FieldError::required(p.child("preemptionPolicy"), "")),
        Some(other) => e.push(FieldError::not_supported(
            p.child("preemptionPolicy"),
            other,
            &["PreemptLowerPriority", "PreemptNever"],
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

fn host_network_ports(spec: &Value, is_pod: bool, p: &P, e: &mut Errs) {
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

fn dns_config(spec: &Value, dns: &str, p: &P, e: &mut Errs) {
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

/// `ValidateTolerations`.
pub(crate) fn tolerations(list: &[Value], p: &P, e: &mut Errs) {
    for (i, t) in list.iter().enumerate() {
        let ip = p.index(i);
        let key = get_str(t, "key", &ip, e).unwrap_or("");
        let op = get_str(t, "operator", &ip, e).unwrap_or("");
        let effect = get_str(t, "effect", &ip, e).unwrap_or("");
        let value = get_str(t, "value", &ip, e).unwrap_or("");
        if !key.is_empty() {
            validate_label_name(key, &ip.child("key"), e);
        }
        if key.is_empty() && op != "Exists" {
            e.push(FieldError::invalid(
                ip.child("operator"),
                op,
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            ));
        }
        if get_i64(t, "tolerationSeconds", &ip, e).is_some() && effect != "NoExecute" {
            e.push(FieldError::invalid(
                ip.child("effect"),
                effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
        match op {
            "Equal" | "" => {
                let errs = label_value(value);
                if !errs.is_empty() {
                    e.push(FieldError::invalid(
                        ip.child("operator"),
                        value,
                        errs.join(";"),
                    ));
                }
            }
            "Exists" => {
                if !value.is_empty() {
                    e.push(FieldError::invalid(
                        ip.child("operator"),
                        value,
                        "value must be empty when `operator` is 'Exists'",
                    ));
                }
            }
            other => e.push(FieldError::not_supported(
                ip.child("operator"),
                other,
                &["Equal", "Exists"],
            )),
        }
        if !effect.is_empty() && !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute")
        {
            e.push(FieldError::not_supported(
                ip.child("effect"),
                effect,
                &["NoSchedule", "PreferNoSchedule", "NoExecute"],
            ));
        }
    }
}

fn affinity(aff: &Value, p: &P, e: &mut Errs) {
    if let Some(na) = get_obj(aff, "nodeAffinity", p, e) {
        let np = p.child("nodeAffinity");
        if let Some(req) = get_obj(na, "requiredDuringSchedulingIgnoredDuringExecution", &np, e) {
            let rp = np.child("requiredDuringSchedulingIgnoredDuringExecution");
            let terms = get_arr(req, "nodeSelectorTerms", &rp, e);
            if terms.is_empty() {
                e.push(FieldError::required(
                    rp.child("nodeSelectorTerms"),
                    "must have at least one node selector term",
                ));
            }
            for (i, t) in terms.iter().enumerate() {
                node_selector_term(t, &rp.child("nodeSelectorTerms").index(i), e);
            }
        }
        let pp = np.child("preferredDuringSchedulingIgnoredDuringExecution");
        for (i, t) in get_arr(
            na,
            "preferredDuringSchedulingIgnoredDuringExecution",
            &np,
            e,
        )
        .iter()
        .enumerate()
        {
            weight(t, &pp.index(i), e);
            if let Some(pref) = field(t, "preference") {
                node_selector_term(pref, &pp.index(i).child("preference"), e);
            }
        }
    }
    for k in ["podAffinity", "podAntiAffinity"] {
        let Some(pa) = get_obj(aff, k, p, e) else {
            continue;
        };
        let kp = p.child(k);
        let rp = kp.child("requiredDuringSchedulingIgnoredDuringExecution");
        for (i, t) in get_arr(pa, "requiredDuringSchedulingIgnoredDuringExecution", &kp, e)
            .iter()
            .enumerate()
        {
            pod_affinity_term(t, &rp.index(i), e);
        }
        let pp = kp.child("preferredDuringSchedulingIgnoredDuringExecution");
        for (i, t) in get_arr(
            pa,
            "preferredDuringSchedulingIgnoredDuringExecution",
            &kp,
            e,
        )
        .iter()
        .enumerate()
        {
            weight(t, &pp.index(i), e);
            pod_affinity_term(
                field(t, "podAffinityTerm").unwrap_or(&Value::Null),
                &pp.index(i).child("podAffinityTerm"),
                e,
            );
        }
    }
}

fn weight(t: &Value, p: &P, e: &mut Errs) {
    let w = crate::json::int(t, "weight").unwrap_or(0);
    if !(1..=100).contains(&w) {
        e.push(FieldError::invalid(
            p.child("weight"),
            w,
            "must be in the range 1-100",
        ));
    }
}

fn node_selector_term(t: &Value, p: &P, e: &mut Errs) {
    for (j, r) in get_arr(t, "matchExpressions", p, e).iter().enumerate() {
        let rp = p.child("matchExpressions").index(j);
        let values = get_strs(r, "values", &rp, e);
        match s(r, "operator") {
            "In" | "NotIn" if values.is_empty() => e.push(FieldError::required(
                rp.child("values"),
                "must be specified when `operator` is 'In' or 'NotIn'",
            )),
            "Exists" | "DoesNotExist" if !values.is_empty() => e.push(FieldError::forbidden(
                rp.child("values"),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            )),
            "Gt" | "Lt" if values.len() != 1 => e.push(FieldError::required(
                rp.child("values"),
                "must be specified single value when `operator` is 'Lt' or 'Gt'",
            )),
            "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt" => {}
            other => e.push(FieldError::invalid(
                rp.child("operator"),
                other,
                "not a valid selector operator",
            )),
        }
        validate_label_name(s(r, "key"), &rp.child("key"), e);
    }
}

fn pod_affinity_term(t: &Value, p: &P, e: &mut Errs) {
    if let Some(sel) = get_obj(t, "labelSelector", p, e) {
        labelselector::validate(sel, &p.child("labelSelector"), e);
    }
    for ns in get_strs(t, "namespaces", p, e) {
        for msg in dns1123_label(ns) {
            e.push(FieldError::invalid(p.child("namespace"), ns, msg));
        }
    }
    let key = get_str(t, "topologyKey", p, e).unwrap_or("");
    if key.is_empty() {
        e.push(FieldError::required(
            p.child("topologyKey"),
            "can not be empty",
        ));
    }
    validate_label_name(key, &p.child("topologyKey"), e);
}

fn topology_spread(spec: &Value, p: &P, e: &mut Errs) {
    let tp = p.child("topologySpreadConstraints");
    let list = get_arr(spec, "topologySpreadConstraints", p, e);
    for (i, c) in list.iter().enumerate() {
        let cp = tp.index(i);
        let skew = crate::json::int(c, "maxSkew").unwrap_or(0);
        if skew <= 0 {
            e.push(FieldError::invalid(
                cp.child("maxSkew"),
                skew,
                "must be greater than zero",
            ));
        }
        let key = s(c, "topologyKey");
        if key.is_empty() {
            e.push(FieldError::required(
                cp.child("topologyKey"),
                "can not be empty",
            ));
        }
        let when = s(c, "whenUnsatisfiable");
        if !matches!(when, "DoNotSchedule" | "ScheduleAnyway") {
            e.push(FieldError::not_supported(
                cp.child("whenUnsatisfiable"),
                when,
                &["DoNotSchedule", "ScheduleAnyway"],
            ));
        }
        if list[i + 1..]
            .iter()
            .any(|o| s(o, "topologyKey") == key && s(o, "whenUnsatisfiable") == when)
        {
            e.push(FieldError::duplicate(
                cp.child("{topologyKey, whenUnsatisfiable}"),
                format!("{{{key}, {when}}}"),
            ));
        }
        if let Some(sel) = get_obj(c, "labelSelector", &cp, e) {
            labelselector::validate(sel, &cp.child("labelSelector"), e);
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
