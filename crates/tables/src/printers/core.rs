//! Core printers: services, endpoints, nodes, events (core and events.k8s.io),
//! namespaces, secrets, service accounts and config maps.

use serde_json::{Value, json};

use kubehci_api::selector::format_labels;

use crate::util::{Ctx, Row, age, arr, get, i, lb_ingress, len_of, name, or_none, s, s_or, since};

/// Upstream's `getServiceExternalIP` (always wide on the server: nothing is clipped).
fn service_external_ip(svc: &Value, ty: &str) -> String {
    let external: Vec<&str> = arr(svc, &["spec", "externalIPs"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    match ty {
        "ClusterIP" | "NodePort" if !external.is_empty() => external.join(","),
        "ClusterIP" | "NodePort" => "<none>".to_string(),
        "LoadBalancer" => {
            let lb = lb_ingress(svc, &["status", "loadBalancer", "ingress"]);
            if !external.is_empty() {
                let mut all: Vec<&str> = if lb.is_empty() {
                    Vec::new()
                } else {
                    lb.split(',').collect()
                };
                all.extend(external);
                return all.join(",");
            }
            if lb.is_empty() {
                "<pending>".to_string()
            } else {
                lb
            }
        }
        "ExternalName" => s(svc, &["spec", "externalName"]).to_string(),
        _ => "<unknown>".to_string(),
    }
}

/// `80/TCP`, `80:30080/TCP`, comma-joined.
fn service_ports(svc: &Value) -> String {
    let pieces: Vec<String> = arr(svc, &["spec", "ports"])
        .iter()
        .map(|p| {
            let proto = s_or(p, &["protocol"], "TCP");
            match i(p, &["nodePort"]) {
                n if n > 0 => format!("{}:{n}/{proto}", i(p, &["port"])),
                _ => format!("{}/{proto}", i(p, &["port"])),
            }
        })
        .collect();
    pieces.join(",")
}

pub(crate) fn service(svc: &Value, ctx: &Ctx) -> Row {
    let ty = s_or(svc, &["spec", "type"], "ClusterIP");
    let cluster_ip = arr(svc, &["spec", "clusterIPs"])
        .first()
        .and_then(Value::as_str)
        .or_else(|| {
            get(svc, &["spec", "clusterIP"])
                .and_then(Value::as_str)
                .filter(|x| !x.is_empty())
        })
        .unwrap_or("<none>");
    let ports = match service_ports(svc) {
        p if p.is_empty() => "<none>".to_string(),
        p => p,
    };
    Row::new(vec![
        json!(name(svc)),
        json!(ty),
        json!(cluster_ip),
        json!(service_external_ip(svc, ty)),
        json!(ports),
        json!(age(ctx, svc)),
        json!(format_labels(get(svc, &["spec", "selector"]))),
    ])
}

/// Go's `net.JoinHostPort`: IPv6 addresses in brackets.
fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Upstream's `formatEndpoints`: up to three `ip:port`, then `+ N more...`.
pub(crate) fn endpoints_cell(ep: &Value) -> String {
    let subsets = arr(ep, &["subsets"]);
    if subsets.is_empty() {
        return "<none>".to_string();
    }
    const MAX: usize = 3;
    let mut list: Vec<String> = Vec::new();
    let mut count = 0usize;
    for ss in subsets {
        let addrs = arr(ss, &["addresses"]);
        let ports = arr(ss, &["ports"]);
        if ports.is_empty() {
            count += addrs.len();
            list.extend(
                addrs
                    .iter()
                    .map(|a| s(a, &["ip"]).to_string())
                    .take(MAX.saturating_sub(list.len())),
            );
            continue;
        }
        for port in ports {
            count += addrs.len();
            let p = i(port, &["port"]);
            let room = MAX.saturating_sub(list.len());
            list.extend(
                addrs
                    .iter()
                    .map(|a| join_host_port(s(a, &["ip"]), p))
                    .take(room),
            );
        }
    }
    let ret = list.join(",");
    if count > list.len() && list.len() == MAX {
        format!("{ret} + {} more...", count - MAX)
    } else {
        ret
    }
}

pub(crate) fn endpoints(ep: &Value, ctx: &Ctx) -> Row {
    Row::new(vec![
        json!(name(ep)),
        json!(endpoints_cell(ep)),
        json!(age(ctx, ep)),
    ])
}

pub(crate) fn node(node: &Value, ctx: &Ctx) -> Row {
    // The last Ready condition wins, as upstream's map of conditions by type.
    let ready = arr(node, &["status", "conditions"])
        .iter()
        .rev()
        .find(|c| s(c, &["type"]) == "Ready");
    let mut status: Vec<&str> = vec![match ready {
        Some(c) if s(c, &["status"]) == "True" => "Ready",
        Some(_) => "NotReady",
        None => "Unknown",
    }];
    if get(node, &["spec", "unschedulable"]).and_then(Value::as_bool) == Some(true) {
        status.push("SchedulingDisabled");
    }
    let mut roles: Vec<String> = Vec::new();
    if let Some(labels) = get(node, &["metadata", "labels"]).and_then(Value::as_object) {
        for (k, v) in labels {
            if let Some(role) = k
                .strip_prefix("node-role.kubernetes.io/")
                .filter(|r| !r.is_empty())
            {
                roles.push(role.to_string());
            } else if k == "kubernetes.io/role" && v.as_str().is_some_and(|v| !v.is_empty()) {
                roles.push(v.as_str().unwrap_or_default().to_string());
            }
        }
    }
    roles.sort();
    roles.dedup();
    let address = |ty: &str| {
        arr(node, &["status", "addresses"])
            .iter()
            .find(|a| s(a, &["type"]) == ty)
            .map(|a| s(a, &["address"]).to_string())
            .unwrap_or_else(|| "<none>".to_string())
    };
    let info = |f: &str| s_or(node, &["status", "nodeInfo", f], "<unknown>").to_string();
    Row::new(vec![
        json!(name(node)),
        json!(status.join(",")),
        json!(or_none(&roles.join(","))),
        json!(age(ctx, node)),
        json!(s(node, &["status", "nodeInfo", "kubeletVersion"])),
        json!(address("InternalIP")),
        json!(address("ExternalIP")),
        json!(info("osImage")),
        json!(info("kernelVersion")),
        json!(info("containerRuntimeVersion")),
    ])
}

/// A field of a core event, or its events.k8s.io counterpart.
fn ev<'a>(e: &'a Value, core: &str, v1: &str) -> Option<&'a Value> {
    e.get(core)
        .filter(|x| !x.is_null())
        .or_else(|| e.get(v1).filter(|x| !x.is_null()))
}

pub(crate) fn event(e: &Value, ctx: &Ctx) -> Row {
    let first = match crate::util::parse_time(ev(e, "firstTimestamp", "deprecatedFirstTimestamp")) {
        Some(_) => since(ctx, ev(e, "firstTimestamp", "deprecatedFirstTimestamp")),
        None => since(ctx, e.get("eventTime")),
    };
    let mut last = match crate::util::parse_time(ev(e, "lastTimestamp", "deprecatedLastTimestamp"))
    {
        Some(_) => since(ctx, ev(e, "lastTimestamp", "deprecatedLastTimestamp")),
        None => first.clone(),
    };
    let mut count = ev(e, "count", "deprecatedCount")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if let Some(series) = e.get("series").filter(|x| x.is_object()) {
        last = since(ctx, series.get("lastObservedTime"));
        count = i(series, &["count"]);
    } else if count == 0 {
        count = 1;
    }
    let involved = ev(e, "involvedObject", "regarding").unwrap_or(&Value::Null);
    let kind = s(involved, &["kind"]).to_lowercase();
    let target = match s(involved, &["name"]) {
        "" => kind,
        n => format!("{kind}/{n}"),
    };
    let source = ev(e, "source", "deprecatedSource").unwrap_or(&Value::Null);
    let component = s_or(source, &["component"], s(e, &["reportingController"]));
    let instance = s_or(source, &["host"], s(e, &["reportingInstance"]));
    let source_cell = if instance.is_empty() {
        component.to_string()
    } else {
        format!("{component}, {instance}")
    };
    let message = ev(e, "message", "note")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim();
    Row::new(vec![
        json!(last),
        json!(s(e, &["type"])),
        json!(s(e, &["reason"])),
        json!(target),
        json!(s(involved, &["fieldPath"])),
        json!(source_cell),
        json!(message),
        json!(first),
        json!(count),
        json!(name(e)),
    ])
}

pub(crate) fn namespace(ns: &Value, ctx: &Ctx) -> Row {
    Row::new(vec![
        json!(name(ns)),
        json!(s_or(ns, &["status", "phase"], "Active")),
        json!(age(ctx, ns)),
    ])
}

pub(crate) fn secret(sec: &Value, ctx: &Ctx) -> Row {
    Row::new(vec![
        json!(name(sec)),
        json!(s_or(sec, &["type"], "Opaque")),
        json!(len_of(sec, &["data"])),
        json!(age(ctx, sec)),
    ])
}

pub(crate) fn service_account(sa: &Value, ctx: &Ctx) -> Row {
    Row::new(vec![
        json!(name(sa)),
        json!(len_of(sa, &["secrets"])),
        json!(age(ctx, sa)),
    ])
}

pub(crate) fn config_map(cm: &Value, ctx: &Ctx) -> Row {
    let n = len_of(cm, &["data"]) + len_of(cm, &["binaryData"]);
    Row::new(vec![json!(name(cm)), json!(n), json!(age(ctx, cm))])
}
