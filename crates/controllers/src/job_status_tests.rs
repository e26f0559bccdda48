#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use serde_json::json;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn intervals_round_trip() {
    let s = parse_intervals("0-2,4,6-7", 10);
    assert_eq!(
        s.iter().copied().collect::<Vec<_>>(),
        vec![0, 1, 2, 4, 6, 7]
    );
    assert_eq!(format_intervals(&s), "0-2,4,6-7");
    assert_eq!(format_intervals(&parse_intervals("", 3)), "");
    // Indexes past the completions are dropped.
    assert_eq!(format_intervals(&parse_intervals("1-5", 3)), "1-2");
}

#[test]
fn failed_pods() {
    let job: Job = serde_json::from_value(json!({"spec": {"template": {}}})).unwrap();
    let pod = |v: serde_json::Value| -> Pod { serde_json::from_value(v).unwrap() };
    assert!(is_pod_failed(
        &pod(json!({"status": {"phase": "Failed"}})),
        &job
    ));
    let deleted = pod(
        json!({"metadata": {"deletionTimestamp": "2024-01-01T00:00:00Z"},
        "status": {"phase": "Running"}}),
    );
    assert!(is_pod_failed(&deleted, &job));
    let only_failed: Job = serde_json::from_value(json!({"spec": {"template": {},
        "podReplacementPolicy": "Failed"}}))
    .unwrap();
    assert!(!is_pod_failed(&deleted, &only_failed));
    let done = pod(
        json!({"metadata": {"deletionTimestamp": "2024-01-01T00:00:00Z"},
        "status": {"phase": "Succeeded"}}),
    );
    assert!(!is_pod_failed(&done, &job));
    let ix = pod(json!({"metadata": {"annotations": {INDEX_KEY: "3"}}}));
    assert_eq!(completion_index(&ix), Some(3));
}

#[test]
fn conditions() {
    let now = ts("2024-01-01T00:00:00Z");
    let mut c = Vec::new();
    assert!(!ensure_condition(
        &mut c,
        "Suspended",
        "False",
        "JobResumed",
        "Job resumed",
        now
    ));
    assert!(ensure_condition(
        &mut c,
        "Suspended",
        "True",
        "JobSuspended",
        "Job suspended",
        now
    ));
    assert!(!ensure_condition(
        &mut c,
        "Suspended",
        "True",
        "JobSuspended",
        "Job suspended",
        now
    ));
    assert!(ensure_condition(
        &mut c,
        "Suspended",
        "False",
        "JobResumed",
        "Job resumed",
        now
    ));
    assert_eq!(c.len(), 1);
    assert!(find_condition(&c, "Suspended").is_none());
}

#[test]
fn backoff_doubles_and_resets() {
    let t0 = ts("2024-01-01T00:00:00Z");
    let b = Backoff::default().record(0, 1, t0);
    assert_eq!(b.remaining(t0), Duration::from_secs(10));
    assert_eq!(
        b.remaining(ts("2024-01-01T00:00:04Z")),
        Duration::from_secs(6)
    );
    let b = b.record(0, 2, t0);
    assert_eq!(b.failures, 3);
    assert_eq!(b.remaining(t0), Duration::from_secs(40));
    assert_eq!(b.remaining(ts("2024-01-01T00:01:00Z")), Duration::ZERO);
    let b = b.record(1, 0, t0);
    assert_eq!(b.remaining(t0), Duration::ZERO);
    let many = Backoff {
        failures: 30,
        last_failure: Some(t0),
    };
    assert_eq!(many.remaining(t0), Duration::from_secs(600));
}

#[test]
fn restarts_count_for_on_failure() {
    let job: Job = serde_json::from_value(json!({"spec": {"backoffLimit": 2,
        "template": {"spec": {"restartPolicy": "OnFailure", "containers": []}}}}))
    .unwrap();
    let pod: Pod = serde_json::from_value(json!({"status": {"phase": "Running",
        "containerStatuses": [{"name": "c", "image": "x", "imageID": "", "ready": false,
            "restartCount": 2}]}}))
    .unwrap();
    assert!(past_backoff_limit_on_failure(&job, &[pod]));
}
