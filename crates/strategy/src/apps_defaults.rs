//! Defaulting of the workload controllers (`apps/v1` `SetDefaults_Deployment`,
//! `_ReplicaSet`, `_StatefulSet`, `_DaemonSet`, and core `_ReplicationController`).

use serde_json::{Value, json};

use crate::json::{dflt, ensure_obj, field, items_mut, obj_mut, s, set};
use crate::pod_defaults::template_at;

pub(crate) fn deployment(obj: &mut Value) {
    template_at(obj, &["spec", "template"]);
    let Some(spec) = ensure_obj(obj, "spec") else {
        return;
    };
    dflt(spec, "replicas", json!(1));
    if let Some(strategy) = ensure_obj(spec, "strategy") {
        if s(strategy, "type").is_empty() {
            set(strategy, "type", json!("RollingUpdate"));
        }
        if s(strategy, "type") == "RollingUpdate"
            && let Some(ru) = ensure_obj(strategy, "rollingUpdate")
        {
            dflt(ru, "maxUnavailable", json!("25%"));
            dflt(ru, "maxSurge", json!("25%"));
        }
    }
    dflt(spec, "revisionHistoryLimit", json!(10));
    dflt(spec, "progressDeadlineSeconds", json!(600));
}

pub(crate) fn replica_set(obj: &mut Value) {
    template_at(obj, &["spec", "template"]);
    if let Some(spec) = ensure_obj(obj, "spec") {
        dflt(spec, "replicas", json!(1));
    }
}

pub(crate) fn stateful_set(obj: &mut Value) {
    template_at(obj, &["spec", "template"]);
    let Some(spec) = ensure_obj(obj, "spec") else {
        return;
    };
    if s(spec, "podManagementPolicy").is_empty() {
        set(spec, "podManagementPolicy", json!("OrderedReady"));
    }
    if let Some(us) = ensure_obj(spec, "updateStrategy") {
        if s(us, "type").is_empty() {
            set(us, "type", json!("RollingUpdate"));
            dflt(us, "rollingUpdate", json!({}));
        }
        if s(us, "type") == "RollingUpdate"
            && let Some(ru) = obj_mut(us, "rollingUpdate")
        {
            dflt(ru, "partition", json!(0));
        }
    }
    if let Some(policy) = ensure_obj(spec, "persistentVolumeClaimRetentionPolicy") {
        for k in ["whenDeleted", "whenScaled"] {
            if s(policy, k).is_empty() {
                set(policy, k, json!("Retain"));
            }
        }
    }
    dflt(spec, "replicas", json!(1));
    dflt(spec, "revisionHistoryLimit", json!(10));
    for claim in items_mut(spec, "volumeClaimTemplates") {
        crate::pvc::pvc_defaults(claim);
    }
}

pub(crate) fn daemon_set(obj: &mut Value) {
    template_at(obj, &["spec", "template"]);
    let Some(spec) = ensure_obj(obj, "spec") else {
        return;
    };
    if let Some(us) = ensure_obj(spec, "updateStrategy") {
        if s(us, "type").is_empty() {
            set(us, "type", json!("RollingUpdate"));
        }
        if s(us, "type") == "RollingUpdate"
            && let Some(ru) = ensure_obj(us, "rollingUpdate")
        {
            dflt(ru, "maxUnavailable", json!(1));
            dflt(ru, "maxSurge", json!(0));
        }
    }
    dflt(spec, "revisionHistoryLimit", json!(10));
}

/// `SetDefaults_ReplicationController`: selector and labels from the template.
pub(crate) fn replication_controller(obj: &mut Value) {
    template_at(obj, &["spec", "template"]);
    let labels = obj
        .get("spec")
        .and_then(|s| field(s, "template"))
        .and_then(|t| field(t, "metadata"))
        .and_then(|m| field(m, "labels"))
        .filter(|l| l.is_object())
        .cloned();
    if let Some(labels) = labels {
        if let Some(spec) = ensure_obj(obj, "spec")
            && spec
                .get("selector")
                .and_then(Value::as_object)
                .is_none_or(|m| m.is_empty())
        {
            set(spec, "selector", labels.clone());
        }
        if let Some(md) = ensure_obj(obj, "metadata")
            && md
                .get("labels")
                .and_then(Value::as_object)
                .is_none_or(|m| m.is_empty())
        {
            set(md, "labels", labels);
        }
    }
    if let Some(spec) = ensure_obj(obj, "spec") {
        dflt(spec, "replicas", json!(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_create_deployment_defaults() {
        let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx", "resources": {}}]}}}});
        deployment(&mut d);
        assert_eq!(
            d["spec"],
            json!({
            "replicas": 1, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                "containers": [{"name": "nginx", "image": "nginx", "resources": {}, "imagePullPolicy": "Always",
                    "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}],
                "dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "schedulerName": "default-scheduler",
                "securityContext": {}, "terminationGracePeriodSeconds": 30}}})
        );
    }

    #[test]
    fn statefulset_and_daemonset_defaults() {
        let mut s =
            json!({"spec": {"volumeClaimTemplates": [{"metadata": {"name": "d"}, "spec": {}}]}});
        stateful_set(&mut s);
        assert_eq!(s["spec"]["podManagementPolicy"], "OrderedReady");
        assert_eq!(
            s["spec"]["updateStrategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
        );
        assert_eq!(
            s["spec"]["persistentVolumeClaimRetentionPolicy"],
            json!({"whenDeleted": "Retain", "whenScaled": "Retain"})
        );
        assert_eq!(
            s["spec"]["volumeClaimTemplates"][0]["spec"]["volumeMode"],
            "Filesystem"
        );
        assert_eq!(
            s["spec"]["volumeClaimTemplates"][0]["status"]["phase"],
            "Pending"
        );
        let mut d = json!({"spec": {}});
        daemon_set(&mut d);
        assert_eq!(
            d["spec"]["updateStrategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}})
        );
        let mut d = json!({"spec": {"updateStrategy": {"type": "OnDelete"}}});
        daemon_set(&mut d);
        assert_eq!(d["spec"]["updateStrategy"], json!({"type": "OnDelete"}));
    }

    #[test]
    fn rc_copies_template_labels() {
        let mut rc =
            json!({"spec": {"template": {"metadata": {"labels": {"a": "b"}}, "spec": {}}}});
        replication_controller(&mut rc);
        assert_eq!(rc["spec"]["selector"], json!({"a": "b"}));
        assert_eq!(rc["metadata"]["labels"], json!({"a": "b"}));
        assert_eq!(rc["spec"]["replicas"], 1);
    }
}
