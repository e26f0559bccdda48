//! Untrusted bodies: every malformed input is an error, never a panic or a hang.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Enc, envelope, meta, varint};
use kubehci_proto::{MAX_DEPTH, ProtoError, decode_envelope, decode_message, is_protobuf};

fn fixture(name: &str) -> Vec<u8> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    std::fs::read(dir.join(name)).unwrap()
}

#[test]
fn content_type_detection() {
    assert!(is_protobuf("application/vnd.kubernetes.protobuf"));
    assert!(is_protobuf(
        "Application/VND.Kubernetes.Protobuf; charset=utf-8"
    ));
    assert!(is_protobuf(
        " application/vnd.kubernetes.protobuf;stream=watch"
    ));
    assert!(!is_protobuf("application/json"));
    assert!(!is_protobuf("application/vnd.kubernetes.protobuf+json"));
    assert!(!is_protobuf(""));
}

#[test]
fn bad_magic_and_empty() {
    assert!(matches!(decode_envelope(b""), Err(ProtoError::BadMagic)));
    assert!(matches!(decode_envelope(b"k8s"), Err(ProtoError::BadMagic)));
    assert!(matches!(
        decode_envelope(b"{\"kind\":\"Pod\"}"),
        Err(ProtoError::BadMagic)
    ));
    assert!(matches!(
        decode_envelope(b"k8s\x00"),
        Err(ProtoError::MissingKind)
    ));
}

#[test]
fn every_truncation_of_a_real_body_fails_cleanly() {
    let body = fixture("create-deployment.pb");
    assert!(decode_envelope(&body).is_ok());
    for len in 0..body.len() {
        // Some prefixes end on a field boundary and still decode; none may panic.
        let _ = decode_envelope(body.get(..len).unwrap());
    }
    // kubectl's envelope ends with empty contentEncoding and contentType (1a 00 22 00).
    assert!(body.ends_with(&[0x1a, 0x00, 0x22, 0x00]));
    let err = decode_envelope(body.get(..body.len() - 1).unwrap()).unwrap_err();
    assert!(matches!(err, ProtoError::Truncated { .. }), "{err}");
    // Cut inside the object: its length prefix now points past the end.
    let err = decode_envelope(body.get(..body.len() - 5).unwrap()).unwrap_err();
    assert!(matches!(err, ProtoError::LengthOutOfRange { .. }), "{err}");
}

#[test]
fn huge_lengths_and_long_varints() {
    let mut body = b"k8s\x00".to_vec();
    body.push(0x12); // field 2 (raw), length-delimited
    varint(&mut body, u64::MAX);
    assert!(matches!(
        decode_envelope(&body),
        Err(ProtoError::LengthOutOfRange {
            length: u64::MAX,
            ..
        })
    ));
    let mut body = b"k8s\x00".to_vec();
    body.extend_from_slice(&[0x08; 1]);
    body.extend_from_slice(&[0xff; 11]);
    assert!(matches!(
        decode_envelope(&body),
        Err(ProtoError::VarintOverflow { .. })
    ));
    let mut body = b"k8s\x00\x08".to_vec();
    body.extend_from_slice(&[0xff; 5]);
    assert!(matches!(
        decode_envelope(&body),
        Err(ProtoError::Truncated { .. })
    ));
}

#[test]
fn illegal_tags_and_groups() {
    for bad in [
        &[0x00u8, 0x00][..],
        &[0x0e, 0x00],
        &[0x0f, 0x00],
        &[0x0c],
        &[0x0b, 0x08, 0x01],
    ] {
        let mut body = b"k8s\x00".to_vec();
        body.extend_from_slice(bad);
        let err = decode_envelope(&body).unwrap_err();
        assert!(
            matches!(
                err,
                ProtoError::IllegalTag { .. }
                    | ProtoError::BadGroup { .. }
                    | ProtoError::Truncated { .. }
            ),
            "{bad:?}: {err}"
        );
    }
}

#[test]
fn wrong_wire_types_are_errors() {
    let cases = [
        // metadata (message) as a varint
        Enc::new().int(1, 5),
        // metadata.name (string) as a varint
        Enc::new().msg(1, Enc::new().int(1, 5)),
        // metadata.generation (int64) as a string
        Enc::new().msg(1, Enc::new().string(7, "x")),
        // metadata.labels (map) as a fixed64
        Enc::new().msg(1, Enc::new().double(11, 1.0)),
        // a label value (string) as a varint
        Enc::new().msg(1, Enc::new().msg(11, Enc::new().string(1, "k").int(2, 1))),
        // metadata.creationTimestamp.seconds as a string
        Enc::new().msg(1, Enc::new().msg(8, Enc::new().string(1, "x"))),
        // metadata.finalizers (repeated string) as a group
        Enc::new().msg(1, Enc::new().key(14, 3).key(14, 4)),
    ];
    for (i, obj) in cases.into_iter().enumerate() {
        let err = decode_envelope(&envelope("v1", "Namespace", obj)).unwrap_err();
        assert!(
            matches!(err, ProtoError::WrongWireType { .. }),
            "case {i}: {err}"
        );
    }
}

#[test]
fn deep_nesting_is_capped() {
    // JSONSchemaProps.not (28) nested far past the limit.
    let mut schema = Enc::new().string(5, "string");
    for _ in 0..(MAX_DEPTH * 2) {
        schema = Enc::new().msg(28, schema);
    }
    let name = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps";
    assert!(matches!(
        decode_message(name, &schema.0),
        Err(ProtoError::TooDeep { .. })
    ));
    // Nested groups in an unknown field are capped the same way.
    let mut body = Enc::new().msg(1, meta("x"));
    for _ in 0..(MAX_DEPTH * 2) {
        body = body.key(60, 3);
    }
    let err = decode_envelope(&envelope("v1", "Namespace", body)).unwrap_err();
    assert!(matches!(err, ProtoError::TooDeep { .. }), "{err}");
}

#[test]
fn work_is_capped() {
    // Tiny unknown fields deep down are re-read at every level above them.
    let mut schema = Enc::new();
    for _ in 0..20_000 {
        schema = schema.int(99, 1);
    }
    for _ in 0..(MAX_DEPTH - 5) {
        schema = Enc::new().msg(28, schema);
    }
    let name = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps";
    let err = decode_message(name, &schema.0).unwrap_err();
    assert!(matches!(err, ProtoError::TooMuchWork), "{err}");
}

#[test]
fn repeated_merges_cannot_blow_up_work() {
    // Many occurrences of a singular message field each holding many more: merging
    // concatenates, so this stays linear, and the work budget bounds it anyway.
    let mut inner = Enc::new();
    for _ in 0..2000 {
        inner = inner.msg(1, Enc::new().string(1, "n"));
    }
    let mut obj = Enc::new();
    for _ in 0..200 {
        obj = obj.msg(1, inner.clone());
    }
    let _ = decode_envelope(&envelope("v1", "Namespace", obj));
}

#[test]
fn other_envelope_errors() {
    let mut with_encoding = b"k8s\x00".to_vec();
    with_encoding.extend_from_slice(
        &Enc::new()
            .msg(1, Enc::new().string(1, "v1").string(2, "Namespace"))
            .string(3, "gzip")
            .0,
    );
    assert!(matches!(
        decode_envelope(&with_encoding),
        Err(ProtoError::UnsupportedEncoding(e)) if e == "gzip"
    ));
    let nan = Enc::new().double(9, f64::NAN);
    let name = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps";
    assert!(matches!(
        decode_message(name, &nan.0),
        Err(ProtoError::NonFinite { .. })
    ));
    assert!(matches!(
        decode_message("io.k8s.example.Nope", &[]),
        Err(ProtoError::UnknownMessage(_))
    ));
}

/// A small deterministic generator (xorshift) for mutation fuzzing without dependencies.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn mutated_real_bodies_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let names = [
        "create-deployment.pb",
        "create-cronjob.pb",
        "auth-can-i.pb",
        "create-secret.pb",
    ];
    for name in names {
        let body = fixture(name);
        for _ in 0..3000 {
            let mut b = body.clone();
            for _ in 0..=rng.below(4) {
                let i = 4 + rng.below(b.len() - 4);
                match rng.below(3) {
                    0 => b[i] = rng.next() as u8,
                    1 => b[i] ^= 1 << rng.below(8),
                    _ => b.insert(i, rng.next() as u8),
                }
            }
            let _ = decode_envelope(&b);
        }
    }
}

#[test]
fn nesting_just_under_the_cap_decodes_on_a_small_stack() {
    // Run on a 1 MiB thread, half of tokio's default: the recursion per level must stay small.
    let handle = std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(|| {
            let levels = MAX_DEPTH - 2;
            let mut schema = Enc::new().string(5, "string");
            for _ in 0..levels {
                schema = Enc::new().msg(28, schema);
            }
            let name = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps";
            let mut v = decode_message(name, &schema.0).unwrap().unwrap();
            for _ in 0..levels {
                v = v.get("not").unwrap().clone();
            }
            assert_eq!(v, serde_json::json!({"type": "string"}));
        })
        .unwrap();
    handle.join().unwrap();
}
