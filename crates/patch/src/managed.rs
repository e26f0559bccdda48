//! `metadata.managedFields`: decoding entries into per-manager field sets, encoding them
//! back in upstream's order, manager identities and the cap on Update managers
//! (`k8s.io/apimachinery/pkg/util/managedfields/internal`).

use std::collections::BTreeMap;

use kubehci_api::gofmt::{go_quote, write_json_str};
use serde_json::{Map, Value, json};

use crate::fieldpath::Set;

/// Upstream's cap on the number of Update managers (`DefaultMaxUpdateManagers`).
pub const MAX_UPDATE_MANAGERS: usize = 10;

/// Name of the bucket that absorbs the oldest Update managers past the cap.
const ANCIENT_CHANGES: &str = "ancient-changes";

/// Who owns a set: upstream's manager identifier (`BuildManagerIdentifier`), whose
/// `apiVersion` is empty for Apply managers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ManagerKey {
    pub manager: String,
    pub apply: bool,
    pub api_version: String,
    pub subresource: String,
}

impl ManagerKey {
    pub(crate) fn new(manager: &str, apply: bool, api_version: &str, subresource: &str) -> Self {
        ManagerKey {
            manager: if manager.is_empty() {
                "unknown".into()
            } else {
                manager.into()
            },
            apply,
            api_version: if apply {
                String::new()
            } else {
                api_version.into()
            },
            subresource: subresource.into(),
        }
    }

    fn operation(&self) -> &'static str {
        if self.apply { "Apply" } else { "Update" }
    }

    /// The identifier string upstream keys managers by (JSON, omitempty fields).
    pub(crate) fn identifier(&self) -> String {
        let mut out = String::from("{");
        let mut sep = "";
        for (k, v) in [
            ("manager", self.manager.as_str()),
            ("operation", self.operation()),
            ("apiVersion", self.api_version.as_str()),
            ("subresource", self.subresource.as_str()),
        ] {
            if !v.is_empty() {
                out.push_str(sep);
                write_json_str(k, &mut out);
                out.push(':');
                write_json_str(v, &mut out);
                sep = ",";
            }
        }
        out.push('}');
        out
    }

    /// Upstream `printManager`, as used in conflict messages.
    pub(crate) fn display(&self) -> String {
        let mut s = go_quote(&self.manager);
        if !self.subresource.is_empty() {
            s = format!("{s} with subresource {}", go_quote(&self.subresource));
        }
        if !self.apply {
            s = format!("{s} using {}", self.api_version);
        }
        s
    }
}

/// A manager's fields.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub set: Set,
    pub api_version: String,
    pub applied: bool,
    pub time: Option<String>,
}

pub(crate) type Managed = BTreeMap<ManagerKey, Entry>;

/// Decodes `metadata.managedFields` (absent or null: no managers).
pub(crate) fn decode(obj: &Value) -> Result<Managed, String> {
    let mut out = Managed::new();
    let Some(list) = obj.pointer("/metadata/managedFields") else {
        return Ok(out);
    };
    let list = match list {
        Value::Null => return Ok(out),
        Value::Array(l) => l,
        _ => return Err("managedFields must be a list".into()),
    };
    for (i, e) in list.iter().enumerate() {
        let Value::Object(e) = e else {
            return Err(format!("managed fields entry {i} is not an object"));
        };
        let s = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or_default();
        let apply = match s("operation") {
            "Apply" => true,
            "Update" => false,
            _ => return Err("operation must be `Apply` or `Update`".into()),
        };
        if s("apiVersion").is_empty() {
            return Err("apiVersion must not be empty".into());
        }
        match s("fieldsType") {
            "FieldsV1" => {}
            "" => return Err(format!("missing fieldsType in managed fields entry {i}")),
            other => {
                return Err(format!(
                    "invalid fieldsType {other:?} in managed fields entry {i}"
                ));
            }
        }
        let set = match e.get("fieldsV1") {
            None | Some(Value::Null) => Set::new(),
            Some(v) => {
                Set::from_fields_v1(v).map_err(|err| format!("error decoding set: {err}"))?
            }
        };
        let key = ManagerKey {
            manager: s("manager").into(),
            apply,
            api_version: if apply {
                String::new()
            } else {
                s("apiVersion").into()
            },
            subresource: s("subresource").into(),
        };
        let time = e.get("time").and_then(Value::as_str).map(str::to_string);
        out.insert(
            key,
            Entry {
                set,
                api_version: s("apiVersion").into(),
                applied: apply,
                time,
            },
        );
    }
    Ok(out)
}

/// `managedFields: []` or `[{}]` in a request clears tracking (upstream
/// `isResetManagedFields`).
pub(crate) fn is_reset(obj: &Value) -> bool {
    match obj.pointer("/metadata/managedFields") {
        Some(Value::Array(l)) if l.is_empty() => true,
        Some(Value::Array(l)) if l.len() == 1 => match &l[0] {
            Value::Object(m) => m.values().all(|v| match v {
                Value::Null => true,
                Value::String(s) => s.is_empty(),
                Value::Object(o) => o.is_empty(),
                _ => false,
            }),
            _ => false,
        },
        _ => false,
    }
}

/// Seconds since the epoch of an RFC 3339 time (0 when absent or unparsable).
pub(crate) fn unix_seconds(t: Option<&str>) -> i64 {
    t.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|d| d.timestamp())
        .unwrap_or(0)
}

/// `metav1.Time` form of `now`: RFC 3339, UTC, whole seconds.
pub(crate) fn normalize_time(now: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(now) {
        Ok(d) => d
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
        Err(_) => now.to_string(),
    }
}

/// Writes `managed` into `obj.metadata.managedFields` sorted as upstream
/// (operation, time, manager, apiVersion, subresource); removes the field when empty.
pub(crate) fn encode_into(obj: &mut Value, managed: &Managed) {
    let Value::Object(root) = obj else { return };
    if managed.is_empty() {
        if let Some(Value::Object(meta)) = root.get_mut("metadata") {
            meta.shift_remove("managedFields");
        }
        return;
    }
    let meta = root
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !meta.is_object() {
        *meta = Value::Object(Map::new());
    }
    let Value::Object(meta) = meta else { return };
    let mut entries: Vec<(&ManagerKey, &Entry)> = managed.iter().collect();
    entries.sort_by(|(ka, a), (kb, b)| {
        (!a.applied)
            .cmp(&!b.applied)
            .then_with(|| unix_seconds(a.time.as_deref()).cmp(&unix_seconds(b.time.as_deref())))
            .then_with(|| ka.manager.cmp(&kb.manager))
            .then_with(|| a.api_version.cmp(&b.api_version))
            .then_with(|| ka.subresource.cmp(&kb.subresource))
    });
    let list: Vec<Value> = entries
        .into_iter()
        .map(|(k, e)| {
            let mut m = Map::new();
            if !k.manager.is_empty() {
                m.insert("manager".into(), json!(k.manager));
            }
            m.insert(
                "operation".into(),
                json!(if e.applied { "Apply" } else { "Update" }),
            );
            m.insert("apiVersion".into(), json!(e.api_version));
            if let Some(t) = &e.time {
                m.insert("time".into(), json!(t));
            }
            m.insert("fieldsType".into(), json!("FieldsV1"));
            m.insert("fieldsV1".into(), e.set.to_fields_v1());
            if !k.subresource.is_empty() {
                m.insert("subresource".into(), json!(k.subresource));
            }
            Value::Object(m)
        })
        .collect();
    meta.insert("managedFields".into(), Value::Array(list));
}

/// Folds the oldest Update managers into `ancient-changes` buckets (one per apiVersion)
/// until at most `max` Update managers remain (upstream `capUpdateManagers`).
pub(crate) fn cap_update_managers(managed: &mut Managed, max: usize) {
    let mut updaters: Vec<ManagerKey> = managed
        .iter()
        .filter(|(_, e)| !e.applied)
        .map(|(k, _)| k.clone())
        .collect();
    if updaters.len() <= max {
        return;
    }
    updaters.sort_by(|a, b| {
        let ta = unix_seconds(managed.get(a).and_then(|e| e.time.as_deref()));
        let tb = unix_seconds(managed.get(b).and_then(|e| e.time.as_deref()));
        ta.cmp(&tb)
            .then_with(|| a.identifier().cmp(&b.identifier()))
    });
    let mut first_by_version: BTreeMap<String, ManagerKey> = BTreeMap::new();
    let mut length = updaters.len();
    for key in updaters {
        if length <= max {
            break;
        }
        let Some(entry) = managed.get(&key).cloned() else {
            continue;
        };
        let bucket = ManagerKey::new(ANCIENT_CHANGES, false, &entry.api_version, "");
        if key == bucket {
            continue;
        }
        match first_by_version.get(&entry.api_version) {
            Some(first) => {
                if !managed.contains_key(&bucket)
                    && let Some(moved) = managed.remove(first)
                {
                    managed.insert(bucket.clone(), moved);
                }
                let base = managed
                    .get(&bucket)
                    .map(|b| b.set.clone())
                    .unwrap_or_default();
                managed.insert(
                    bucket,
                    Entry {
                        set: entry.set.union(&base),
                        api_version: entry.api_version.clone(),
                        applied: false,
                        time: entry.time.clone(),
                    },
                );
                managed.remove(&key);
                length -= 1;
            }
            None => {
                first_by_version.insert(entry.api_version.clone(), key);
            }
        }
    }
}
