//! Service cluster IPs and IP families: their consistency on create
//! (`ValidateServiceClusterIPsRelatedFields`) and what may change on update
//! (`ValidateServiceUpdate`).

use std::collections::BTreeSet;

use kubehci_api::FieldError;
use serde_json::{Value, json};

use crate::gofmt;
use crate::json::{Errs, P, field, get_str, get_strs, items, s};
use crate::names::{is_valid_ip, parse_ip};
use crate::service_defaults::{is_headless, needs_hc_node_port};

/// `ValidateServiceClusterIPsRelatedFields`.
pub(crate) fn cluster_ips(spec: &Value, sp: &P, e: &mut Errs) {
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
    use crate::service_defaults::prepare_update;

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
