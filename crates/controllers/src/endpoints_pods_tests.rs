//! Tests of pod/Service matching, and the pod and Service builders other tests use.

use serde_json::{Value, json};

use super::*;

/// A Running pod in `default` labelled `app: web` with container port `http` 8080/TCP.
pub(crate) fn pod(name: &str, ip: &str, ready: bool) -> Pod {
    pod_from(json!({
        "metadata": {"name": name, "namespace": "default", "uid": format!("uid-{name}"),
            "labels": {"app": "web"}},
        "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "busybox",
            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]}]},
        "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
            "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" },
                "lastTransitionTime": "2024-01-01T00:00:00Z"}]},
    }))
}

pub(crate) fn pod_from(v: Value) -> Pod {
    serde_json::from_value(v).expect("pod")
}

/// Service `web` in `default` selecting `app: web` with the given ports.
pub(crate) fn service(ports: Value) -> Service {
    serde_json::from_value(json!({
        "metadata": {"name": "web", "namespace": "default", "uid": "svc-uid",
            "creationTimestamp": "2024-01-01T00:00:00Z", "labels": {"team": "a"}},
        "spec": {"selector": {"app": "web"}, "clusterIP": "10.96.0.10",
            "ipFamilies": ["IPv4"], "ports": ports},
    }))
    .expect("service")
}

fn svc_port(v: Value) -> ServicePort {
    serde_json::from_value(v).expect("port")
}

#[test]
fn readiness_and_membership() {
    let p = pod("a", "10.0.0.1", true);
    assert!(is_ready(&p));
    assert!(should_be_in_endpoints(&p, false));
    let mut done = p.clone();
    if let Some(s) = done.status.as_mut() {
        s.phase = Some("Succeeded".into());
    }
    assert!(!should_be_in_endpoints(&done, true));
    let mut no_ip = pod("b", "", false);
    if let Some(s) = no_ip.status.as_mut() {
        s.pod_ips = None;
    }
    assert!(pod_ips(&no_ip).is_empty());
    assert!(!should_be_in_endpoints(&no_ip, true));
    let mut deleting = p;
    deleting.metadata.deletion_timestamp = Some(
        k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(Timestamp::UNIX_EPOCH),
    );
    assert!(!should_be_in_endpoints(&deleting, false));
    assert!(should_be_in_endpoints(&deleting, true));
}

#[test]
fn named_and_numeric_target_ports() {
    let p = pod("a", "10.0.0.1", true);
    let named = svc_port(json!({"port": 80, "targetPort": "http", "protocol": "TCP"}));
    assert_eq!(find_port(&p, &named), Some(8080));
    let udp = svc_port(json!({"port": 80, "targetPort": "http", "protocol": "UDP"}));
    assert_eq!(find_port(&p, &udp), None);
    let missing = svc_port(json!({"port": 80, "targetPort": "metrics"}));
    assert_eq!(find_port(&p, &missing), None);
    let numeric = svc_port(json!({"port": 80, "targetPort": 9090}));
    assert_eq!(find_port(&p, &numeric), Some(9090));
    let sidecar = pod_from(json!({
        "metadata": {"name": "s"},
        "spec": {"containers": [{"name": "c"}], "initContainers": [{"name": "side",
            "restartPolicy": "Always", "ports": [{"name": "metrics", "containerPort": 9100}]}]},
    }));
    assert_eq!(find_port(&sidecar, &missing), Some(9100));
}

#[test]
fn selectors_and_hostnames() {
    let svc = service(json!([{"port": 80}]));
    let sel = selector(&svc).expect("selector");
    let p = pod("a", "10.0.0.1", true);
    assert!(selects(sel, p.metadata.labels.as_ref()));
    assert!(!selects(sel, None));
    assert!(has_cluster_ip(&svc));
    let mut empty = svc.clone();
    if let Some(s) = empty.spec.as_mut() {
        s.selector = Some(Labels::new());
    }
    assert!(selector(&empty).is_none());
    let mut named = p.clone();
    if let Some(s) = named.spec.as_mut() {
        s.hostname = Some("web-0".into());
        s.subdomain = Some("web".into());
    }
    assert_eq!(hostname_for(&named, &svc).as_deref(), Some("web-0"));
    assert_eq!(hostname_for(&p, &svc), None);
}

#[test]
fn pod_index_reports_relevant_changes() {
    let mut index = PodIndex::default();
    let p = pod("a", "10.0.0.1", false);
    assert_eq!(index.apply(&p).len(), 1);
    assert!(index.apply(&p).is_empty(), "unchanged pod");
    let mut relabelled = p.clone();
    relabelled.metadata.labels = Some([("app".to_string(), "api".to_string())].into());
    assert_eq!(index.apply(&relabelled).len(), 2, "old and new labels");
    assert_eq!(index.delete(&relabelled).len(), 1);
}

#[test]
fn trigger_time_tracks_the_earliest_unseen_change() {
    let svc = service(json!([{"port": 80}]));
    let mut t = TriggerTimes::default();
    let pods = vec![Arc::new(pod("a", "10.0.0.1", true))];
    // A new Service: its creation time.
    let first = t.compute("default/web", &svc, &pods).expect("time");
    assert_eq!(format_time(first), "2024-01-01T00:00:00Z");
    // Nothing changed since.
    assert_eq!(t.compute("default/web", &svc, &pods), None);
    let mut later = pod("b", "10.0.0.2", true);
    if let Some(c) = later
        .status
        .as_mut()
        .and_then(|s| s.conditions.as_mut())
        .and_then(|c| c.first_mut())
    {
        c.last_transition_time = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            "2024-01-01T00:00:05.5Z".parse().expect("time"),
        ));
    }
    let pods = vec![pods[0].clone(), Arc::new(later)];
    let changed = t.compute("default/web", &svc, &pods).expect("time");
    assert_eq!(format_time(changed), "2024-01-01T00:00:05.5Z");
    t.delete("default/web");
    assert!(t.compute("default/web", &svc, &pods).is_some());
}
