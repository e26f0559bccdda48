//! What the server does to a CRD besides validating it: v1 defaulting
//! (`SetDefaults_CustomResourceDefinition*`), the registry strategy's create/update
//! preparation (status reset, generation, stored versions) and the status the naming
//! and establishing controllers write once the names are accepted.

use serde_json::{Map, Value, json};

/// v1 defaults: `names.singular` (lower-cased kind), `names.listKind` (`<Kind>List`),
/// `conversion.strategy: None`, webhook service port 443, and `status.storedVersions`
/// from the storage version when empty.
pub fn default_crd(crd: &mut Value) {
    if let Some(names) = crd
        .pointer_mut("/spec/names")
        .and_then(Value::as_object_mut)
    {
        let kind = names
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let empty = |m: &Map<String, Value>, k: &str| {
            m.get(k).and_then(Value::as_str).is_none_or(str::is_empty)
        };
        if empty(names, "singular") {
            names.insert("singular".into(), Value::String(kind.to_lowercase()));
        }
        if empty(names, "listKind") && !kind.is_empty() {
            names.insert("listKind".into(), Value::String(format!("{kind}List")));
        }
    }
    if let Some(spec) = crd.get_mut("spec").and_then(Value::as_object_mut) {
        if spec.get("conversion").is_none_or(Value::is_null) {
            spec.insert("conversion".into(), json!({"strategy": "None"}));
        }
        let service = spec
            .get_mut("conversion")
            .and_then(|c| c.pointer_mut("/webhook/clientConfig/service"))
            .and_then(Value::as_object_mut);
        if let Some(svc) = service
            && svc.get("port").is_none_or(Value::is_null)
        {
            svc.insert("port".into(), json!(443));
        }
    }
    let has_stored = crd
        .pointer("/status/storedVersions")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    if !has_stored && let Some(storage) = storage_version(crd) {
        set_stored_versions(crd, vec![Value::String(storage)]);
    }
}

/// The name of the first version with `storage: true`.
pub fn storage_version(crd: &Value) -> Option<String> {
    crd.pointer("/spec/versions")?
        .as_array()?
        .iter()
        .find(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        .and_then(|v| v.get("name").and_then(Value::as_str))
        .map(str::to_string)
}

fn set_stored_versions(crd: &mut Value, stored: Vec<Value>) {
    let Some(obj) = crd.as_object_mut() else {
        return;
    };
    let status = obj.entry("status").or_insert_with(|| json!({}));
    if !status.is_object() {
        *status = json!({});
    }
    if let Some(s) = status.as_object_mut() {
        s.insert("storedVersions".into(), Value::Array(stored));
    }
}

/// The registry's `PrepareForCreate`: an empty status (as upstream serializes it)
/// holding the storage version, and `metadata.generation: 1`.
pub fn prepare_crd_for_create(crd: &mut Value) {
    let stored: Vec<Value> = storage_version(crd)
        .map(Value::String)
        .into_iter()
        .collect();
    let Some(obj) = crd.as_object_mut() else {
        return;
    };
    obj.insert(
        "status".into(),
        json!({"acceptedNames": {"plural": "", "kind": ""}, "conditions": null, "storedVersions": stored}),
    );
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("generation".into(), json!(1));
    }
}

/// The registry's `PrepareForUpdate`: status comes from `old`, the generation moves on
/// when the spec changed, and a new storage version joins `status.storedVersions`.
pub fn prepare_crd_for_update(new: &mut Value, old: &Value) {
    let old_generation = old
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let generation = if new.get("spec") == old.get("spec") {
        old_generation
    } else {
        old_generation.saturating_add(1)
    };
    let status = old.get("status").cloned().unwrap_or_else(|| json!({}));
    if let Some(obj) = new.as_object_mut() {
        obj.insert("status".into(), status);
        if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("generation".into(), json!(generation));
        }
    }
    if let Some(storage) = storage_version(new) {
        let mut stored: Vec<Value> = new
            .pointer("/status/storedVersions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if !stored.iter().any(|s| s.as_str() == Some(storage.as_str())) {
            stored.push(Value::String(storage));
        }
        set_stored_versions(new, stored);
    }
}

/// The status of a CRD whose names were accepted and which is established, with
/// `lastTransitionTime` now.
pub fn crd_status_established(crd: &Value) -> Value {
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    crd_status_established_at(crd, &now)
}

/// [`crd_status_established`] at a given RFC 3339 time.
pub fn crd_status_established_at(crd: &Value, now: &str) -> Value {
    let accepted = crd
        .pointer("/spec/names")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let stored = match crd
        .pointer("/status/storedVersions")
        .and_then(Value::as_array)
    {
        Some(s) if !s.is_empty() => Value::Array(s.clone()),
        _ => Value::Array(
            storage_version(crd)
                .map(Value::String)
                .into_iter()
                .collect(),
        ),
    };
    json!({
        "acceptedNames": accepted,
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "lastTransitionTime": now,
             "reason": "NoConflicts", "message": "no conflicts found"},
            {"type": "Established", "status": "True", "lastTransitionTime": now,
             "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"},
        ],
        "storedVersions": stored,
    })
}
