#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn id(kind: &str, name: &str, uid: &str) -> Identity {
    Identity {
        api_version: "v1".into(),
        kind: kind.into(),
        namespace: "default".into(),
        name: name.into(),
        uid: uid.into(),
    }
}

fn owner(name: &str, uid: &str, block: bool) -> Owner {
    Owner {
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        name: name.into(),
        uid: uid.into(),
        block,
    }
}

fn obs(name: &str, uid: &str, owners: Vec<Owner>) -> Observed {
    Observed {
        identity: id("ConfigMap", name, uid),
        owners,
        deleting: false,
        finalizers: Vec::new(),
    }
}

fn deleting(mut o: Observed, finalizer: &str) -> Observed {
    o.deleting = true;
    o.finalizers = vec![finalizer.to_string()];
    o
}

#[test]
fn unknown_owner_becomes_virtual_and_is_checked() {
    let mut g = Graph::default();
    let work = g.observe(obs("child", "c", vec![owner("parent", "p", false)]));
    assert_eq!(work, vec![Work::Delete("p".into())]);
    let p = g.node("p").unwrap();
    assert!(!p.observed);
    assert_eq!(p.identity.namespace, "default");
    assert_eq!(g.dependents("p")[0].uid, "c");
    // The owner shows up: it is real now, and its dependent stays linked.
    let work = g.observe(obs("parent", "p", vec![]));
    assert!(work.is_empty(), "{work:?}");
    assert!(g.node("p").unwrap().observed);
    assert_eq!(g.dependents("p").len(), 1);
}

#[test]
fn known_owner_links_without_work() {
    let mut g = Graph::default();
    g.observe(obs("parent", "p", vec![]));
    let work = g.observe(obs("child", "c", vec![owner("parent", "p", true)]));
    assert!(work.is_empty(), "{work:?}");
    assert_eq!(g.blocking_dependents("p").len(), 1);
}

#[test]
fn owner_deletion_queues_dependents() {
    let mut g = Graph::default();
    g.observe(obs("parent", "p", vec![]));
    g.observe(obs("a", "a", vec![owner("parent", "p", false)]));
    g.observe(obs("b", "b", vec![owner("parent", "p", false)]));
    let mut work = g.forget("p");
    work.sort();
    assert_eq!(
        work,
        vec![Work::Delete("a".into()), Work::Delete("b".into())]
    );
    assert!(g.node("p").is_none());
    // Forgetting twice does nothing.
    assert!(g.forget("p").is_empty());
}

#[test]
fn foreground_queues_dependents_and_self_once() {
    let mut g = Graph::default();
    g.observe(obs("parent", "p", vec![]));
    g.observe(obs("a", "a", vec![owner("parent", "p", true)]));
    let work = g.observe(deleting(obs("parent", "p", vec![]), FOREGROUND));
    assert_eq!(
        work,
        vec![Work::Delete("a".into()), Work::Delete("p".into())]
    );
    assert!(g.node("p").unwrap().deleting_dependents);
    // A repeated update is no new transition.
    assert!(
        g.observe(deleting(obs("parent", "p", vec![]), FOREGROUND))
            .is_empty()
    );
    // The blocking dependent goes: the owner is checked again.
    assert_eq!(g.forget("a"), vec![Work::Delete("p".into())]);
    assert!(g.blocking_dependents("p").is_empty());
}

#[test]
fn new_dependent_of_foreground_owner_is_checked() {
    let mut g = Graph::default();
    g.observe(deleting(obs("parent", "p", vec![]), FOREGROUND));
    let work = g.observe(obs("late", "l", vec![owner("parent", "p", true)]));
    assert_eq!(work, vec![Work::Delete("l".into())]);
}

#[test]
fn dropping_a_blocking_reference_unblocks_the_owner() {
    let mut g = Graph::default();
    g.observe(obs("parent", "p", vec![]));
    g.observe(obs("a", "a", vec![owner("parent", "p", true)]));
    g.observe(deleting(obs("parent", "p", vec![]), FOREGROUND));
    let work = g.observe(obs("a", "a", vec![owner("parent", "p", false)]));
    assert_eq!(work, vec![Work::Delete("p".into())]);
    assert!(g.blocking_dependents("p").is_empty());
    assert_eq!(g.dependents("p").len(), 1);
    let work = g.observe(obs("a", "a", vec![]));
    assert_eq!(work, vec![Work::Delete("p".into())]);
    assert!(g.dependents("p").is_empty());
}

#[test]
fn orphan_transition_queues_orphaning() {
    let mut g = Graph::default();
    g.observe(obs("parent", "p", vec![]));
    let work = g.observe(deleting(obs("parent", "p", vec![]), ORPHAN));
    assert_eq!(work, vec![Work::Orphan("p".into())]);
    assert!(
        g.observe(deleting(obs("parent", "p", vec![]), ORPHAN))
            .is_empty()
    );
}

#[test]
fn first_sight_of_a_deleting_object_counts_as_a_transition() {
    // After a restart the graph is rebuilt from lists: pending deletions resume.
    let mut g = Graph::default();
    let work = g.observe(deleting(obs("parent", "p", vec![]), ORPHAN));
    assert_eq!(work, vec![Work::Orphan("p".into())]);
    let work = g.observe(deleting(obs("other", "o", vec![]), FOREGROUND));
    assert_eq!(work, vec![Work::Delete("o".into())]);
}

#[test]
fn virtual_nodes_go_when_unreferenced_or_proved_absent() {
    let mut g = Graph::default();
    g.observe(obs("a", "a", vec![owner("gone", "g", false)]));
    g.observe(obs("b", "b", vec![owner("gone", "g", false)]));
    let mut work = g.forget("g");
    work.sort();
    assert_eq!(
        work,
        vec![Work::Delete("a".into()), Work::Delete("b".into())]
    );
    assert!(g.node("g").is_none());
    g.observe(obs("real", "r", vec![]));
    // The last dependent of a virtual owner going drops the owner too.
    g.observe(obs("c", "c", vec![owner("gone2", "g2", false)]));
    g.forget("c");
    assert!(g.node("g2").is_none());
    assert_eq!(g.len(), 3);
}

#[test]
fn cycle_detection_sees_deleting_dependents() {
    let mut g = Graph::default();
    g.observe(obs("a", "a", vec![]));
    g.observe(deleting(
        obs("b", "b", vec![owner("a", "a", true)]),
        FOREGROUND,
    ));
    assert!(g.has_dependent_deleting_dependents("a"));
    assert!(!g.has_dependent_deleting_dependents("b"));
}
