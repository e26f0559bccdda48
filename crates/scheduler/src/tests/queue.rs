//! The scheduling queue: priority order, backoff, moves on cluster events, flushes.

use std::time::{Duration, Instant};

use serde_json::json;

use super::{info, pod, with};
use crate::queue::{ALL_PLUGINS, Queue};
use crate::status::Plugin;

fn prio(name: &str, p: i32) -> std::sync::Arc<crate::podinfo::PodInfo> {
    info(with(pod(name, "", ""), "/spec/priority", json!(p)))
}

#[test]
fn higher_priority_first_then_first_queued() {
    let now = Instant::now();
    let mut q = Queue::new();
    q.upsert(prio("a", 0), true, now);
    q.upsert(prio("b", 10), true, now);
    q.upsert(prio("c", 0), true, now);
    let order: Vec<String> =
        std::iter::from_fn(|| q.pop(now).map(|(p, _)| p.name.clone())).collect();
    assert_eq!(order, vec!["b", "a", "c"]);
}

#[test]
fn unschedulable_pods_wait_for_a_relevant_event() {
    let now = Instant::now();
    let mut q = Queue::new();
    q.upsert(prio("a", 0), true, now);
    let (p, _) = q.pop(now).unwrap();
    q.unschedulable(&p.uid, Plugin::NodeResourcesFit.bit(), now);
    let later = now + Duration::from_secs(30);
    assert!(q.pop(later).is_none());
    assert_eq!(q.move_for(Plugin::InterPodAffinity.bit(), later), 0);
    assert!(q.pop(later).is_none());
    assert_eq!(q.move_for(Plugin::NodeResourcesFit.bit(), later), 1);
    assert_eq!(q.pop(later).unwrap().0.name, "a");
}

#[test]
fn moved_pods_respect_their_backoff() {
    let now = Instant::now();
    let mut q = Queue::new();
    q.upsert(prio("a", 0), true, now);
    let (p, _) = q.pop(now).unwrap();
    q.unschedulable(&p.uid, Plugin::NodeResourcesFit.bit(), now);
    q.move_for(ALL_PLUGINS, now);
    assert!(q.pop(now).is_none(), "still backing off");
    assert_eq!(q.next_backoff(), Some(now + Duration::from_secs(1)));
    assert!(q.pop(now + Duration::from_secs(1)).is_some());
}

#[test]
fn periodic_flush_retries_everything() {
    let now = Instant::now();
    let mut q = Queue::new();
    q.upsert(prio("a", 0), true, now);
    let (p, _) = q.pop(now).unwrap();
    q.unschedulable(&p.uid, Plugin::TaintToleration.bit(), now);
    q.flush_unschedulable(Duration::from_secs(60), now + Duration::from_secs(10));
    assert!(q.pop(now + Duration::from_secs(10)).is_none());
    q.flush_unschedulable(Duration::from_secs(60), now + Duration::from_secs(61));
    assert!(q.pop(now + Duration::from_secs(61)).is_some());
}

#[test]
fn removed_pods_never_pop() {
    let now = Instant::now();
    let mut q = Queue::new();
    let a = prio("a", 0);
    q.upsert(a.clone(), true, now);
    q.remove(&a.uid);
    assert!(q.pop(now).is_none());
    assert!(q.is_empty());
}
