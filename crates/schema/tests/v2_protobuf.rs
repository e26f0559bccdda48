//! The protobuf form of `/openapi/v2`, read back with a minimal wire reader.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kubehci_schema::openapi_v2_protobuf;
use serde_json::{Value, json};

/// A minimal wire reader: (field, wire type, payload) of each top-level field.
fn fields(mut b: &[u8]) -> Vec<(u64, u8, Vec<u8>)> {
    fn varint(b: &mut &[u8]) -> u64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let byte = b[0];
            *b = &b[1..];
            v |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return v;
            }
            shift += 7;
        }
    }
    let mut out = Vec::new();
    while !b.is_empty() {
        let key = varint(&mut b);
        let wire = (key & 7) as u8;
        let payload = match wire {
            0 => varint(&mut b).to_le_bytes().to_vec(),
            1 => {
                let p = b[..8].to_vec();
                b = &b[8..];
                p
            }
            _ => {
                let n = varint(&mut b) as usize;
                let p = b[..n].to_vec();
                b = &b[n..];
                p
            }
        };
        out.push((key >> 3, wire, payload));
    }
    out
}

fn field(b: &[u8], n: u64) -> Vec<u8> {
    fields(b)
        .into_iter()
        .find(|(f, _, _)| *f == n)
        .map(|(_, _, p)| p)
        .expect("field")
}

#[test]
fn encodes_document_paths_definitions_and_extensions() {
    let doc = json!({
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": "v1.33.0"},
        "paths": {"/api/v1/pods": {"get": {"operationId": "listPods",
            "x-kubernetes-action": "list",
            "parameters": [{"in": "query", "name": "fieldValidation", "type": "string"}],
            "responses": {"200": {"description": "OK", "schema": {"$ref": "#/definitions/P"}}}}}},
        "definitions": {"P": {"type": "object", "required": ["a"],
            "properties": {"a": {"type": "array", "items": {"type": "string"},
                                  "x-kubernetes-list-type": "set"}},
            "x-kubernetes-group-version-kind": [{"group": "", "kind": "Pod", "version": "v1"}]}},
    });
    let pb = openapi_v2_protobuf(&doc);
    assert_eq!(field(&pb, 1), b"2.0");
    assert_eq!(field(&field(&pb, 2), 2), b"v1.33.0");
    let named_path = field(&field(&pb, 8), 2);
    assert_eq!(field(&named_path, 1), b"/api/v1/pods");
    let get = field(&field(&named_path, 2), 2);
    assert_eq!(field(&get, 5), b"listPods");
    let ext = field(&get, 13);
    assert_eq!(field(&ext, 1), b"x-kubernetes-action");
    assert_eq!(field(&field(&ext, 2), 2), b"\"list\"");
    let query = field(&field(&field(&field(&get, 8), 1), 2), 3);
    assert_eq!(field(&query, 4), b"fieldValidation");
    let def = field(&field(&pb, 9), 1);
    assert_eq!(field(&def, 1), b"P");
    let schema = field(&def, 2);
    assert_eq!(field(&field(&schema, 22), 1), b"object");
    assert_eq!(field(&schema, 19), b"a");
    let gvk = field(&schema, 31);
    let yaml: Value = serde_json::from_slice(&field(&field(&gvk, 2), 2)).unwrap();
    assert_eq!(yaml[0]["kind"], "Pod");
    let prop = field(&field(&schema, 25), 1);
    let items = field(&field(&field(&prop, 2), 23), 1);
    assert_eq!(field(&field(&items, 22), 1), b"string");
}
