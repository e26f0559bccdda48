//! Services: defaulting and the strategy's cluster-IP/node-port bookkeeping on create
//! and update (`PrepareForCreate`, `PrepareForUpdate`, `patchAllocatedValues`).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::json::{dflt, ensure_obj, field, items, items_mut, obj_mut, remove, s, same, set};
use crate::names::parse_ip;

pub(crate) fn externally_accessible(spec: &Value) -> bool {
    matches!(s(spec, "type"), "LoadBalancer" | "NodePort")
        || (s(spec, "type") == "ClusterIP" && !items(spec, "externalIPs").is_empty())
}

pub(crate) fn needs_cluster_ip(spec: &Value) -> bool {
    s(spec, "type") != "ExternalName"
}

pub(crate) fn needs_node_port(spec: &Value) -> bool {
    match s(spec, "type") {
        "NodePort" => true,
        "LoadBalancer" => spec
            .get("allocateLoadBalancerNodePorts")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        _ => false,
    }
}

pub(crate) fn needs_hc_node_port(spec: &Value) -> bool {
    s(spec, "type") == "LoadBalancer" && s(spec, "externalTrafficPolicy") == "Local"
}

pub(crate) fn is_headless(spec: &Value) -> bool {
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
}
