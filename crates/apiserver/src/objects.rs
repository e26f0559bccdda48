//! How objects sit in the store: one key per object, JSON bytes without
//! `resourceVersion` (the store's mod revision is the resourceVersion, set on read).

use kubehci_api::{ApiError, ResourceInfo};
use kubehci_store::{KeyValue, StoreError};
use serde_json::Value;

/// `/registry/<group|core>/<resource>/` - every object of a resource, all namespaces.
pub fn resource_prefix(info: &ResourceInfo) -> String {
    let group = if info.group.is_empty() {
        "core"
    } else {
        &info.group
    };
    format!("/registry/{group}/{}/", info.resource)
}

/// Prefix for a list in one namespace (or the whole resource when `namespace` is empty).
pub fn list_prefix(info: &ResourceInfo, namespace: &str) -> String {
    if info.namespaced() && !namespace.is_empty() {
        format!("{}{namespace}/", resource_prefix(info))
    } else {
        resource_prefix(info)
    }
}

pub fn object_key(info: &ResourceInfo, namespace: &str, name: &str) -> String {
    if info.namespaced() {
        format!("{}{namespace}/{name}", resource_prefix(info))
    } else {
        format!("{}{name}", resource_prefix(info))
    }
}

/// Serialises for storage (resourceVersion stripped: the store's revision is authoritative).
pub fn encode(obj: &Value) -> Result<Vec<u8>, ApiError> {
    let mut o = obj.clone();
    if let Some(md) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        md.remove("resourceVersion");
    }
    serde_json::to_vec(&o).map_err(ApiError::internal)
}

/// Parses a stored value and stamps its resourceVersion.
pub fn decode(kv: &KeyValue) -> Result<Value, ApiError> {
    let mut obj: Value = serde_json::from_slice(&kv.value).map_err(ApiError::internal)?;
    set_resource_version(&mut obj, kv.mod_revision);
    Ok(obj)
}

pub fn set_resource_version(obj: &mut Value, rev: i64) {
    kubehci_api::meta::metadata_mut(obj)
        .insert("resourceVersion".into(), Value::String(rev.to_string()));
}

/// Maps store errors that reach a handler unexpectedly to a Status.
pub fn store_error(info: &ResourceInfo, name: &str, err: StoreError) -> ApiError {
    let gr = info.group_resource();
    match err {
        StoreError::AlreadyExists(_) => ApiError::already_exists(&gr, name),
        StoreError::NotFound(_) => ApiError::not_found(&gr, name),
        StoreError::Conflict { .. } => ApiError::conflict_modified(&gr, name),
        StoreError::Compacted {
            requested,
            compacted,
        } => ApiError::expired(format!(
            "too old resource version: {requested} ({compacted})"
        )),
        StoreError::FutureRevision { requested, current } => ApiError::new(
            504,
            "Timeout",
            format!("Too large resource version: {requested}, current: {current}"),
        ),
        StoreError::WatchLagged => ApiError::internal("watch fell behind"),
        StoreError::Io(e) => ApiError::internal(e),
    }
}
