//! Interplay with `kubectl apply`'s client-side `last-applied-configuration` annotation
//! when the manager is `kubectl` (upstream `lastAppliedManager`/`lastAppliedUpdater`).

use kubehci_api::gofmt::to_go_json;
use serde_json::Value;

use crate::fieldpath::Set;
use crate::ty::Ty;
use crate::typed::{compare, to_field_set, validate};

pub(crate) const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Upstream's total annotation size limit (`TotalAnnotationSizeLimitB`).
const ANNOTATIONS_SIZE_LIMIT: usize = 256 * 1024;

fn last_applied(obj: &Value) -> Option<&str> {
    obj.pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .and_then(|a| a.get(LAST_APPLIED))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Fields the last-applied configuration sets to exactly their live value; conflicts on
/// them may be overridden. `None` when there is no usable annotation.
pub(crate) fn allowed_conflicts(live: &Value, version: &str, ty: Ty<'_>) -> Option<Set> {
    let last: Value = serde_json::from_str(last_applied(live)?).ok()?;
    if !last.is_object() || last.get("apiVersion").and_then(Value::as_str) != Some(version) {
        return None;
    }
    validate(&last, ty).ok()?;
    let set = to_field_set(&last, ty).ok()?;
    let cmp = compare(&last, live, ty).ok()?;
    Some(
        set.difference(&cmp.modified)
            .difference(&cmp.added)
            .difference(&cmp.removed),
    )
}

/// Rewrites an existing last-applied annotation of `result` to the applied configuration
/// (without the annotation itself), as `json.Encoder` writes it; drops it when the
/// annotations would exceed the size limit.
pub(crate) fn update_annotation(result: &mut Value, applied: &Value) {
    if last_applied(result).is_none() {
        return;
    }
    let mut config = applied.clone();
    if let Some(Value::Object(a)) = config.pointer_mut("/metadata/annotations") {
        a.shift_remove(LAST_APPLIED);
    }
    let encoded = format!("{}\n", to_go_json(&config));
    let Some(Value::Object(annotations)) = result.pointer_mut("/metadata/annotations") else {
        return;
    };
    annotations.insert(LAST_APPLIED.into(), Value::String(encoded));
    let size: usize = annotations
        .iter()
        .map(|(k, v)| k.len() + v.as_str().map(str::len).unwrap_or_default())
        .sum();
    if size > ANNOTATIONS_SIZE_LIMIT {
        annotations.shift_remove(LAST_APPLIED);
    }
}
