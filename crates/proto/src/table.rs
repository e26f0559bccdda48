//! The shape of the generated protobuf -> JSON table and lookups into it.
//!
//! `table_generated.rs` (written by `tools/proto-table/gen.py`) holds one [`Message`] per
//! protobuf message of the v1.33 built-in API, named like upstream's OpenAPI definitions
//! (`io.k8s.api.core.v1.PodSpec`), and the [`Root`] table of top-level kinds.

use crate::table_generated::{MESSAGES, ROOTS};

/// The type of one protobuf value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// `string`: a JSON string (invalid UTF-8 replaced, as Go's JSON encoder does).
    Str,
    /// `bool`.
    Bool,
    /// `int32` (varint; negative numbers are sign-extended to 64 bits on the wire).
    I32,
    /// `int64`.
    I64,
    /// `double` (fixed 64-bit).
    F64,
    /// `bytes`: a base64 JSON string, as Go's `[]byte`.
    Bytes,
    /// An embedded message, by full name.
    M(&'static str),
}

/// How a field holds its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A single (proto2 `optional`) value.
    One(Ty),
    /// `repeated`: a JSON array.
    Rep(Ty),
    /// `map<key, value>` (repeated entry messages `{1: key, 2: value}`): a JSON object.
    Map(Ty, Ty),
    /// A Go struct embedded with `json:",inline"`: its fields join the parent object.
    Inline(&'static str),
}

/// One field of a message.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Protobuf field number.
    pub tag: u32,
    /// JSON member name (empty for [`Kind::Inline`]).
    pub json: &'static str,
    /// Value type and cardinality.
    pub kind: Kind,
    /// Keep a zero scalar (`""`, `0`, `false`): the Go field is a pointer, or its JSON tag
    /// has no `omitempty`. Otherwise a zero scalar is what Go's marshaller writes for an
    /// unset non-pointer field, and upstream JSON would omit it.
    pub keep_zero: bool,
}

/// One protobuf message.
#[derive(Debug, Clone, Copy)]
pub struct Message {
    /// Full name, e.g. `io.k8s.api.apps.v1.Deployment`.
    pub name: &'static str,
    /// A Go named slice type (`type ExtraValue []string`) wrapped as `{1: repeated items}`:
    /// its JSON is the bare array.
    pub list: bool,
    /// Fields in Go struct order, which is upstream's JSON member order.
    pub fields: &'static [Field],
}

/// A top-level kind: what `apiVersion`/`kind` in the envelope's type meta decode as.
#[derive(Debug, Clone, Copy)]
pub struct Root {
    /// `v1`, `apps/v1`, ...
    pub api_version: &'static str,
    /// `Pod`, `PodList`, ...
    pub kind: &'static str,
    /// Full message name.
    pub message: &'static str,
}

// Short constructors for the generated table (which uses only the ones its fields need).
pub(crate) const S1: Kind = Kind::One(Ty::Str);
pub(crate) const B1: Kind = Kind::One(Ty::Bool);
pub(crate) const I32_1: Kind = Kind::One(Ty::I32);
pub(crate) const I64_1: Kind = Kind::One(Ty::I64);
pub(crate) const F64_1: Kind = Kind::One(Ty::F64);
pub(crate) const BY1: Kind = Kind::One(Ty::Bytes);
#[allow(dead_code)]
pub(crate) const S: Ty = Ty::Str;
#[allow(dead_code)]
pub(crate) const B: Ty = Ty::Bool;
#[allow(dead_code)]
pub(crate) const I32: Ty = Ty::I32;
#[allow(dead_code)]
pub(crate) const I64: Ty = Ty::I64;
#[allow(dead_code)]
pub(crate) const F64: Ty = Ty::F64;
#[allow(dead_code)]
pub(crate) const BY: Ty = Ty::Bytes;

pub(crate) const fn one(t: Ty) -> Kind {
    Kind::One(t)
}
pub(crate) const fn rep(t: Ty) -> Kind {
    Kind::Rep(t)
}
pub(crate) const fn mp(k: Ty, v: Ty) -> Kind {
    Kind::Map(k, v)
}
pub(crate) const fn inl(name: &'static str) -> Kind {
    Kind::Inline(name)
}
/// A field whose zero scalar is dropped.
pub(crate) const fn f(tag: u32, json: &'static str, kind: Kind) -> Field {
    Field {
        tag,
        json,
        kind,
        keep_zero: false,
    }
}
/// A field whose zero scalar is kept.
pub(crate) const fn z(tag: u32, json: &'static str, kind: Kind) -> Field {
    Field {
        tag,
        json,
        kind,
        keep_zero: true,
    }
}

/// The message with this full name.
pub fn message(name: &str) -> Option<&'static Message> {
    MESSAGES
        .binary_search_by(|m| m.name.cmp(name))
        .ok()
        .and_then(|i| MESSAGES.get(i))
}

/// Every message in the table, sorted by name.
pub fn messages() -> &'static [Message] {
    MESSAGES
}

/// Every top-level kind, sorted by (apiVersion, kind).
pub fn roots() -> &'static [Root] {
    ROOTS
}

/// Kinds every group/version serves from `meta/v1` (`metav1.AddToGroupVersion` and the
/// discovery/status types), for envelopes whose (apiVersion, kind) is not in [`roots`].
const META_KINDS: &[&str] = &[
    "DeleteOptions",
    "CreateOptions",
    "UpdateOptions",
    "PatchOptions",
    "GetOptions",
    "ListOptions",
    "WatchEvent",
    "Status",
    "APIVersions",
    "APIGroup",
    "APIGroupList",
    "APIResourceList",
    "Table",
    "PartialObjectMetadata",
    "PartialObjectMetadataList",
];

/// The message a top-level (apiVersion, kind) decodes as.
pub fn root_message(api_version: &str, kind: &str) -> Option<&'static str> {
    if let Ok(i) = ROOTS.binary_search_by(|r| (r.api_version, r.kind).cmp(&(api_version, kind))) {
        return ROOTS.get(i).map(|r| r.message);
    }
    let k = META_KINDS.iter().find(|k| **k == kind)?;
    let name = format!("io.k8s.apimachinery.pkg.apis.meta.v1.{k}");
    message(&name).map(|m| m.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(kind: Kind) -> Vec<&'static str> {
        let ty = |t: Ty| match t {
            Ty::M(n) => Some(n),
            _ => None,
        };
        match kind {
            Kind::One(t) | Kind::Rep(t) => ty(t).into_iter().collect(),
            Kind::Map(k, v) => ty(k).into_iter().chain(ty(v)).collect(),
            Kind::Inline(n) => vec![n],
        }
    }

    #[test]
    fn table_is_sorted_closed_and_unambiguous() {
        assert!(messages().len() > 1000);
        for pair in messages().windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "{} / {}",
                pair[0].name,
                pair[1].name
            );
        }
        for pair in roots().windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            assert!((a.api_version, a.kind) < (b.api_version, b.kind));
        }
        for m in messages() {
            let mut tags: Vec<u32> = m.fields.iter().map(|f| f.tag).collect();
            tags.sort_unstable();
            tags.dedup();
            assert_eq!(tags.len(), m.fields.len(), "duplicate tag in {}", m.name);
            for f in m.fields {
                for r in refs(f.kind) {
                    assert!(message(r).is_some(), "{}.{} -> {r}", m.name, f.json);
                }
            }
        }
        for r in roots() {
            assert!(message(r.message).is_some(), "{} {}", r.api_version, r.kind);
        }
    }

    #[test]
    fn zero_rules_follow_go_pointers_and_omitempty() {
        let keep = |msg: &str, json: &str| {
            let m = message(msg).unwrap_or_else(|| panic!("{msg}"));
            let f = m.fields.iter().find(|f| f.json == json);
            f.unwrap_or_else(|| panic!("{msg}.{json}")).keep_zero
        };
        let core = |n: &str| format!("io.k8s.api.core.v1.{n}");
        assert!(keep("io.k8s.api.apps.v1.DeploymentSpec", "replicas"));
        assert!(keep("io.k8s.api.batch.v1.JobSpec", "backoffLimit"));
        assert!(keep("io.k8s.api.batch.v1.CronJobSpec", "suspend"));
        assert!(keep(&core("PodSpec"), "terminationGracePeriodSeconds"));
        assert!(keep(&core("PodSpec"), "automountServiceAccountToken"));
        assert!(keep(&core("PodSpec"), "enableServiceLinks"));
        assert!(keep(&core("SecurityContext"), "runAsUser"));
        assert!(keep(&core("SecretVolumeSource"), "defaultMode"));
        assert!(keep(&core("PersistentVolumeClaimSpec"), "storageClassName"));
        assert!(keep(&core("ContainerPort"), "containerPort"));
        assert!(keep("io.k8s.api.scheduling.v1.PriorityClass", "value"));
        assert!(keep(
            "io.k8s.api.authorization.v1.SubjectAccessReviewStatus",
            "allowed"
        ));
        assert!(!keep(&core("ContainerPort"), "hostPort"));
        assert!(!keep(&core("PodSpec"), "restartPolicy"));
        assert!(!keep(&core("PodSpec"), "hostNetwork"));
        assert!(!keep(
            "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
            "name"
        ));
    }
}
