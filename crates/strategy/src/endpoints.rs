//! Endpoints (core) and EndpointSlices (`discovery.k8s.io/v1`): defaults and validation.

use std::collections::BTreeSet;

use kubehci_api::FieldError;
use serde_json::{Value, json};

use crate::container_validation::protocol;
use crate::json::{Errs, P, dflt, field, get_arr, get_str, get_strs, items_mut, s, same};
use crate::names::{dns1123_label, dns1123_subdomain, parse_ip, port_num, qualified_name};

pub(crate) fn endpoints_defaults(obj: &mut Value) {
    for subset in items_mut(obj, "subsets") {
        for port in items_mut(subset, "ports") {
            dflt(port, "protocol", json!("TCP"));
        }
    }
}

pub(crate) fn slice_defaults(obj: &mut Value) {
    for port in items_mut(obj, "ports") {
        dflt(port, "name", json!(""));
        dflt(port, "protocol", json!("TCP"));
    }
}

/// `ValidateNonSpecialIP`: no unspecified, loopback or link-local addresses.
pub(crate) fn non_special_ip(ip: &str, p: &P, e: &mut Errs) {
    let Some(addr) = parse_ip(ip) else {
        e.push(FieldError::invalid(p, ip, "must be a valid IP address"));
        return;
    };
    if addr.is_unspecified() {
        e.push(FieldError::invalid(
            p,
            ip,
            format!("may not be unspecified ({ip})"),
        ));
    }
    if addr.is_loopback() {
        e.push(FieldError::invalid(
            p,
            ip,
            "may not be in the loopback range (127.0.0.0/8, ::1/128)",
        ));
    }
    let (link_local, link_local_mc) = match addr {
        std::net::IpAddr::V4(v4) => (v4.is_link_local(), v4.octets()[..3] == [224, 0, 0]),
        std::net::IpAddr::V6(v6) => {
            let seg = v6.segments()[0];
            ((seg & 0xffc0) == 0xfe80, (seg & 0xff0f) == 0xff02)
        }
    };
    if link_local {
        e.push(FieldError::invalid(
            p,
            ip,
            "may not be in the link-local range (169.254.0.0/16, fe80::/10)",
        ));
    }
    if link_local_mc {
        e.push(FieldError::invalid(
            p,
            ip,
            "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)",
        ));
    }
}

/// `ValidateEndpoints` (create and update).
pub(crate) fn endpoints(obj: &Value, e: &mut Errs) {
    let sp = P::new("subsets");
    for (i, ss) in get_arr(obj, "subsets", &P::new(""), e).iter().enumerate() {
        let ip = sp.index(i);
        let addrs = get_arr(ss, "addresses", &ip, e);
        let not_ready = get_arr(ss, "notReadyAddresses", &ip, e);
        if addrs.is_empty() && not_ready.is_empty() {
            e.push(FieldError::required(
                &ip,
                "must specify `addresses` or `notReadyAddresses`",
            ));
        }
        for (k, list) in [("addresses", addrs), ("notReadyAddresses", not_ready)] {
            for (j, a) in list.iter().enumerate() {
                let ap = ip.child(k).index(j);
                let addr = s(a, "ip");
                if parse_ip(addr).is_none() {
                    e.push(FieldError::invalid(
                        ap.child("ip"),
                        addr,
                        crate::names::IP_MSG,
                    ));
                }
                if let Some(h) = get_str(a, "hostname", &ap, e).filter(|h| !h.is_empty()) {
                    for msg in dns1123_label(h) {
                        e.push(FieldError::invalid(ap.child("hostname"), h, msg));
                    }
                }
                if let Some(n) = get_str(a, "nodeName", &ap, e) {
                    for msg in dns1123_subdomain(n) {
                        e.push(FieldError::invalid(ap.child("nodeName"), n, msg));
                    }
                }
                non_special_ip(addr, &ap.child("ip"), e);
            }
        }
        let ports = get_arr(ss, "ports", &ip, e);
        for (j, port) in ports.iter().enumerate() {
            let pp = ip.child("ports").index(j);
            let name = s(port, "name");
            if ports.len() > 1 && name.is_empty() {
                e.push(FieldError::required(pp.child("name"), ""));
            } else if !name.is_empty() {
                for msg in dns1123_label(name) {
                    e.push(FieldError::invalid(pp.child("name"), name, msg));
                }
            }
            let n = crate::json::int(port, "port").unwrap_or(0);
            for msg in port_num(n) {
                e.push(FieldError::invalid(pp.child("port"), n, msg));
            }
            protocol(port, &pp, e);
            if let Some(ap) = get_str(port, "appProtocol", &pp, e) {
                for msg in qualified_name(ap) {
                    e.push(FieldError::invalid(pp.child("appProtocol"), ap, msg));
                }
            }
        }
    }
}

/// `ValidateEndpointSlice`.
pub(crate) fn slice(obj: &Value, e: &mut Errs) {
    let root = P::new("");
    let at = get_str(obj, "addressType", &root, e).unwrap_or("");
    match at {
        "" => e.push(FieldError::required("addressType", "")),
        "IPv4" | "IPv6" | "FQDN" => {}
        other => e.push(FieldError::not_supported(
            "addressType",
            other,
            &["FQDN", "IPv4", "IPv6"],
        )),
    }
    let ep = P::new("endpoints");
    for (i, endpoint) in get_arr(obj, "endpoints", &root, e).iter().enumerate() {
        let ip = ep.index(i);
        let ap = ip.child("addresses");
        let addrs = get_strs(endpoint, "addresses", &ip, e);
        if addrs.is_empty() {
            e.push(FieldError::required(&ap, "must contain at least 1 address"));
        } else if addrs.len() > 100 {
            e.push(FieldError {
                kind: kubehci_api::FieldErrorType::TooMany,
                field: (&ap).into(),
                value: Some(json!(addrs.len())),
                detail: "must have at most 100 items".into(),
            });
        }
        for (j, a) in addrs.iter().enumerate() {
            let parsed = parse_ip(a);
            match at {
                "IPv4" if !parsed.is_some_and(|x| x.is_ipv4()) => {
                    e.push(FieldError::invalid(
                        ap.index(j),
                        *a,
                        "must be a valid IPv4 address",
                    ));
                }
                "IPv6" if !parsed.is_some_and(|x| x.is_ipv6()) => {
                    e.push(FieldError::invalid(
                        ap.index(j),
                        *a,
                        "must be a valid IPv6 address",
                    ));
                }
                "FQDN" => {
                    let name = a.trim_end_matches('.');
                    if !dns1123_subdomain(name).is_empty() || name.split('.').count() < 2 {
                        e.push(FieldError::invalid(
                            ap.index(j),
                            *a,
                            "should be a domain with at least two segments separated by dots",
                        ));
                    }
                }
                _ => {}
            }
        }
        if let Some(n) = get_str(endpoint, "nodeName", &ip, e) {
            for msg in dns1123_subdomain(n) {
                e.push(FieldError::invalid(ip.child("nodeName"), n, msg));
            }
        }
        if let Some(h) = get_str(endpoint, "hostname", &ip, e) {
            for msg in dns1123_label(h) {
                e.push(FieldError::invalid(ip.child("hostname"), h, msg));
            }
        }
    }
    let pp = P::new("ports");
    let mut names = BTreeSet::new();
    for (i, port) in get_arr(obj, "ports", &root, e).iter().enumerate() {
        let ip = pp.index(i);
        let name = s(port, "name");
        if !name.is_empty() {
            for msg in dns1123_label(name) {
                e.push(FieldError::invalid(ip.child("name"), name, msg));
            }
        }
        if !names.insert(name) {
            e.push(FieldError::duplicate(ip.child("name"), name));
        }
        if let Some(n) = crate::json::int(port, "port") {
            for msg in port_num(n) {
                e.push(FieldError::invalid(ip.child("port"), n, msg));
            }
        }
        if field(port, "protocol").is_some() {
            protocol(port, &ip, e);
        }
    }
}

pub(crate) fn slice_update(new: &Value, old: &Value, e: &mut Errs) {
    if !same(new.get("addressType"), old.get("addressType")) {
        e.push(crate::gofmt::immutable(
            "addressType",
            field(new, "addressType"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_and_slices() {
        let mut ep =
            json!({"subsets": [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"port": 80}]}]});
        endpoints_defaults(&mut ep);
        assert_eq!(ep["subsets"][0]["ports"][0]["protocol"], "TCP");
        let mut e = Vec::new();
        endpoints(&ep, &mut e);
        assert_eq!(
            e[0].to_string(),
            "subsets[0].addresses[0].ip: Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)"
        );
        let mut sl = json!({"addressType": "IPv4", "endpoints": [{"addresses": ["fd00::1"]}], "ports": [{"port": 80}]});
        slice_defaults(&mut sl);
        let mut e = Vec::new();
        slice(&sl, &mut e);
        assert_eq!(e.len(), 1);
        assert_eq!(
            e[0].to_string(),
            "endpoints[0].addresses[0]: Invalid value: \"fd00::1\": must be a valid IPv4 address"
        );
    }
}
