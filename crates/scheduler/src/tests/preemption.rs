//! Preemption: victims, reprieves, the choice of node, nominated pods.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{cache, info, node, pod, schedule_info, with};
use crate::framework::{Algorithm, Nominated, Outcome};
use crate::preemption::{Preemption, preempt};

fn prio(p: Value, priority: i32) -> Value {
    with(p, "/spec/priority", json!(priority))
}

fn run(c: &crate::cache::Cache, p: Value) -> Preemption {
    let p = info(p);
    let nominated = Nominated::new();
    match Algorithm::default().schedule(&p, c, &nominated) {
        Outcome::Unschedulable(d) => preempt(&p, &d, c, &nominated),
        other => panic!("expected unschedulable, got {other:?}"),
    }
}

fn victims(p: &Preemption) -> (String, Vec<String>) {
    match p {
        Preemption::Candidate { node, victims, .. } => {
            let mut v: Vec<String> = victims.iter().map(|v| v.name.clone()).collect();
            v.sort();
            (node.clone(), v)
        }
        other => panic!("expected a candidate, got {other:?}"),
    }
}

#[test]
fn lower_priority_pod_is_preempted() {
    let c = cache(
        vec![node("a", "2", "4Gi")],
        vec![(prio(pod("low", "1500m", ""), 10), "a")],
    );
    let p = run(&c, prio(pod("high", "1", ""), 1000));
    assert_eq!(victims(&p), ("a".to_string(), vec!["low".to_string()]));
    assert_eq!(p.message(), "");
}

#[test]
fn only_as_many_victims_as_needed_lowest_first() {
    let c = cache(
        vec![node("a", "3", "4Gi")],
        vec![
            (prio(pod("v1", "1", ""), 1), "a"),
            (prio(pod("v5", "1", ""), 5), "a"),
            (prio(pod("v9", "1", ""), 9), "a"),
        ],
    );
    let p = run(&c, prio(pod("high", "1", ""), 100));
    assert_eq!(victims(&p), ("a".to_string(), vec!["v1".to_string()]));
}

#[test]
fn equal_or_higher_priority_is_never_a_victim() {
    let c = cache(
        vec![node("a", "2", "4Gi")],
        vec![(prio(pod("same", "2", ""), 100), "a")],
    );
    let p = run(&c, prio(pod("p", "1", ""), 100));
    assert_eq!(
        p.message(),
        "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
    );
}

#[test]
fn victims_that_would_not_make_room_are_not_taken() {
    // Even without the low pod the high pod needs more than the node has.
    let c = cache(
        vec![node("a", "2", "4Gi")],
        vec![(prio(pod("low", "1", ""), 1), "a")],
    );
    let p = run(&c, prio(pod("huge", "3", ""), 100));
    assert_eq!(
        p.message(),
        "preemption: 0/1 nodes are available: 1 Insufficient cpu."
    );
}

#[test]
fn node_with_lowest_priority_victims_is_chosen() {
    let c = cache(
        vec![node("a", "1", "4Gi"), node("b", "1", "4Gi")],
        vec![
            (prio(pod("mid", "1", ""), 50), "a"),
            (prio(pod("low", "1", ""), 5), "b"),
        ],
    );
    for _ in 0..5 {
        let p = run(&c, prio(pod("high", "1", ""), 100));
        assert_eq!(victims(&p), ("b".to_string(), vec!["low".to_string()]));
    }
}

#[test]
fn nominated_pods_hold_their_room() {
    let c = cache(vec![node("a", "2", "4Gi"), node("b", "2", "4Gi")], vec![]);
    let mut nominated = Nominated::new();
    let mut waiting = prio(pod("waiting", "2", ""), 100);
    waiting["status"] = json!({"nominatedNodeName": "a"});
    nominated.insert("a".into(), vec![info(waiting)]);
    let low = info(prio(pod("low", "1", ""), 1));
    for _ in 0..5 {
        match Algorithm::default().schedule(&low, &c, &nominated) {
            Outcome::Scheduled(n) => assert_eq!(n, "b"),
            other => panic!("{other:?}"),
        }
    }
    // A pod of higher priority than the nominated one ignores the nomination.
    let higher = info(prio(pod("higher", "2", ""), 1000));
    let mut seen = std::collections::HashSet::new();
    for _ in 0..40 {
        if let Outcome::Scheduled(n) = Algorithm::default().schedule(&higher, &c, &nominated) {
            seen.insert(n);
        }
    }
    assert!(seen.contains("a"));
}

#[test]
fn nominated_node_is_tried_first() {
    let c = cache(vec![node("a", "2", "4Gi"), node("b", "2", "4Gi")], vec![]);
    let mut p = pod("p", "1", "");
    p["status"] = json!({"nominatedNodeName": "b"});
    let p: Arc<_> = info(p);
    for _ in 0..5 {
        assert_eq!(schedule_info(&c, &p).unwrap(), "b");
    }
}
