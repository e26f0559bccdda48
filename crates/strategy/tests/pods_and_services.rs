//! Pods and Services end to end through the public API.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::create_with;
use kubehci_strategy::qos_class;
use serde_json::{Value, json};

fn create(resource: &str, obj: Value) -> (Value, Vec<String>) {
    create_with("", resource, obj, |obj| {
        let md = obj["metadata"].as_object_mut().expect("metadata");
        md.insert("namespace".into(), json!("default"));
        md.insert("uid".into(), json!("u-1"));
        md.insert("creationTimestamp".into(), json!("2025-05-01T10:00:00Z"));
    })
}

fn update(resource: &str, sub: Option<&str>, new: Value, old: &Value) -> (Value, Vec<String>) {
    common::update("", resource, sub, new, old)
}

fn kubectl_run() -> Value {
    json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "nginx", "creationTimestamp": null, "labels": {"run": "nginx"}},
        "spec": {"containers": [{"name": "nginx", "image": "nginx", "resources": {}}], "restartPolicy": "Always", "dnsPolicy": "ClusterFirst"},
        "status": {}})
}

#[test]
fn kubectl_run_pod() {
    let (p, errs) = create("pods", kubectl_run());
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(
        p["status"],
        json!({"phase": "Pending", "qosClass": "BestEffort"})
    );
    assert_eq!(p["metadata"]["generation"], 1);
    assert_eq!(
        p["spec"],
        json!({
        "containers": [{"name": "nginx", "image": "nginx", "resources": {}, "imagePullPolicy": "Always",
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}],
        "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "securityContext": {}, "terminationGracePeriodSeconds": 30,
        "schedulerName": "default-scheduler", "enableServiceLinks": true, "priority": 0, "preemptionPolicy": "PreemptLowerPriority"})
    );
}

#[test]
fn pod_validation_messages() {
    let mut bad = kubectl_run();
    bad["spec"]["restartPolicy"] = json!("Sometimes");
    bad["spec"]["containers"][0]["resources"] =
        json!({"limits": {"cpu": "500m"}, "requests": {"cpu": "1"}});
    bad["spec"]["containers"][0]["ports"] = json!([{"containerPort": 70000}]);
    bad["spec"]["volumes"] = json!([{"name": "v", "emptyDir": {}}, {"name": "v", "emptyDir": {}}]);
    let (_, errs) = create("pods", bad);
    assert_eq!(
        errs,
        vec![
            "spec.volumes[1].name: Duplicate value: \"v\"",
            "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
            "spec.containers[0].resources.requests: Invalid value: \"1\": must be less than or equal to cpu limit of 500m",
            "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"",
        ]
    );
    let mut none = kubectl_run();
    none["spec"]["containers"] = json!([]);
    let (_, errs) = create("pods", none);
    assert_eq!(errs, vec!["spec.containers: Required value"]);
}

#[test]
fn pod_updates() {
    let (stored, _) = create("pods", kubectl_run());
    let mut image = stored.clone();
    image["spec"]["containers"][0]["image"] = json!("nginx:1.27");
    let (new, errs) = update("pods", None, image, &stored);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(new["metadata"]["generation"], 2);
    assert_eq!(new["status"]["phase"], "Pending");

    let mut renamed = stored.clone();
    renamed["spec"]["containers"][0]["name"] = json!("web");
    let (_, errs) = update("pods", None, renamed, &stored);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].starts_with("spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n"), "{}", errs[0]);

    let mut added = stored.clone();
    added["spec"]["containers"]
        .as_array_mut()
        .expect("array")
        .push(json!({"name": "b", "image": "busybox"}));
    let (_, errs) = update("pods", None, added, &stored);
    assert_eq!(
        errs,
        vec!["spec.containers: Forbidden: pod updates may not add or remove containers"]
    );

    let mut status = stored.clone();
    status["status"] =
        json!({"phase": "Running", "podIP": "10.244.0.5", "podIPs": [{"ip": "10.244.0.5"}]});
    status["spec"]["nodeName"] = json!("node-1");
    let (after, errs) = update("pods", Some("status"), status, &stored);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(after["status"]["qosClass"], "BestEffort");
    assert!(after["spec"].get("nodeName").is_none());
}

#[test]
fn qos_follows_requests_and_limits() {
    let mut p = kubectl_run();
    p["spec"]["containers"][0]["resources"] = json!({"limits": {"cpu": "1", "memory": "256Mi"}});
    let (p, _) = create("pods", p);
    assert_eq!(
        p["spec"]["containers"][0]["resources"]["requests"],
        json!({"cpu": "1", "memory": "256Mi"})
    );
    assert_eq!(p["status"]["qosClass"], "Guaranteed");
    assert_eq!(
        qos_class(
            &json!({"spec": {"containers": [{"resources": {"requests": {"memory": "1Gi"}}}]}})
        ),
        "Burstable"
    );
}

fn kubectl_create_service() -> Value {
    json!({"kind": "Service", "apiVersion": "v1", "metadata": {"name": "web", "creationTimestamp": null, "labels": {"app": "web"}},
        "spec": {"ports": [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080}], "selector": {"app": "web"}, "type": "ClusterIP"},
        "status": {"loadBalancer": {}}})
}

#[test]
fn services() {
    let (mut s, errs) = create("services", kubectl_create_service());
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(s["spec"]["sessionAffinity"], "None");
    assert_eq!(s["spec"]["ipFamilies"], json!(["IPv4"]));
    assert_eq!(s["status"], json!({"loadBalancer": {}}));
    s["spec"]["clusterIP"] = json!("10.96.0.10");
    s["spec"]["clusterIPs"] = json!(["10.96.0.10"]);

    let mut apply = kubectl_create_service();
    apply["metadata"]["resourceVersion"] = json!("1");
    apply["metadata"]["namespace"] = json!("default");
    let (kept, errs) = update("services", None, apply, &s);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(kept["spec"]["clusterIP"], "10.96.0.10");

    let mut moved = s.clone();
    moved["spec"]["clusterIP"] = json!("10.96.0.11");
    let (_, errs) = update("services", None, moved, &s);
    assert_eq!(
        errs,
        vec![
            "spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.11\"}: may not change once set"
        ]
    );

    let mut to_np = s.clone();
    to_np["spec"]["type"] = json!("NodePort");
    to_np["spec"]["ports"][0]["nodePort"] = json!(30080);
    let (np, errs) = update("services", None, to_np, &s);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(np["spec"]["externalTrafficPolicy"], "Cluster");
    let mut back = np.clone();
    back["spec"]["type"] = json!("ClusterIP");
    let (cip, errs) = update("services", None, back, &np);
    assert!(errs.is_empty(), "{errs:?}");
    assert!(cip["spec"]["ports"][0].get("nodePort").is_none());
    assert!(cip["spec"].get("externalTrafficPolicy").is_none());

    let mut bad = kubectl_create_service();
    bad["metadata"]["name"] = json!("1web");
    bad["spec"]["ports"] = json!([{"port": 80}, {"port": 80}]);
    bad["spec"]["type"] = json!("Magic");
    let (_, errs) = create("services", bad);
    assert_eq!(
        errs,
        vec![
            "metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name', or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
            "spec.ports[0].name: Required value",
            "spec.ports[1].name: Required value",
            "spec.type: Unsupported value: \"Magic\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"",
            "spec.ports[1]: Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}",
        ]
    );
}
