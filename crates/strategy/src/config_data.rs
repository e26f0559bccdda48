//! ConfigMaps and Secrets: defaulting (`stringData`) and validation.

use base64::Engine as _;
use kubehci_api::FieldError;
use serde_json::{Value, json};

use crate::json::{Errs, P, ensure_obj, get_obj, remove, s, same, set};
use crate::names::config_map_key;
use crate::objectmeta::too_long;

pub(crate) const MAX_SECRET_SIZE: usize = 1024 * 1024;

/// `SetDefaults_Secret` plus the v1 conversion of `stringData` into `data`.
pub(crate) fn secret_defaults(obj: &mut Value) {
    if s(obj, "type").is_empty() && obj.is_object() {
        set(obj, "type", json!("Opaque"));
    }
    let Some(Value::Object(string_data)) = obj.get("stringData").cloned() else {
        remove(obj, "stringData");
        return;
    };
    if let Some(Value::Object(data)) = ensure_obj(obj, "data") {
        for (k, v) in string_data {
            let text = v.as_str().unwrap_or("").to_string();
            data.insert(
                k,
                json!(base64::engine::general_purpose::STANDARD.encode(text)),
            );
        }
    }
    remove(obj, "stringData");
}

pub(crate) fn data_keys(obj: &Value, k: &str, e: &mut Errs) -> Vec<(String, Option<usize>)> {
    let mut out = Vec::new();
    if let Some(m) = get_obj(obj, k, &P::new(""), e).and_then(Value::as_object) {
        for (key, v) in m {
            out.push((key.clone(), v.as_str().map(|s| s.len())));
        }
    }
    out
}

/// `ValidateSecret`.
pub(crate) fn secret(obj: &Value, e: &mut Errs) {
    let dp = P::new("data");
    let mut total = 0usize;
    let data = obj
        .get("data")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (key, v) in &data {
        for msg in config_map_key(key) {
            e.push(FieldError::invalid(dp.key(key), key.as_str(), msg));
        }
        match v
            .as_str()
            .map(|t| base64::engine::general_purpose::STANDARD.decode(t))
        {
            Some(Ok(bytes)) => total += bytes.len(),
            Some(Err(err)) => e.push(FieldError::invalid(
                dp.key(key),
                "<secret contents redacted>",
                err.to_string(),
            )),
            None if v.is_null() => {}
            None => e.push(crate::json::type_error(&dp.key(key), v, "string")),
        }
    }
    if total > MAX_SECRET_SIZE {
        e.push(too_long(&dp, MAX_SECRET_SIZE));
    }
    let annotations = crate::objectmeta::meta(obj)
        .map(|m| crate::json::str_map(m, "annotations"))
        .unwrap_or_default();
    let has = |k: &str| data.contains_key(k);
    match s(obj, "type") {
        "kubernetes.io/service-account-token"
            if annotations
                .get("kubernetes.io/service-account.name")
                .is_none_or(|v| v.is_empty()) =>
        {
            e.push(FieldError::required(
                P::new("metadata")
                    .child("annotations")
                    .key("kubernetes.io/service-account.name"),
                "",
            ));
        }
        "kubernetes.io/dockercfg" if !has(".dockercfg") => {
            e.push(FieldError::required(dp.key(".dockercfg"), ""))
        }
        "kubernetes.io/dockerconfigjson" if !has(".dockerconfigjson") => {
            e.push(FieldError::required(dp.key(".dockerconfigjson"), ""));
        }
        "kubernetes.io/basic-auth" if !has("username") && !has("password") => {
            e.push(FieldError::required(dp.key("username"), ""));
            e.push(FieldError::required(dp.key("password"), ""));
        }
        "kubernetes.io/ssh-auth"
            if data
                .get("ssh-privatekey")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty) =>
        {
            e.push(FieldError::required(dp.key("ssh-privatekey"), ""));
        }
        "kubernetes.io/tls" => {
            for k in ["tls.crt", "tls.key"] {
                if !has(k) {
                    e.push(FieldError::required(dp.key(k), ""));
                }
            }
        }
        _ => {}
    }
}

pub(crate) fn immutable_data(new: &Value, old: &Value, keys: &[&str], e: &mut Errs) {
    if old.get("immutable").and_then(Value::as_bool) != Some(true) {
        return;
    }
    if new.get("immutable").and_then(Value::as_bool) != Some(true) {
        e.push(FieldError::forbidden(
            "immutable",
            "field is immutable when `immutable` is set",
        ));
    }
    for k in keys {
        if !same(new.get(*k), old.get(*k)) {
            e.push(FieldError::forbidden(
                *k,
                "field is immutable when `immutable` is set",
            ));
        }
    }
}

pub(crate) fn secret_update(new: &Value, old: &Value, e: &mut Errs) {
    if s(new, "type") != s(old, "type") {
        e.push(FieldError::invalid(
            "type",
            s(new, "type"),
            "field is immutable",
        ));
    }
    immutable_data(new, old, &["data"], e);
}

/// `ValidateConfigMap`.
pub(crate) fn config_map(obj: &Value, e: &mut Errs) {
    let data = data_keys(obj, "data", e);
    let binary = data_keys(obj, "binaryData", e);
    let mut total = 0;
    for (key, len) in &data {
        for msg in config_map_key(key) {
            e.push(FieldError::invalid(
                P::new("data").key(key),
                key.as_str(),
                msg,
            ));
        }
        if binary.iter().any(|(b, _)| b == key) {
            e.push(FieldError::invalid(
                P::new("data").key(key),
                key.as_str(),
                "duplicate of key present in binaryData",
            ));
        }
        total += len.unwrap_or(0);
    }
    for (key, len) in &binary {
        for msg in config_map_key(key) {
            e.push(FieldError::invalid(
                P::new("binaryData").key(key),
                key.as_str(),
                msg,
            ));
        }
        total += len.unwrap_or(0) * 3 / 4;
    }
    if total > MAX_SECRET_SIZE {
        e.push(too_long(&P::new(""), MAX_SECRET_SIZE));
    }
}

pub(crate) fn config_map_update(new: &Value, old: &Value, e: &mut Errs) {
    immutable_data(new, old, &["data", "binaryData"], e);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::namespaces_nodes::*;

    #[test]
    fn secrets_and_configmaps() {
        let mut sec = json!({"stringData": {"user": "admin"}, "data": {"bad key": "eA=="}});
        secret_defaults(&mut sec);
        assert_eq!(
            sec,
            json!({"type": "Opaque", "data": {"bad key": "eA==", "user": "YWRtaW4="}})
        );
        let mut e = Vec::new();
        secret(&sec, &mut e);
        assert_eq!(e.len(), 1);
        assert!(e[0].to_string().starts_with("data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.'"));
        let old = json!({"immutable": true, "data": {"a": "1"}});
        let mut e = Vec::new();
        config_map_update(
            &json!({"immutable": true, "data": {"a": "2"}}),
            &old,
            &mut e,
        );
        assert_eq!(
            e[0].to_string(),
            "data: Forbidden: field is immutable when `immutable` is set"
        );
    }

    #[test]
    fn namespace_label_and_finalizer() {
        let mut ns = json!({"metadata": {"name": "team-a"}});
        namespace_defaults(&mut ns);
        assert_eq!(
            ns["metadata"]["labels"],
            json!({"kubernetes.io/metadata.name": "team-a"})
        );
        let mut spec = json!({});
        ensure_kubernetes_finalizer(&mut spec);
        assert_eq!(spec, json!({"finalizers": ["kubernetes"]}));
    }
}
