//! Tests of subset building, repacking and truncation.

use serde_json::json;

use super::super::pods::tests::{pod, pod_from, service};
use super::*;

fn ips(list: &Option<Vec<EndpointAddress>>) -> Vec<&str> {
    list.iter().flatten().map(|a| a.ip.as_str()).collect()
}

#[test]
fn ready_and_not_ready_pods_share_a_subset() {
    let svc =
        service(json!([{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]));
    let pods = vec![
        Arc::new(pod("b", "10.0.0.2", true)),
        Arc::new(pod("a", "10.0.0.1", true)),
        Arc::new(pod("c", "10.0.0.3", false)),
    ];
    let subsets = desired_subsets(&svc, &pods);
    assert_eq!(subsets.len(), 1);
    let s = &subsets[0];
    assert_eq!(ips(&s.addresses), ["10.0.0.1", "10.0.0.2"]);
    assert_eq!(ips(&s.not_ready_addresses), ["10.0.0.3"]);
    let ports = s.ports.as_ref().expect("ports");
    assert_eq!(ports.len(), 1);
    assert_eq!(ports[0].port, 8080);
    assert_eq!(ports[0].name.as_deref(), Some("http"));
    assert_eq!(ports[0].protocol.as_deref(), Some("TCP"));
    let a = &s.addresses.as_ref().expect("addresses")[0];
    assert_eq!(a.node_name.as_deref(), Some("node-1"));
    let r = a.target_ref.as_ref().expect("targetRef");
    assert_eq!(r.kind.as_deref(), Some("Pod"));
    assert_eq!(r.name.as_deref(), Some("a"));
    assert_eq!(r.namespace.as_deref(), Some("default"));
    assert_eq!(r.uid.as_deref(), Some("uid-a"));
}

#[test]
fn publish_not_ready_lists_every_pod_as_ready() {
    let mut svc = service(json!([{"port": 80, "targetPort": 8080}]));
    if let Some(s) = svc.spec.as_mut() {
        s.publish_not_ready_addresses = Some(true);
    }
    let pods = vec![Arc::new(pod("c", "10.0.0.3", false))];
    let subsets = desired_subsets(&svc, &pods);
    assert_eq!(ips(&subsets[0].addresses), ["10.0.0.3"]);
    assert!(subsets[0].not_ready_addresses.is_none());
}

#[test]
fn pods_without_the_named_port_are_left_out_of_that_port() {
    let svc = service(json!([
        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"},
        {"name": "raw", "port": 81, "targetPort": 9000, "protocol": "TCP"},
    ]));
    let other = pod_from(json!({
        "metadata": {"name": "z", "namespace": "default", "uid": "uid-z", "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "c", "ports": [{"name": "web", "containerPort": 80}]}]},
        "status": {"phase": "Running", "podIPs": [{"ip": "10.0.0.9"}],
            "conditions": [{"type": "Ready", "status": "True"}]},
    }));
    let pods = vec![Arc::new(pod("a", "10.0.0.1", true)), Arc::new(other)];
    let subsets = desired_subsets(&svc, &pods);
    // Pod a offers both ports, pod z only the numeric one: a subset per set of addresses.
    assert_eq!(subsets.len(), 2, "{subsets:?}");
    let port_of = |s: &EndpointSubset| s.ports.as_ref().map(|p| p[0].port);
    let http = subsets
        .iter()
        .find(|s| port_of(s) == Some(8080))
        .expect("http subset");
    assert_eq!(ips(&http.addresses), ["10.0.0.1"]);
    assert_eq!(http.ports.as_ref().map(Vec::len), Some(1));
    let raw = subsets
        .iter()
        .find(|s| port_of(s) == Some(9000))
        .expect("raw subset");
    assert_eq!(ips(&raw.addresses), ["10.0.0.1", "10.0.0.9"]);
}

#[test]
fn headless_service_without_ports_lists_addresses() {
    let mut svc = service(json!([]));
    if let Some(s) = svc.spec.as_mut() {
        s.cluster_ip = Some("None".into());
        s.ports = None;
    }
    let subsets = desired_subsets(&svc, &[Arc::new(pod("a", "10.0.0.1", true))]);
    assert_eq!(ips(&subsets[0].addresses), ["10.0.0.1"]);
    assert!(subsets[0].ports.is_none());
    // A headful service without ports gets nothing.
    let mut headful = svc;
    if let Some(s) = headful.spec.as_mut() {
        s.cluster_ip = Some("10.96.0.5".into());
    }
    assert!(desired_subsets(&headful, &[Arc::new(pod("a", "10.0.0.1", true))]).is_empty());
}

#[test]
fn truncation_keeps_ready_addresses_first() {
    let addr = |i: usize| EndpointAddress {
        ip: format!("10.1.{}.{}", i / 256, i % 256),
        ..Default::default()
    };
    let mut subsets = vec![EndpointSubset {
        addresses: Some((0..900).map(addr).collect()),
        not_ready_addresses: Some((900..1200).map(addr).collect()),
        ports: None,
    }];
    assert!(!capacity_annotation_correct(false, &subsets));
    assert!(truncate(&mut subsets));
    assert_eq!(subsets[0].addresses.as_ref().map(Vec::len), Some(900));
    assert_eq!(
        subsets[0].not_ready_addresses.as_ref().map(Vec::len),
        Some(100)
    );
    assert!(capacity_annotation_correct(false, &subsets));
    assert!(!truncate(&mut subsets));
}

#[test]
fn normalising_drops_resource_versions_and_empty_lists() {
    let read_back = vec![EndpointSubset {
        addresses: Some(vec![EndpointAddress {
            ip: "10.0.0.1".into(),
            target_ref: Some(ObjectReference {
                resource_version: Some("42".into()),
                ..Default::default()
            }),
            ..Default::default()
        }]),
        not_ready_addresses: Some(vec![]),
        ports: Some(vec![]),
    }];
    let n = normalised(Some(&read_back));
    assert!(n[0].not_ready_addresses.is_none() && n[0].ports.is_none());
    assert_eq!(
        n[0].addresses.as_ref().expect("addresses")[0]
            .target_ref
            .as_ref()
            .expect("ref")
            .resource_version,
        None
    );
}
