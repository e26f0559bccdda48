//! Strict field validation: unknown and duplicate fields named as upstream names them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::widget;
use kubehci_api::Scope;
use kubehci_api::builtin::builtin_resources;
use kubehci_schema::{
    CustomSchema, Error, MAX_DEPTH, Schemas, StrictIssue, build_model, duplicate_fields,
    strict_decoding_message, strict_issues, unknown_fields, unknown_fields_message,
};
use serde_json::{Value, json};

fn model() -> Schemas {
    let pruned = widget(
        json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "size": {"type": "integer"},
            "opaque": {"type": "object"},
            "blob": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
            "template": {"type": "object", "x-kubernetes-embedded-resource": true,
                         "properties": {"spec": {"type": "object",
                                                 "x-kubernetes-preserve-unknown-fields": true}}},
            "byName": {"type": "object", "additionalProperties": {
                "type": "object", "properties": {"port": {"type": "integer"}}}}}}}}),
    );
    let open = CustomSchema::new(
        "example.com",
        "v1",
        "Gadget",
        "gadgets",
        Scope::Cluster,
        None,
    );
    build_model(&builtin_resources(), &[pruned, open])
}

fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}, "unknownMeta": 1},
        "spec": {
            "foo": 1,
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [
                    {"name": "a", "image": "nginx", "resources": {"limits": {"cpu": "1"}}},
                    {"name": "b", "image": "nginx", "bogus": true, "env": [{"name": "X", "nope": 1}]}
                ]}
            },
            "bar": {"deep": true}
        }
    })
}

#[test]
fn unknown_fields_of_a_deployment_in_document_order() {
    let s = model();
    let root = s.for_gvk("apps", "v1", "Deployment").unwrap();
    let found = unknown_fields(&s, root, &deployment());
    assert_eq!(
        found,
        vec![
            "metadata.unknownMeta",
            "spec.foo",
            "spec.template.spec.containers[1].bogus",
            "spec.template.spec.containers[1].env[0].nope",
            "spec.bar",
        ]
    );
    assert_eq!(
        unknown_fields_message(&found[1..2]),
        r#"strict decoding error: unknown field "spec.foo""#
    );
    let clean = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"},
                       "data": {"any": "thing"}, "binaryData": {}});
    let cm = s.for_gvk("", "v1", "ConfigMap").unwrap();
    assert!(unknown_fields(&s, cm, &clean).is_empty());
    // Nulls and type mismatches are not unknown fields.
    let odd = json!({"spec": {"selector": null, "template": "text", "replicas": {"x": 1}}});
    assert!(unknown_fields(&s, root, &odd).is_empty());
}

#[test]
fn raw_extensions_and_custom_schemas() {
    let s = model();
    let rev = s.for_gvk("apps", "v1", "ControllerRevision").unwrap();
    let doc =
        json!({"metadata": {"name": "r"}, "revision": 1, "data": {"anything": {"goes": [1]}}});
    assert!(unknown_fields(&s, rev, &doc).is_empty());

    let w = s.for_gvk("example.com", "v1", "Widget").unwrap();
    let doc = json!({
        "apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": {"name": "w", "finalizers": ["x"], "bogus": 1},
        "spec": {
            "size": 1, "extra": 2,
            "opaque": {"dropped": true},
            "blob": {"kept": {"deep": 1}},
            "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "oops": 1},
                         "spec": {"whatever": 1}, "stray": 1},
            "byName": {"http": {"port": 80, "tls": true}}
        },
        "status": {}
    });
    assert_eq!(
        unknown_fields(&s, w, &doc),
        vec![
            "metadata.bogus",
            "spec.extra",
            "spec.opaque.dropped",
            "spec.template.metadata.oops",
            "spec.template.stray",
            "spec.byName.http.tls",
            "status",
        ]
    );
    let g = s.for_gvk("example.com", "v1", "Gadget").unwrap();
    let doc = json!({"metadata": {"name": "g"}, "spec": {"free": [1, {"a": 2}]}});
    assert!(unknown_fields(&s, g, &doc).is_empty());
}

#[test]
fn duplicate_fields_name_full_paths() {
    let body = br#"{"metadata": {"name": "a", "name": "b"},
        "spec": {"replicas": 1, "paused": true, "paused": false,
                 "template": {"spec": {"containers": [{"name": "x"},
                    {"name": "y", "imagePullPolicy": "Always", "imagePullPolicy": "Never"}]}}},
        "replicas": 1, "replicas": 2}"#;
    assert_eq!(
        duplicate_fields(body).unwrap(),
        vec![
            "metadata.name",
            "spec.paused",
            "spec.template.spec.containers[1].imagePullPolicy",
            "replicas",
        ]
    );
    assert!(
        duplicate_fields(br#"{"a": {"b": 1}, "c": {"b": 1}, "d": [{"b": 1}, {"b": 2}]}"#)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        duplicate_fields(br#"{"a\u0062": 1, "ab": 2}"#).unwrap(),
        vec!["ab"]
    );
    assert_eq!(
        duplicate_fields(br#"[{"k": 1, "k": 2}]"#).unwrap(),
        vec!["[0].k"]
    );
}

#[test]
fn strict_issues_interleave_like_upstream() {
    let s = model();
    let root = s.for_gvk("apps", "v1", "Deployment").unwrap();
    let body = br#"{"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "a", "name": "b", "unknownMeta": "x"},
        "spec": {"unknown1": 1, "unknownDupe": 1, "unknownDupe": 2, "paused": true, "paused": false,
                 "selector": {"matchLabels": {"app": "x"}},
                 "template": {"spec": {"containers": [{"name": "n", "image": "i",
                    "unknownNested": 1, "imagePullPolicy": "Always", "imagePullPolicy": "Never"}]}}}}"#;
    let issues = strict_issues(&s, root, body).unwrap();
    assert_eq!(
        strict_decoding_message(&issues),
        "strict decoding error: duplicate field \"metadata.name\", unknown field \"metadata.unknownMeta\", \
         unknown field \"spec.unknown1\", unknown field \"spec.unknownDupe\", duplicate field \"spec.paused\", \
         unknown field \"spec.template.spec.containers[0].unknownNested\", \
         duplicate field \"spec.template.spec.containers[0].imagePullPolicy\""
    );
    assert_eq!(
        issues[0],
        StrictIssue::DuplicateField("metadata.name".into())
    );
    // Without a schema problem there is nothing to say.
    let ok = serde_json::to_vec(&json!({"spec": {"replicas": 1}})).unwrap();
    assert!(strict_issues(&s, root, &ok).unwrap().is_empty());
}

fn nested(depth: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(depth * 6 + 2);
    for _ in 0..depth {
        v.extend_from_slice(b"{\"a\":");
    }
    v.extend_from_slice(b"1");
    v.extend(std::iter::repeat_n(b'}', depth));
    v
}

#[test]
fn deep_nesting_is_capped_without_recursion() {
    // A small stack proves the scan does not recurse per level. (The model is built
    // outside it: generating schemas in a debug build needs a big stack.)
    let s = model();
    let handle = std::thread::Builder::new()
        .stack_size(128 * 1024)
        .spawn(move || {
            assert!(duplicate_fields(&nested(MAX_DEPTH)).unwrap().is_empty());
            assert_eq!(
                duplicate_fields(&nested(MAX_DEPTH + 1)),
                Err(Error::TooDeep { limit: MAX_DEPTH })
            );
            let arrays = [vec![b'['; 50_000], vec![b']'; 50_000]].concat();
            assert_eq!(
                duplicate_fields(&arrays),
                Err(Error::TooDeep { limit: MAX_DEPTH })
            );
            let root = s.for_gvk("example.com", "v1", "Gadget").unwrap();
            assert!(strict_issues(&s, root, &nested(5_000)).unwrap().is_empty());
            let deep: Value = {
                // (Not `json!`: it would serialize the inner value recursively.)
                let mut v = json!(1);
                for _ in 0..5_000 {
                    let mut m = serde_json::Map::new();
                    m.insert("a".into(), v);
                    v = Value::Object(m);
                }
                v
            };
            let w = s.for_gvk("example.com", "v1", "Widget").unwrap();
            assert_eq!(unknown_fields(&s, w, &deep), vec!["a"]);
            // Dropping a deep Value recurses in serde_json itself; keep it out of the
            // small stack.
            std::mem::forget(deep);
        })
        .unwrap();
    handle.join().unwrap();
}

#[test]
fn weird_json_never_panics() {
    let valid = serde_json::to_vec(&deployment()).unwrap();
    let s = model();
    let root = s.for_gvk("apps", "v1", "Deployment").unwrap();
    for cut in 0..valid.len() {
        let _ = duplicate_fields(&valid[..cut]);
        let _ = strict_issues(&s, root, &valid[..cut]);
    }
    let cases: &[&[u8]] = &[
        b"",
        b" ",
        b"{",
        b"}",
        b"[",
        b"]",
        b"{\"a\"}",
        b"{\"a\":}",
        b"{\"a\":1,}",
        b"[1,]",
        b"{,}",
        b"\"\\",
        b"\"\\u12\"",
        b"{\"\\ud800\": 1}",
        b"nul",
        b"tru",
        b"-",
        b"1e",
        b"01",
        b"1 2",
        b"{\"a\":1}x",
        b"\xff\xfe",
        b"{\"\xff\": 1, \"\xff\": 2}",
        b"\"\x01\"",
        b"[[[[]]]]",
    ];
    for case in cases {
        let _ = duplicate_fields(case);
        let _ = strict_issues(&s, root, case);
    }
    assert!(matches!(
        duplicate_fields(b"{\"a\":1,}"),
        Err(Error::Syntax { .. })
    ));
    assert!(matches!(
        duplicate_fields(b"1 2"),
        Err(Error::Syntax { .. })
    ));
    assert_eq!(duplicate_fields(b" 1 ").unwrap(), Vec::<String>::new());
    // A pseudo-random byte soup.
    let mut x: u32 = 12345;
    for _ in 0..2_000 {
        let bytes: Vec<u8> = (0..64)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                b"{}[]\":,1a \\tn"[(x >> 16) as usize % 13]
            })
            .collect();
        let _ = duplicate_fields(&bytes);
        let _ = strict_issues(&s, root, &bytes);
    }
}

#[test]
fn issues_are_capped_and_deduplicated() {
    let mut body = String::from("{\"spec\":{");
    for i in 0..150 {
        body.push_str(&format!("\"u{i}\":1,"));
    }
    body.push_str("\"u0\":2}}");
    let s = model();
    let root = s.for_gvk("apps", "v1", "Deployment").unwrap();
    let issues = strict_issues(&s, root, body.as_bytes()).unwrap();
    assert_eq!(issues.len(), kubehci_schema::MAX_ISSUES);
    let value: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        unknown_fields(&s, root, &value).len(),
        kubehci_schema::MAX_ISSUES
    );
}
