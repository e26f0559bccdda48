//! RBAC bindings, leases, endpoint slices, network policies, ingresses and ingress
//! classes, disruption budgets, priority classes and certificate signing requests.

use chrono::TimeDelta;
use serde_json::{Value, json};

use kubehci_api::selector::format_label_selector;

use crate::util::{
    Ctx, Row, age, arr, get, human_duration, i, lb_ingress, list_with_more, name, opt_b, s, s_or,
};

/// Role bindings and cluster role bindings: `Kind/name`, and the wide subject lists.
pub(crate) fn role_binding(rb: &Value, ctx: &Ctx) -> Row {
    let (mut users, mut groups, mut sas) = (Vec::new(), Vec::new(), Vec::new());
    for sub in arr(rb, &["subjects"]) {
        match s(sub, &["kind"]) {
            "ServiceAccount" => {
                sas.push(format!("{}/{}", s(sub, &["namespace"]), s(sub, &["name"])))
            }
            "User" => users.push(s(sub, &["name"]).to_string()),
            "Group" => groups.push(s(sub, &["name"]).to_string()),
            _ => {}
        }
    }
    Row::new(vec![
        json!(name(rb)),
        json!(format!(
            "{}/{}",
            s(rb, &["roleRef", "kind"]),
            s(rb, &["roleRef", "name"])
        )),
        json!(age(ctx, rb)),
        json!(users.join(", ")),
        json!(groups.join(", ")),
        json!(sas.join(", ")),
    ])
}

pub(crate) fn lease(l: &Value, ctx: &Ctx) -> Row {
    Row::new(vec![
        json!(name(l)),
        json!(s(l, &["spec", "holderIdentity"])),
        json!(age(ctx, l)),
    ])
}

pub(crate) fn endpoint_slice(es: &Value, ctx: &Ctx) -> Row {
    const MAX: usize = 3;
    let ports = arr(es, &["ports"]);
    let port_list: Vec<String> = ports
        .iter()
        .take(MAX)
        .map(|p| {
            match (
                get(p, &["port"]).and_then(Value::as_i64),
                get(p, &["name"]).and_then(Value::as_str),
            ) {
                (Some(n), _) => n.to_string(),
                (None, Some(n)) => n.to_string(),
                (None, None) => "*".to_string(),
            }
        })
        .collect();
    let addresses: Vec<String> = arr(es, &["endpoints"])
        .iter()
        .flat_map(|e| {
            arr(e, &["addresses"])
                .iter()
                .map(|a| a.as_str().unwrap_or("").to_string())
        })
        .collect();
    let shown: Vec<String> = addresses.iter().take(MAX).cloned().collect();
    Row::new(vec![
        json!(name(es)),
        json!(s(es, &["addressType"])),
        json!(list_with_more(&port_list, ports.len(), MAX)),
        json!(list_with_more(&shown, addresses.len(), MAX)),
        json!(age(ctx, es)),
    ])
}

pub(crate) fn network_policy(np: &Value, ctx: &Ctx) -> Row {
    // podSelector is a struct upstream: absent means empty, i.e. "<none>".
    let sel = get(np, &["spec", "podSelector"])
        .cloned()
        .unwrap_or_else(|| json!({}));
    Row::new(vec![
        json!(name(np)),
        json!(format_label_selector(Some(&sel))),
        json!(age(ctx, np)),
    ])
}

/// Upstream's `formatHosts`: up to three hosts, `*` when none is named.
fn ingress_hosts(rules: &[Value]) -> String {
    const MAX: usize = 3;
    let mut list: Vec<&str> = Vec::new();
    let mut more = false;
    for r in rules {
        if list.len() == MAX {
            more = true;
        }
        let host = s(r, &["host"]);
        if !more && !host.is_empty() {
            list.push(host);
        }
    }
    if list.is_empty() {
        return "*".to_string();
    }
    let ret = list.join(",");
    if more {
        format!("{ret} + {} more...", rules.len() - MAX)
    } else {
        ret
    }
}

pub(crate) fn ingress(ing: &Value, ctx: &Ctx) -> Row {
    let class = get(ing, &["spec", "ingressClassName"])
        .and_then(Value::as_str)
        .unwrap_or("<none>");
    let ports = if arr(ing, &["spec", "tls"]).is_empty() {
        "80"
    } else {
        "80, 443"
    };
    Row::new(vec![
        json!(name(ing)),
        json!(class),
        json!(ingress_hosts(arr(ing, &["spec", "rules"]))),
        json!(lb_ingress(ing, &["status", "loadBalancer", "ingress"])),
        json!(ports),
        json!(age(ctx, ing)),
    ])
}

pub(crate) fn ingress_class(ic: &Value, ctx: &Ctx) -> Row {
    let params = match get(ic, &["spec", "parameters"]).filter(|p| p.is_object()) {
        None => "<none>".to_string(),
        Some(p) => {
            let mut out = s(p, &["kind"]).to_string();
            if let Some(g) = get(p, &["apiGroup"]).and_then(Value::as_str) {
                out = format!("{out}.{g}");
            }
            format!("{out}/{}", s(p, &["name"]))
        }
    };
    Row::new(vec![
        json!(name(ic)),
        json!(s(ic, &["spec", "controller"])),
        json!(params),
        json!(age(ctx, ic)),
    ])
}

/// An IntOrString as upstream prints it, `N/A` when unset.
fn int_or_string(v: Option<&Value>) -> String {
    match v {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(x)) => x.clone(),
        _ => "N/A".to_string(),
    }
}

pub(crate) fn pod_disruption_budget(pdb: &Value, ctx: &Ctx) -> Row {
    Row::new(vec![
        json!(name(pdb)),
        json!(int_or_string(get(pdb, &["spec", "minAvailable"]))),
        json!(int_or_string(get(pdb, &["spec", "maxUnavailable"]))),
        json!(i(pdb, &["status", "disruptionsAllowed"])),
        json!(age(ctx, pdb)),
    ])
}

pub(crate) fn priority_class(pc: &Value, ctx: &Ctx) -> Row {
    Row::new(vec![
        json!(name(pc)),
        json!(i(pc, &["value"])),
        json!(opt_b(pc, &["globalDefault"]).unwrap_or(false)),
        json!(age(ctx, pc)),
        json!(s_or(pc, &["preemptionPolicy"], "PreemptLowerPriority")),
    ])
}

/// `Approved,Issued`, `Denied`, `Pending`, with `,Failed` and `,Issued` appended.
fn csr_condition(csr: &Value) -> String {
    let conds = arr(csr, &["status", "conditions"]);
    let has = |t: &str| conds.iter().any(|c| s(c, &["type"]) == t);
    let mut status = if has("Denied") {
        "Denied"
    } else if has("Approved") {
        "Approved"
    } else {
        "Pending"
    }
    .to_string();
    if has("Failed") {
        status.push_str(",Failed");
    }
    if !s(csr, &["status", "certificate"]).is_empty() {
        status.push_str(",Issued");
    }
    status
}

pub(crate) fn certificate_signing_request(csr: &Value, ctx: &Ctx) -> Row {
    let requested = match get(csr, &["spec", "expirationSeconds"]).and_then(Value::as_i64) {
        Some(secs) => human_duration(TimeDelta::try_seconds(secs).unwrap_or(TimeDelta::MAX)),
        None => "<none>".to_string(),
    };
    Row::new(vec![
        json!(name(csr)),
        json!(age(ctx, csr)),
        json!(s_or(csr, &["spec", "signerName"], "<none>")),
        json!(s(csr, &["spec", "username"])),
        json!(requested),
        json!(csr_condition(csr)),
    ])
}
