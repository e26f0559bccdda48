//! `networking.k8s.io/v1`: NetworkPolicies, Ingresses and IngressClasses.

use kubehci_api::FieldError;
use serde_json::{Value, json};

use crate::gofmt;
use crate::json::{
    Errs, P, dflt, ensure_obj, field, get_arr, get_obj, get_str, get_strs, items, items_mut, s, set,
};
use crate::names::{
    dns1035_label, dns1123_subdomain, parse_ip, port_name, port_num, qualified_name,
};

/// `SetDefaults_NetworkPolicy` and `_NetworkPolicyPort`.
pub(crate) fn network_policy_defaults(obj: &mut Value) {
    let Some(spec) = ensure_obj(obj, "spec") else {
        return;
    };
    for (list, _) in [("ingress", "from"), ("egress", "to")] {
        for rule in items_mut(spec, list) {
            for port in items_mut(rule, "ports") {
                dflt(port, "protocol", json!("TCP"));
            }
        }
    }
    if items(spec, "policyTypes").is_empty() {
        let mut types = vec![json!("Ingress")];
        if !items(spec, "egress").is_empty() {
            types.push(json!("Egress"));
        }
        set(spec, "policyTypes", Value::Array(types));
    }
}

fn np_port(port: &Value, p: &P, e: &mut Errs) {
    if let Some(proto) =
        get_str(port, "protocol", p, e).filter(|x| !matches!(*x, "TCP" | "UDP" | "SCTP"))
    {
        e.push(FieldError::not_supported(
            p.child("protocol"),
            proto,
            &["TCP", "UDP", "SCTP"],
        ));
    }
    let end = crate::json::int(port, "endPort");
    match field(port, "port") {
        Some(Value::String(name)) => {
            if let Some(end) = end {
                e.push(FieldError::invalid(
                    p.child("endPort"),
                    end,
                    "may not be specified when `port` is non-numeric",
                ));
            }
            for msg in port_name(name) {
                e.push(FieldError::invalid(p.child("port"), name.as_str(), msg));
            }
        }
        Some(n) => {
            let n = n.as_i64().unwrap_or(0);
            for msg in port_num(n) {
                e.push(FieldError::invalid(p.child("port"), n, msg));
            }
            if let Some(end) = end {
                if end < n {
                    e.push(FieldError::invalid(
                        p.child("endPort"),
                        n,
                        "must be greater than or equal to `port`",
                    ));
                }
                for msg in port_num(end) {
                    e.push(FieldError::invalid(p.child("endPort"), end, msg));
                }
            }
        }
        None => {
            if let Some(end) = end {
                e.push(FieldError::invalid(
                    p.child("endPort"),
                    end,
                    "may not be specified when `port` is not specified",
                ));
            }
        }
    }
}

fn ip_block(b: &Value, p: &P, e: &mut Errs) {
    let cidr = s(b, "cidr");
    if cidr.is_empty() {
        e.push(FieldError::required(p.child("cidr"), ""));
        return;
    }
    let outer = cidr.parse::<ipnet::IpNet>().ok();
    if outer.is_none() {
        e.push(FieldError::invalid(
            p.child("cidr"),
            cidr,
            crate::names::CIDR_MSG,
        ));
    }
    for (i, ex) in get_strs(b, "except", p, e).iter().enumerate() {
        let xp = p.child("except").index(i);
        match (ex.parse::<ipnet::IpNet>(), outer) {
            (Err(_), _) => e.push(FieldError::invalid(xp, *ex, crate::names::CIDR_MSG)),
            (Ok(inner), Some(outer))
                if (!outer.contains(&inner.network())
                    || outer.prefix_len() >= inner.prefix_len()) =>
            {
                e.push(FieldError::invalid(
                    xp,
                    *ex,
                    "must be a strict subset of `cidr`",
                ));
            }
            _ => {}
        }
    }
}

fn peer(pe: &Value, p: &P, e: &mut Errs) {
    let mut n = 0;
    for k in ["podSelector", "namespaceSelector"] {
        if let Some(sel) = get_obj(pe, k, p, e) {
            n += 1;
            crate::labelselector::validate(sel, &p.child(k), e);
        }
    }
    let block = get_obj(pe, "ipBlock", p, e);
    if let Some(b) = block {
        n += 1;
        ip_block(b, &p.child("ipBlock"), e);
    }
    if n == 0 {
        e.push(FieldError::required(p, "must specify a peer"));
    } else if n > 1 && block.is_some() {
        e.push(FieldError::forbidden(
            p,
            "may not specify both ipBlock and another peer",
        ));
    }
}

/// `ValidateNetworkPolicySpec`.
pub(crate) fn network_policy(obj: &Value, e: &mut Errs) {
    let sp = P::new("spec");
    let spec = get_obj(obj, "spec", &P::new(""), e).unwrap_or(&Value::Null);
    if let Some(sel) = get_obj(spec, "podSelector", &sp, e) {
        crate::labelselector::validate(sel, &sp.child("podSelector"), e);
    }
    for (list, peers) in [("ingress", "from"), ("egress", "to")] {
        for (i, rule) in get_arr(spec, list, &sp, e).iter().enumerate() {
            let rp = sp.child(list).index(i);
            for (j, port) in get_arr(rule, "ports", &rp, e).iter().enumerate() {
                np_port(port, &rp.child("ports").index(j), e);
            }
            for (j, pe) in get_arr(rule, peers, &rp, e).iter().enumerate() {
                peer(pe, &rp.child(peers).index(j), e);
            }
        }
    }
    let types = get_strs(spec, "policyTypes", &sp, e);
    if types.len() > 2 {
        e.push(gofmt::invalid_raw(
            sp.child("policyTypes"),
            "&[]networking.PolicyType{...}",
            "may not specify more than two policyTypes",
        ));
        return;
    }
    for (i, t) in types.iter().enumerate() {
        if !matches!(*t, "Ingress" | "Egress") {
            e.push(FieldError::not_supported(
                sp.child("policyTypes").index(i),
                *t,
                &["Ingress", "Egress"],
            ));
        }
    }
}

fn wildcard_host(h: &str) -> Vec<String> {
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

fn backend(b: &Value, p: &P, e: &mut Errs) {
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

fn http_path(path: &Value, p: &P, e: &mut Errs) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_policy_types() {
        let mut np = json!({"spec": {"podSelector": {}, "egress": [{"ports": [{"port": 53}]}]}});
        network_policy_defaults(&mut np);
        assert_eq!(np["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
        assert_eq!(np["spec"]["egress"][0]["ports"][0]["protocol"], "TCP");
        let mut e = Vec::new();
        network_policy(&np, &mut e);
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn ingress_path_type_required() {
        let ing = json!({"spec": {"rules": [{"host": "a.example.com", "http": {"paths": [
            {"path": "/", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}});
        let mut e = Vec::new();
        ingress(&ing, &mut e);
        assert_eq!(
            e[0].to_string(),
            "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"
        );
    }
}
