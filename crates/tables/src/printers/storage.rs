//! Storage printers: persistent volumes and claims, resource quotas, storage
//! classes, CSI drivers and nodes, volume attachments.

use serde_json::{Value, json};

use crate::quantity;
use crate::util::{Ctx, Row, age, arr, get, is_deleting, len_of, name, obj, opt_b, s, s_or};

const BETA_STORAGE_CLASS: &str = "volume.beta.kubernetes.io/storage-class";

/// Upstream's `GetAccessModesAsString`: RWO, ROX, RWX, RWOP in that order.
fn access_modes(v: &Value, path: &[&str]) -> String {
    let modes: Vec<&str> = arr(v, path).iter().filter_map(Value::as_str).collect();
    let all = [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ];
    let shown: Vec<&str> = all
        .iter()
        .filter(|(m, _)| modes.contains(m))
        .map(|(_, short)| *short)
        .collect();
    shown.join(",")
}

/// The storage class: the beta annotation if present, else `spec.storageClassName`.
fn storage_class_of(v: &Value) -> String {
    match get(v, &["metadata", "annotations", BETA_STORAGE_CLASS]).and_then(Value::as_str) {
        Some(c) => c.to_string(),
        None => s(v, &["spec", "storageClassName"]).to_string(),
    }
}

fn volume_attributes_class(v: &Value) -> String {
    get(v, &["spec", "volumeAttributesClassName"])
        .and_then(Value::as_str)
        .unwrap_or("<unset>")
        .to_string()
}

pub(crate) fn persistent_volume(pv: &Value, ctx: &Ctx) -> Row {
    let claim = match get(pv, &["spec", "claimRef"]).filter(|c| c.is_object()) {
        Some(c) => format!("{}/{}", s(c, &["namespace"]), s(c, &["name"])),
        None => String::new(),
    };
    let phase = if is_deleting(pv) {
        "Terminating"
    } else {
        s_or(pv, &["status", "phase"], "Pending")
    };
    Row::new(vec![
        json!(name(pv)),
        json!(quantity::cell(get(pv, &["spec", "capacity", "storage"]))),
        json!(access_modes(pv, &["spec", "accessModes"])),
        json!(s_or(
            pv,
            &["spec", "persistentVolumeReclaimPolicy"],
            "Retain"
        )),
        json!(phase),
        json!(claim),
        json!(storage_class_of(pv)),
        json!(volume_attributes_class(pv)),
        json!(s(pv, &["status", "reason"])),
        json!(age(ctx, pv)),
        json!(s_or(pv, &["spec", "volumeMode"], "Filesystem")),
    ])
}

pub(crate) fn persistent_volume_claim(pvc: &Value, ctx: &Ctx) -> Row {
    let phase = if is_deleting(pvc) {
        "Terminating"
    } else {
        s_or(pvc, &["status", "phase"], "Pending")
    };
    let volume = s(pvc, &["spec", "volumeName"]);
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (
            quantity::cell(get(pvc, &["status", "capacity", "storage"])),
            access_modes(pvc, &["status", "accessModes"]),
        )
    };
    Row::new(vec![
        json!(name(pvc)),
        json!(phase),
        json!(volume),
        json!(capacity),
        json!(modes),
        json!(storage_class_of(pvc)),
        json!(volume_attributes_class(pvc)),
        json!(age(ctx, pvc)),
        json!(s_or(pvc, &["spec", "volumeMode"], "Filesystem")),
    ])
}

/// `requests.cpu: 500m/1, pods: 3/10` and the `limits.*` resources apart.
pub(crate) fn resource_quota(rq: &Value, ctx: &Ctx) -> Row {
    let mut resources: Vec<&String> = obj(rq, &["status", "hard"])
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    resources.sort();
    let (mut requests, mut limits) = (Vec::new(), Vec::new());
    for r in resources {
        let used = quantity::cell(get(rq, &["status", "used", r.as_str()]));
        let hard = quantity::cell(get(rq, &["status", "hard", r.as_str()]));
        let entry = format!("{r}: {used}/{hard}");
        let is_limit = r.split('.').count() > 1 && r.split('.').next() == Some("limits");
        if is_limit {
            limits.push(entry)
        } else {
            requests.push(entry)
        }
    }
    Row::new(vec![
        json!(name(rq)),
        json!(requests.join(", ")),
        json!(limits.join(", ")),
        json!(age(ctx, rq)),
    ])
}

pub(crate) fn storage_class(sc: &Value, ctx: &Ctx) -> Row {
    let is_default = |key: &str| {
        get(sc, &["metadata", "annotations", key]).and_then(Value::as_str) == Some("true")
    };
    let mut shown = name(sc).to_string();
    if is_default("storageclass.kubernetes.io/is-default-class")
        || is_default("storageclass.beta.kubernetes.io/is-default-class")
    {
        shown.push_str(" (default)");
    }
    Row::new(vec![
        json!(shown),
        json!(s(sc, &["provisioner"])),
        json!(s_or(sc, &["reclaimPolicy"], "Delete")),
        json!(s_or(sc, &["volumeBindingMode"], "Immediate")),
        json!(opt_b(sc, &["allowVolumeExpansion"]).unwrap_or(false)),
        json!(age(ctx, sc)),
    ])
}

pub(crate) fn csi_driver(d: &Value, ctx: &Ctx) -> Row {
    let spec = |f: &str| get(d, &["spec", f]);
    let tokens = match spec("tokenRequests").and_then(Value::as_array) {
        Some(list) => {
            let aud: Vec<&str> = list.iter().map(|t| s(t, &["audience"])).collect();
            aud.join(",")
        }
        None => "<unset>".to_string(),
    };
    // Defaulting fills the lifecycle modes with Persistent.
    let modes: Vec<&str> = arr(d, &["spec", "volumeLifecycleModes"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let modes = if modes.is_empty() {
        "Persistent".to_string()
    } else {
        modes.join(",")
    };
    Row::new(vec![
        json!(name(d)),
        json!(
            spec("attachRequired")
                .and_then(Value::as_bool)
                .unwrap_or(true)
        ),
        json!(
            spec("podInfoOnMount")
                .and_then(Value::as_bool)
                .unwrap_or(false)
        ),
        json!(
            spec("storageCapacity")
                .and_then(Value::as_bool)
                .unwrap_or(false)
        ),
        json!(tokens),
        json!(
            spec("requiresRepublish")
                .and_then(Value::as_bool)
                .unwrap_or(false)
        ),
        json!(modes),
        json!(age(ctx, d)),
    ])
}

pub(crate) fn csi_node(n: &Value, ctx: &Ctx) -> Row {
    Row::new(vec![
        json!(name(n)),
        json!(len_of(n, &["spec", "drivers"])),
        json!(age(ctx, n)),
    ])
}

pub(crate) fn volume_attachment(va: &Value, ctx: &Ctx) -> Row {
    Row::new(vec![
        json!(name(va)),
        json!(s(va, &["spec", "attacher"])),
        json!(s(va, &["spec", "source", "persistentVolumeName"])),
        json!(s(va, &["spec", "nodeName"])),
        json!(opt_b(va, &["status", "attached"]).unwrap_or(false)),
        json!(age(ctx, va)),
    ])
}
