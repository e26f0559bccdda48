//! Containers of a pod spec: names, images, ports, mounts (`validateContainers`,
//! `validateInitContainers`, `validateContainerCommon`, ...).

use std::collections::{BTreeMap, BTreeSet};

use kubehci_api::FieldError;
use serde_json::Value;

use crate::env_validation as ev;
use crate::json::{Errs, P, field, get_arr, get_i64, get_obj, get_str};
use crate::names::{dns1123_label, port_name, port_num};
use crate::probe_validation::{self as ep, ProbeKind};
use crate::resource_validation::container_requirements;
use crate::security_context_validation::security_context;

/// What container checks need to know about the surrounding pod spec.
pub(crate) struct PodCtx {
    /// Volumes that passed validation, by name.
    pub volumes: BTreeMap<String, Value>,
    pub grace: Option<i64>,
    pub host_users: bool,
}

pub(crate) const PROTOCOLS: [&str; 3] = ["SCTP", "TCP", "UDP"];

/// `validateContainers`: the regular containers.
pub(crate) fn containers(list: &[Value], ctx: &PodCtx, p: &P, e: &mut Errs) {
    if list.is_empty() {
        e.push(FieldError::required(p, ""));
        return;
    }
    let mut names = BTreeSet::new();
    for (i, c) in list.iter().enumerate() {
        let cp = p.index(i);
        if !c.is_object() {
            e.push(crate::json::type_error(&cp, c, "object"));
            continue;
        }
        common(c, ctx, &cp, e);
        let name = crate::json::s(c, "name");
        if !names.insert(name) {
            e.push(FieldError::duplicate(cp.child("name"), name));
        }
        if let Some(lc) = get_obj(c, "lifecycle", &cp, e) {
            lifecycle(lc, ctx.grace, &cp.child("lifecycle"), e);
        }
        probes(c, ctx, &cp, e);
        if field(c, "restartPolicy").is_some() {
            e.push(FieldError::forbidden(
                cp.child("restartPolicy"),
                "may not be set for non-init containers",
            ));
        }
    }
    host_port_conflicts(list, p, e);
}

pub(crate) fn lifecycle(lc: &Value, grace: Option<i64>, p: &P, e: &mut Errs) {
    for hook in ["postStart", "preStop"] {
        if let Some(h) = get_obj(lc, hook, p, e) {
            ep::handler(h, grace, &p.child(hook), e);
        }
    }
}

pub(crate) fn probes(c: &Value, ctx: &PodCtx, cp: &P, e: &mut Errs) {
    for (k, kind) in [
        ("livenessProbe", ProbeKind::Liveness),
        ("readinessProbe", ProbeKind::Readiness),
        ("startupProbe", ProbeKind::Startup),
    ] {
        if let Some(pr) = get_obj(c, k, cp, e) {
            ep::probe(pr, kind, ctx.grace, &cp.child(k), e);
        }
    }
}

/// `validateInitContainers`.
pub(crate) fn init_containers(
    list: &[Value],
    regular: &[Value],
    ctx: &PodCtx,
    p: &P,
    e: &mut Errs,
) {
    let mut names: BTreeSet<&str> = regular.iter().map(|c| crate::json::s(c, "name")).collect();
    for (i, c) in list.iter().enumerate() {
        let cp = p.index(i);
        if !c.is_object() {
            e.push(crate::json::type_error(&cp, c, "object"));
            continue;
        }
        common(c, ctx, &cp, e);
        let restart = get_str(c, "restartPolicy", &cp, e);
        if let Some(r) = restart.filter(|r| *r != "Always") {
            e.push(FieldError::not_supported(
                cp.child("restartPolicy"),
                r,
                &["Always"],
            ));
        }
        let name = crate::json::s(c, "name");
        if names.contains(name) {
            e.push(FieldError::duplicate(cp.child("name"), name));
        } else if !name.is_empty() {
            names.insert(name);
        }
        host_port_conflicts(std::slice::from_ref(c), p, e);
        if restart == Some("Always") {
            if let Some(lc) = get_obj(c, "lifecycle", &cp, e) {
                lifecycle(lc, ctx.grace, &cp.child("lifecycle"), e);
            }
            probes(c, ctx, &cp, e);
        } else {
            for k in [
                "lifecycle",
                "livenessProbe",
                "readinessProbe",
                "startupProbe",
            ] {
                if field(c, k).is_some() {
                    e.push(FieldError::forbidden(
                        cp.child(k),
                        "may not be set for init containers without restartPolicy=Always",
                    ));
                }
            }
        }
    }
}

/// `validateContainerCommon`.
pub(crate) fn common(c: &Value, ctx: &PodCtx, p: &P, e: &mut Errs) {
    match get_str(c, "name", p, e).filter(|n| !n.is_empty()) {
        None => e.push(FieldError::required(p.child("name"), "")),
        Some(n) => {
            for msg in dns1123_label(n) {
                e.push(FieldError::invalid(p.child("name"), n, msg));
            }
        }
    }
    if get_str(c, "image", p, e).is_none_or(str::is_empty) {
        e.push(FieldError::required(p.child("image"), ""));
    }
    match get_str(c, "terminationMessagePolicy", p, e).unwrap_or("") {
        "File" | "FallbackToLogsOnError" => {}
        "" => e.push(FieldError::required(
            p.child("terminationMessagePolicy"),
            "",
        )),
        other => e.push(FieldError::not_supported(
            p.child("terminationMessagePolicy"),
            other,
            &["File", "FallbackToLogsOnError"],
        )),
    }
    ports(c, p, e);
    ev::env(c, p, e);
    ev::env_from(c, p, e);
    volume_mounts(c, ctx, p, e);
    match get_str(c, "imagePullPolicy", p, e).unwrap_or("") {
        "Always" | "IfNotPresent" | "Never" => {}
        "" => e.push(FieldError::required(p.child("imagePullPolicy"), "")),
        other => e.push(FieldError::not_supported(
            p.child("imagePullPolicy"),
            other,
            &["Always", "IfNotPresent", "Never"],
        )),
    }
    if let Some(res) = get_obj(c, "resources", p, e) {
        container_requirements(res, &p.child("resources"), e);
    }
    if let Some(sc) = get_obj(c, "securityContext", p, e) {
        security_context(sc, ctx.host_users, &p.child("securityContext"), e);
    }
}

pub(crate) fn ports(c: &Value, p: &P, e: &mut Errs) {
    let pp = p.child("ports");
    let mut names = BTreeSet::new();
    for (i, port) in get_arr(c, "ports", p, e).iter().enumerate() {
        let ip = pp.index(i);
        if let Some(name) = get_str(port, "name", &ip, e).filter(|n| !n.is_empty()) {
            let msgs = port_name(name);
            if !msgs.is_empty() {
                for msg in msgs {
                    e.push(FieldError::invalid(ip.child("name"), name, msg));
                }
            } else if !names.insert(name) {
                e.push(FieldError::duplicate(ip.child("name"), name));
            }
        }
        match get_i64(port, "containerPort", &ip, e).unwrap_or(0) {
            0 => e.push(FieldError::required(ip.child("containerPort"), "")),
            n => {
                for msg in port_num(n) {
                    e.push(FieldError::invalid(ip.child("containerPort"), n, msg));
                }
            }
        }
        if let Some(h) = get_i64(port, "hostPort", &ip, e).filter(|h| *h != 0) {
            for msg in port_num(h) {
                e.push(FieldError::invalid(ip.child("hostPort"), h, msg));
            }
        }
        protocol(port, &ip, e);
    }
}

/// A `protocol` that must be one of TCP, UDP, SCTP.
pub(crate) fn protocol(o: &Value, p: &P, e: &mut Errs) {
    match get_str(o, "protocol", p, e).unwrap_or("") {
        "" => e.push(FieldError::required(p.child("protocol"), "")),
        x if PROTOCOLS.contains(&x) => {}
        x => e.push(FieldError::not_supported(
            p.child("protocol"),
            x,
            &PROTOCOLS,
        )),
    }
}

/// `checkHostPortConflicts` / `AccumulateUniqueHostPorts`.
pub(crate) fn host_port_conflicts(list: &[Value], p: &P, e: &mut Errs) {
    let mut seen = BTreeSet::new();
    for (ci, c) in list.iter().enumerate() {
        for (pi, port) in crate::json::items(c, "ports").iter().enumerate() {
            let hp = crate::json::int(port, "hostPort").unwrap_or(0);
            if hp == 0 {
                continue;
            }
            let key = format!(
                "{}/{}/{hp}",
                crate::json::s(port, "protocol"),
                crate::json::s(port, "hostIP")
            );
            if !seen.insert(key.clone()) {
                e.push(FieldError::duplicate(
                    p.index(ci).child("ports").index(pi).child("hostPort"),
                    key,
                ));
            }
        }
    }
}

pub(crate) fn volume_mounts(c: &Value, ctx: &PodCtx, p: &P, e: &mut Errs) {
    let mp = p.child("volumeMounts");
    let devices: BTreeMap<&str, &str> = crate::json::items(c, "volumeDevices")
        .iter()
        .map(|d| (crate::json::s(d, "name"), crate::json::s(d, "devicePath")))
        .collect();
    let privileged = c
        .get("securityContext")
        .is_some_and(|sc| crate::json::flag(sc, "privileged"));
    let mut mount_points = BTreeSet::new();
    for (i, m) in get_arr(c, "volumeMounts", p, e).iter().enumerate() {
        let ip = mp.index(i);
        let name = get_str(m, "name", &ip, e).unwrap_or("");
        if name.is_empty() {
            e.push(FieldError::required(ip.child("name"), ""));
        }
        if !ctx.volumes.contains_key(name) {
            e.push(FieldError::not_found(ip.child("name"), name));
        }
        let path = get_str(m, "mountPath", &ip, e).unwrap_or("");
        if path.is_empty() {
            e.push(FieldError::required(ip.child("mountPath"), ""));
        }
        if !mount_points.insert(path) {
            e.push(FieldError::invalid(
                ip.child("mountPath"),
                path,
                "must be unique",
            ));
        }
        if devices.contains_key(name) {
            e.push(FieldError::invalid(
                ip.child("name"),
                name,
                "must not already exist in volumeDevices",
            ));
        }
        if devices.values().any(|d| *d == path) {
            e.push(FieldError::invalid(
                ip.child("mountPath"),
                path,
                "must not already exist as a path in volumeDevices",
            ));
        }
        let sub = get_str(m, "subPath", &ip, e).unwrap_or("");
        if !sub.is_empty() {
            local_descending_path(sub, &mp.child("subPath"), e);
        }
        let sub_expr = get_str(m, "subPathExpr", &ip, e).unwrap_or("");
        if !sub_expr.is_empty() {
            if !sub.is_empty() {
                e.push(FieldError::invalid(
                    ip.child("subPathExpr"),
                    sub_expr,
                    "subPathExpr and subPath are mutually exclusive",
                ));
            }
            local_descending_path(sub_expr, &mp.child("subPathExpr"), e);
        }
        if let Some(prop) = get_str(m, "mountPropagation", &ip, e) {
            let pp = mp.child("mountPropagation");
            if !matches!(prop, "Bidirectional" | "HostToContainer" | "None") {
                e.push(FieldError::not_supported(
                    &pp,
                    prop,
                    &["Bidirectional", "HostToContainer", "None"],
                ));
            }
            if prop == "Bidirectional" && !privileged {
                e.push(FieldError::forbidden(
                    pp,
                    "Bidirectional mount propagation is available only to privileged containers",
                ));
            }
        }
    }
}

/// `validateLocalDescendingPath`: relative, without `..` elements.
pub(crate) fn local_descending_path(path: &str, p: &P, e: &mut Errs) {
    if path.starts_with('/') {
        e.push(FieldError::invalid(p, path, "must be a relative path"));
    }
    no_backsteps(path, p, e);
}

/// `validatePathNoBacksteps`.
pub(crate) fn no_backsteps(path: &str, p: &P, e: &mut Errs) {
    if path.replace('\\', "/").split('/').any(|part| part == "..") {
        e.push(FieldError::invalid(p, path, "must not contain '..'"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> PodCtx {
        PodCtx {
            volumes: BTreeMap::new(),
            grace: Some(30),
            host_users: true,
        }
    }

    #[test]
    fn regular_container_rules() {
        let list = vec![
            json!({"name": "web", "image": "", "terminationMessagePolicy": "File", "imagePullPolicy": "Sometimes",
                "ports": [{"containerPort": 0, "protocol": "TCP"}, {"containerPort": 80, "protocol": "XYZ"}],
                "volumeMounts": [{"name": "missing", "mountPath": "/data"}]}),
            json!({"name": "web", "image": "x", "terminationMessagePolicy": "File", "imagePullPolicy": "Always"}),
        ];
        let mut e = Vec::new();
        containers(&list, &ctx(), &P::new("spec.containers"), &mut e);
        let e: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert_eq!(
            e,
            vec![
                "spec.containers[0].image: Required value",
                "spec.containers[0].ports[0].containerPort: Required value",
                "spec.containers[0].ports[1].protocol: Unsupported value: \"XYZ\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
                "spec.containers[0].volumeMounts[0].name: Not found: \"missing\"",
                "spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\"",
                "spec.containers[1].name: Duplicate value: \"web\"",
            ]
        );
        let mut e = Vec::new();
        containers(&[], &ctx(), &P::new("spec.containers"), &mut e);
        assert_eq!(e[0].to_string(), "spec.containers: Required value");
    }
}
