//! Services: defaulting, the strategy's cluster-IP/node-port bookkeeping on create and
//! update, and `ValidateService` / `ValidateServiceUpdate`.

use std::collections::BTreeSet;

use kubehci_api::{FieldError, FieldErrorType};
use serde_json::{Value, json};

use crate::container_validation::protocol;
use crate::env_probe_validation::port_num_or_name;
use crate::gofmt;
use crate::json::{
    Errs, P, dflt, ensure_obj, field, get_arr, get_obj, get_str, get_str_map, get_strs, items,
    items_mut, obj_mut, remove, s, same, set,
};
use crate::names::{
    dns1123_label, dns1123_subdomain, is_valid_cidr, is_valid_ip, parse_ip, port_num,
    qualified_name,
};
use crate::objectmeta::validate_labels;

fn externally_accessible(spec: &Value) -> bool {
    matches!(s(spec, "type"), "LoadBalancer" | "NodePort")
        || (s(spec, "type") == "ClusterIP" && !items(spec, "externalIPs").is_empty())
}

fn needs_cluster_ip(spec: &Value) -> bool {
    s(spec, "type") != "ExternalName"
}

fn needs_node_port(spec: &Value) -> bool {
    match s(spec, "type") {
        "NodePort" => true,
        "LoadBalancer" => spec
            .get("allocateLoadBalancerNodePorts")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        _ => false,
    }
}

fn needs_hc_node_port(spec: &Value) -> bool {
    s(spec, "type") == "LoadBalancer" && s(spec, "externalTrafficPolicy") == "Local"
}

fn is_headless(spec: &Value) -> bool {
    let ips = items(spec, "clusterIPs");
    ips.len() == 1 && ips[0].as_str() == Some("None")
}

pub(crate) fn defaults(obj: &mut Value) {
    let Some(spec) = ensure_obj(obj, "spec") else {
        return;
    };
    if s(spec, "sessionAffinity").is_empty() {
        set(spec, "sessionAffinity", json!("None"));
    }
    match s(spec, "sessionAffinity") {
        "None" => remove(spec, "sessionAffinityConfig"),
        "ClientIP" => {
            let has_timeout = crate::json::at(
                spec,
                &["sessionAffinityConfig", "clientIP", "timeoutSeconds"],
            )
            .is_some();
            if !has_timeout {
                set(
                    spec,
                    "sessionAffinityConfig",
                    json!({"clientIP": {"timeoutSeconds": 10800}}),
                );
            }
        }
        _ => {}
    }
    if s(spec, "type").is_empty() {
        set(spec, "type", json!("ClusterIP"));
    }
    for port in items_mut(spec, "ports") {
        dflt(port, "protocol", json!("TCP"));
        let target_unset = match port.get("targetPort") {
            None | Some(Value::Null) => true,
            Some(Value::String(t)) => t.is_empty(),
            Some(v) => v.as_i64() == Some(0),
        };
        if target_unset {
            let p = port.get("port").cloned().unwrap_or(Value::Null);
            set(port, "targetPort", p);
        }
    }
    if externally_accessible(spec) && s(spec, "externalTrafficPolicy").is_empty() {
        set(spec, "externalTrafficPolicy", json!("Cluster"));
    }
    if matches!(s(spec, "type"), "NodePort" | "LoadBalancer" | "ClusterIP") {
        dflt(spec, "internalTrafficPolicy", json!("Cluster"));
    }
    if s(spec, "type") == "LoadBalancer" {
        dflt(spec, "allocateLoadBalancerNodePorts", json!(true));
    }
    if needs_cluster_ip(spec) {
        let headless_no_selector = s(spec, "clusterIP") == "None"
            && spec
                .get("selector")
                .and_then(Value::as_object)
                .is_none_or(|m| m.is_empty());
        dflt(
            spec,
            "ipFamilyPolicy",
            json!(if headless_no_selector {
                "RequireDualStack"
            } else {
                "SingleStack"
            }),
        );
        if items(spec, "ipFamilies").is_empty() {
            let v6 = items(spec, "clusterIPs")
                .first()
                .and_then(Value::as_str)
                .or(Some(s(spec, "clusterIP")))
                .and_then(parse_ip)
                .is_some_and(|ip| ip.is_ipv6());
            set(
                spec,
                "ipFamilies",
                json!([if v6 { "IPv6" } else { "IPv4" }]),
            );
        }
    }
}

/// `PrepareForCreate`: empty status; `clusterIPs` initialised from `clusterIP`.
pub(crate) fn prepare_create(obj: &mut Value) {
    if let Some(spec) = obj_mut(obj, "spec") {
        let ip = s(spec, "clusterIP").to_string();
        if !ip.is_empty() && items(spec, "clusterIPs").is_empty() {
            set(spec, "clusterIPs", json!([ip]));
        }
    }
}

/// `PrepareForUpdate` with the REST layer's `patchAllocatedValues`: allocated IPs and
/// ports a client left out are kept, and fields the new type no longer uses are dropped.
pub(crate) fn prepare_update(new: &mut Value, old: &Value) {
    let os = field(old, "spec").cloned().unwrap_or(json!({}));
    let Some(ns) = obj_mut(new, "spec") else {
        return;
    };
    if needs_cluster_ip(&os) && needs_cluster_ip(ns) {
        if s(ns, "clusterIP").is_empty() {
            set(ns, "clusterIP", crate::json::cloned(&os, "clusterIP"));
        }
        if items(ns, "clusterIPs").is_empty() && !items(&os, "clusterIPs").is_empty() {
            set(ns, "clusterIPs", crate::json::cloned(&os, "clusterIPs"));
        }
    }
    if needs_node_port(&os) && needs_node_port(ns) {
        let used_new: BTreeSet<i64> = items(ns, "ports")
            .iter()
            .filter_map(|p| crate::json::int(p, "nodePort"))
            .collect();
        let old_ports: Vec<(String, i64)> = items(&os, "ports")
            .iter()
            .map(|p| {
                (
                    s(p, "name").to_string(),
                    crate::json::int(p, "nodePort").unwrap_or(0),
                )
            })
            .collect();
        for port in items_mut(ns, "ports") {
            if crate::json::int(port, "nodePort").unwrap_or(0) == 0 {
                let name = s(port, "name").to_string();
                if let Some((_, np)) = old_ports.iter().find(|(n, _)| *n == name)
                    && *np != 0
                    && !used_new.contains(np)
                {
                    set(port, "nodePort", json!(np));
                }
            }
        }
    }
    if needs_hc_node_port(&os)
        && needs_hc_node_port(ns)
        && crate::json::int(ns, "healthCheckNodePort").unwrap_or(0) == 0
    {
        set(
            ns,
            "healthCheckNodePort",
            crate::json::cloned(&os, "healthCheckNodePort"),
        );
    }
    let same_ips = same(ns.get("clusterIPs"), os.get("clusterIPs"));
    if !items(&os, "clusterIPs").is_empty()
        && items(ns, "clusterIPs").is_empty()
        && s(&os, "clusterIP") == s(ns, "clusterIP")
    {
        set(ns, "clusterIPs", crate::json::cloned(&os, "clusterIPs"));
    }
    if s(&os, "clusterIP") != s(ns, "clusterIP") {
        if !s(&os, "clusterIP").is_empty() && s(ns, "clusterIP").is_empty() {
            if same_ips {
                remove(ns, "clusterIPs");
            }
        } else if same_ips {
            let ip = s(ns, "clusterIP").to_string();
            set(ns, "clusterIPs", json!([ip]));
        }
    }
    if needs_cluster_ip(&os) && !needs_cluster_ip(ns) {
        if same(ns.get("clusterIPs"), os.get("clusterIPs")) {
            remove(ns, "clusterIP");
            remove(ns, "clusterIPs");
        }
        if same(ns.get("ipFamilies"), os.get("ipFamilies")) {
            remove(ns, "ipFamilies");
        }
        if s(ns, "ipFamilyPolicy") == s(&os, "ipFamilyPolicy") {
            remove(ns, "ipFamilyPolicy");
        }
    }
    let node_ports = |sp: &Value| {
        items(sp, "ports")
            .iter()
            .map(|p| crate::json::int(p, "nodePort"))
            .collect::<Vec<_>>()
    };
    if needs_node_port(&os) && !needs_node_port(ns) && node_ports(&os) == node_ports(ns) {
        for port in items_mut(ns, "ports") {
            remove(port, "nodePort");
        }
    }
    if needs_hc_node_port(&os)
        && !needs_hc_node_port(ns)
        && ns.get("healthCheckNodePort") == os.get("healthCheckNodePort")
    {
        remove(ns, "healthCheckNodePort");
    }
    if s(&os, "type") == "LoadBalancer" && s(ns, "type") != "LoadBalancer" {
        if ns.get("allocateLoadBalancerNodePorts") == os.get("allocateLoadBalancerNodePorts") {
            remove(ns, "allocateLoadBalancerNodePorts");
        }
        if ns.get("loadBalancerClass") == os.get("loadBalancerClass") {
            remove(ns, "loadBalancerClass");
        }
    }
    if externally_accessible(&os)
        && !externally_accessible(ns)
        && s(ns, "externalTrafficPolicy") == s(&os, "externalTrafficPolicy")
    {
        remove(ns, "externalTrafficPolicy");
    }
    if s(ns, "type") != "LoadBalancer"
        && let Some(st) = obj_mut(new, "status")
    {
        set(st, "loadBalancer", json!({}));
    }
}

fn go_service_port(proto: &str, port: i64) -> String {
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

fn service_port(
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

/// `ValidateServiceClusterIPsRelatedFields`.
fn cluster_ips(spec: &Value, sp: &P, e: &mut Errs) {
    if s(spec, "type") == "ExternalName" {
        return;
    }
    let cp = sp.child("clusterIPs");
    let ips = get_strs(spec, "clusterIPs", sp, e);
    let rendered = gofmt::string_slice(Some(&ips));
    let ip = s(spec, "clusterIP");
    if !ip.is_empty() {
        if ips.is_empty() {
            e.push(FieldError::required(&cp, ""));
        } else if ips[0] != ip {
            e.push(gofmt::invalid_raw(
                &cp,
                &rendered,
                "first value must match `clusterIP`",
            ));
        }
    } else if !ips.is_empty() {
        e.push(gofmt::invalid_raw(
            &cp,
            &rendered,
            "must be empty when `clusterIP` is not specified",
        ));
    }
    let mut seen = BTreeSet::new();
    for (i, fam) in get_strs(spec, "ipFamilies", sp, e).iter().enumerate() {
        let fp = sp.child("ipFamilies").index(i);
        if !matches!(*fam, "IPv4" | "IPv6") {
            e.push(FieldError::not_supported(&fp, *fam, &["IPv4", "IPv6"]));
        }
        if !seen.insert(*fam) {
            e.push(FieldError::duplicate(fp, *fam));
        }
    }
    if let Some(pol) = get_str(spec, "ipFamilyPolicy", sp, e)
        && !matches!(pol, "SingleStack" | "PreferDualStack" | "RequireDualStack")
    {
        e.push(FieldError::not_supported(
            sp.child("ipFamilyPolicy"),
            pol,
            &["PreferDualStack", "RequireDualStack", "SingleStack"],
        ));
    }
    let mut bad = false;
    for (i, ip) in ips.iter().enumerate() {
        if i == 0 && *ip == "None" {
            if ips.len() > 1 {
                bad = true;
                e.push(gofmt::invalid_raw(
                    &cp,
                    &rendered,
                    "'None' must be the first and only value",
                ));
            }
            continue;
        }
        if !is_valid_ip(ip) {
            bad = true;
            e.push(FieldError::invalid(cp.index(i), *ip, crate::names::IP_MSG));
        }
    }
    if ips.len() > 2 {
        e.push(gofmt::invalid_raw(
            &cp,
            &rendered,
            "may only hold up to 2 values",
        ));
    }
    if bad {
        return;
    }
    if ips.len() > 1 {
        let v6: Vec<bool> = ips
            .iter()
            .filter_map(|x| parse_ip(x))
            .map(|x| x.is_ipv6())
            .collect();
        if v6.len() != 2 || v6[0] == v6[1] {
            e.push(gofmt::invalid_raw(
                &cp,
                &rendered,
                "may specify no more than one IP for each IP family",
            ));
        }
    }
    if !is_headless(spec) {
        for (i, (ip, fam)) in ips.iter().zip(items(spec, "ipFamilies")).enumerate() {
            let v6 = parse_ip(ip).is_some_and(|x| x.is_ipv6());
            match fam.as_str() {
                Some("IPv4") if v6 => e.push(FieldError::invalid(
                    cp.index(i),
                    *ip,
                    format!("expected an IPv4 value as indicated by `ipFamilies[{i}]`"),
                )),
                Some("IPv6") if !v6 => e.push(FieldError::invalid(
                    cp.index(i),
                    *ip,
                    format!("expected an IPv6 value as indicated by `ipFamilies[{i}]`"),
                )),
                _ => {}
            }
        }
    }
}

fn traffic_policies(spec: &Value, sp: &P, e: &mut Errs) {
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

/// `ValidateServiceUpdate` beyond `ValidateService`.
pub(crate) fn validate_update(new: &Value, old: &Value, e: &mut Errs) {
    let empty = json!({});
    let (ns, os) = (
        field(new, "spec").unwrap_or(&empty),
        field(old, "spec").unwrap_or(&empty),
    );
    let cp = P::new("spec").child("clusterIPs");
    let (ni, oi) = (
        crate::json::items(ns, "clusterIPs"),
        crate::json::items(os, "clusterIPs"),
    );
    let rendered = gofmt::json_strings(ns.get("clusterIPs"));
    let external = s(ns, "type") == "ExternalName" || s(os, "type") == "ExternalName";
    if !(external || is_headless(ns) && is_headless(os)) {
        if ni.len() == oi.len() {
            for (i, (a, b)) in oi.iter().zip(ni).enumerate() {
                if a != b {
                    e.push(gofmt::invalid_raw(
                        cp.index(i),
                        &rendered,
                        "may not change once set",
                    ));
                }
            }
        } else if oi.len() > ni.len() {
            if ni.is_empty() {
                e.push(gofmt::invalid_raw(
                    cp.index(0),
                    &rendered,
                    "primary clusterIP can not be unset",
                ));
            } else if ni[0] != oi[0] {
                e.push(gofmt::invalid_raw(
                    cp.index(0),
                    &rendered,
                    "may not change once set",
                ));
            }
            if ni.len() == 1 && s(ns, "ipFamilyPolicy") != "SingleStack" {
                e.push(gofmt::invalid_raw(
                    cp.index(0),
                    &rendered,
                    "`ipFamilyPolicy` must be set to 'SingleStack' when releasing the secondary clusterIP",
                ));
            }
        } else if !oi.is_empty() && ni[0] != oi[0] {
            e.push(gofmt::invalid_raw(
                cp.index(0),
                &rendered,
                "may not change once set",
            ));
        }
        let (nf, of) = (items(ns, "ipFamilies"), items(os, "ipFamilies"));
        if !of.is_empty() && !nf.is_empty() && nf[0] != of[0] && !is_headless(ns) {
            e.push(gofmt::invalid_raw(
                P::new("spec").child("ipFamilies").index(0),
                &gofmt::json_strings(ns.get("ipFamilies")),
                "may not change once set",
            ));
        }
    }
    if needs_hc_node_port(os)
        && needs_hc_node_port(ns)
        && ns.get("healthCheckNodePort") != os.get("healthCheckNodePort")
    {
        e.push(FieldError::forbidden(
            "spec.healthCheckNodePort",
            "field is immutable",
        ));
    }
    if s(os, "type") == "LoadBalancer"
        && s(ns, "type") == "LoadBalancer"
        && ns.get("loadBalancerClass") != os.get("loadBalancerClass")
    {
        e.push(FieldError::invalid(
            "spec.loadBalancerClass",
            crate::json::cloned(ns, "loadBalancerClass"),
            "may not change once set",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_create_service_defaults() {
        let mut svc = json!({"spec": {"ports": [{"name": "80-80", "port": 80, "targetPort": 80}], "selector": {"app": "web"}, "type": "ClusterIP"}});
        defaults(&mut svc);
        assert_eq!(
            svc["spec"],
            json!({"ports": [{"name": "80-80", "port": 80, "targetPort": 80, "protocol": "TCP"}],
            "selector": {"app": "web"}, "type": "ClusterIP", "sessionAffinity": "None",
            "internalTrafficPolicy": "Cluster", "ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4"]})
        );
        let mut lb = json!({"spec": {"type": "LoadBalancer", "ports": [{"port": 443}]}});
        defaults(&mut lb);
        assert_eq!(lb["spec"]["externalTrafficPolicy"], "Cluster");
        assert_eq!(lb["spec"]["allocateLoadBalancerNodePorts"], true);
        assert_eq!(lb["spec"]["ports"][0]["targetPort"], 443);
    }

    #[test]
    fn cluster_ip_may_not_change() {
        let old = json!({"spec": {"type": "ClusterIP", "clusterIP": "10.96.0.5", "clusterIPs": ["10.96.0.5"]}});
        let mut new = json!({"spec": {"type": "ClusterIP", "clusterIP": "10.96.0.6", "clusterIPs": ["10.96.0.5"]}});
        prepare_update(&mut new, &old);
        assert_eq!(new["spec"]["clusterIPs"], json!(["10.96.0.6"]));
        let mut e = Vec::new();
        validate_update(&new, &old, &mut e);
        assert_eq!(
            e[0].to_string(),
            "spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.6\"}: may not change once set"
        );
        let mut kept = json!({"spec": {"type": "ClusterIP"}});
        prepare_update(&mut kept, &old);
        assert_eq!(kept["spec"]["clusterIP"], "10.96.0.5");
    }
}
