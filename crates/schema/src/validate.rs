//! Strict field validation over a decoded object: which fields the schema does not know,
//! named as upstream names them (`spec.foo`, `spec.template.spec.containers[0].bar`,
//! map values as `spec.selector.key`), and the messages upstream sends.

use std::fmt;

use serde_json::Value;

use crate::model::{NodeId, NodeKind, Schemas};

/// Upstream keeps at most this many strict decoding errors per request.
pub const MAX_ISSUES: usize = 100;

/// One strict decoding finding.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StrictIssue {
    /// A field the schema does not know (it would be dropped).
    UnknownField(String),
    /// A field that occurs twice in one JSON object.
    DuplicateField(String),
}

impl fmt::Display for StrictIssue {
    /// `unknown field "spec.foo"`, `duplicate field "spec.replicas"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StrictIssue::UnknownField(p) => write!(f, "unknown field {}", quote(p)),
            StrictIssue::DuplicateField(p) => write!(f, "duplicate field {}", quote(p)),
        }
    }
}

/// A path quoted the way Go's `%q` quotes it (JSON string escaping is close enough for
/// field names, and exact for the printable ASCII they are made of).
fn quote(path: &str) -> String {
    serde_json::to_string(path).unwrap_or_else(|_| format!("\"{path}\""))
}

/// The error message of a request rejected under `fieldValidation=Strict`:
/// `strict decoding error: unknown field "spec.foo", duplicate field "spec.bar"`.
pub fn strict_decoding_message(issues: &[StrictIssue]) -> String {
    let parts: Vec<String> = issues.iter().map(ToString::to_string).collect();
    format!("strict decoding error: {}", parts.join(", "))
}

/// [`strict_decoding_message`] for a list of unknown-field paths.
pub fn unknown_fields_message(paths: &[String]) -> String {
    let issues: Vec<StrictIssue> = paths
        .iter()
        .cloned()
        .map(StrictIssue::UnknownField)
        .collect();
    strict_decoding_message(&issues)
}

/// Appends `.key` (or `key` at the root) to a path.
pub(crate) fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
}

/// Appends `[index]` to a path.
pub(crate) fn push_index(path: &mut String, index: usize) {
    path.push('[');
    path.push_str(&index.to_string());
    path.push(']');
}

/// What a key of an object governed by `node` resolves to.
pub(crate) enum Member {
    /// A known field (or map value) with this schema.
    Known(NodeId),
    /// Anything goes below here.
    Free,
    /// The schema does not know the field.
    Unknown,
}

/// Resolves `key` in an object whose schema is `node`.
pub(crate) fn member(schemas: &Schemas, node: NodeId, key: &str) -> Member {
    let Some(n) = schemas.try_get(node) else {
        return Member::Free;
    };
    match &n.kind {
        NodeKind::Object {
            properties,
            additional,
            ..
        } => {
            if let Some(id) = properties.get(key).or(additional.as_ref()) {
                Member::Known(*id)
            } else if n.preserve_unknown_fields {
                Member::Free
            } else {
                Member::Unknown
            }
        }
        _ => Member::Free,
    }
}

/// Item schema of an array governed by `node`, if any.
pub(crate) fn item(schemas: &Schemas, node: NodeId) -> Option<NodeId> {
    match &schemas.try_get(node)?.kind {
        NodeKind::Array { items } => Some(*items),
        _ => None,
    }
}

/// Paths of the fields of `obj` that the schema rooted at `root` does not know, in
/// document order, at most [`MAX_ISSUES`]. Objects marked
/// `x-kubernetes-preserve-unknown-fields`, free-form maps and `RawExtension`s accept
/// anything.
pub fn unknown_fields(schemas: &Schemas, root: NodeId, obj: &Value) -> Vec<String> {
    enum Task<'a> {
        Visit(NodeId, &'a Value, String),
        Report(String),
    }
    let mut out: Vec<String> = Vec::new();
    // An explicit stack (no recursion); children are pushed in reverse to keep order.
    let mut stack = vec![Task::Visit(root, obj, String::new())];
    while let Some(task) = stack.pop() {
        let (node, value, path) = match task {
            Task::Report(path) => {
                if out.len() < MAX_ISSUES && !out.contains(&path) {
                    out.push(path);
                }
                continue;
            }
            Task::Visit(node, value, path) => (node, value, path),
        };
        let mut children = Vec::new();
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let mut p = path.clone();
                    push_key(&mut p, key);
                    match member(schemas, node, key) {
                        Member::Known(id) => children.push(Task::Visit(id, child, p)),
                        Member::Free => {}
                        Member::Unknown => children.push(Task::Report(p)),
                    }
                }
            }
            Value::Array(items) => {
                if let Some(id) = item(schemas, node) {
                    for (i, child) in items.iter().enumerate() {
                        let mut p = path.clone();
                        push_index(&mut p, i);
                        children.push(Task::Visit(id, child, p));
                    }
                }
            }
            _ => {}
        }
        stack.extend(children.into_iter().rev());
    }
    out
}
