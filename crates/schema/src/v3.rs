//! `/openapi/v3`: an index of group-versions, and one OpenAPI 3.0 document per
//! group-version with the paths of that group-version and the schemas they reach.

use serde_json::{Map, Value, json};

use crate::catalog::PATCH;
use crate::definitions::walk_schemas;
use crate::ops::{Operation, Param, Payload};
use crate::spec::Spec;
use crate::v2::KUBERNETES_VERSION;

/// The index key of a group-version: `api/v1`, `apis/apps/v1`.
pub fn group_version_key(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// The document of one group-version, or `None` when nothing of it is served.
pub(crate) fn render_group_version(spec: &Spec, group: &str, version: &str) -> Option<Value> {
    let items = spec.groups.get(&(group.to_string(), version.to_string()))?;
    let mut paths = Map::new();
    for item in items {
        paths.insert(item.path.clone(), item.render(operation, param));
    }
    let mut schemas = Map::new();
    let own = (group.to_string(), version.to_string());
    for name in spec.reachable(items) {
        if let Some(def) = spec.defs.get(&name) {
            let def = spec.meta_definition(&name, def, std::iter::once(&own));
            let schema = v3_definition(&name, &def);
            schemas.insert(name, schema);
        }
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "BearerToken": {
                    "description": "Bearer Token authentication",
                    "in": "header",
                    "name": "authorization",
                    "type": "apiKey",
                }
            }
        },
    }))
}

/// The v3 form of a definition. IntOrString and Quantity are published as `oneOf`
/// their JSON alternatives, as upstream does (kubectl explain then names them).
fn v3_definition(name: &str, def: &Value) -> Value {
    let mut out = to_v3_schema(def);
    let alternatives = match name {
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString" => {
            json!([{"type": "integer"}, {"type": "string"}])
        }
        "io.k8s.apimachinery.pkg.api.resource.Quantity" => {
            json!([{"type": "string"}, {"type": "number"}])
        }
        _ => return out,
    };
    if let Some(obj) = out.as_object_mut() {
        obj.remove("type");
        obj.insert("oneOf".into(), alternatives);
    }
    out
}

/// A v2-shaped definition rewritten for OpenAPI 3: `$ref`s point into
/// `#/components/schemas/`, and a `$ref` with siblings becomes `allOf: [{$ref}]` beside
/// them (OpenAPI 3.0 ignores siblings of `$ref`).
pub(crate) fn to_v3_schema(def: &Value) -> Value {
    let mut out = def.clone();
    walk_schemas(&mut out, 0, &mut |obj, _| {
        let Some(Value::String(r)) = obj.get("$ref") else {
            return;
        };
        let target = match r.strip_prefix("#/definitions/") {
            Some(name) => format!("#/components/schemas/{name}"),
            None => r.clone(),
        };
        if obj.len() == 1 {
            obj.insert("$ref".into(), json!(target));
        } else {
            obj.remove("$ref");
            obj.insert("allOf".into(), json!([{ "$ref": target }]));
        }
    });
    out
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn payload_schema(payload: &Payload) -> Value {
    match payload {
        Payload::Definition(d) => reference(d),
        Payload::Patch => reference(PATCH),
        Payload::Text => json!({"type": "string"}),
    }
}

fn param(p: &Param) -> Value {
    let mut out = json!({
        "description": p.description,
        "in": p.location,
        "name": p.name,
        "schema": {"type": p.ty, "uniqueItems": true},
    });
    if p.required {
        out["required"] = json!(true);
    }
    out
}

fn operation(op: &Operation) -> Value {
    let mut out = json!({
        "description": op.description,
        "operationId": op.id,
        "tags": [op.tag],
    });
    if !op.params.is_empty() {
        out["parameters"] = op.params.iter().map(param).collect();
    }
    if let Some((payload, required)) = &op.body {
        let schema = payload_schema(payload);
        let content: Map<String, Value> = match payload {
            Payload::Patch => op
                .consumes
                .iter()
                .map(|ct| (ct.to_string(), json!({"schema": schema})))
                .collect(),
            _ => std::iter::once(("*/*".to_string(), json!({"schema": schema}))).collect(),
        };
        let mut body = json!({"content": content});
        if *required {
            body["required"] = json!(true);
        }
        out["requestBody"] = body;
    }
    let mut responses = Map::new();
    for r in &op.responses {
        let mut resp = json!({"description": r.description});
        if let Some(p) = &r.payload {
            let schema = payload_schema(p);
            let content: Map<String, Value> = op
                .produces
                .iter()
                .map(|ct| (ct.to_string(), json!({"schema": schema})))
                .collect();
            resp["content"] = Value::Object(content);
        }
        responses.insert(r.code.to_string(), resp);
    }
    out["responses"] = Value::Object(responses);
    op.add_extensions(&mut out);
    out
}
