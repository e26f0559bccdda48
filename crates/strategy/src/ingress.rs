//! Ingresses and IngressClasses (`networking.k8s.io/v1`).

use kubehci_api::FieldError;
use serde_json::Value;

use crate::gofmt;
use crate::json::{Errs, P, field, get_arr, get_obj, get_str, get_strs, s};
use crate::names::{
    dns1035_label, dns1123_subdomain, parse_ip, port_name, port_num, qualified_name,
};

pub(crate) fn wildcard_host(h: &str) -> Vec<String> {
    let ok = h
        .strip_prefix("*.")
        .is_some_and(|rest| dns1123_subdomain(rest).is_empty())
        && h.len() <= 253;
    if ok {
        Vec::new()
    } else {
        vec![crate::names::regex_error(
            "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
            "\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
            &["*.example.com"],
        )]
    }
}

pub(crate) fn backend(b: &Value, p: &P, e: &mut Errs) {
    let (res, svc) = (field(b, "resource"), field(b, "service"));
    match (res, svc) {
        (Some(_), Some(_)) => e.push(FieldError::invalid(
            p,
            "",
            "cannot set both resource and service backends",
        )),
        (Some(r), None) => {
            let rp = p.child("resource");
            for k in ["kind", "name"] {
                if s(r, k).is_empty() {
                    e.push(FieldError::required(rp.child(k), ""));
                }
            }
        }
        (None, Some(svc)) => {
            let name = s(svc, "name");
            if name.is_empty() {
                e.push(FieldError::required(p.at(&["service", "name"]), ""));
            } else {
                for msg in dns1035_label(name) {
                    e.push(FieldError::invalid(p.at(&["service", "name"]), name, msg));
                }
            }
            let port = field(svc, "port").unwrap_or(&Value::Null);
            let (pname, pnum) = (
                s(port, "name"),
                crate::json::int(port, "number").unwrap_or(0),
            );
            if !pname.is_empty() && pnum != 0 {
                e.push(FieldError::invalid(
                    p,
                    "",
                    "cannot set both port name & port number",
                ));
            } else if !pname.is_empty() {
                for msg in port_name(pname) {
                    e.push(FieldError::invalid(
                        p.at(&["service", "port", "name"]),
                        pname,
                        msg,
                    ));
                }
            } else if pnum != 0 {
                for msg in port_num(pnum) {
                    e.push(FieldError::invalid(
                        p.at(&["service", "port", "number"]),
                        pnum,
                        msg,
                    ));
                }
            } else {
                e.push(FieldError::required(p, "port name or number is required"));
            }
        }
        (None, None) => e.push(FieldError::invalid(
            p,
            "",
            "resource or service backend is required",
        )),
    }
}

pub(crate) fn http_path(path: &Value, p: &P, e: &mut Errs) {
    let Some(pt) = get_str(path, "pathType", p, e) else {
        e.push(FieldError::required(
            p.child("pathType"),
            "pathType must be specified",
        ));
        return;
    };
    let value = s(path, "path");
    match pt {
        "Exact" | "Prefix" => {
            if !value.starts_with('/') {
                e.push(FieldError::invalid(
                    p.child("path"),
                    value,
                    "must be an absolute path",
                ));
            }
            for seq in ["//", "/./", "/../", "%2f", "%2F"] {
                if value.contains(seq) {
                    e.push(FieldError::invalid(
                        p.child("path"),
                        value,
                        format!("must not contain '{seq}'"),
                    ));
                }
            }
            for suffix in ["/..", "/."] {
                if value.ends_with(suffix) {
                    e.push(FieldError::invalid(
                        p.child("path"),
                        value,
                        format!("cannot end with '{suffix}'"),
                    ));
                }
            }
        }
        "ImplementationSpecific" => {
            if !value.is_empty() && !value.starts_with('/') {
                e.push(FieldError::invalid(
                    p.child("path"),
                    value,
                    "must be an absolute path",
                ));
            }
        }
        other => e.push(FieldError::not_supported(
            p.child("pathType"),
            other,
            &["Exact", "ImplementationSpecific", "Prefix"],
        )),
    }
    backend(
        field(path, "backend").unwrap_or(&Value::Null),
        &p.child("backend"),
        e,
    );
}

/// `validateIngressSpec`.
pub(crate) fn ingress(obj: &Value, e: &mut Errs) {
    let sp = P::new("spec");
    let spec = get_obj(obj, "spec", &P::new(""), e).unwrap_or(&Value::Null);
    let rules = get_arr(spec, "rules", &sp, e);
    let default_backend = field(spec, "defaultBackend");
    if rules.is_empty() && default_backend.is_none() {
        e.push(gofmt::invalid_raw(
            &sp,
            "[]networking.IngressRule(nil)",
            "either `defaultBackend` or `rules` must be specified",
        ));
    }
    if let Some(b) = default_backend {
        backend(b, &sp.child("defaultBackend"), e);
    }
    for (i, rule) in rules.iter().enumerate() {
        let rp = sp.child("rules").index(i);
        let host = s(rule, "host");
        if !host.is_empty() {
            if parse_ip(host).is_some() {
                e.push(FieldError::invalid(
                    rp.child("host"),
                    host,
                    "must be a DNS name, not an IP address",
                ));
            }
            let msgs = if host.contains('*') {
                wildcard_host(host)
            } else {
                dns1123_subdomain(host)
            };
            for msg in msgs {
                e.push(FieldError::invalid(rp.child("host"), host, msg));
            }
        }
        if let Some(http) = get_obj(rule, "http", &rp, e) {
            let hp = rp.child("http");
            let paths = get_arr(http, "paths", &hp, e);
            if paths.is_empty() {
                e.push(FieldError::required(hp.child("paths"), ""));
            }
            for (j, path) in paths.iter().enumerate() {
                http_path(path, &hp.child("paths").index(j), e);
            }
        }
    }
    for (i, tls) in get_arr(spec, "tls", &sp, e).iter().enumerate() {
        let tp = sp.child("tls").index(i);
        for (j, host) in get_strs(tls, "hosts", &tp, e).iter().enumerate() {
            let msgs = if host.contains('*') {
                wildcard_host(host)
            } else {
                dns1123_subdomain(host)
            };
            for msg in msgs {
                e.push(FieldError::invalid(tp.child("hosts").index(j), *host, msg));
            }
        }
    }
    if let Some(class) = get_str(spec, "ingressClassName", &sp, e) {
        for msg in dns1123_subdomain(class) {
            e.push(FieldError::invalid(
                sp.child("ingressClassName"),
                class,
                msg,
            ));
        }
    }
}

/// `ValidateIngressClass` beyond metadata.
pub(crate) fn ingress_class(obj: &Value, e: &mut Errs) {
    let sp = P::new("spec");
    let spec = field(obj, "spec").unwrap_or(&Value::Null);
    let controller = s(spec, "controller");
    if controller.is_empty() {
        e.push(FieldError::required(sp.child("controller"), ""));
    } else if controller.len() > 250 {
        e.push(crate::objectmeta::too_long(&sp.child("controller"), 250));
    } else {
        for msg in qualified_name(controller) {
            e.push(FieldError::invalid(sp.child("controller"), controller, msg));
        }
    }
    if let Some(params) = get_obj(spec, "parameters", &sp, e) {
        let pp = sp.child("parameters");
        for k in ["kind", "name"] {
            if s(params, k).is_empty() {
                e.push(FieldError::required(pp.child(k), ""));
            }
        }
        if let Some(scope) =
            get_str(params, "scope", &pp, e).filter(|x| !matches!(*x, "Cluster" | "Namespace"))
        {
            e.push(FieldError::not_supported(
                pp.child("scope"),
                scope,
                &["Cluster", "Namespace"],
            ));
        }
    }
}
