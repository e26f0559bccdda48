//! `/openapi/v2` in protobuf, the form kubectl asks for
//! (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`): gnostic's
//! `openapi.v2.Document`, written by hand from the Swagger JSON this crate renders.
//! Vendor extensions and free values (`default`, `enum`, `example`) travel as
//! `Any{yaml}`; JSON text is valid YAML.

use serde_json::{Map, Value};

/// The `Content-Type` of the protobuf document. (Clients ask for it in `Accept` as
/// `application/com.github.proto-openapi.spec.v2@v1.0+protobuf`, an older spelling Go's
/// media-type parser cannot read back, so responses use this one, as upstream does.)
pub const OPENAPI_V2_PROTOBUF: &str = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/// Whether an `Accept` header asks for the protobuf form of `/openapi/v2` (either
/// spelling).
pub fn wants_v2_protobuf(accept: &str) -> bool {
    accept.contains("com.github.proto-openapi.spec.v2")
}

/// Protobuf wire writer: a byte buffer with field helpers.
#[derive(Default)]
struct W(Vec<u8>);

impl W {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn tag(&mut self, field: u32, wire: u8) {
        self.varint((u64::from(field) << 3) | u64::from(wire));
    }

    fn bytes(&mut self, field: u32, b: &[u8]) {
        self.tag(field, 2);
        self.varint(b.len() as u64);
        self.0.extend_from_slice(b);
    }

    fn string(&mut self, field: u32, s: &str) {
        if !s.is_empty() {
            self.bytes(field, s.as_bytes());
        }
    }

    fn str_of(&mut self, field: u32, v: Option<&Value>) {
        if let Some(s) = v.and_then(Value::as_str) {
            self.string(field, s);
        }
    }

    fn strings(&mut self, field: u32, v: Option<&Value>) {
        for s in v
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            self.bytes(field, s.as_bytes());
        }
    }

    fn boolean(&mut self, field: u32, v: Option<&Value>) {
        if v.and_then(Value::as_bool) == Some(true) {
            self.tag(field, 0);
            self.varint(1);
        }
    }

    fn int(&mut self, field: u32, v: Option<&Value>) {
        if let Some(n) = v.and_then(Value::as_i64) {
            self.tag(field, 0);
            self.varint(n as u64);
        }
    }

    fn double(&mut self, field: u32, v: Option<&Value>) {
        if let Some(n) = v.and_then(Value::as_f64) {
            self.tag(field, 1);
            self.0.extend_from_slice(&n.to_le_bytes());
        }
    }

    fn message(&mut self, field: u32, f: impl FnOnce(&mut W)) {
        let mut inner = W::default();
        f(&mut inner);
        self.bytes(field, &inner.0);
    }

    /// `Any{yaml = 2}` holding a JSON value.
    fn any(&mut self, field: u32, v: &Value) {
        let text = serde_json::to_string(v).unwrap_or_default();
        self.message(field, |a| a.string(2, &text));
    }

    /// `repeated NamedAny` for every `x-` key of `obj`.
    fn extensions(&mut self, field: u32, obj: &Map<String, Value>) {
        for (k, v) in obj.iter().filter(|(k, _)| k.starts_with("x-")) {
            self.message(field, |n| {
                n.string(1, k);
                n.any(2, v);
            });
        }
    }
}

/// Encodes a Swagger 2.0 JSON document (as [`crate::openapi_v2`] renders it).
pub fn openapi_v2_protobuf(doc: &Value) -> Vec<u8> {
    let mut w = W::default();
    let empty = Map::new();
    let root = doc.as_object().unwrap_or(&empty);
    w.str_of(1, root.get("swagger"));
    if let Some(info) = root.get("info") {
        w.message(2, |i| {
            i.str_of(1, info.get("title"));
            i.str_of(2, info.get("version"));
        });
    }
    if let Some(Value::Object(paths)) = root.get("paths") {
        w.message(8, |p| {
            for (path, item) in paths {
                p.message(2, |n| {
                    n.string(1, path);
                    n.message(2, |pi| path_item(pi, item));
                });
            }
        });
    }
    if let Some(Value::Object(defs)) = root.get("definitions") {
        w.message(9, |d| named_schemas(d, defs));
    }
    for req in root
        .get("security")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        w.message(12, |s| {
            for (name, scopes) in req.as_object().into_iter().flatten() {
                s.message(1, |n| {
                    n.string(1, name);
                    n.message(2, |a| a.strings(1, Some(scopes)));
                });
            }
        });
    }
    if let Some(Value::Object(defs)) = root.get("securityDefinitions") {
        w.message(13, |s| {
            for (name, def) in defs {
                s.message(1, |n| {
                    n.string(1, name);
                    // SecurityDefinitionsItem.api_key_security = 2
                    n.message(2, |item| {
                        item.message(2, |k| {
                            k.str_of(1, def.get("type"));
                            k.str_of(2, def.get("name"));
                            k.str_of(3, def.get("in"));
                            k.str_of(4, def.get("description"));
                        })
                    });
                });
            }
        });
    }
    w.0
}

fn path_item(w: &mut W, item: &Value) {
    let Some(obj) = item.as_object() else { return };
    for (method, field) in [
        ("get", 2),
        ("put", 3),
        ("post", 4),
        ("delete", 5),
        ("options", 6),
        ("head", 7),
        ("patch", 8),
    ] {
        if let Some(op) = obj.get(method) {
            w.message(field, |o| operation(o, op));
        }
    }
    for p in obj
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        w.message(9, |pi| parameter(pi, p));
    }
    w.extensions(10, obj);
}

fn operation(w: &mut W, op: &Value) {
    let Some(obj) = op.as_object() else { return };
    w.strings(1, obj.get("tags"));
    w.str_of(3, obj.get("description"));
    w.str_of(5, obj.get("operationId"));
    w.strings(6, obj.get("produces"));
    w.strings(7, obj.get("consumes"));
    for p in obj
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        w.message(8, |pi| parameter(pi, p));
    }
    if let Some(Value::Object(responses)) = obj.get("responses") {
        w.message(9, |rs| {
            for (code, resp) in responses {
                rs.message(1, |n| {
                    n.string(1, code);
                    // ResponseValue.response = 1
                    n.message(2, |rv| {
                        rv.message(1, |r| {
                            r.str_of(1, resp.get("description"));
                            if let Some(s) = resp.get("schema") {
                                // SchemaItem.schema = 1
                                r.message(2, |si| si.message(1, |sc| schema(sc, s, 0)));
                            }
                        })
                    });
                });
            }
        });
    }
    w.strings(10, obj.get("schemes"));
    w.extensions(13, obj);
}

/// `ParametersItem.parameter = 1` holding a body or a non-body (query/path) parameter.
fn parameter(w: &mut W, p: &Value) {
    let location = p.get("in").and_then(Value::as_str).unwrap_or_default();
    w.message(1, |param| {
        if location == "body" {
            param.message(1, |b| {
                b.str_of(1, p.get("description"));
                b.str_of(2, p.get("name"));
                b.str_of(3, p.get("in"));
                b.boolean(4, p.get("required"));
                if let Some(s) = p.get("schema") {
                    b.message(5, |sc| schema(sc, s, 0));
                }
            });
            return;
        }
        // NonBodyParameter: header = 1, formData = 2, query = 3, path = 4. The sub
        // schemas share fields 1-4; `type` is 6 for query/formData, 5 for header/path.
        let (which, type_field, unique_field) = match location {
            "query" => (3, 6, 20),
            "formData" => (2, 6, 20),
            "header" => (1, 5, 19),
            _ => (4, 5, 19),
        };
        param.message(2, |nb| {
            nb.message(which, |q| {
                q.boolean(1, p.get("required"));
                q.str_of(2, p.get("in"));
                q.str_of(3, p.get("description"));
                q.str_of(4, p.get("name"));
                q.str_of(type_field, p.get("type"));
                q.boolean(unique_field, p.get("uniqueItems"));
            });
        });
    });
}

fn named_schemas(w: &mut W, map: &Map<String, Value>) {
    for (name, s) in map {
        w.message(1, |n| {
            n.string(1, name);
            n.message(2, |sc| schema(sc, s, 0));
        });
    }
}

/// Deepest schema nesting encoded; deeper parts are left out.
const MAX_DEPTH: usize = 256;

fn schema(w: &mut W, s: &Value, depth: usize) {
    let Some(obj) = s.as_object() else { return };
    if depth > MAX_DEPTH {
        return;
    }
    w.str_of(1, obj.get("$ref"));
    w.str_of(2, obj.get("format"));
    w.str_of(3, obj.get("title"));
    w.str_of(4, obj.get("description"));
    if let Some(d) = obj.get("default") {
        w.any(5, d);
    }
    w.double(6, obj.get("multipleOf"));
    w.double(7, obj.get("maximum"));
    w.boolean(8, obj.get("exclusiveMaximum"));
    w.double(9, obj.get("minimum"));
    w.boolean(10, obj.get("exclusiveMinimum"));
    w.int(11, obj.get("maxLength"));
    w.int(12, obj.get("minLength"));
    w.str_of(13, obj.get("pattern"));
    w.int(14, obj.get("maxItems"));
    w.int(15, obj.get("minItems"));
    w.boolean(16, obj.get("uniqueItems"));
    w.int(17, obj.get("maxProperties"));
    w.int(18, obj.get("minProperties"));
    w.strings(19, obj.get("required"));
    for e in obj
        .get("enum")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        w.any(20, e);
    }
    match obj.get("additionalProperties") {
        // A oneof member is written even when false.
        Some(Value::Bool(b)) => w.message(21, |a| {
            a.tag(2, 0);
            a.varint(u64::from(*b));
        }),
        Some(ap @ Value::Object(_)) => {
            w.message(21, |a| a.message(1, |sc| schema(sc, ap, depth + 1)))
        }
        _ => {}
    }
    match obj.get("type") {
        Some(t @ Value::String(_)) => w.message(22, |ti| ti.str_of(1, Some(t))),
        Some(t @ Value::Array(_)) => w.message(22, |ti| ti.strings(1, Some(t))),
        _ => {}
    }
    match obj.get("items") {
        Some(Value::Array(items)) => w.message(23, |ii| {
            items
                .iter()
                .for_each(|i| ii.message(1, |sc| schema(sc, i, depth + 1)))
        }),
        Some(i @ Value::Object(_)) => {
            w.message(23, |ii| ii.message(1, |sc| schema(sc, i, depth + 1)))
        }
        _ => {}
    }
    for a in obj
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        w.message(24, |sc| schema(sc, a, depth + 1));
    }
    if let Some(Value::Object(props)) = obj.get("properties") {
        w.message(25, |p| {
            for (name, s) in props {
                p.message(1, |n| {
                    n.string(1, name);
                    n.message(2, |sc| schema(sc, s, depth + 1));
                });
            }
        });
    }
    w.str_of(26, obj.get("discriminator"));
    w.boolean(27, obj.get("readOnly"));
    if let Some(e) = obj.get("example") {
        w.any(30, e);
    }
    w.extensions(31, obj);
}
