//! Services: `ValidateService` (ports, types, selectors, traffic policies).

use std::collections::BTreeSet;

use kubehci_api::{FieldError, FieldErrorType};
use serde_json::Value;

use crate::container_validation::protocol;
use crate::gofmt;
use crate::json::{Errs, P, field, get_arr, get_obj, get_str, get_str_map, get_strs, items, s};
use crate::names::{
    dns1123_label, dns1123_subdomain, is_valid_cidr, is_valid_ip, port_num, qualified_name,
};
use crate::objectmeta::validate_labels;
use crate::probe_validation::port_num_or_name;
use crate::service_cluster_ips::cluster_ips;
use crate::service_defaults::{externally_accessible, is_headless, needs_hc_node_port};

pub(crate) fn go_service_port(proto: &str, port: i64) -> String {
    format!(
        "core.ServicePort{{Name:\"\", Protocol:{}, AppProtocol:(*string)(nil), Port:{port}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}",
        gofmt::quote(proto)
    )
}

/// `ValidateService`.
pub(crate) fn validate(obj: &Value, e: &mut Errs) {
    let sp = P::new("spec");
    let spec = get_obj(obj, "spec", &P::new(""), e).unwrap_or(&Value::Null);
    let t = get_str(spec, "type", &sp, e).unwrap_or("");
    let headless = is_headless(spec);
    let ports = get_arr(spec, "ports", &sp, e);
    if ports.is_empty() && !headless && t != "ExternalName" {
        e.push(FieldError::required(sp.child("ports"), ""));
    }
    match t {
        "LoadBalancer" | "NodePort" if headless => e.push(FieldError::invalid(
            sp.child("clusterIPs").index(0),
            "None",
            format!("may not be set to 'None' for {t} services"),
        )),
        "ExternalName" => {
            if !items(spec, "clusterIPs").is_empty() {
                e.push(FieldError::forbidden(
                    sp.child("clusterIPs"),
                    "may not be set for ExternalName services",
                ));
            }
            if !items(spec, "ipFamilies").is_empty() {
                e.push(FieldError::forbidden(
                    sp.child("ipFamilies"),
                    "may not be set for ExternalName services",
                ));
            }
            if field(spec, "ipFamilyPolicy").is_some() {
                e.push(FieldError::forbidden(
                    sp.child("ipFamilyPolicy"),
                    "may not be set for ExternalName services",
                ));
            }
            let cname = s(spec, "externalName").trim_end_matches('.');
            if cname.is_empty() {
                e.push(FieldError::required(sp.child("externalName"), ""));
            } else {
                for msg in dns1123_subdomain(cname) {
                    e.push(FieldError::invalid(sp.child("externalName"), cname, msg));
                }
            }
        }
        _ => {}
    }
    let pp = sp.child("ports");
    let mut names = BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        service_port(port, ports.len() > 1, &mut names, &pp.index(i), e);
    }
    if let Some(sel) = get_str_map(spec, "selector", &sp, e) {
        validate_labels(&sel, &sp.child("selector"), e);
    }
    let affinity = get_str(spec, "sessionAffinity", &sp, e).unwrap_or("");
    match affinity {
        "" => e.push(FieldError::required(sp.child("sessionAffinity"), "")),
        "ClientIP" => {
            let cp = sp.child("sessionAffinityConfig");
            match crate::json::at(
                spec,
                &["sessionAffinityConfig", "clientIP", "timeoutSeconds"],
            )
            .and_then(Value::as_i64)
            {
                None => e.push(FieldError::required(
                    cp.at(&["clientIP", "timeoutSeconds"]),
                    "when session affinity type is ClientIP",
                )),
                Some(t) if !(1..=86400).contains(&t) => e.push(FieldError::invalid(
                    cp.at(&["clientIP", "timeoutSeconds"]),
                    t,
                    "must be greater than 0 and less than 86400",
                )),
                Some(_) => {}
            }
        }
        "None" => {
            if field(spec, "sessionAffinityConfig").is_some() {
                e.push(FieldError::forbidden(
                    sp.child("sessionAffinityConfig"),
                    "must not be set when session affinity is None",
                ));
            }
        }
        other => e.push(FieldError::not_supported(
            sp.child("sessionAffinity"),
            other,
            &["ClientIP", "None"],
        )),
    }
    cluster_ips(spec, &sp, e);
    for (i, ip) in get_strs(spec, "externalIPs", &sp, e).iter().enumerate() {
        let ipp = sp.child("externalIPs").index(i);
        if !is_valid_ip(ip) {
            e.push(FieldError::invalid(ipp, *ip, crate::names::IP_MSG));
        } else {
            crate::endpoints::non_special_ip(ip, &ipp, e);
        }
    }
    match t {
        "" => e.push(FieldError::required(sp.child("type"), "")),
        "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName" => {}
        other => e.push(FieldError::not_supported(
            sp.child("type"),
            other,
            &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"],
        )),
    }
    let mut node_ports = BTreeSet::new();
    let mut keys = BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        let np = crate::json::int(port, "nodePort").unwrap_or(0);
        if t == "ClusterIP" && np != 0 {
            e.push(FieldError::forbidden(
                pp.index(i).child("nodePort"),
                "may not be used when `type` is 'ClusterIP'",
            ));
        }
        if np != 0 && !node_ports.insert((s(port, "protocol").to_string(), np)) {
            e.push(FieldError::duplicate(pp.index(i).child("nodePort"), np));
        }
        let key = (
            s(port, "protocol").to_string(),
            crate::json::int(port, "port").unwrap_or(0),
        );
        if !keys.insert(key.clone()) {
            e.push(gofmt::raw(
                FieldErrorType::Duplicate,
                pp.index(i),
                &go_service_port(&key.0, key.1),
                "",
            ));
        }
    }
    let ranges = get_strs(spec, "loadBalancerSourceRanges", &sp, e);
    if !ranges.is_empty() {
        let rp = sp.child("LoadBalancerSourceRanges");
        if t != "LoadBalancer" {
            e.push(FieldError::forbidden(
                &rp,
                "may only be used when `type` is 'LoadBalancer'",
            ));
        }
        for (i, r) in ranges.iter().enumerate() {
            if !is_valid_cidr(r.trim()) {
                e.push(FieldError::invalid(
                    rp.index(i),
                    r.trim(),
                    crate::names::CIDR_MSG,
                ));
            }
        }
    }
    let alloc = field(spec, "allocateLoadBalancerNodePorts");
    if alloc.is_some() && t != "LoadBalancer" {
        e.push(FieldError::forbidden(
            sp.child("allocateLoadBalancerNodePorts"),
            "may only be used when `type` is 'LoadBalancer'",
        ));
    }
    if t == "LoadBalancer" && alloc.is_none() {
        e.push(FieldError::required("allocateLoadBalancerNodePorts", ""));
    }
    if let Some(class) = get_str(spec, "loadBalancerClass", &sp, e) {
        if t != "LoadBalancer" {
            e.push(FieldError::invalid(
                sp.child("loadBalancerClass"),
                class,
                "may only be used when `type` is 'LoadBalancer'",
            ));
        }
        for msg in qualified_name(class) {
            e.push(FieldError::invalid(
                sp.child("loadBalancerClass"),
                class,
                msg,
            ));
        }
    }
    traffic_policies(spec, &sp, e);
}

pub(crate) fn service_port(
    port: &Value,
    require_name: bool,
    names: &mut BTreeSet<String>,
    p: &P,
    e: &mut Errs,
) {
    let name = get_str(port, "name", p, e).unwrap_or("");
    if require_name && name.is_empty() {
        e.push(FieldError::required(p.child("name"), ""));
    } else if !name.is_empty() {
        for msg in dns1123_label(name) {
            e.push(FieldError::invalid(p.child("name"), name, msg));
        }
        if !names.insert(name.to_string()) {
            e.push(FieldError::duplicate(p.child("name"), name));
        }
    }
    let n = crate::json::int(port, "port").unwrap_or(0);
    for msg in port_num(n) {
        e.push(FieldError::invalid(p.child("port"), n, msg));
    }
    protocol(port, p, e);
    port_num_or_name(field(port, "targetPort"), &p.child("targetPort"), e);
    if let Some(ap) = get_str(port, "appProtocol", p, e) {
        for msg in qualified_name(ap) {
            e.push(FieldError::invalid(p.child("appProtocol"), ap, msg));
        }
    }
}

pub(crate) fn traffic_policies(spec: &Value, sp: &P, e: &mut Errs) {
    let etp = s(spec, "externalTrafficPolicy");
    if !externally_accessible(spec) {
        if !etp.is_empty() {
            e.push(FieldError::invalid(
                sp.child("externalTrafficPolicy"),
                etp,
                "may only be set for externally-accessible services",
            ));
        }
    } else if etp.is_empty() {
        e.push(FieldError::required(sp.child("externalTrafficPolicy"), ""));
    } else if !matches!(etp, "Cluster" | "Local") {
        e.push(FieldError::not_supported(
            sp.child("externalTrafficPolicy"),
            etp,
            &["Cluster", "Local"],
        ));
    }
    let hc = crate::json::int(spec, "healthCheckNodePort").unwrap_or(0);
    if !needs_hc_node_port(spec) {
        if hc != 0 {
            e.push(FieldError::invalid(
                sp.child("healthCheckNodePort"),
                hc,
                "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
            ));
        }
    } else if hc == 0 {
        e.push(FieldError::required(sp.child("healthCheckNodePort"), ""));
    } else {
        for msg in port_num(hc) {
            e.push(FieldError::invalid(
                sp.child("healthCheckNodePort"),
                hc,
                msg,
            ));
        }
    }
    match field(spec, "internalTrafficPolicy").and_then(Value::as_str) {
        None if matches!(s(spec, "type"), "NodePort" | "LoadBalancer" | "ClusterIP") => {
            e.push(FieldError::required(sp.child("internalTrafficPolicy"), ""));
        }
        Some(itp) if !matches!(itp, "Cluster" | "Local") => {
            e.push(FieldError::not_supported(
                sp.child("internalTrafficPolicy"),
                itp,
                &["Cluster", "Local"],
            ));
        }
        _ => {}
    }
    if let Some(td) = field(spec, "trafficDistribution")
        .and_then(Value::as_str)
        .filter(|t| *t != "PreferClose")
    {
        e.push(FieldError::not_supported(
            sp.child("trafficDistribution"),
            td,
            &["PreferClose"],
        ));
    }
}
