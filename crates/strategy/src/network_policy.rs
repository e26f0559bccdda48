//! NetworkPolicies (`networking.k8s.io/v1`): defaulting and validation.

use kubehci_api::FieldError;
use serde_json::{Value, json};

use crate::gofmt;
use crate::json::{
    Errs, P, dflt, ensure_obj, field, get_arr, get_obj, get_str, get_strs, items, items_mut, s, set,
};
use crate::names::{port_name, port_num};

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

pub(crate) fn np_port(port: &Value, p: &P, e: &mut Errs) {
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

pub(crate) fn ip_block(b: &Value, p: &P, e: &mut Errs) {
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

pub(crate) fn peer(pe: &Value, p: &P, e: &mut Errs) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingress::*;

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
