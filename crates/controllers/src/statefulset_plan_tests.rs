#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use serde_json::json;

fn pod(name: &str, phase: &str, ready: bool, rev: &str) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"controller-revision-hash": rev}},
        "spec": {"containers": []},
        "status": {"phase": phase, "conditions": [{"type": "Ready",
            "status": if ready { "True" } else { "False" },
            "lastTransitionTime": "2024-01-01T00:00:00Z"}]}}))
    .unwrap()
}

fn running(name: &str, rev: &str) -> Pod {
    pod(name, "Running", true, rev)
}

fn input(replicas: i32, monotonic: bool) -> Input<'static> {
    Input {
        set_name: "web",
        replicas,
        start: 0,
        monotonic,
        rolling: true,
        partition: 0,
        min_ready_seconds: 0,
        update_revision: "r2",
        now: "2024-01-01T01:00:00Z".parse().unwrap(),
    }
}

fn create(ordinal: i32) -> Step {
    Step::Create {
        ordinal,
        current: false,
    }
}

#[test]
fn ordered_ready_creates_one_at_a_time() {
    let i = input(3, true);
    assert_eq!(plan(&i, &[]), vec![create(0)]);
    // web-0 exists but is not ready yet: wait.
    assert_eq!(
        plan(&i, &[pod("web-0", "Pending", false, "r2")]),
        vec![Step::EnsureClaims { ordinal: 0 }]
    );
    assert_eq!(plan(&i, &[running("web-0", "r2")]), vec![create(1)]);
    assert_eq!(
        plan(&i, &[running("web-0", "r2"), running("web-1", "r2")]),
        vec![create(2)]
    );
}

#[test]
fn parallel_creates_all() {
    let i = input(3, false);
    assert_eq!(plan(&i, &[]), vec![create(0), create(1), create(2)]);
}

#[test]
fn scale_down_in_reverse_after_all_healthy() {
    let i = input(1, true);
    let pods = [
        running("web-0", "r2"),
        running("web-1", "r2"),
        running("web-2", "r2"),
    ];
    assert_eq!(
        plan(&i, &pods),
        vec![Step::Delete {
            name: "web-2".into(),
            ordinal: 2,
            condemned: true
        }]
    );
    // A terminating condemned pod blocks the next deletion.
    let mut terminating = running("web-2", "r2");
    terminating.metadata.deletion_timestamp =
        Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            "2024-01-01T00:30:00Z".parse().unwrap(),
        ));
    assert_eq!(
        plan(
            &i,
            &[running("web-0", "r2"), running("web-1", "r2"), terminating]
        ),
        vec![]
    );
    // Parallel deletes every condemned pod at once.
    let p = input(1, false);
    assert_eq!(plan(&p, &pods).len(), 2);
}

#[test]
fn failed_pods_are_recreated() {
    let i = input(2, true);
    assert_eq!(
        plan(&i, &[pod("web-0", "Failed", false, "r2")]),
        vec![Step::RecreateFailed {
            name: "web-0".into()
        }]
    );
}

#[test]
fn rolling_update_highest_first_respecting_partition() {
    let mut i = input(3, true);
    let pods = [
        running("web-0", "r1"),
        running("web-1", "r1"),
        running("web-2", "r1"),
    ];
    assert_eq!(
        plan(&i, &pods),
        vec![Step::Delete {
            name: "web-2".into(),
            ordinal: 2,
            condemned: false
        }]
    );
    let pods2 = [
        running("web-0", "r1"),
        running("web-1", "r1"),
        running("web-2", "r2"),
    ];
    assert_eq!(
        plan(&i, &pods2),
        vec![Step::Delete {
            name: "web-1".into(),
            ordinal: 1,
            condemned: false
        }]
    );
    // An updated pod that is not ready yet holds the update.
    let pods3 = [
        running("web-0", "r1"),
        running("web-1", "r1"),
        pod("web-2", "Running", false, "r2"),
    ];
    assert_eq!(plan(&i, &pods3), vec![]);
    // Partition 2: only web-2 is updated; recreated pods below it use the current revision.
    i.partition = 2;
    assert_eq!(plan(&i, &pods2), vec![]);
    assert_eq!(
        plan(&i, &[running("web-1", "r1"), running("web-2", "r2")]),
        vec![Step::Create {
            ordinal: 0,
            current: true
        }]
    );
    // OnDelete never deletes for an update.
    i.rolling = false;
    i.partition = 0;
    assert_eq!(plan(&i, &pods), vec![]);
}

#[test]
fn status_counts() {
    let now = "2024-01-01T01:00:00Z".parse().unwrap();
    let pods = [
        running("web-0", "r1"),
        running("web-1", "r2"),
        pod("web-2", "Pending", false, "r2"),
    ];
    assert_eq!(
        counts(&pods, "r1", "r2", 0, now),
        Counts {
            replicas: 3,
            ready: 2,
            available: 2,
            current: 1,
            updated: 2
        }
    );
}
