//! Messages with hand-written JSON, repeated/packed/merged fields, and kind lookup.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Enc, envelope, meta, time};
use kubehci_proto::{ProtoError, decode_envelope, decode_message, decode_object, table};
use serde_json::{Value, json};

const META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.";
const CRD: &str = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.";

fn decode(body: &[u8]) -> Value {
    decode_envelope(body).unwrap().2
}

fn msg(name: &str, e: Enc) -> Option<Value> {
    decode_message(name, &e.0).unwrap()
}

#[test]
fn durations_render_like_go() {
    let d = |nanos: i64| msg(&format!("{META}Duration"), Enc::new().int(1, nanos));
    assert_eq!(d(3_600_000_000_000), Some(json!("1h0m0s")));
    assert_eq!(d(300_000_000_000), Some(json!("5m0s")));
    assert_eq!(d(300_000_000), Some(json!("300ms")));
    assert_eq!(
        msg(&format!("{META}Duration"), Enc::new()),
        Some(json!("0s"))
    );
}

#[test]
fn times() {
    let t = |e: Enc| msg(&format!("{META}Time"), e);
    assert_eq!(t(Enc::new()), None, "zero time is null upstream");
    assert_eq!(t(time(0, 0)), Some(json!("1970-01-01T00:00:00Z")));
    assert_eq!(t(time(-62_135_596_800, 0)), None, "Go's zero time");
    assert_eq!(t(time(1, -1)), Some(json!("1970-01-01T00:00:00Z")));
    assert!(matches!(
        decode_message(&format!("{META}Time"), &time(i64::MAX, 0).0),
        Err(ProtoError::TimeOutOfRange { .. })
    ));
    let micro = msg(
        &format!("{META}MicroTime"),
        time(1_704_164_645, 123_456_999),
    );
    assert_eq!(micro, Some(json!("2024-01-02T03:04:05.123456Z")));
    let micro0 = msg(&format!("{META}MicroTime"), time(1_704_164_645, 0));
    assert_eq!(micro0, Some(json!("2024-01-02T03:04:05.000000Z")));
}

#[test]
fn raw_extension_holds_json_or_a_nested_envelope() {
    let revision = |data: Enc| {
        let obj = Enc::new().msg(1, meta("r")).msg(2, data).int(3, 0);
        decode(&envelope("apps/v1", "ControllerRevision", obj))
    };
    assert_eq!(
        revision(Enc::new().bytes(1, br#"{"spec":{"a":[1,2]}}"#)),
        json!({"kind": "ControllerRevision", "apiVersion": "apps/v1", "metadata": {"name": "r"},
               "data": {"spec": {"a": [1, 2]}}, "revision": 0})
    );
    assert_eq!(
        revision(Enc::new())["data"],
        Value::Null,
        "empty raw is left out"
    );
    let inner = envelope(
        "v1",
        "ConfigMap",
        Enc::new().msg(1, meta("c")).entry(2, "k", "v"),
    );
    assert_eq!(
        revision(Enc::new().bytes(1, &inner))["data"],
        json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "c"},
               "data": {"k": "v"}})
    );
    let bad = envelope(
        "apps/v1",
        "ControllerRevision",
        Enc::new().msg(2, Enc::new().bytes(1, b"{not json")),
    );
    assert!(matches!(
        decode_envelope(&bad),
        Err(ProtoError::EmbeddedJson { .. })
    ));
}

#[test]
fn managed_fields_and_extra_values() {
    let entry = Enc::new()
        .string(1, "kubectl")
        .string(2, "Update")
        .string(3, "v1")
        .msg(4, time(1_704_164_645, 0))
        .string(6, "FieldsV1")
        .msg(7, Enc::new().bytes(1, br#"{"f:data":{".":{}}}"#));
    let m = msg(
        &format!("{META}ObjectMeta"),
        Enc::new().string(1, "x").msg(17, entry),
    );
    assert_eq!(
        m,
        Some(json!({"name": "x", "managedFields": [{
            "manager": "kubectl", "operation": "Update", "apiVersion": "v1",
            "time": "2024-01-02T03:04:05Z", "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {".": {}}}}]}))
    );
    let extra = Enc::new()
        .string(1, "groups")
        .msg(2, Enc::new().string(1, "a").string(1, "b"));
    let spec = Enc::new()
        .string(3, "bob")
        .msg(5, extra)
        .msg(5, Enc::new().string(1, "none"));
    let obj = Enc::new().msg(2, spec);
    assert_eq!(
        decode(&envelope(
            "authorization.k8s.io/v1",
            "SubjectAccessReview",
            obj
        ))["spec"],
        json!({"user": "bob", "extra": {"groups": ["a", "b"], "none": []}})
    );
}

#[test]
fn crd_schema_unions() {
    let props = |e: Enc| msg(&format!("{CRD}JSONSchemaProps"), e).unwrap();
    let string_schema = Enc::new().string(5, "string");
    let v = props(
        Enc::new()
            .string(5, "object")
            .msg(30, Enc::new().boolean(1, true))
            .boolean(38, true)
            .double(9, 2.5)
            .msg(8, Enc::new().bytes(1, b"{\"a\":1}"))
            .msg(20, Enc::new().bytes(1, b"\"x\""))
            .msg(20, Enc::new())
            .msg(
                29,
                Enc::new().string(1, "list").msg(
                    2,
                    Enc::new()
                        .string(5, "array")
                        .msg(24, Enc::new().msg(1, string_schema.clone())),
                ),
            )
            .msg(
                29,
                Enc::new().string(1, "map").msg(
                    2,
                    Enc::new().msg(30, Enc::new().msg(2, string_schema.clone())),
                ),
            )
            .msg(
                29,
                Enc::new().string(1, "tuple").msg(
                    2,
                    Enc::new().msg(
                        24,
                        Enc::new().msg(2, string_schema.clone()).msg(2, Enc::new()),
                    ),
                ),
            ),
    );
    assert_eq!(
        v,
        json!({"type": "object", "default": {"a": 1}, "maximum": 2.5, "enum": ["x", null],
               "properties": {
                   "list": {"type": "array", "items": {"type": "string"}},
                   "map": {"additionalProperties": {"type": "string"}},
                   "tuple": {"items": [{"type": "string"}, {}]}},
               "additionalProperties": true,
               "x-kubernetes-preserve-unknown-fields": true})
    );
    assert_eq!(
        props(Enc::new().msg(30, Enc::new())),
        json!({"additionalProperties": false})
    );
}

#[test]
fn repeated_packed_negative_and_merged_fields() {
    // supplementalGroups (int64) both unpacked and packed; fsGroup negative.
    let mut packed = Vec::new();
    for v in [3u64, 4, 300] {
        common::varint(&mut packed, v);
    }
    let psc = Enc::new().int(4, 1).bytes(4, &packed).int(5, -7);
    // Two occurrences of a singular message field merge; the last scalar wins.
    let spec = Enc::new()
        .msg(14, psc)
        .msg(14, Enc::new().int(5, 9))
        .string(6, "Default")
        .string(6, "ClusterFirst");
    let v = decode(&envelope("v1", "Pod", Enc::new().msg(2, spec)));
    assert_eq!(
        v["spec"],
        json!({"dnsPolicy": "ClusterFirst",
               "securityContext": {"supplementalGroups": [1, 3, 4, 300], "fsGroup": 9}})
    );
    // A negative int32 is a sign-extended 10-byte varint.
    let port = Enc::new().int(3, -1);
    let v = decode(&envelope(
        "v1",
        "Service",
        Enc::new().msg(2, Enc::new().msg(1, port)),
    ));
    assert_eq!(v["spec"]["ports"], json!([{"port": -1}]));
}

#[test]
fn unknown_fields_are_skipped() {
    let obj = Enc::new()
        .msg(1, meta("demo").string(999, "future"))
        .int(50, 7)
        .double(51, 1.0)
        .key(52, 5)
        .raw(&[1, 2, 3, 4])
        .key(53, 3)
        .string(1, "in a group")
        .key(53, 4);
    assert_eq!(
        decode(&envelope("v1", "Namespace", obj)),
        json!({"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": "demo"}})
    );
}

#[test]
fn kinds_lists_and_meta_kinds() {
    let list = Enc::new()
        .msg(1, Enc::new().string(2, "42"))
        .msg(2, Enc::new().msg(1, meta("a")))
        .msg(2, Enc::new().msg(1, meta("b")));
    assert_eq!(
        decode(&envelope("v1", "PodList", list)),
        json!({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "42"},
               "items": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}]})
    );
    let opts = Enc::new().int(1, 0).string(4, "Foreground");
    assert_eq!(
        decode(&envelope("apps/v1", "DeleteOptions", opts.clone())),
        json!({"kind": "DeleteOptions", "apiVersion": "apps/v1",
               "gracePeriodSeconds": 0, "propagationPolicy": "Foreground"})
    );
    let eviction = Enc::new().msg(1, meta("p")).msg(2, opts);
    assert_eq!(
        decode_object("policy/v1", "Eviction", &eviction.0).unwrap(),
        json!({"metadata": {"name": "p"},
               "deleteOptions": {"gracePeriodSeconds": 0, "propagationPolicy": "Foreground"}})
    );
    let err = decode_envelope(&envelope("example.com/v1", "Widget", Enc::new())).unwrap_err();
    assert!(matches!(err, ProtoError::UnknownKind { .. }), "{err}");
    for (av, kind) in [
        ("v1", "Namespace"),
        ("authentication.k8s.io/v1", "TokenRequest"),
        ("authentication.k8s.io/v1", "SelfSubjectReview"),
        ("policy/v1", "Eviction"),
        ("autoscaling/v1", "Scale"),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
        ("apiregistration.k8s.io/v1", "APIService"),
        ("batch/v1", "CronJobList"),
    ] {
        assert!(table::root_message(av, kind).is_some(), "{av} {kind}");
    }
}
