//! Pod volumes (`ValidateVolumes`, `validateVolumeSource` and the common sources).

use std::collections::BTreeMap;

use kubehci_api::FieldError;
use serde_json::Value;

use crate::container_validation::{local_descending_path, no_backsteps};
use crate::env_validation::{object_field_selector, resource_field_selector};
use crate::json::{Errs, P, field, get_arr, get_i64, get_obj, get_str, get_strs};
use crate::names::dns1123_label;
use crate::pod_defaults::VOLUME_SOURCES;

const FILE_MODE_MSG: &str = "must be a number between 0 and 0777 (octal), both inclusive";
const VOLUME_FIELD_PATHS: [&str; 5] = [
    "metadata.annotations",
    "metadata.labels",
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
];
const HOST_PATH_TYPES: [&str; 8] = [
    "",
    "BlockDevice",
    "CharDevice",
    "Directory",
    "DirectoryOrCreate",
    "File",
    "FileOrCreate",
    "Socket",
];

/// Upstream checks sources in this order and names two of them oddly in the
/// "more than 1 volume type" error; both quirks are kept.
const CHECK_ORDER: [&str; 30] = [
    "emptyDir",
    "hostPath",
    "gitRepo",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "flocker",
    "persistentVolumeClaim",
    "rbd",
    "cinder",
    "cephfs",
    "quobyte",
    "downwardAPI",
    "fc",
    "flexVolume",
    "configMap",
    "azureFile",
    "vsphereVolume",
    "photonPersistentDisk",
    "portworxVolume",
    "azureDisk",
    "storageos",
    "projected",
    "scaleIO",
    "csi",
    "ephemeral",
    "image",
];

fn forbidden_name(src: &str) -> &str {
    match src {
        "cephfs" => "cephFS",
        "downwardAPI" => "downwarAPI",
        other => other,
    }
}

/// Validates `spec.volumes`; returns the volumes that passed, by name.
pub(crate) fn volumes(
    list: &[Value],
    pod_name: Option<&str>,
    p: &P,
    e: &mut Errs,
) -> BTreeMap<String, Value> {
    let mut ok = BTreeMap::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, v) in list.iter().enumerate() {
        let ip = p.index(i);
        if !v.is_object() {
            e.push(crate::json::type_error(&ip, v, "object"));
            continue;
        }
        let mut el = Vec::new();
        let name = get_str(v, "name", &ip, &mut el).unwrap_or("").to_string();
        source(v, &ip, &name, pod_name, &mut el);
        if name.is_empty() {
            el.push(FieldError::required(ip.child("name"), ""));
        } else {
            for msg in dns1123_label(&name) {
                el.push(FieldError::invalid(ip.child("name"), name.as_str(), msg));
            }
        }
        if seen.contains(&name) {
            el.push(FieldError::duplicate(ip.child("name"), name.as_str()));
        }
        if el.is_empty() {
            seen.insert(name.clone());
            ok.insert(name, v.clone());
        } else {
            e.extend(el);
        }
    }
    debug_assert!(VOLUME_SOURCES.iter().all(|s| CHECK_ORDER.contains(s)));
    ok
}

fn source(v: &Value, p: &P, vol_name: &str, pod_name: Option<&str>, e: &mut Errs) {
    let mut n = 0;
    for src in CHECK_ORDER {
        let Some(sv) = get_obj(v, src, p, e) else {
            continue;
        };
        if n > 0 {
            e.push(FieldError::forbidden(
                p.child(forbidden_name(src)),
                "may not specify more than 1 volume type",
            ));
            continue;
        }
        n += 1;
        let sp = p.child(src);
        match src {
            "hostPath" => host_path(sv, &sp, e),
            "gitRepo" => {
                required_str(sv, "repository", &sp, e);
                local_descending_path(crate::json::s(sv, "directory"), &sp.child("directory"), e);
            }
            "secret" => {
                required_str(sv, "secretName", &sp, e);
                mode_and_items(sv, &sp, e);
            }
            "configMap" => {
                required_str(sv, "name", &sp, e);
                mode_and_items(sv, &sp, e);
            }
            "nfs" => {
                required_str(sv, "server", &sp, e);
                match get_str(sv, "path", &sp, e).filter(|x| !x.is_empty()) {
                    None => e.push(FieldError::required(sp.child("path"), "")),
                    Some(path) if !path.starts_with('/') => {
                        e.push(FieldError::invalid(
                            sp.child("path"),
                            path,
                            "must be an absolute path",
                        ));
                    }
                    Some(_) => {}
                }
            }
            "persistentVolumeClaim" => required_str(sv, "claimName", &sp, e),
            "downwardAPI" => {
                default_mode(sv, &sp, e);
                downward_items(sv, &sp, e);
            }
            "projected" => projected(sv, &sp, e),
            "csi" => required_str(sv, "driver", &sp, e),
            "image" => required_str(sv, "reference", &sp, e),
            "ephemeral" => ephemeral(sv, &sp, vol_name, pod_name, e),
            "emptyDir" => {
                let negative = field(sv, "sizeLimit")
                    .and_then(crate::quantity::Quantity::from_json)
                    .and_then(Result::ok)
                    .is_some_and(|q| q.is_negative());
                if negative {
                    e.push(FieldError::forbidden(
                        sp.child("sizeLimit"),
                        "SizeLimit field must be a valid resource quantity",
                    ));
                }
            }
            "iscsi" => {
                required_str(sv, "targetPortal", &sp, e);
                required_str(sv, "iqn", &sp, e);
            }
            "rbd" => {
                if get_strs(sv, "monitors", &sp, e).is_empty() {
                    e.push(FieldError::required(sp.child("monitors"), ""));
                }
                required_str(sv, "image", &sp, e);
            }
            "cephfs" if get_strs(sv, "monitors", &sp, e).is_empty() => {
                e.push(FieldError::required(
                    p.child("cephfs").child("monitors"),
                    "",
                ));
            }
            "glusterfs" => {
                required_str(sv, "endpoints", &sp, e);
                required_str(sv, "path", &sp, e);
            }
            _ => {}
        }
    }
    if n == 0 {
        e.push(FieldError::required(p, "must specify a volume type"));
    }
}

fn required_str(o: &Value, k: &str, p: &P, e: &mut Errs) {
    if get_str(o, k, p, e).is_none_or(str::is_empty) {
        e.push(FieldError::required(p.child(k), ""));
    }
}

fn host_path(h: &Value, p: &P, e: &mut Errs) {
    let Some(path) = get_str(h, "path", p, e).filter(|x| !x.is_empty()) else {
        e.push(FieldError::required(p.child("path"), ""));
        return;
    };
    no_backsteps(path, &p.child("path"), e);
    if let Some(t) = get_str(h, "type", p, e).filter(|t| !HOST_PATH_TYPES.contains(t)) {
        e.push(FieldError::not_supported(
            p.child("type"),
            t,
            &HOST_PATH_TYPES,
        ));
    }
}

fn file_mode(o: &Value, k: &str, p: &P, e: &mut Errs) {
    if let Some(m) = get_i64(o, k, p, e).filter(|m| !(0..=0o777).contains(m)) {
        e.push(FieldError::invalid(p.child(k), m, FILE_MODE_MSG));
    }
}

fn default_mode(o: &Value, p: &P, e: &mut Errs) {
    file_mode(o, "defaultMode", p, e);
}

/// `ValidateLocalNonReservedPath`.
fn local_non_reserved_path(path: &str, p: &P, e: &mut Errs) {
    local_descending_path(path, p, e);
    if path.starts_with("..") && !path.starts_with("../") {
        e.push(FieldError::invalid(p, path, "must not start with '..'"));
    }
}

/// `validateKeyToPath` for each of `items`.
fn key_to_path_items(o: &Value, p: &P, e: &mut Errs) {
    let ip = p.child("items");
    for (i, kp) in get_arr(o, "items", p, e).iter().enumerate() {
        let kp_path = ip.index(i);
        required_str(kp, "key", &kp_path, e);
        match get_str(kp, "path", &kp_path, e).filter(|x| !x.is_empty()) {
            None => e.push(FieldError::required(kp_path.child("path"), "")),
            Some(path) => local_non_reserved_path(path, &kp_path.child("path"), e),
        }
        file_mode(kp, "mode", &kp_path, e);
    }
}

fn mode_and_items(o: &Value, p: &P, e: &mut Errs) {
    default_mode(o, p, e);
    key_to_path_items(o, p, e);
}

fn downward_items(o: &Value, p: &P, e: &mut Errs) {
    for (i, item) in get_arr(o, "items", p, e).iter().enumerate() {
        let ip = p.child("items").index(i);
        match get_str(item, "path", &ip, e).filter(|x| !x.is_empty()) {
            None => e.push(FieldError::required(ip.child("path"), "")),
            Some(path) => local_non_reserved_path(path, &ip.child("path"), e),
        }
        file_mode(item, "mode", &ip, e);
        let fr = get_obj(item, "fieldRef", &ip, e);
        let rr = get_obj(item, "resourceFieldRef", &ip, e);
        match (fr, rr) {
            (Some(_), Some(_)) => e.push(FieldError::invalid(
                &ip,
                "resource",
                "fieldRef and resourceFieldRef can not be specified simultaneously",
            )),
            (Some(f), None) => {
                object_field_selector(f, &VOLUME_FIELD_PATHS, &ip.child("fieldRef"), e)
            }
            (None, Some(r)) => resource_field_selector(r, true, &ip.child("resourceFieldRef"), e),
            (None, None) => e.push(FieldError::required(
                &ip,
                "one of fieldRef and resourceFieldRef is required",
            )),
        }
    }
}

fn projected(pr: &Value, p: &P, e: &mut Errs) {
    default_mode(pr, p, e);
    for (i, src) in get_arr(pr, "sources", p, e).iter().enumerate() {
        let sp = p.child("sources").index(i);
        let mut n = 0;
        for k in [
            "secret",
            "configMap",
            "downwardAPI",
            "serviceAccountToken",
            "clusterTrustBundle",
        ] {
            let Some(x) = get_obj(src, k, &sp, e) else {
                continue;
            };
            n += 1;
            let xp = sp.child(k);
            match k {
                "secret" | "configMap" => {
                    required_str(x, "name", &xp, e);
                    key_to_path_items(x, &xp, e);
                }
                "downwardAPI" => downward_items(x, &xp, e),
                "serviceAccountToken" => {
                    let secs = crate::json::int(x, "expirationSeconds").unwrap_or(0);
                    if secs < 600 {
                        e.push(FieldError::invalid(
                            xp.child("expirationSeconds"),
                            secs,
                            "may not specify a duration less than 10 minutes",
                        ));
                    }
                    if secs > 1 << 32 {
                        e.push(FieldError::invalid(
                            xp.child("expirationSeconds"),
                            secs,
                            "may not specify a duration larger than 2^32 seconds",
                        ));
                    }
                    match get_str(x, "path", &xp, e).filter(|x| !x.is_empty()) {
                        None => e.push(FieldError::required(p.child("path"), "")),
                        Some(path) => local_non_reserved_path(path, &p.child("path"), e),
                    }
                }
                _ => {}
            }
        }
        if n > 1 {
            e.push(FieldError::forbidden(
                &sp,
                "may not specify more than 1 volume type per source",
            ));
        }
    }
}

fn ephemeral(eph: &Value, p: &P, vol_name: &str, pod_name: Option<&str>, e: &mut Errs) {
    let Some(t) = get_obj(eph, "volumeClaimTemplate", p, e) else {
        e.push(FieldError::required(p.child("volumeClaimTemplate"), ""));
        return;
    };
    let tp = p.child("volumeClaimTemplate");
    if let Some(spec) = get_obj(t, "spec", &tp, e) {
        crate::pvc::validate_pvc_spec(spec, &tp.child("spec"), e);
    }
    if let Some(pod) = pod_name.filter(|n| !n.is_empty() && !vol_name.is_empty()) {
        let pvc = format!("{pod}-{vol_name}");
        for msg in crate::names::dns1123_subdomain(&pvc) {
            e.push(FieldError::invalid(
                p.child("name"),
                vol_name,
                format!("PVC name {pvc:?}: {msg}"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sources_names_and_duplicates() {
        let vols = vec![
            json!({"name": "a", "emptyDir": {}, "hostPath": {"path": "/x"}}),
            json!({"name": "b", "configMap": {"name": "", "defaultMode": 1000}}),
            json!({"name": "c", "emptyDir": {}}),
            json!({"name": "c", "emptyDir": {}}),
            json!({"name": "Bad_Name", "emptyDir": {}}),
        ];
        let mut e = Vec::new();
        let ok = volumes(&vols, None, &P::new("spec.volumes"), &mut e);
        assert_eq!(ok.keys().collect::<Vec<_>>(), vec!["c"]);
        let e: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert_eq!(
            e[0],
            "spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type"
        );
        assert_eq!(e[1], "spec.volumes[1].configMap.name: Required value");
        assert_eq!(
            e[2],
            "spec.volumes[1].configMap.defaultMode: Invalid value: 1000: must be a number between 0 and 0777 (octal), both inclusive"
        );
        assert_eq!(e[3], "spec.volumes[3].name: Duplicate value: \"c\"");
        assert!(e[4].starts_with(
            "spec.volumes[4].name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 label"
        ));
    }
}
