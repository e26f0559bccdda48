//! The built-in definitions: k8s-openapi's schemas under upstream's names, reshaped where
//! k8s-openapi differs from upstream's published documents, with the Kubernetes
//! extensions and `x-kubernetes-group-version-kind` added. Generated once per process.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::catalog::{self, KINDS, LIST_META, OBJECT_META};
use crate::extensions;

/// A (group, version, kind) triple as plain strings.
pub(crate) type Gvk = (String, String, String);

/// Every built-in definition (v2-shaped: `$ref`s point at `#/definitions/`).
pub(crate) struct Builtin {
    pub defs: BTreeMap<String, Value>,
    /// Definition name of each built-in kind.
    pub kinds: HashMap<Gvk, String>,
}

/// The built-in definitions, generated on first use.
pub(crate) fn builtin() -> &'static Builtin {
    static BUILTIN: OnceLock<Builtin> = OnceLock::new();
    BUILTIN.get_or_init(generate)
}

fn generate() -> Builtin {
    let mut generator = SchemaSettings::draft07()
        .with(|s| {
            s.definitions_path = "#/definitions".into();
            s.meta_schema = None;
            s.transforms = Vec::new();
        })
        .into_generator();
    let mut kinds = HashMap::new();
    for k in KINDS {
        let name = (k.add)(&mut generator);
        kinds.insert(
            (
                k.group.to_string(),
                k.version.to_string(),
                k.kind.to_string(),
            ),
            name,
        );
    }
    catalog::add_meta_definitions(&mut generator);
    let mut defs: BTreeMap<String, Value> = generator.take_definitions(false).into_iter().collect();
    for (name, def) in defs.iter_mut() {
        reshape(name, def);
        extensions::facts().apply(name, def);
    }
    for ((group, version, kind), name) in &kinds {
        if let Some(def) = defs.get_mut(name) {
            // Upstream keeps `metadata` required for core/v1 Event only.
            if name != "io.k8s.api.core.v1.Event" {
                drop_required_metadata(def);
            }
            set_gvks(def, &[gvk_value(group, version, kind)]);
        }
    }
    Builtin { defs, kinds }
}

/// Where k8s-openapi's schema of a definition differs from what upstream publishes,
/// publish upstream's shape (kubectl and clients key off `type`/`format`).
fn reshape(name: &str, def: &mut Value) {
    let Some(obj) = def.as_object_mut() else {
        return;
    };
    match name {
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString" => {
            obj.remove("x-kubernetes-int-or-string");
            obj.insert("type".into(), json!("string"));
            obj.insert("format".into(), json!("int-or-string"));
        }
        "io.k8s.apimachinery.pkg.api.resource.Quantity" => {
            obj.remove("x-kubernetes-int-or-string");
            obj.insert("type".into(), json!("string"));
        }
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON"
        | "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray"
        | "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool"
        | "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray" =>
        {
            obj.retain(|k, _| k == "description");
        }
        _ => {}
    }
    for (def, add, remove) in REQUIRED_FIXES {
        if *def == name {
            fix_required(obj, add, remove);
        }
    }
    for (def, discriminator, fields) in UNIONS {
        if *def == name {
            let by: Map<String, Value> = fields
                .iter()
                .map(|(f, v)| ((*f).to_string(), json!(v)))
                .collect();
            let mut union = Map::new();
            if !discriminator.is_empty() {
                union.insert("discriminator".into(), json!(discriminator));
            }
            union.insert("fields-to-discriminateBy".into(), Value::Object(by));
            obj.insert("x-kubernetes-unions".into(), json!([union]));
        }
    }
}

/// Required lists upstream publishes differently from k8s-openapi (which requires every
/// non-`Option` field): (definition, add, remove).
const REQUIRED_FIXES: &[(&str, &[&str], &[&str])] = &[
    ("io.k8s.api.core.v1.ConfigMapEnvSource", &[], &["name"]),
    ("io.k8s.api.core.v1.ConfigMapKeySelector", &[], &["name"]),
    ("io.k8s.api.core.v1.ConfigMapProjection", &[], &["name"]),
    ("io.k8s.api.core.v1.ConfigMapVolumeSource", &[], &["name"]),
    ("io.k8s.api.core.v1.LocalObjectReference", &[], &["name"]),
    ("io.k8s.api.core.v1.SecretEnvSource", &[], &["name"]),
    ("io.k8s.api.core.v1.SecretKeySelector", &[], &["name"]),
    ("io.k8s.api.core.v1.SecretProjection", &[], &["name"]),
    ("io.k8s.api.events.v1.Event", &["eventTime"], &[]),
    (
        "io.k8s.api.networking.v1.NetworkPolicySpec",
        &["podSelector"],
        &[],
    ),
];

/// `x-kubernetes-unions`: (definition, discriminator or "", [(field, discriminator value)]).
type Union = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);
const UNIONS: &[Union] = &[
    (
        "io.k8s.api.core.v1.AppArmorProfile",
        "type",
        &[("localhostProfile", "LocalhostProfile")],
    ),
    (
        "io.k8s.api.core.v1.SeccompProfile",
        "type",
        &[("localhostProfile", "LocalhostProfile")],
    ),
    (
        "io.k8s.api.flowcontrol.v1.LimitResponse",
        "type",
        &[("queuing", "Queuing")],
    ),
    (
        "io.k8s.api.flowcontrol.v1.PriorityLevelConfigurationSpec",
        "type",
        &[("exempt", "Exempt"), ("limited", "Limited")],
    ),
    (
        "io.k8s.api.flowcontrol.v1.Subject",
        "kind",
        &[
            ("group", "Group"),
            ("serviceAccount", "ServiceAccount"),
            ("user", "User"),
        ],
    ),
];

fn fix_required(obj: &mut Map<String, Value>, add: &[&str], remove: &[&str]) {
    let mut required: Vec<Value> = match obj.remove("required") {
        Some(Value::Array(r)) => r,
        _ => Vec::new(),
    };
    required.retain(|r| !remove.iter().any(|x| r == x));
    for a in add {
        if !required.iter().any(|r| r == a) {
            required.push(json!(a));
        }
    }
    if !required.is_empty() {
        obj.insert("required".into(), Value::Array(required));
    }
}

/// k8s-openapi marks `metadata` of every kind required (it is not optional in Rust);
/// upstream does not.
fn drop_required_metadata(def: &mut Value) {
    let Some(obj) = def.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(required)) = obj.get_mut("required") {
        required.retain(|r| r != "metadata");
        if required.is_empty() {
            obj.remove("required");
        }
    }
}

/// `{"group": .., "kind": .., "version": ..}`, the element of
/// `x-kubernetes-group-version-kind`.
pub(crate) fn gvk_value(group: &str, version: &str, kind: &str) -> Value {
    json!({"group": group, "kind": kind, "version": version})
}

/// Sets a definition's `x-kubernetes-group-version-kind` list.
pub(crate) fn set_gvks(def: &mut Value, gvks: &[Value]) {
    if let Some(obj) = def.as_object_mut() {
        obj.insert(
            "x-kubernetes-group-version-kind".into(),
            Value::Array(gvks.to_vec()),
        );
    }
}

/// A `$ref` to a definition, v2-shaped.
pub(crate) fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/definitions/{name}") })
}

/// A `$ref` with a description beside it, as upstream writes properties.
pub(crate) fn described_reference(name: &str, description: &str) -> Value {
    json!({ "$ref": format!("#/definitions/{name}"), "description": description })
}

/// The definition of `<Kind>List` for a kind whose definition is `item`.
pub(crate) fn list_definition(kind: &str, item: &str, gvk: Value) -> Value {
    let mut props = Map::new();
    props.insert("apiVersion".into(), api_version_property());
    props.insert(
        "items".into(),
        json!({
            "description": format!("Items is the list of {kind} objects."),
            "type": "array",
            "items": reference(item),
        }),
    );
    props.insert("kind".into(), kind_property());
    props.insert(
        "metadata".into(),
        described_reference(
            LIST_META,
            "Standard list metadata, such as the resourceVersion.",
        ),
    );
    json!({
        "description": format!("{kind}List is a list of {kind} objects."),
        "type": "object",
        "properties": props,
        "required": ["items"],
        "x-kubernetes-group-version-kind": [gvk],
    })
}

/// The `apiVersion` property every kind has.
pub(crate) fn api_version_property() -> Value {
    json!({
        "description": "APIVersion defines the versioned schema of this representation of an \
            object: `group/version`, or `v1` for the core group.",
        "type": "string",
    })
}

/// The `kind` property every kind has.
pub(crate) fn kind_property() -> Value {
    json!({
        "description": "Kind is the REST resource this object represents, in CamelCase.",
        "type": "string",
    })
}

/// The `metadata` property of a kind.
pub(crate) fn object_meta_property() -> Value {
    described_reference(OBJECT_META, "Standard object's metadata.")
}

/// Names of the definitions a schema refers to directly (`$ref` anywhere inside it).
pub(crate) fn refs_of(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => {
                        if let Some(name) = r.strip_prefix("#/definitions/") {
                            out.push(name.to_string());
                        }
                    }
                    _ => refs_of(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs_of(v, out)),
        _ => {}
    }
}

/// Deepest schema nesting the walkers follow; deeper parts are left as written.
const MAX_SCHEMA_DEPTH: usize = 256;

/// Calls `f` on `schema` and then on every subschema inside it (pre-order), following
/// only keywords whose values are schemas, so data (`default`, `enum`, `example`) and
/// property names are never mistaken for schemas.
pub(crate) fn walk_schemas(
    schema: &mut Value,
    depth: usize,
    f: &mut dyn FnMut(&mut Map<String, Value>, usize),
) {
    if depth > MAX_SCHEMA_DEPTH {
        return;
    }
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    f(obj, depth);
    for (key, value) in obj.iter_mut() {
        match (key.as_str(), value) {
            ("properties" | "patternProperties" | "definitions", Value::Object(children)) => {
                children
                    .values_mut()
                    .for_each(|c| walk_schemas(c, depth + 1, f));
            }
            ("allOf" | "anyOf" | "oneOf" | "items", Value::Array(children)) => {
                children
                    .iter_mut()
                    .for_each(|c| walk_schemas(c, depth + 1, f));
            }
            ("items" | "additionalProperties" | "additionalItems" | "not", child) => {
                walk_schemas(child, depth + 1, f);
            }
            _ => {}
        }
    }
}
