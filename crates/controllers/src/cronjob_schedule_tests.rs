#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn next(spec: &str, zone: &str, t: &str) -> String {
    Schedule::parse(spec, zone)
        .unwrap()
        .next(ts(t))
        .map(|t| t.to_string())
        .unwrap_or_default()
}

#[test]
fn every_minute_and_steps() {
    assert_eq!(
        next("* * * * *", "", "2024-01-01T10:00:00Z"),
        "2024-01-01T10:01:00Z"
    );
    assert_eq!(
        next("* * * * *", "", "2024-01-01T10:00:30Z"),
        "2024-01-01T10:01:00Z"
    );
    assert_eq!(
        next("*/15 * * * *", "", "2024-01-01T10:16:00Z"),
        "2024-01-01T10:30:00Z"
    );
    assert_eq!(
        next("5/20 * * * *", "", "2024-01-01T10:26:00Z"),
        "2024-01-01T10:45:00Z"
    );
    assert_eq!(
        next("0 0 * * *", "", "2024-01-01T10:00:00Z"),
        "2024-01-02T00:00:00Z"
    );
    assert_eq!(
        next("30 2 1-15/2 JAN,mar MON-fri", "", "2024-01-01T10:00:00Z"),
        "2024-01-02T02:30:00Z"
    );
}

#[test]
fn descriptors() {
    assert_eq!(
        next("@hourly", "", "2024-01-01T10:00:00Z"),
        "2024-01-01T11:00:00Z"
    );
    assert_eq!(
        next("@daily", "", "2024-01-01T10:00:00Z"),
        "2024-01-02T00:00:00Z"
    );
    // 2024-01-01 is a Monday: the next Sunday is the 7th.
    assert_eq!(
        next("@weekly", "", "2024-01-01T10:00:00Z"),
        "2024-01-07T00:00:00Z"
    );
    assert_eq!(
        next("@monthly", "", "2024-01-15T10:00:00Z"),
        "2024-02-01T00:00:00Z"
    );
    assert_eq!(
        next("@yearly", "", "2024-01-15T10:00:00Z"),
        "2025-01-01T00:00:00Z"
    );
    assert_eq!(
        next("@every 90s", "", "2024-01-01T10:00:00Z"),
        "2024-01-01T10:01:30Z"
    );
    assert!(Schedule::parse("@often", "").is_err());
    assert!(Schedule::parse("* * *", "").is_err());
    assert!(Schedule::parse("60 * * * *", "").is_err());
    assert!(Schedule::parse("* * * * 7", "").is_err());
}

#[test]
fn day_of_month_or_day_of_week() {
    // Both restricted: either matches (the 13th, or any Friday).
    assert_eq!(
        next("0 0 13 * 5", "", "2024-01-01T00:00:00Z"),
        "2024-01-05T00:00:00Z"
    );
    assert_eq!(
        next("0 0 13 * 5", "", "2024-01-12T01:00:00Z"),
        "2024-01-13T00:00:00Z"
    );
    // One of them is *: both must match.
    assert_eq!(
        next("0 0 13 * *", "", "2024-01-01T00:00:00Z"),
        "2024-01-13T00:00:00Z"
    );
    assert_eq!(
        next("0 0 * * 5", "", "2024-01-01T00:00:00Z"),
        "2024-01-05T00:00:00Z"
    );
    // February 30th never comes.
    assert_eq!(next("0 0 30 2 *", "", "2024-01-01T00:00:00Z"), "");
}

#[test]
fn time_zones() {
    // 09:00 in New York (UTC-5 in January).
    assert_eq!(
        next("0 9 * * *", "America/New_York", "2024-01-01T00:00:00Z"),
        "2024-01-01T14:00:00Z"
    );
    // A TZ= prefix in the schedule wins.
    assert_eq!(
        next("TZ=Asia/Tokyo 0 9 * * *", "", "2024-01-01T00:00:00Z"),
        "2024-01-02T00:00:00Z"
    );
    assert_eq!(
        load_zone("Mars/Olympus").unwrap_err(),
        "unknown time zone Mars/Olympus"
    );
    assert!(load_zone("../etc/passwd").is_err());
    assert!(load_zone("").is_ok());
}

#[test]
fn most_recent_activation() {
    let s = Schedule::parse("* * * * *", "").unwrap();
    let created = ts("2024-01-01T10:00:30Z");
    assert_eq!(
        most_recent(&s, created, ts("2024-01-01T10:00:50Z")),
        (None, 0)
    );
    assert_eq!(
        most_recent(&s, created, ts("2024-01-01T10:01:10Z")),
        (Some(ts("2024-01-01T10:01:00Z")), 1)
    );
    let (t, missed) = most_recent(&s, created, ts("2024-01-01T10:05:10Z"));
    assert_eq!((t, missed), (Some(ts("2024-01-01T10:05:00Z")), 5));
    let (t, missed) = most_recent(&s, created, ts("2024-01-03T10:05:10Z"));
    assert_eq!((t, missed), (Some(ts("2024-01-03T10:05:00Z")), 101));
    // Uneven spacing (weekdays only) still finds the latest activation.
    let w = Schedule::parse("0 9 * * 1-5", "").unwrap();
    let (t, _) = most_recent(&w, ts("2024-01-01T00:00:00Z"), ts("2024-01-21T12:00:00Z"));
    assert_eq!(t, Some(ts("2024-01-19T09:00:00Z")));
}
