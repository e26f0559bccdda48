//! Resources stored in another resource's form. `events.k8s.io/v1` Events are a view of
//! core `v1` Events, as upstream serves them: one store, two shapes, converted on the way
//! in and out, so an event recorded by a kube-runtime `Recorder` shows in
//! `kubectl describe` (which reads core/v1 events) and vice versa.

use kubehci_api::ResourceInfo;
use serde_json::{Map, Value};

/// Field renames between events.k8s.io/v1 (left) and core/v1 (right).
const EVENT_FIELDS: &[(&str, &str)] = &[
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
    ("reportingController", "reportingComponent"),
];

pub fn is_events_v1(info: &ResourceInfo) -> bool {
    info.group == "events.k8s.io" && info.resource == "events"
}

/// (group, resource) whose keys hold this resource's objects.
pub fn storage_of(info: &ResourceInfo) -> (&str, &str) {
    if is_events_v1(info) {
        ("", "events")
    } else {
        (info.group.as_str(), info.resource.as_str())
    }
}

/// Whether stored bytes need converting before they are served as `info`.
pub fn needs_conversion(info: &ResourceInfo) -> bool {
    is_events_v1(info)
}

fn rename(
    obj: &mut Value,
    pairs: impl Iterator<Item = (&'static str, &'static str)>,
    api_version: &str,
) {
    let Some(map) = obj.as_object_mut() else {
        return;
    };
    let mut out = Map::with_capacity(map.len());
    let mut old = std::mem::take(map);
    out.insert("kind".into(), Value::String("Event".into()));
    out.insert("apiVersion".into(), Value::String(api_version.into()));
    old.remove("kind");
    old.remove("apiVersion");
    let pairs: Vec<(&str, &str)> = pairs.collect();
    for (k, v) in old {
        let name = pairs
            .iter()
            .find(|(from, _)| *from == k)
            .map(|(_, to)| (*to).to_string())
            .unwrap_or(k);
        out.insert(name, v);
    }
    *map = out;
}

/// Stored (core/v1) form to the served form of `info`.
pub fn to_external(info: &ResourceInfo, obj: &mut Value) {
    if is_events_v1(info) {
        rename(
            obj,
            EVENT_FIELDS.iter().map(|(e, c)| (*c, *e)),
            "events.k8s.io/v1",
        );
        // core/v1's empty `source` is not part of the new shape.
        if let Some(m) = obj.as_object_mut()
            && m.get("deprecatedSource")
                .is_some_and(|s| s.as_object().is_some_and(Map::is_empty))
        {
            m.remove("deprecatedSource");
        }
    }
}

/// The served form of `info` to the stored (core/v1) form.
pub fn to_storage(info: &ResourceInfo, obj: &mut Value) {
    if is_events_v1(info) {
        rename(obj, EVENT_FIELDS.iter().copied(), "v1");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_round_trip() {
        let info = kubehci_api::builtin::builtin_resources()
            .into_iter()
            .find(|r| r.group == "events.k8s.io")
            .unwrap();
        let new = json!({"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e"},
            "regarding": {"kind": "Pod", "name": "p"}, "note": "hello", "reason": "Scheduled",
            "reportingController": "default-scheduler", "type": "Normal", "eventTime": "2024-01-01T00:00:00.000000Z"});
        let mut stored = new.clone();
        to_storage(&info, &mut stored);
        assert_eq!(stored["apiVersion"], "v1");
        assert_eq!(stored["involvedObject"]["name"], "p");
        assert_eq!(stored["message"], "hello");
        assert_eq!(stored["reportingComponent"], "default-scheduler");
        assert!(stored.get("note").is_none());
        to_external(&info, &mut stored);
        assert_eq!(stored, new);
    }
}
