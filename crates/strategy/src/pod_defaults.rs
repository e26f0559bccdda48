//! Pod defaulting as v1.33 does it (`SetDefaults_Pod`, `_PodSpec`, `_Container`, `_Probe`,
//! `_Volume`...), for pods and for the pod templates embedded in other kinds.

use serde_json::{Value, json};

use crate::json::{at_mut, dflt, ensure_obj, field, items_mut, obj_mut, s, set};
use crate::quantity::canonicalize_list;

/// Every volume source a `Volume` may carry.
pub(crate) const VOLUME_SOURCES: [&str; 30] = [
    "hostPath",
    "emptyDir",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "downwardAPI",
    "fc",
    "azureFile",
    "configMap",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "projected",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "csi",
    "ephemeral",
    "image",
];

/// Defaults a Pod: its spec, plus what only pods get (requests from limits, service
/// links, host-network ports, and the priority fields the Priority admission sets).
pub(crate) fn pod(obj: &mut Value) {
    let Some(spec) = obj_mut(obj, "spec") else {
        return;
    };
    pod_spec(spec);
    for list in ["containers", "initContainers"] {
        for c in items_mut(spec, list) {
            requests_from_limits(c);
        }
    }
    dflt(spec, "enableServiceLinks", json!(true));
    if spec.get("hostNetwork").and_then(Value::as_bool) == Some(true) {
        for list in ["containers", "initContainers"] {
            for c in items_mut(spec, list) {
                for port in items_mut(c, "ports") {
                    let cp = port.get("containerPort").cloned().unwrap_or(Value::Null);
                    if port.get("hostPort").and_then(Value::as_i64).unwrap_or(0) == 0
                        && !cp.is_null()
                    {
                        set(port, "hostPort", cp);
                    }
                }
            }
        }
    }
    let class = s(spec, "priorityClassName").to_string();
    let priority = match class.as_str() {
        "" => Some(0),
        "system-cluster-critical" => Some(2_000_000_000),
        "system-node-critical" => Some(2_000_001_000),
        _ => None,
    };
    if let Some(p) = priority {
        dflt(spec, "priority", json!(p));
        dflt(spec, "preemptionPolicy", json!("PreemptLowerPriority"));
    }
}

fn requests_from_limits(c: &mut Value) {
    let Some(res) = obj_mut(c, "resources") else {
        return;
    };
    let Some(limits) = res.get("limits").and_then(Value::as_object).cloned() else {
        return;
    };
    if let Some(Value::Object(req)) = ensure_obj(res, "requests") {
        for (k, v) in limits {
            req.entry(k).or_insert(v);
        }
    }
}

/// Defaults a `PodTemplateSpec` (its `spec`).
pub(crate) fn template(t: &mut Value) {
    if let Some(spec) = obj_mut(t, "spec") {
        pod_spec(spec);
    }
}

/// Defaults the pod template found at `path` inside `obj`.
pub(crate) fn template_at(obj: &mut Value, path: &[&str]) {
    if let Some(t) = at_mut(obj, path) {
        template(t);
    }
}

pub(crate) fn pod_spec(spec: &mut Value) {
    // The v1 conversion keeps the deprecated `serviceAccount` mirroring `serviceAccountName`.
    if s(spec, "serviceAccountName").is_empty() && !s(spec, "serviceAccount").is_empty() {
        let sa = s(spec, "serviceAccount").to_string();
        set(spec, "serviceAccountName", json!(sa));
    }
    if !s(spec, "serviceAccountName").is_empty() {
        let sa = s(spec, "serviceAccountName").to_string();
        set(spec, "serviceAccount", json!(sa));
    }
    dflt(spec, "dnsPolicy", json!("ClusterFirst"));
    dflt(spec, "restartPolicy", json!("Always"));
    dflt(spec, "securityContext", json!({}));
    dflt(spec, "terminationGracePeriodSeconds", json!(30));
    dflt(spec, "schedulerName", json!("default-scheduler"));
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        for c in items_mut(spec, list) {
            container(c);
        }
    }
    for v in items_mut(spec, "volumes") {
        volume(v);
    }
    if let Some(o) = obj_mut(spec, "overhead") {
        canonicalize_list(o);
    }
}

/// Whether an image reference names the `latest` tag (explicitly, or by having neither
/// tag nor digest), as `parsers.ParseImageName` decides.
pub(crate) fn image_is_latest(image: &str) -> bool {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    if name.is_empty() {
        return false;
    }
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let (repo, tag) = match name[last_slash..].rfind(':') {
        Some(i) => (&name[..last_slash + i], Some(&name[last_slash + i + 1..])),
        None => (name, None),
    };
    let path = match repo.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => rest,
        _ => repo,
    };
    let valid = !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/".contains(c))
        && tag.is_none_or(|t| !t.is_empty() && t.len() <= 128);
    if !valid {
        return false;
    }
    match tag {
        Some(t) => t == "latest",
        None => digest.is_none(),
    }
}

fn container(c: &mut Value) {
    if c.get("imagePullPolicy")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
        && c.is_object()
    {
        let policy = if image_is_latest(s(c, "image")) {
            "Always"
        } else {
            "IfNotPresent"
        };
        set(c, "imagePullPolicy", json!(policy));
    }
    dflt(c, "terminationMessagePath", json!("/dev/termination-log"));
    dflt(c, "terminationMessagePolicy", json!("File"));
    for port in items_mut(c, "ports") {
        dflt(port, "protocol", json!("TCP"));
    }
    for env in items_mut(c, "env") {
        if let Some(from) = obj_mut(env, "valueFrom") {
            field_selectors(from);
        }
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(p) = obj_mut(c, probe) {
            dflt(p, "timeoutSeconds", json!(1));
            dflt(p, "periodSeconds", json!(10));
            dflt(p, "successThreshold", json!(1));
            dflt(p, "failureThreshold", json!(3));
            handler(p);
        }
    }
    if let Some(lc) = obj_mut(c, "lifecycle") {
        for hook in ["postStart", "preStop"] {
            if let Some(h) = obj_mut(lc, hook) {
                handler(h);
            }
        }
    }
    if let Some(res) = obj_mut(c, "resources") {
        for list in ["limits", "requests"] {
            if let Some(l) = obj_mut(res, list) {
                canonicalize_list(l);
            }
        }
    }
}

fn handler(h: &mut Value) {
    if let Some(g) = obj_mut(h, "httpGet") {
        dflt(g, "path", json!("/"));
        dflt(g, "scheme", json!("HTTP"));
    }
    if let Some(g) = obj_mut(h, "grpc") {
        dflt(g, "service", json!(""));
    }
}

/// `fieldRef.apiVersion` and `resourceFieldRef.divisor` of an env or downward-API item.
fn field_selectors(item: &mut Value) {
    if let Some(f) = obj_mut(item, "fieldRef") {
        dflt(f, "apiVersion", json!("v1"));
    }
    if let Some(r) = obj_mut(item, "resourceFieldRef") {
        dflt(r, "divisor", json!("0"));
        if let Some(d) = r.get_mut("divisor")
            && let Some(Ok(q)) = crate::quantity::Quantity::from_json(d)
        {
            *d = json!(q.canonical());
        }
    }
}

fn volume(v: &mut Value) {
    if !v.is_object() {
        return;
    }
    if !VOLUME_SOURCES.iter().any(|k| field(v, k).is_some()) {
        set(v, "emptyDir", json!({}));
    }
    for src in ["secret", "configMap"] {
        if let Some(x) = obj_mut(v, src) {
            dflt(x, "defaultMode", json!(420));
        }
    }
    if let Some(d) = obj_mut(v, "downwardAPI") {
        dflt(d, "defaultMode", json!(420));
        for item in items_mut(d, "items") {
            field_selectors(item);
        }
    }
    if let Some(p) = obj_mut(v, "projected") {
        dflt(p, "defaultMode", json!(420));
        for src in items_mut(p, "sources") {
            if let Some(t) = obj_mut(src, "serviceAccountToken") {
                dflt(t, "expirationSeconds", json!(3600));
            }
            if let Some(d) = obj_mut(src, "downwardAPI") {
                for item in items_mut(d, "items") {
                    field_selectors(item);
                }
            }
        }
    }
    if let Some(h) = obj_mut(v, "hostPath") {
        dflt(h, "type", json!(""));
    }
    if let Some(e) = obj_mut(v, "emptyDir")
        && let Some(q) = e.get_mut("sizeLimit")
        && let Some(Ok(parsed)) = crate::quantity::Quantity::from_json(q)
    {
        *q = json!(parsed.canonical());
    }
    if let Some(i) = obj_mut(v, "iscsi") {
        dflt(i, "iscsiInterface", json!("default"));
    }
    if let Some(r) = obj_mut(v, "rbd") {
        dflt(r, "pool", json!("rbd"));
        dflt(r, "user", json!("admin"));
        dflt(r, "keyring", json!("/etc/ceph/keyring"));
    }
    if let Some(a) = obj_mut(v, "azureDisk") {
        dflt(a, "cachingMode", json!("ReadWrite"));
        dflt(a, "fsType", json!("ext4"));
        dflt(a, "readOnly", json!(false));
        dflt(a, "kind", json!("Shared"));
    }
    if let Some(sc) = obj_mut(v, "scaleIO") {
        dflt(sc, "storageMode", json!("ThinProvisioned"));
        dflt(sc, "fsType", json!("xfs"));
    }
    if let Some(spec) = at_mut(v, &["ephemeral", "volumeClaimTemplate", "spec"]) {
        crate::pvc::pvc_spec_defaults(spec);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_tags() {
        assert!(image_is_latest("nginx"));
        assert!(image_is_latest("nginx:latest"));
        assert!(image_is_latest("localhost:5000/app"));
        assert!(!image_is_latest("nginx:1.27"));
        assert!(!image_is_latest("nginx@sha256:abc"));
        assert!(image_is_latest("registry.k8s.io/pause:latest@sha256:abc"));
        assert!(!image_is_latest("Nginx"));
        assert!(!image_is_latest(""));
    }

    #[test]
    fn kubectl_run_pod_defaults() {
        let mut p = json!({"spec": {"containers": [{"name": "web", "image": "nginx",
            "resources": {"limits": {"cpu": "0.5"}}, "ports": [{"containerPort": 80}]}],
            "volumes": [{"name": "v"}, {"name": "s", "secret": {"secretName": "x"}}]}});
        pod(&mut p);
        assert_eq!(
            p,
            json!({"spec": {
            "containers": [{"name": "web", "image": "nginx", "imagePullPolicy": "Always",
                "ports": [{"containerPort": 80, "protocol": "TCP"}],
                "resources": {"limits": {"cpu": "500m"}, "requests": {"cpu": "500m"}},
                "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}],
            "volumes": [{"name": "v", "emptyDir": {}}, {"name": "s", "secret": {"secretName": "x", "defaultMode": 420}}],
            "dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "securityContext": {},
            "terminationGracePeriodSeconds": 30, "schedulerName": "default-scheduler",
            "enableServiceLinks": true, "priority": 0, "preemptionPolicy": "PreemptLowerPriority"}})
        );
    }
}
