//! CertificateSigningRequests (`certificates.k8s.io/v1`): requester identity, the status
//! and approval subresources, and validation.

use std::collections::BTreeSet;

use base64::Engine as _;
use kubehci_api::FieldError;
use serde_json::{Map, Value, json};

use crate::json::{
    Errs, P, cloned, ensure_obj, field, get_arr, get_i64, get_obj, get_str, get_strs, items,
    obj_mut, remove, s, set,
};

const USAGES: [&str; 23] = [
    "any",
    "cert sign",
    "client auth",
    "code signing",
    "content commitment",
    "crl sign",
    "data encipherment",
    "decipher only",
    "digital signature",
    "email protection",
    "encipher only",
    "ipsec end system",
    "ipsec tunnel",
    "ipsec user",
    "key agreement",
    "key encipherment",
    "microsoft sgc",
    "netscape sgc",
    "ocsp signing",
    "s/mime",
    "server auth",
    "signing",
    "timestamping",
];
const REQUESTER_FIELDS: [&str; 4] = ["username", "uid", "groups", "extra"];

/// `PrepareForCreate`: requester fields are never taken from the client (the server sets
/// them with [`set_csr_requester`]).
pub(crate) fn csr_prepare_create(obj: &mut Value) {
    if let Some(spec) = obj_mut(obj, "spec") {
        for k in REQUESTER_FIELDS {
            remove(spec, k);
        }
    }
}

/// Records who asked for the certificate, as the CSR strategy does from the request's user.
pub fn set_csr_requester(
    obj: &mut Value,
    username: &str,
    uid: &str,
    groups: &[String],
    extra: &Map<String, Value>,
) {
    let Some(spec) = ensure_obj(obj, "spec") else {
        return;
    };
    set(spec, "username", json!(username));
    if uid.is_empty() {
        remove(spec, "uid");
    } else {
        set(spec, "uid", json!(uid));
    }
    if groups.is_empty() {
        remove(spec, "groups");
    } else {
        set(spec, "groups", json!(groups));
    }
    if extra.is_empty() {
        remove(spec, "extra");
    } else {
        set(spec, "extra", Value::Object(extra.clone()));
    }
}

fn is_decision(c: &Value) -> bool {
    matches!(s(c, "type"), "Approved" | "Denied")
}

/// The `status` subresource may not touch approval decisions; `approval` may only touch
/// them (and never the issued certificate).
pub(crate) fn csr_prepare_status(new: &mut Value, old: &Value, approval: bool) {
    let old_status = field(old, "status").cloned().unwrap_or(json!({}));
    let Some(st) = ensure_obj(new, "status") else {
        return;
    };
    let new_conds: Vec<Value> = items(st, "conditions").to_vec();
    let old_conds = items(&old_status, "conditions");
    let conds: Vec<Value> = if approval {
        let mut v: Vec<Value> = old_conds
            .iter()
            .filter(|c| !is_decision(c))
            .cloned()
            .collect();
        v.extend(new_conds.into_iter().filter(is_decision));
        set(st, "certificate", cloned(&old_status, "certificate"));
        if field(&old_status, "certificate").is_none() {
            remove(st, "certificate");
        }
        v
    } else {
        let mut v: Vec<Value> = old_conds
            .iter()
            .filter(|c| is_decision(c))
            .cloned()
            .collect();
        v.extend(new_conds.into_iter().filter(|c| !is_decision(c)));
        v
    };
    if conds.is_empty() {
        remove(st, "conditions");
    } else {
        set(st, "conditions", Value::Array(conds));
    }
}

fn signer_name(name: &str, p: &P, e: &mut Errs) {
    if name.is_empty() {
        e.push(FieldError::required(p, ""));
        return;
    }
    let Some((domain, path)) = name.split_once('/') else {
        e.push(FieldError::invalid(
            p,
            name,
            "must be a fully qualified domain and path of the form 'example.com/signer-name'",
        ));
        return;
    };
    for msg in crate::names::dns1123_subdomain(domain) {
        e.push(FieldError::invalid(
            p,
            name,
            format!("validating domain component: {msg}"),
        ));
    }
    if path.is_empty() || path.contains('/') && path.split('/').any(str::is_empty) {
        e.push(FieldError::invalid(
            p,
            name,
            "validating path component: must be non-empty",
        ));
    }
}

/// `ValidateCertificateSigningRequestCreate` beyond metadata.
pub(crate) fn csr(obj: &Value, e: &mut Errs) {
    let sp = P::new("spec");
    let spec = get_obj(obj, "spec", &P::new(""), e).unwrap_or(&Value::Null);
    let request = get_str(spec, "request", &sp, e).unwrap_or("");
    let pem = base64::engine::general_purpose::STANDARD
        .decode(request)
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    if !pem
        .as_deref()
        .is_some_and(|p| p.contains("-----BEGIN CERTIFICATE REQUEST-----"))
    {
        e.push(FieldError::invalid(
            sp.child("request"),
            "<request>",
            "PEM block type must be CERTIFICATE REQUEST",
        ));
    }
    let usages = get_strs(spec, "usages", &sp, e);
    if usages.is_empty() {
        e.push(FieldError::required(sp.child("usages"), ""));
    }
    let mut seen = BTreeSet::new();
    for (i, u) in usages.iter().enumerate() {
        if !USAGES.contains(u) {
            e.push(FieldError::not_supported(
                sp.child("usages").index(i),
                *u,
                &USAGES,
            ));
        }
        if !seen.insert(*u) {
            e.push(FieldError::duplicate(sp.child("usages").index(i), *u));
        }
    }
    signer_name(
        get_str(spec, "signerName", &sp, e).unwrap_or(""),
        &sp.child("signerName"),
        e,
    );
    if let Some(secs) = get_i64(spec, "expirationSeconds", &sp, e).filter(|x| *x < 600) {
        e.push(FieldError::invalid(
            sp.child("expirationSeconds"),
            secs,
            "may not specify a duration less than 600 seconds (10 minutes)",
        ));
    }
}

/// Approval may not both approve and deny.
pub(crate) fn approval_checks(obj: &Value, e: &mut Errs) {
    let cp = P::new("status").child("conditions");
    let st = field(obj, "status").unwrap_or(&Value::Null);
    let conds = get_arr(st, "conditions", &P::new("status"), e);
    let has = |t: &str| conds.iter().any(|c| s(c, "type") == t);
    if has("Approved") && has("Denied") {
        e.push(crate::gofmt::invalid_raw(
            &cp,
            "[]certificates.CertificateSigningRequestCondition{...}",
            "Approved and Denied conditions are mutually exclusive",
        ));
    }
    for (i, c) in conds.iter().enumerate() {
        if s(c, "type").is_empty() {
            e.push(FieldError::required(cp.index(i).child("type"), ""));
        }
        match s(c, "status") {
            "True" | "False" | "Unknown" => {}
            "" => e.push(FieldError::required(cp.index(i).child("status"), "")),
            other => e.push(FieldError::not_supported(
                cp.index(i).child("status"),
                other,
                &["False", "True", "Unknown"],
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requester_and_rules() {
        let mut c = json!({"spec": {"username": "forged", "signerName": "kubernetes.io/kube-apiserver-client", "usages": ["client auth"],
            "request": base64::engine::general_purpose::STANDARD.encode("-----BEGIN CERTIFICATE REQUEST-----\nx\n-----END CERTIFICATE REQUEST-----\n")}});
        csr_prepare_create(&mut c);
        assert!(c["spec"].get("username").is_none());
        set_csr_requester(
            &mut c,
            "jane",
            "",
            &["system:authenticated".to_string()],
            &Map::new(),
        );
        assert_eq!(c["spec"]["username"], "jane");
        let mut e = Vec::new();
        csr(&c, &mut e);
        assert!(e.is_empty(), "{e:?}");
        let mut e = Vec::new();
        csr(
            &json!({"spec": {"request": "", "usages": [], "signerName": ""}}),
            &mut e,
        );
        assert_eq!(e.len(), 3);
    }

    #[test]
    fn status_cannot_approve() {
        let old = json!({"status": {}});
        let mut new = json!({"status": {"conditions": [{"type": "Approved", "status": "True"}]}});
        csr_prepare_status(&mut new, &old, false);
        assert!(new["status"].get("conditions").is_none());
        let mut new = json!({"status": {"conditions": [{"type": "Approved", "status": "True"}], "certificate": "x"}});
        csr_prepare_status(&mut new, &old, true);
        assert_eq!(new["status"]["conditions"][0]["type"], "Approved");
        assert!(new["status"].get("certificate").is_none());
    }
}
