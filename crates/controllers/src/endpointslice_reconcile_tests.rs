//! Tests of EndpointSlice planning.

use serde_json::json;

use super::*;
use crate::endpoints::pods::tests::{pod, service};

fn node(name: &str) -> Option<Arc<Node>> {
    Some(Arc::new(Node {
        metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
            name: Some(name.into()),
            labels: Some([(ZONE_LABEL.to_string(), "zone-a".to_string())].into()),
            ..Default::default()
        },
        ..Default::default()
    }))
}

fn web() -> Service {
    service(json!([{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]))
}

fn pods(n: usize) -> Vec<Arc<Pod>> {
    (0..n)
        .map(|i| {
            Arc::new(pod(
                &format!("p{i}"),
                &format!("10.0.{}.{}", i / 250, i % 250 + 1),
                i % 2 == 0,
            ))
        })
        .collect()
}

/// Gives created slices names as the server would.
fn stored(plan: Plan) -> Vec<Arc<EndpointSlice>> {
    plan.create
        .into_iter()
        .chain(plan.update)
        .enumerate()
        .map(|(i, mut s)| {
            if s.metadata.name.is_none() {
                s.metadata.name = Some(format!("web-{i}"));
            }
            Arc::new(s)
        })
        .collect()
}

#[test]
fn new_service_gets_one_slice_with_every_pod() {
    let plan = reconcile(&web(), &pods(3), node, &[]);
    assert_eq!(
        (plan.create.len(), plan.update.len(), plan.delete.len()),
        (1, 0, 0)
    );
    let s = &plan.create[0];
    assert_eq!(s.metadata.generate_name.as_deref(), Some("web-"));
    assert_eq!(s.address_type, "IPv4");
    let labels = s.metadata.labels.as_ref().expect("labels");
    assert_eq!(labels[SERVICE_NAME_LABEL], "web");
    assert_eq!(labels[MANAGED_BY_LABEL], CONTROLLER_NAME);
    assert_eq!(labels["team"], "a");
    let owner = &s.metadata.owner_references.as_ref().expect("owner")[0];
    assert_eq!(
        (owner.kind.as_str(), owner.uid.as_str(), owner.controller),
        ("Service", "svc-uid", Some(true))
    );
    let ports = s.ports.as_ref().expect("ports");
    assert_eq!(
        (ports[0].name.as_deref(), ports[0].port),
        (Some("http"), Some(8080))
    );
    assert_eq!(s.endpoints.len(), 3);
    let ep = &s.endpoints[0];
    let c = ep.conditions.as_ref().expect("conditions");
    assert_eq!(
        (c.ready, c.serving, c.terminating),
        (Some(true), Some(true), Some(false))
    );
    assert_eq!(ep.node_name.as_deref(), Some("node-1"));
    assert_eq!(ep.zone.as_deref(), Some("zone-a"));
    assert_eq!(
        ep.target_ref.as_ref().and_then(|r| r.name.as_deref()),
        Some("p0")
    );
    let not_ready = &s.endpoints[1].conditions.as_ref().expect("conditions");
    assert_eq!(not_ready.ready, Some(false));
}

#[test]
fn at_most_100_endpoints_per_slice() {
    let plan = reconcile(&web(), &pods(250), node, &[]);
    let sizes: Vec<usize> = plan.create.iter().map(|s| s.endpoints.len()).collect();
    assert_eq!(sizes, [100, 100, 50]);
}

#[test]
fn steady_state_changes_nothing_and_changes_update_in_place() {
    let svc = web();
    let all = pods(3);
    let existing = stored(reconcile(&svc, &all, node, &[]));
    let again = reconcile(&svc, &all, node, &existing);
    assert!(again.create.is_empty() && again.update.is_empty() && again.delete.is_empty());
    // One pod goes away: the slice is updated, not replaced.
    let fewer = reconcile(&svc, &all[..2], node, &existing);
    assert_eq!((fewer.create.len(), fewer.update.len()), (0, 1));
    assert_eq!(fewer.update[0].metadata.name.as_deref(), Some("web-0"));
    assert_eq!(fewer.update[0].endpoints.len(), 2);
}

#[test]
fn no_pods_leaves_a_placeholder() {
    let svc = web();
    let plan = reconcile(&svc, &[], node, &[]);
    assert_eq!(plan.create.len(), 1);
    assert!(plan.create[0].endpoints.is_empty());
    // The placeholder is kept as it is.
    let existing = stored(plan);
    let again = reconcile(&svc, &[], node, &existing);
    assert!(again.create.is_empty() && again.update.is_empty() && again.delete.is_empty());
    // Pods arriving fill a new slice that reuses the placeholder's name.
    let filled = reconcile(&svc, &pods(1), node, &existing);
    assert_eq!(
        (
            filled.create.len(),
            filled.update.len(),
            filled.delete.len()
        ),
        (0, 1, 0)
    );
    assert_eq!(filled.update[0].metadata.name.as_deref(), Some("web-0"));
}

#[test]
fn unknown_nodes_skip_pods_and_foreign_slices_go() {
    let svc = web();
    let plan = reconcile(&svc, &pods(2), |_| None, &[]);
    assert_eq!(plan.skipped.len(), 2);
    let mut foreign = (*stored(reconcile(&svc, &pods(1), node, &[]))[0]).clone();
    if let Some(o) = foreign.metadata.owner_references.as_mut() {
        o[0].uid = "old-service".into();
    }
    let plan = reconcile(&svc, &pods(1), node, &[Arc::new(foreign)]);
    assert_eq!((plan.create.len(), plan.delete.len()), (1, 1));
}

#[test]
fn terminating_pods_are_serving_but_not_ready() {
    let mut p = pod("t", "10.0.0.7", true);
    p.metadata.deletion_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
        k8s_openapi::jiff::Timestamp::UNIX_EPOCH,
    ));
    let plan = reconcile(&web(), &[Arc::new(p)], node, &[]);
    let c = plan.create[0].endpoints[0]
        .conditions
        .clone()
        .expect("conditions");
    assert_eq!(
        (c.ready, c.serving, c.terminating),
        (Some(false), Some(true), Some(true))
    );
}
