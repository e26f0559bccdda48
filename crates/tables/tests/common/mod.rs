//! Shared helpers: a fixed clock and shortcuts to one row's cells.
#![allow(dead_code)]

use chrono::{DateTime, TimeDelta, Utc};
use kubehci_tables::{TableOptions, table};
use serde_json::{Value, json};

pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// An RFC 3339 timestamp `secs` seconds before [`now`].
pub fn ago(secs: i64) -> String {
    (now() - TimeDelta::seconds(secs)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn opts() -> TableOptions {
    TableOptions {
        now: now(),
        ..TableOptions::default()
    }
}

/// Metadata with a name and a creation time `secs` ago.
pub fn meta(name: &str, secs: i64) -> Value {
    json!({"name": name, "namespace": "default", "creationTimestamp": ago(secs), "uid": "u-1", "resourceVersion": "7"})
}

/// The cells of the single row printed for `obj`.
pub fn cells(group: &str, resource: &str, obj: Value) -> Vec<Value> {
    let t = table(group, resource, &[obj], &opts());
    t["rows"][0]["cells"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The cells as strings (non-strings in their JSON text), for compact assertions.
pub fn texts(group: &str, resource: &str, obj: Value) -> Vec<String> {
    cells(group, resource, obj)
        .iter()
        .map(|c| match c {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// `(name, type, priority)` of each column.
pub fn columns(group: &str, resource: &str) -> Vec<(String, String, i64)> {
    let t = table(group, resource, &[], &opts());
    t["columnDefinitions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or("").to_string();
            (s("name"), s("type"), c["priority"].as_i64().unwrap_or(-1))
        })
        .collect()
}

pub fn names(cols: &[(String, String, i64)]) -> Vec<&str> {
    cols.iter().map(|(n, _, _)| n.as_str()).collect()
}
