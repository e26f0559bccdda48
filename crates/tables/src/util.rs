//! Reading fields out of JSON objects, timestamps and upstream's human durations.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value, json};

/// What every printer gets besides the object: the clock.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    pub now: DateTime<Utc>,
}

/// One table row before the object is attached.
#[derive(Debug, Clone, Default)]
pub(crate) struct Row {
    pub cells: Vec<Value>,
    /// `TableRowCondition`s (pods that finished).
    pub conditions: Option<Value>,
}

impl Row {
    pub fn new(cells: Vec<Value>) -> Self {
        Self {
            cells,
            conditions: None,
        }
    }
}

pub(crate) fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for p in path {
        cur = cur.get(*p)?;
    }
    Some(cur)
}

/// A string field, `""` when absent or not a string.
pub(crate) fn s<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    get(v, path).and_then(Value::as_str).unwrap_or("")
}

/// A string field with a default for absent or empty values (upstream's defaulting).
pub(crate) fn s_or<'a>(v: &'a Value, path: &[&str], default: &'a str) -> &'a str {
    match s(v, path) {
        "" => default,
        x => x,
    }
}

pub(crate) fn opt_i(v: &Value, path: &[&str]) -> Option<i64> {
    let x = get(v, path)?;
    x.as_i64().or_else(|| x.as_f64().map(|f| f as i64))
}

/// An integer field, 0 when absent.
pub(crate) fn i(v: &Value, path: &[&str]) -> i64 {
    opt_i(v, path).unwrap_or(0)
}

pub(crate) fn opt_b(v: &Value, path: &[&str]) -> Option<bool> {
    get(v, path).and_then(Value::as_bool)
}

/// An array field, empty when absent.
pub(crate) fn arr<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    get(v, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// An object field's entries, empty when absent.
pub(crate) fn obj<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Map<String, Value>> {
    get(v, path).and_then(Value::as_object)
}

/// The number of entries of a map field.
pub(crate) fn len_of(v: &Value, path: &[&str]) -> i64 {
    match get(v, path) {
        Some(Value::Object(m)) => m.len() as i64,
        Some(Value::Array(a)) => a.len() as i64,
        _ => 0,
    }
}

pub(crate) fn name(v: &Value) -> &str {
    s(v, &["metadata", "name"])
}

pub(crate) fn is_deleting(v: &Value) -> bool {
    get(v, &["metadata", "deletionTimestamp"]).is_some_and(|t| !t.is_null())
}

/// A `metav1.Time`/`MicroTime`; `None` for absent, null, unparseable and Go's zero time.
pub(crate) fn parse_time(v: Option<&Value>) -> Option<DateTime<Utc>> {
    let t = DateTime::parse_from_rfc3339(v?.as_str()?)
        .ok()?
        .with_timezone(&Utc);
    // Go's zero time, 0001-01-01T00:00:00Z, counts as unset.
    (t.timestamp() != -62_135_596_800 || t.timestamp_subsec_nanos() != 0).then_some(t)
}

/// Upstream's `translateTimestampSince`: `<unknown>` for an unset time.
pub(crate) fn since(ctx: &Ctx, v: Option<&Value>) -> String {
    match parse_time(v) {
        Some(t) => human_duration(ctx.now - t),
        None => "<unknown>".to_string(),
    }
}

/// The AGE cell: time since `metadata.creationTimestamp`.
pub(crate) fn age(ctx: &Ctx, v: &Value) -> String {
    since(ctx, get(v, &["metadata", "creationTimestamp"]))
}

/// Upstream's `duration.HumanDuration`: ~2-3 significant figures (`5s`, `3m20s`, `10h`,
/// `2d5h`, `400d`, `2y30d`), `0s` for up to a second in the future and `<invalid>`
/// beyond that.
pub fn human_duration(d: TimeDelta) -> String {
    // Go's time.Duration saturates at about 292 years; whole seconds truncate towards zero.
    let seconds = d.num_seconds();
    if seconds < -1 {
        return "<invalid>".to_string();
    } else if seconds < 0 {
        return "0s".to_string();
    } else if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    } else if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    } else if hours < 48 {
        return format!("{hours}h");
    } else if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    } else if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    } else if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{dy}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

/// Upstream's `layoutContainerCells`: names and images, comma-joined.
pub(crate) fn container_cells(containers: &[Value]) -> (Value, Value) {
    let names: Vec<&str> = containers.iter().map(|c| s(c, &["name"])).collect();
    let images: Vec<&str> = containers.iter().map(|c| s(c, &["image"])).collect();
    (json!(names.join(",")), json!(images.join(",")))
}

/// Upstream's `listWithMoreString`: at most `max` entries, then `+ N more...`;
/// `<unset>` when there is nothing.
pub(crate) fn list_with_more(list: &[String], count: usize, max: usize) -> String {
    let ret = list.join(",");
    if count > max {
        return format!("{ret} + {} more...", count - max);
    }
    if ret.is_empty() {
        "<unset>".to_string()
    } else {
        ret
    }
}

/// `"<none>"` for an empty string.
pub(crate) fn or_none(x: &str) -> String {
    if x.is_empty() {
        "<none>".to_string()
    } else {
        x.to_string()
    }
}

/// Sorted, de-duplicated load-balancer ingress points (IP, else hostname).
pub(crate) fn lb_ingress(v: &Value, path: &[&str]) -> String {
    let mut set: Vec<String> = arr(v, path)
        .iter()
        .filter_map(|ing| match (s(ing, &["ip"]), s(ing, &["hostname"])) {
            ("", "") => None,
            ("", host) => Some(host.to_string()),
            (ip, _) => Some(ip.to_string()),
        })
        .collect();
    set.sort();
    set.dedup();
    set.join(",")
}
