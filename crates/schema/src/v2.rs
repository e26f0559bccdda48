//! `/openapi/v2`: one Swagger 2.0 document with every path and definition.

use serde_json::{Map, Value, json};

use crate::catalog::PATCH;
use crate::custom::strip_for_v2;
use crate::definitions::reference;
use crate::ops::{Operation, Param, Payload};
use crate::spec::Spec;

/// `info.version` of the published documents.
pub(crate) const KUBERNETES_VERSION: &str = "v1.33.0";

pub(crate) fn render(spec: &Spec) -> Value {
    let mut paths = Map::new();
    for items in spec.groups.values() {
        for item in items {
            paths.insert(item.path.clone(), item.render(operation, param));
        }
    }
    let mut defs = Map::new();
    for (name, def) in &spec.defs {
        let mut def = spec.meta_definition(name, def, spec.custom_gvs.iter());
        if spec.custom_defs.contains(name) {
            strip_for_v2(&mut def);
        }
        defs.insert(name.clone(), def);
    }
    json!({
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
        "paths": paths,
        "definitions": defs,
        "securityDefinitions": {
            "BearerToken": {
                "description": "Bearer Token authentication",
                "in": "header",
                "name": "authorization",
                "type": "apiKey",
            }
        },
        "security": [{"BearerToken": []}],
    })
}

fn param(p: &Param) -> Value {
    let mut out = json!({
        "description": p.description,
        "in": p.location,
        "name": p.name,
        "type": p.ty,
        "uniqueItems": true,
    });
    if p.required {
        out["required"] = json!(true);
    }
    out
}

fn payload_schema(payload: &Payload) -> Value {
    match payload {
        Payload::Definition(d) => reference(d),
        Payload::Patch => reference(PATCH),
        Payload::Text => json!({"type": "string"}),
    }
}

fn operation(op: &Operation) -> Value {
    let mut params: Vec<Value> = Vec::new();
    if let Some((payload, required)) = &op.body {
        let mut body = json!({"in": "body", "name": "body", "schema": payload_schema(payload)});
        if *required {
            body["required"] = json!(true);
        }
        params.push(body);
    }
    params.extend(op.params.iter().map(param));
    let mut responses = Map::new();
    for r in &op.responses {
        let mut resp = json!({"description": r.description});
        if let Some(p) = &r.payload {
            resp["schema"] = payload_schema(p);
        }
        responses.insert(r.code.to_string(), resp);
    }
    let mut out = json!({
        "consumes": op.consumes,
        "description": op.description,
        "operationId": op.id,
        "produces": op.produces,
        "responses": responses,
        "schemes": ["https"],
        "tags": [op.tag],
    });
    if !params.is_empty() {
        out["parameters"] = Value::Array(params);
    }
    op.add_extensions(&mut out);
    out
}
