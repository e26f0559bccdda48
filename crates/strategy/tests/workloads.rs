//! Workload kinds end to end through the public API, as `kubectl create/apply/edit` drive them.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{create_with, update};
use serde_json::{Value, json};

/// What the API server does on create, with the server-owned metadata filled in.
fn create(group: &str, resource: &str, obj: Value) -> (Value, Vec<String>) {
    create_with(group, resource, obj, |obj| {
        let md = obj["metadata"].as_object_mut().expect("metadata");
        md.insert("namespace".into(), json!("default"));
        md.insert("uid".into(), json!("6b6c5f2e-0000-4000-8000-000000000001"));
        md.insert("creationTimestamp".into(), json!("2025-05-01T10:00:00Z"));
        md.insert("resourceVersion".into(), json!("1"));
        if resource == "jobs" {
            kubehci_strategy::generate_job_selector(obj);
        }
    })
}

fn kubectl_create_deployment() -> Value {
    json!({"kind": "Deployment", "apiVersion": "apps/v1",
        "metadata": {"name": "web", "creationTimestamp": null, "labels": {"app": "web"}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"creationTimestamp": null, "labels": {"app": "web"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx", "resources": {}}]}},
            "strategy": {}},
        "status": {}})
}

#[test]
fn create_deployment_matches_upstream_output() {
    let (d, errs) = create("apps", "deployments", kubectl_create_deployment());
    assert_eq!(errs, Vec::<String>::new());
    assert_eq!(d["metadata"]["generation"], 1);
    assert_eq!(d["status"], json!({}));
    assert_eq!(
        d["spec"],
        json!({
        "progressDeadlineSeconds": 600, "replicas": 1, "revisionHistoryLimit": 10,
        "selector": {"matchLabels": {"app": "web"}},
        "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}, "type": "RollingUpdate"},
        "template": {"metadata": {"creationTimestamp": null, "labels": {"app": "web"}}, "spec": {
            "containers": [{"image": "nginx", "imagePullPolicy": "Always", "name": "nginx", "resources": {},
                "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}],
            "dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "schedulerName": "default-scheduler",
            "securityContext": {}, "terminationGracePeriodSeconds": 30}}})
    );
}

#[test]
fn deployment_updates_track_generation_and_keep_status() {
    let (mut stored, _) = create("apps", "deployments", kubectl_create_deployment());
    stored["status"] = json!({"replicas": 1, "readyReplicas": 1});
    let mut edited = stored.clone();
    edited["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.27");
    edited["status"] = json!({});
    let (new, errs) = update("apps", "deployments", None, edited, &stored);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(new["metadata"]["generation"], 2);
    assert_eq!(new["status"], json!({"replicas": 1, "readyReplicas": 1}));
    assert_eq!(
        new["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
        "Always"
    );

    let mut labels_only = new.clone();
    labels_only["metadata"]["labels"]["tier"] = json!("fe");
    let (same_gen, _) = update("apps", "deployments", None, labels_only, &new);
    assert_eq!(same_gen["metadata"]["generation"], 2);

    let mut status = new.clone();
    status["spec"]["replicas"] = json!(5);
    status["status"] = json!({"replicas": 3});
    let (after, errs) = update("apps", "deployments", Some("status"), status, &new);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(after["spec"]["replicas"], 1);
    assert_eq!(after["status"], json!({"replicas": 3}));
}

#[test]
fn deployment_errors_read_like_upstream() {
    let mut bad = kubectl_create_deployment();
    bad["spec"]["replicas"] = json!(-1);
    bad["spec"]["selector"] = json!({"matchLabels": {"app": "db"}});
    bad["spec"]["template"]["spec"]["containers"][0]["image"] = json!("");
    let (_, errs) = create("apps", "deployments", bad);
    assert_eq!(
        errs,
        vec![
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
            "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`",
            "spec.template.spec.containers[0].image: Required value",
        ]
    );

    let (stored, _) = create("apps", "deployments", kubectl_create_deployment());
    let mut moved = stored.clone();
    moved["spec"]["selector"] = json!({"matchLabels": {"app": "web", "v": "2"}});
    moved["spec"]["template"]["metadata"]["labels"]["v"] = json!("2");
    let (_, errs) = update("apps", "deployments", None, moved, &stored);
    assert_eq!(
        errs,
        vec![
            "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", \"v\":\"2\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable",
        ]
    );

    let mut bad_name = kubectl_create_deployment();
    bad_name["metadata"]["name"] = json!("Web_1");
    let (_, errs) = create("apps", "deployments", bad_name);
    assert_eq!(
        errs,
        vec![
            "metadata.name: Invalid value: \"Web_1\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        ]
    );
}

fn statefulset() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
        "spec": {"serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
            "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "pg", "image": "postgres:16"}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}})
}

#[test]
fn statefulset_defaults_and_forbidden_updates() {
    let (s, errs) = create("apps", "statefulsets", statefulset());
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(s["status"], json!({"replicas": 0, "availableReplicas": 0}));
    assert_eq!(s["spec"]["podManagementPolicy"], "OrderedReady");
    assert_eq!(
        s["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
        "IfNotPresent"
    );
    let mut changed = s.clone();
    changed["spec"]["serviceName"] = json!("other");
    let (_, errs) = update("apps", "statefulsets", None, changed, &s);
    assert_eq!(
        errs,
        vec![
            "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ]
    );
    let mut scaled = s.clone();
    scaled["spec"]["replicas"] = json!(3);
    let (_, errs) = update("apps", "statefulsets", None, scaled, &s);
    assert!(errs.is_empty(), "{errs:?}");
}

#[test]
fn daemonset_and_replicaset() {
    let ds = json!({"metadata": {"name": "agent"}, "spec": {"selector": {"matchLabels": {"app": "a"}},
        "template": {"metadata": {"labels": {"app": "a"}}, "spec": {"containers": [{"name": "a", "image": "busybox"}]}}}});
    let (d, errs) = create("apps", "daemonsets", ds);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(
        d["spec"]["updateStrategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}})
    );
    assert_eq!(
        d["status"],
        json!({"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0})
    );
    let rs = json!({"metadata": {"name": "r"}, "spec": {"selector": {}, "template": {"metadata": {"labels": {"app": "a"}},
        "spec": {"restartPolicy": "Never", "containers": [{"name": "a", "image": "busybox"}]}}}});
    let (_, errs) = create("apps", "replicasets", rs);
    assert_eq!(
        errs,
        vec![
            "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment",
            "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"",
        ]
    );
}

#[test]
fn jobs_and_cronjobs() {
    let job = json!({"kind": "Job", "apiVersion": "batch/v1", "metadata": {"name": "pi", "creationTimestamp": null},
        "spec": {"template": {"metadata": {"creationTimestamp": null}, "spec": {"containers": [{"name": "pi", "image": "perl:5.34",
            "command": ["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"], "resources": {}}], "restartPolicy": "Never"}}},
        "status": {}});
    let (j, errs) = create("batch", "jobs", job);
    assert!(errs.is_empty(), "{errs:?}");
    let uid = "6b6c5f2e-0000-4000-8000-000000000001";
    assert_eq!(
        j["spec"]["selector"],
        json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}})
    );
    assert_eq!(j["metadata"]["labels"]["job-name"], "pi");
    assert_eq!(j["spec"]["completionMode"], "NonIndexed");
    assert_eq!(j["spec"]["suspend"], false);
    let mut edited = j.clone();
    edited["spec"]["template"]["spec"]["containers"][0]["image"] = json!("perl:5.36");
    let (_, errs) = update("batch", "jobs", None, edited, &j);
    assert_eq!(
        errs,
        vec!["spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable"]
    );

    let cj = json!({"metadata": {"name": "tick"}, "spec": {"schedule": "*/1 * * * *", "jobTemplate": {"metadata": {"name": "tick"},
        "spec": {"template": {"spec": {"containers": [{"name": "t", "image": "busybox"}], "restartPolicy": "OnFailure"}}}}}});
    let (c, errs) = create("batch", "cronjobs", cj.clone());
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(c["spec"]["concurrencyPolicy"], "Allow");
    assert_eq!(c["spec"]["successfulJobsHistoryLimit"], 3);
    assert_eq!(c["spec"]["failedJobsHistoryLimit"], 1);
    let mut bad = cj;
    bad["spec"]["schedule"] = json!("61 * * * *");
    bad["metadata"]["name"] = json!("a".repeat(53));
    let (_, errs) = create("batch", "cronjobs", bad);
    assert_eq!(
        errs,
        vec![
            "spec.schedule: Invalid value: \"61 * * * *\": end of range (61) above maximum (59): 61",
            &format!(
                "metadata.name: Invalid value: \"{}\": must be no more than 52 characters",
                "a".repeat(53)
            ),
        ]
    );
}
