//! RFC 6902 JSON patch (`application/json-patch+json`) and RFC 7386 JSON merge patch
//! (`application/merge-patch+json`), with upstream's error classes and message shapes
//! (upstream uses `gopkg.in/evanphx/json-patch.v4`).

use json_patch::{AddOperation, PatchErrorKind, PatchOperation};
use kubehci_api::gofmt::go_type;
use serde_json::{Map, Value};

use crate::error::{MAX_JSON_PATCH_OPERATIONS, PatchError};
use crate::limits::{MAX_DEPTH, check_depth};

/// Applies a JSON patch (the raw request body) to `doc`.
///
/// Errors: body not a JSON array of objects -> `BadRequest`; more than 10000 operations ->
/// `TooManyOperations`; an operation that does not apply -> `Unprocessable` (422).
/// Like upstream, `replace` of a missing object key adds it.
pub fn json_patch(doc: &Value, patch_bytes: &[u8]) -> Result<Value, PatchError> {
    let raw: Value =
        serde_json::from_slice(patch_bytes).map_err(|e| PatchError::BadRequest(e.to_string()))?;
    let Value::Array(ops) = raw else {
        return Err(PatchError::BadRequest(format!(
            "json: cannot unmarshal {} into Go value of type jsonpatch.Patch",
            json_kind(&raw)
        )));
    };
    if let Some(bad) = ops.iter().find(|op| !op.is_object()) {
        return Err(PatchError::BadRequest(format!(
            "json: cannot unmarshal {} into Go value of type jsonpatch.Operation",
            json_kind(bad)
        )));
    }
    if ops.len() > MAX_JSON_PATCH_OPERATIONS {
        return Err(PatchError::TooManyOperations {
            max: MAX_JSON_PATCH_OPERATIONS,
            got: ops.len(),
        });
    }
    let mut out = doc.clone();
    for op in ops {
        apply_one(&mut out, op)?;
    }
    Ok(out)
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn apply_one(doc: &mut Value, raw: Value) -> Result<(), PatchError> {
    let kind = raw
        .get("op")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_string();
    if !matches!(
        kind.as_str(),
        "add" | "remove" | "replace" | "move" | "copy" | "test"
    ) {
        return Err(PatchError::Unprocessable(format!(
            "Unexpected kind: {kind}"
        )));
    }
    let path = raw.get("path").and_then(Value::as_str).map(str::to_string);
    let Some(path) = path else {
        return Err(PatchError::Unprocessable(format!(
            "{kind} operation failed to decode path: missing value"
        )));
    };
    let op: PatchOperation = serde_json::from_value(raw).map_err(|e| {
        PatchError::Unprocessable(format!("{kind} operation failed to decode: {e}"))
    })?;
    let op = replace_missing_key_as_add(doc, op);
    json_patch::patch(doc, std::slice::from_ref(&op))
        .map_err(|e| PatchError::Unprocessable(describe_failure(&kind, &path, &op, doc, &e.kind)))
}

/// evanphx/json-patch v4 treats `replace` of an absent key in an existing object as an
/// add; kubectl users rely on it (`replace /metadata/labels/x`).
fn replace_missing_key_as_add(doc: &Value, op: PatchOperation) -> PatchOperation {
    let PatchOperation::Replace(r) = op else {
        return op;
    };
    if let Some((parent, last)) = r.path.split_back()
        && let Some(Value::Object(obj)) = doc.pointer(parent.as_str())
        && !obj.contains_key(last.decoded().as_ref())
    {
        return PatchOperation::Add(AddOperation {
            path: r.path,
            value: r.value,
        });
    }
    PatchOperation::Replace(r)
}

/// Upstream-shaped message for a failed operation.
fn describe_failure(
    kind: &str,
    path: &str,
    op: &PatchOperation,
    doc: &Value,
    err: &PatchErrorKind,
) -> String {
    let parent_exists = op
        .path()
        .split_back()
        .map(|(parent, _)| {
            doc.pointer(parent.as_str())
                .is_some_and(|p| p.is_object() || p.is_array())
        })
        .unwrap_or(false);
    match (kind, err) {
        ("test", PatchErrorKind::TestFailed) => format!("testing value {path} failed: test failed"),
        ("move" | "copy", PatchErrorKind::InvalidFromPointer) => {
            let from = match op {
                PatchOperation::Move(m) => m.from.to_string(),
                PatchOperation::Copy(c) => c.from.to_string(),
                _ => String::new(),
            };
            format!(
                "{kind} operation does not apply: doc is missing from path: {from}: missing value"
            )
        }
        (_, PatchErrorKind::CannotMoveInsideItself) => {
            format!("error in move for path: '{path}': cannot move the value inside itself")
        }
        ("add" | "remove", _) if !parent_exists => {
            format!(
                "{kind} operation does not apply: doc is missing path: \"{path}\": missing value"
            )
        }
        ("remove", _) => {
            let key = path.rsplit('/').next().unwrap_or_default();
            format!(
                "error in remove for path: '{path}': Unable to remove nonexistent key: {key}: missing value"
            )
        }
        ("add" | "move" | "copy", _) => {
            let key = path.rsplit('/').next().unwrap_or_default();
            format!(
                "error in {kind} for path: '{path}': Unable to access invalid index: {key}: invalid index referenced"
            )
        }
        ("replace", _) => {
            format!("replace operation does not apply: doc is missing key: {path}: missing value")
        }
        ("test", _) => {
            format!("test operation does not apply: is missing path: {path}: missing value")
        }
        _ => format!("{kind} operation failed at path '{path}': {err}"),
    }
}

/// RFC 7386 merge patch: objects merge recursively, `null` deletes a key, anything else
/// replaces. Key order of `doc` is kept; new keys are appended in patch order.
pub fn merge_patch(doc: &Value, patch: &Value) -> Value {
    let mut out = doc.clone();
    merge_into(&mut out, patch);
    out
}

fn merge_into(doc: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *doc = patch.clone();
        return;
    };
    if !doc.is_object() {
        *doc = Value::Object(Map::new());
    }
    if let Value::Object(target) = doc {
        for (k, v) in patch {
            if v.is_null() {
                target.shift_remove(k);
            } else {
                merge_into(target.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// The API server's merge-patch path (`jsonpatch.MergePatch`): the patch must be a JSON
/// object (anything else is upstream's `BadRequest` "Invalid JSON Patch"), and nesting is
/// bounded.
pub fn apply_merge_patch(doc: &Value, patch: &Value) -> Result<Value, PatchError> {
    if !patch.is_object() {
        return Err(PatchError::BadRequest("Invalid JSON Patch".into()));
    }
    check_depth(patch, MAX_DEPTH)?;
    Ok(merge_patch(doc, patch))
}

/// `error decoding patch` text for a merge/strategic patch body that is not an object.
pub(crate) fn not_an_object(patch: &Value) -> PatchError {
    let go = match patch {
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        _ => go_type(patch),
    };
    PatchError::BadRequest(format!(
        "json: cannot unmarshal {go} into Go value of type map[string]interface {{}}"
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn jp(doc: Value, patch: Value) -> Result<Value, PatchError> {
        json_patch(&doc, patch.to_string().as_bytes())
    }

    #[test]
    fn basic_ops() {
        let doc = json!({"metadata": {"labels": {"a": "1"}}, "spec": {"list": [1, 2]}});
        let out = jp(
            doc,
            json!([
                {"op": "add", "path": "/metadata/labels/b", "value": "2"},
                {"op": "remove", "path": "/metadata/labels/a"},
                {"op": "add", "path": "/spec/list/-", "value": 3},
                {"op": "replace", "path": "/spec/list/0", "value": 0},
                {"op": "test", "path": "/spec/list/2", "value": 3},
                {"op": "copy", "from": "/spec/list", "path": "/spec/copy"},
                {"op": "move", "from": "/spec/copy", "path": "/spec/moved"}
            ]),
        )
        .unwrap();
        assert_eq!(
            out,
            json!({"metadata": {"labels": {"b": "2"}}, "spec": {"list": [0, 2, 3], "moved": [0, 2, 3]}})
        );
    }

    #[test]
    fn replace_missing_key_adds() {
        let out = jp(
            json!({"metadata": {}}),
            json!([{"op": "replace", "path": "/metadata/x", "value": 1}]),
        )
        .unwrap();
        assert_eq!(out, json!({"metadata": {"x": 1}}));
    }

    #[test]
    fn errors_have_upstream_shape() {
        let e = jp(json!({}), json!([{"op": "remove", "path": "/a/b"}])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "remove operation does not apply: doc is missing path: \"/a/b\": missing value"
        );
        assert_eq!(e.status_code(), 422);
        let e = jp(json!({"a": {}}), json!([{"op": "remove", "path": "/a/b"}])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "error in remove for path: '/a/b': Unable to remove nonexistent key: b: missing value"
        );
        let e = jp(
            json!({"a": 1}),
            json!([{"op": "test", "path": "/a", "value": 2}]),
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "testing value /a failed: test failed");
        let e = jp(
            json!({"a": []}),
            json!([{"op": "add", "path": "/a/99999999999999999999999", "value": 1}]),
        )
        .unwrap_err();
        assert_eq!(e.status_code(), 422);
        let e = jp(
            json!({"a": [1]}),
            json!([{"op": "remove", "path": "/a/18446744073709551615"}]),
        )
        .unwrap_err();
        assert_eq!(e.status_code(), 422);
        let e = jp(json!({}), json!([{"op": "frob", "path": "/a"}])).unwrap_err();
        assert_eq!(e.to_string(), "Unexpected kind: frob");
        let e = jp(json!({}), json!({"op": "add"})).unwrap_err();
        assert_eq!(e.status_code(), 400);
        assert_eq!(
            e.to_string(),
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
        );
        let e = json_patch(&json!({}), b"[{").unwrap_err();
        assert_eq!(e.status_code(), 400);
    }

    #[test]
    fn too_many_operations() {
        let ops: Vec<Value> = (0..10_001)
            .map(|_| json!({"op": "test", "path": "", "value": {}}))
            .collect();
        let e = jp(json!({}), Value::Array(ops)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "The allowed maximum operations in a JSON patch is 10000, got 10001"
        );
        assert_eq!(e.status_code(), 413);
    }

    #[test]
    fn merge_patch_rfc7386() {
        let doc = json!({"a": "b", "c": {"d": "e", "f": "g"}, "k": [1]});
        let out = merge_patch(
            &doc,
            &json!({"a": "z", "c": {"f": null}, "k": {"x": null, "y": 1}, "n": {"m": null}}),
        );
        assert_eq!(
            out,
            json!({"a": "z", "c": {"d": "e"}, "k": {"y": 1}, "n": {}})
        );
        let keys: Vec<&String> = out.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["a", "c", "k", "n"]);
        assert_eq!(
            apply_merge_patch(&doc, &json!(null))
                .unwrap_err()
                .status_code(),
            400
        );
        assert_eq!(
            apply_merge_patch(&doc, &json!([1]))
                .unwrap_err()
                .to_string(),
            "Invalid JSON Patch"
        );
    }
}
