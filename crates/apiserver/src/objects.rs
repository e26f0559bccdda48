//! How objects sit in the store: one key per object, JSON bytes without
//! `resourceVersion` (the store's mod revision is the resourceVersion, set on read).

use kubehci_api::{ApiError, ResourceInfo};
use kubehci_store::{KeyValue, StoreError};
use serde_json::Value;

/// `/registry/<group|core>/<resource>/` - every object of a resource, all namespaces.
pub fn resource_prefix(info: &ResourceInfo) -> String {
    let (group, resource) = crate::conversion::storage_of(info);
    let group = if group.is_empty() { "core" } else { group };
    format!("/registry/{group}/{resource}/")
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

/// Serialises for storage: `resourceVersion` stripped (the store's revision is
/// authoritative) and the top-level keys ordered `kind`, `apiVersion`, `metadata`, rest (as
/// upstream serialises), so
/// that the first `"metadata":{` in the bytes is the object's own (see
/// [`write_with_resource_version`]).
pub fn encode(obj: &Value) -> Result<Vec<u8>, ApiError> {
    let Value::Object(map) = obj else {
        return serde_json::to_vec(obj).map_err(ApiError::internal);
    };
    let mut ordered = serde_json::Map::with_capacity(map.len());
    for k in ["kind", "apiVersion", "metadata"] {
        if let Some(v) = map.get(k) {
            ordered.insert(k.to_string(), v.clone());
        }
    }
    for (k, v) in map {
        if !ordered.contains_key(k) {
            ordered.insert(k.clone(), v.clone());
        }
    }
    if let Some(md) = ordered.get_mut("metadata").and_then(Value::as_object_mut) {
        md.remove("resourceVersion");
    }
    serde_json::to_vec(&Value::Object(ordered)).map_err(ApiError::internal)
}

const METADATA_OPEN: &[u8] = b"\"metadata\":{";

/// Appends the stored object with its resourceVersion set, splicing it into the bytes
/// after the top-level `"metadata":{` that [`encode`] puts before any nested object. Only
/// string values precede it (`apiVersion`, `kind`), whose quotes are escaped, so the first
/// occurrence is the right one; anything else is decoded and re-encoded.
pub fn write_with_resource_version(out: &mut Vec<u8>, v: &[u8], rev: i64) -> Result<(), ApiError> {
    let pos = v
        .windows(METADATA_OPEN.len())
        .position(|w| w == METADATA_OPEN);
    let prefix_ok = |p: usize| {
        // Only `{"kind":"..","apiVersion":"..",` may come before it.
        let head = &v[..p];
        head.first() == Some(&b'{') && !head[1..].contains(&b'{') && !head.contains(&b'[')
    };
    match pos {
        Some(p) if prefix_ok(p) => {
            let at = p + METADATA_OPEN.len();
            out.extend_from_slice(&v[..at]);
            out.extend_from_slice(b"\"resourceVersion\":\"");
            out.extend_from_slice(rev.to_string().as_bytes());
            out.push(b'"');
            if v.get(at) != Some(&b'}') {
                out.push(b',');
            }
            out.extend_from_slice(&v[at..]);
        }
        _ => {
            let mut obj: Value = serde_json::from_slice(v).map_err(ApiError::internal)?;
            set_resource_version(&mut obj, rev);
            serde_json::to_writer(&mut *out, &obj).map_err(ApiError::internal)?;
        }
    }
    Ok(())
}

/// Parses a stored value and stamps its resourceVersion.
pub fn decode(kv: &KeyValue) -> Result<Value, ApiError> {
    let mut obj: Value = serde_json::from_slice(&kv.value).map_err(ApiError::internal)?;
    set_resource_version(&mut obj, kv.mod_revision);
    Ok(obj)
}

/// Decodes a stored value as `info` serves it (converting resources stored in another
/// form, see `crate::conversion`).
pub fn decode_as(info: &ResourceInfo, kv: &KeyValue) -> Result<Value, ApiError> {
    let mut obj = decode(kv)?;
    crate::conversion::to_external(info, &mut obj);
    Ok(obj)
}

/// Encodes an object of `info` for storage.
pub fn encode_as(info: &ResourceInfo, obj: &Value) -> Result<Vec<u8>, ApiError> {
    if crate::conversion::needs_conversion(info) {
        let mut stored = obj.clone();
        crate::conversion::to_storage(info, &mut stored);
        return encode(&stored);
    }
    encode(obj)
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kv(v: &Value) -> KeyValue {
        KeyValue {
            key: "/k".into(),
            value: encode(v).unwrap(),
            create_revision: 1,
            mod_revision: 42,
        }
    }

    fn spliced(kv: &KeyValue) -> Value {
        let mut out = Vec::new();
        write_with_resource_version(&mut out, &kv.value, kv.mod_revision).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn splicing_the_resource_version_matches_decoding() {
        let objs = [
            json!({"spec": {"template": {"metadata": {"labels": {"a": "b"}}}}, "metadata": {"name": "x", "resourceVersion": "7"}, "apiVersion": "apps/v1", "kind": "Deployment"}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": "\"metadata\":{"}, "metadata": {"name": "q"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap"}),
        ];
        for o in objs {
            let k = kv(&o);
            assert_eq!(spliced(&k), decode(&k).unwrap(), "{o}");
            assert_eq!(spliced(&k)["metadata"]["resourceVersion"], "42");
        }
        // Bytes not written by `encode` (nested metadata first) fall back to decoding.
        let raw = KeyValue {
            key: "/k".into(),
            value: br#"{"spec":{"metadata":{}},"metadata":{"name":"z"}}"#.to_vec(),
            create_revision: 1,
            mod_revision: 5,
        };
        let v = spliced(&raw);
        assert_eq!(
            (
                v["metadata"]["resourceVersion"].as_str(),
                v["spec"]["metadata"].get("resourceVersion")
            ),
            (Some("5"), None)
        );
    }
}
