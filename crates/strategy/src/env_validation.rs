//! Container `env` and `envFrom` (`ValidateEnv`, `ValidateEnvFrom`) and the downward-API
//! selectors they share with volumes.

use kubehci_api::FieldError;
use serde_json::Value;

use crate::json::{Errs, P, get_arr, get_obj, get_str};
use crate::names::{config_map_key, dns1123_subdomain, env_var_name, qualified_name};

pub(crate) const ENV_FIELD_PATHS: [&str; 9] = [
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];

pub(crate) const V1_FIELD_LABELS: [&str; 14] = [
    "metadata.annotations",
    "metadata.labels",
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.serviceAccountName",
    "spec.schedulerName",
    "status.phase",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];

pub(crate) const RESOURCE_FIELDS: [&str; 6] = [
    "limits.cpu",
    "limits.ephemeral-storage",
    "limits.memory",
    "requests.cpu",
    "requests.ephemeral-storage",
    "requests.memory",
];

pub(crate) fn env(c: &Value, p: &P, e: &mut Errs) {
    let ep = p.child("env");
    for (i, ev) in get_arr(c, "env", p, e).iter().enumerate() {
        let ip = ep.index(i);
        match get_str(ev, "name", &ip, e).filter(|n| !n.is_empty()) {
            None => e.push(FieldError::required(ip.child("name"), "")),
            Some(n) => {
                for msg in env_var_name(n) {
                    e.push(FieldError::invalid(ip.child("name"), n, msg));
                }
            }
        }
        if let Some(from) = get_obj(ev, "valueFrom", &ip, e) {
            value_from(
                from,
                !crate::json::s(ev, "value").is_empty(),
                &ip.child("valueFrom"),
                e,
            );
        }
    }
}

pub(crate) fn value_from(from: &Value, has_value: bool, p: &P, e: &mut Errs) {
    let mut n = 0;
    if let Some(f) = get_obj(from, "fieldRef", p, e) {
        n += 1;
        object_field_selector(f, &ENV_FIELD_PATHS, &p.child("fieldRef"), e);
    }
    if let Some(r) = get_obj(from, "resourceFieldRef", p, e) {
        n += 1;
        resource_field_selector(r, false, &p.child("resourceFieldRef"), e);
    }
    for k in ["configMapKeyRef", "secretKeyRef"] {
        if let Some(sel) = get_obj(from, k, p, e) {
            n += 1;
            key_selector(sel, &p.child(k), e);
        }
    }
    if n == 0 {
        e.push(FieldError::invalid(
            p,
            "",
            "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
        ));
    } else if has_value {
        e.push(FieldError::invalid(
            p,
            "",
            "may not be specified when `value` is not empty",
        ));
    } else if n > 1 {
        e.push(FieldError::invalid(
            p,
            "",
            "may not have more than one field specified at a time",
        ));
    }
}

/// `validateObjectFieldSelector` against the allowed `expressions`.
pub(crate) fn object_field_selector(f: &Value, expressions: &[&str], p: &P, e: &mut Errs) {
    let version = get_str(f, "apiVersion", p, e).unwrap_or("");
    if version.is_empty() {
        e.push(FieldError::required(p.child("apiVersion"), ""));
        return;
    }
    let path = get_str(f, "fieldPath", p, e).unwrap_or("");
    if path.is_empty() {
        e.push(FieldError::required(p.child("fieldPath"), ""));
        return;
    }
    let subscripted = path.split_once('[').and_then(|(base, rest)| {
        let key = rest.strip_suffix(']')?;
        let key = key.strip_prefix('\'')?.strip_suffix('\'')?;
        Some((base, key))
    });
    let convert_err = if version != "v1" {
        Some(format!("unsupported pod version: {version}"))
    } else if let Some((base, _)) = subscripted {
        (!matches!(base, "metadata.annotations" | "metadata.labels"))
            .then(|| format!("field label does not support subscript: {path}"))
    } else if V1_FIELD_LABELS.contains(&path) || path == "spec.host" {
        None
    } else {
        Some(format!("field label not supported: {path}"))
    };
    if let Some(err) = convert_err {
        e.push(FieldError::invalid(
            p.child("fieldPath"),
            path,
            format!("error converting fieldPath: {err}"),
        ));
        return;
    }
    let internal = if path == "spec.host" {
        "spec.nodeName"
    } else {
        path
    };
    match subscripted {
        Some(("metadata.annotations", key)) => {
            for msg in qualified_name(&key.to_lowercase()) {
                e.push(FieldError::invalid(p, key.to_lowercase(), msg));
            }
        }
        Some((_, key)) => {
            for msg in qualified_name(key) {
                e.push(FieldError::invalid(p, key, msg));
            }
        }
        None if !expressions.contains(&internal) => {
            let mut sorted: Vec<&str> = expressions.to_vec();
            sorted.sort_unstable();
            e.push(FieldError::not_supported(
                p.child("fieldPath"),
                internal,
                &sorted,
            ));
        }
        None => {}
    }
}

/// `validateContainerResourceFieldSelector`.
pub(crate) fn resource_field_selector(r: &Value, volume: bool, p: &P, e: &mut Errs) {
    let container = get_str(r, "containerName", p, e).unwrap_or("");
    let resource = get_str(r, "resource", p, e).unwrap_or("");
    if volume && container.is_empty() {
        e.push(FieldError::required(p.child("containerName"), ""));
    } else if resource.is_empty() {
        e.push(FieldError::required(p.child("resource"), ""));
    } else if !RESOURCE_FIELDS.contains(&resource)
        && !resource.starts_with("requests.hugepages-")
        && !resource.starts_with("limits.hugepages-")
    {
        e.push(FieldError::not_supported(
            p.child("resource"),
            resource,
            &RESOURCE_FIELDS,
        ));
    }
}

pub(crate) fn key_selector(sel: &Value, p: &P, e: &mut Errs) {
    let name = get_str(sel, "name", p, e).unwrap_or("");
    for msg in dns1123_subdomain(name) {
        e.push(FieldError::invalid(p.child("name"), name, msg));
    }
    match get_str(sel, "key", p, e).filter(|k| !k.is_empty()) {
        None => e.push(FieldError::required(p.child("key"), "")),
        Some(k) => {
            for msg in config_map_key(k) {
                e.push(FieldError::invalid(p.child("key"), k, msg));
            }
        }
    }
}

pub(crate) fn env_from(c: &Value, p: &P, e: &mut Errs) {
    let fp = p.child("envFrom");
    for (i, ev) in get_arr(c, "envFrom", p, e).iter().enumerate() {
        let ip = fp.index(i);
        if let Some(prefix) = get_str(ev, "prefix", &ip, e).filter(|x| !x.is_empty()) {
            for msg in env_var_name(prefix) {
                e.push(FieldError::invalid(ip.child("prefix"), prefix, msg));
            }
        }
        let mut n = 0;
        for k in ["configMapRef", "secretRef"] {
            if let Some(r) = get_obj(ev, k, &ip, e) {
                n += 1;
                let rp = ip.child(k);
                match get_str(r, "name", &rp, e).filter(|x| !x.is_empty()) {
                    None => e.push(FieldError::required(rp.child("name"), "")),
                    Some(name) => {
                        for msg in crate::names::NameRule::Subdomain.check(name, true) {
                            e.push(FieldError::invalid(rp.child("name"), name, msg));
                        }
                    }
                }
            }
        }
        if n == 0 {
            e.push(FieldError::invalid(
                &fp,
                "",
                "must specify one of: `configMapRef` or `secretRef`",
            ));
        } else if n > 1 {
            e.push(FieldError::invalid(
                &fp,
                "",
                "may not have more than one field specified at a time",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe_validation::*;
    use serde_json::json;

    fn run(f: impl Fn(&Value, &P, &mut Errs), v: Value) -> Vec<String> {
        let mut e = Vec::new();
        f(&v, &P::new("spec.containers[0]"), &mut e);
        e.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn env_rules() {
        let c = json!({"env": [
            {"name": "A=B", "value": "x"},
            {"name": "P", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.phase"}}},
            {"name": "Q", "valueFrom": {}}]});
        assert_eq!(
            run(env, c),
            vec![
                "spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
                "spec.containers[0].env[1].valueFrom.fieldRef.fieldPath: Unsupported value: \"status.phase\": supported values: \"metadata.name\", \"metadata.namespace\", \"metadata.uid\", \"spec.nodeName\", \"spec.serviceAccountName\", \"status.hostIP\", \"status.hostIPs\", \"status.podIP\", \"status.podIPs\"",
                "spec.containers[0].env[2].valueFrom: Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
            ]
        );
    }

    #[test]
    fn probe_rules() {
        let pr = json!({"httpGet": {"path": "/", "port": 70000, "scheme": "HTTP"}, "successThreshold": 2,
            "timeoutSeconds": 1, "periodSeconds": 10, "failureThreshold": 3});
        let mut e = Vec::new();
        probe(&pr, ProbeKind::Liveness, Some(30), &P::new("p"), &mut e);
        let e: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert_eq!(
            e,
            vec![
                "p.httpGet.port: Invalid value: 70000: must be between 1 and 65535, inclusive",
                "p.successThreshold: Invalid value: 2: must be 1",
            ]
        );
        let mut e = Vec::new();
        probe(
            &json!({"successThreshold": 1}),
            ProbeKind::Startup,
            None,
            &P::new("p"),
            &mut e,
        );
        assert_eq!(
            e[0].to_string(),
            "p: Required value: must specify a handler type"
        );
    }
}
