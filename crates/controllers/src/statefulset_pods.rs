//! StatefulSet pod identity and storage: stable names `<set>-<ordinal>`, the identity
//! labels, hostname and subdomain, and the claims `<template>-<set>-<ordinal>` made from
//! `volumeClaimTemplates` (upstream `stateful_set_utils.go`).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimVolumeSource, Pod, PodTemplateSpec, Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use super::history::REVISION_HASH_LABEL;
use super::podstate::controller_ref;

pub(crate) const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
pub(crate) const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";

/// The ordinal of a pod named `<set>-<n>`, if it is one of the set's.
pub(crate) fn ordinal_of(set_name: &str, pod_name: &str) -> Option<i32> {
    let n = pod_name.strip_prefix(set_name)?.strip_prefix('-')?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) || (n.len() > 1 && n.starts_with('0'))
    {
        return None;
    }
    n.parse().ok()
}

pub(crate) fn pod_name(set_name: &str, ordinal: i32) -> String {
    format!("{set_name}-{ordinal}")
}

pub(crate) fn claim_name(template: &str, set_name: &str, ordinal: i32) -> String {
    format!("{template}-{set_name}-{ordinal}")
}

fn set_name(set: &StatefulSet) -> &str {
    set.metadata.name.as_deref().unwrap_or("")
}

/// A new pod for `ordinal` from `template` (the template of `revision`).
pub(crate) fn new_pod(
    set: &StatefulSet,
    template: &PodTemplateSpec,
    revision: &str,
    ordinal: i32,
) -> Pod {
    let name = pod_name(set_name(set), ordinal);
    let tmeta = template.metadata.clone().unwrap_or_default();
    let mut labels = tmeta.labels.unwrap_or_default();
    labels.insert(POD_NAME_LABEL.into(), name.clone());
    labels.insert(POD_INDEX_LABEL.into(), ordinal.to_string());
    labels.insert(REVISION_HASH_LABEL.into(), revision.into());
    let mut spec = template.spec.clone().unwrap_or_default();
    spec.hostname = Some(name.clone());
    if let Some(svc) = set.spec.as_ref().and_then(|s| s.service_name.clone())
        && !svc.is_empty()
    {
        spec.subdomain = Some(svc);
    }
    let mut volumes: Vec<Volume> = spec.volumes.take().unwrap_or_default();
    for claim in claim_templates(set) {
        let cname = claim.metadata.name.clone().unwrap_or_default();
        volumes.retain(|v| v.name != cname);
        volumes.push(Volume {
            name: cname.clone(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim_name(&cname, set_name(set), ordinal),
                read_only: None,
            }),
            ..Default::default()
        });
    }
    if !volumes.is_empty() {
        spec.volumes = Some(volumes);
    }
    Pod {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: set.metadata.namespace.clone(),
            labels: Some(labels),
            annotations: tmeta.annotations,
            finalizers: tmeta.finalizers,
            owner_references: Some(vec![controller_ref(
                &set.metadata,
                "apps/v1",
                "StatefulSet",
            )]),
            ..Default::default()
        },
        spec: Some(spec),
        status: None,
    }
}

fn claim_templates(set: &StatefulSet) -> &[PersistentVolumeClaim] {
    set.spec
        .as_ref()
        .and_then(|s| s.volume_claim_templates.as_deref())
        .unwrap_or(&[])
}

/// The claims the pod at `ordinal` mounts, as they are created: the template's labels
/// plus the set's `matchLabels`.
pub(crate) fn claims_for(set: &StatefulSet, ordinal: i32) -> Vec<PersistentVolumeClaim> {
    let match_labels: BTreeMap<String, String> = set
        .spec
        .as_ref()
        .and_then(|s| s.selector.match_labels.clone())
        .unwrap_or_default();
    claim_templates(set)
        .iter()
        .map(|t| {
            let mut labels = t.metadata.labels.clone().unwrap_or_default();
            labels.extend(match_labels.clone());
            let cname = t.metadata.name.clone().unwrap_or_default();
            PersistentVolumeClaim {
                metadata: ObjectMeta {
                    name: Some(claim_name(&cname, set_name(set), ordinal)),
                    namespace: set.metadata.namespace.clone(),
                    labels: Some(labels),
                    annotations: t.metadata.annotations.clone(),
                    ..Default::default()
                },
                spec: t.spec.clone(),
                status: None,
            }
        })
        .collect()
}

/// `persistentVolumeClaimRetentionPolicy` as (whenDeleted, whenScaled), `Retain` default.
pub(crate) fn retention(set: &StatefulSet) -> (String, String) {
    let p = set
        .spec
        .as_ref()
        .and_then(|s| s.persistent_volume_claim_retention_policy.clone())
        .unwrap_or_default();
    (
        p.when_deleted.unwrap_or_else(|| "Retain".into()),
        p.when_scaled.unwrap_or_else(|| "Retain".into()),
    )
}

/// The owner references a claim should carry under the retention policy: the pod when
/// `whenScaled: Delete` and the pod is condemned, else the set when `whenDeleted: Delete`.
/// References to anything else are kept. `None` when nothing changes.
pub(crate) fn claim_owners(
    set: &StatefulSet,
    claim: &PersistentVolumeClaim,
    pod: Option<&Pod>,
    condemned: bool,
) -> Option<Vec<OwnerReference>> {
    let (when_deleted, when_scaled) = retention(set);
    let set_uid = set.metadata.uid.as_deref().unwrap_or("");
    let pod_uid = pod.and_then(|p| p.metadata.uid.as_deref()).unwrap_or("");
    let current = claim.metadata.owner_references.clone().unwrap_or_default();
    let mut want: Vec<OwnerReference> = current
        .iter()
        .filter(|r| r.uid != set_uid && (pod_uid.is_empty() || r.uid != pod_uid))
        .cloned()
        .collect();
    let scaled_away = pod.is_some() && when_scaled == "Delete" && condemned;
    // A claim whose pod is scaled away belongs to that pod alone: the garbage collector
    // only deletes dependents whose every owner is gone.
    if when_deleted == "Delete" && !scaled_away {
        let mut r = controller_ref(&set.metadata, "apps/v1", "StatefulSet");
        r.controller = None;
        want.push(r);
    }
    if let Some(p) = pod.filter(|_| scaled_away) {
        let mut r = controller_ref(&p.metadata, "v1", "Pod");
        r.controller = None;
        want.push(r);
    }
    let key = |v: &[OwnerReference]| {
        let mut u: Vec<String> = v.iter().map(|r| r.uid.clone()).collect();
        u.sort();
        u
    };
    (key(&want) != key(&current)).then_some(want)
}

/// The identity labels a live pod is missing (upstream fixes them in place).
pub(crate) fn identity_fix(pod: &Pod, ordinal: i32) -> Option<BTreeMap<String, String>> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let labels = pod.metadata.labels.clone().unwrap_or_default();
    let mut fix = BTreeMap::new();
    if labels.get(POD_NAME_LABEL) != Some(&name) {
        fix.insert(POD_NAME_LABEL.to_string(), name);
    }
    if labels.get(POD_INDEX_LABEL) != Some(&ordinal.to_string()) {
        fix.insert(POD_INDEX_LABEL.to_string(), ordinal.to_string());
    }
    (!fix.is_empty()).then_some(fix)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use serde_json::json;

    fn set() -> StatefulSet {
        serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": "ns", "uid": "u1"},
            "spec": {"serviceName": "nginx", "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
                "volumeClaimTemplates": [{"metadata": {"name": "www"},
                    "spec": {"accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1Gi"}}}}]}}))
        .unwrap()
    }

    #[test]
    fn ordinals() {
        assert_eq!(ordinal_of("web", "web-0"), Some(0));
        assert_eq!(ordinal_of("web", "web-12"), Some(12));
        assert_eq!(ordinal_of("web", "web-01"), None);
        assert_eq!(ordinal_of("web", "webx-1"), None);
        assert_eq!(ordinal_of("web", "web-"), None);
        assert_eq!(ordinal_of("web", "web-a"), None);
    }

    #[test]
    fn pod_identity_and_volumes() {
        let s = set();
        let t = s.spec.as_ref().unwrap().template.clone();
        let p = new_pod(&s, &t, "web-abc", 2);
        assert_eq!(p.metadata.name.as_deref(), Some("web-2"));
        let l = p.metadata.labels.as_ref().unwrap();
        assert_eq!(l[POD_NAME_LABEL], "web-2");
        assert_eq!(l[POD_INDEX_LABEL], "2");
        assert_eq!(l[REVISION_HASH_LABEL], "web-abc");
        let spec = p.spec.as_ref().unwrap();
        assert_eq!(spec.hostname.as_deref(), Some("web-2"));
        assert_eq!(spec.subdomain.as_deref(), Some("nginx"));
        let v = &spec.volumes.as_ref().unwrap()[0];
        assert_eq!(v.name, "www");
        assert_eq!(
            v.persistent_volume_claim.as_ref().unwrap().claim_name,
            "www-web-2"
        );
        let claims = claims_for(&s, 2);
        assert_eq!(claims[0].metadata.name.as_deref(), Some("www-web-2"));
        assert_eq!(claims[0].metadata.labels.as_ref().unwrap()["app"], "web");
        assert!(identity_fix(&p, 2).is_none());
    }

    #[test]
    fn retention_owner_refs() {
        let mut s = set();
        let c = claims_for(&s, 0).remove(0);
        assert_eq!(claim_owners(&s, &c, None, false), None);
        s.spec
            .as_mut()
            .unwrap()
            .persistent_volume_claim_retention_policy =
            serde_json::from_value(json!({"whenDeleted": "Delete", "whenScaled": "Delete"})).ok();
        let pod: Pod =
            serde_json::from_value(json!({"metadata": {"name": "web-0", "uid": "p1"}})).unwrap();
        let refs = claim_owners(&s, &c, Some(&pod), true).unwrap();
        let uids: Vec<&str> = refs.iter().map(|r| r.uid.as_str()).collect();
        assert_eq!(uids, ["p1"]);
        let kept = claim_owners(&s, &c, Some(&pod), false).unwrap();
        assert_eq!(kept[0].uid, "u1");
    }
}
