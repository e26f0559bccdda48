//! Custom resource kinds: a CRD version contributes its `openAPIV3Schema` as a definition
//! named like upstream names it (`com.example.v1.Widget` for group `example.com`).

use kubehci_api::Scope;
use serde_json::{Map, Value, json};

use crate::definitions::{
    api_version_property, gvk_value, kind_property, object_meta_property, walk_schemas,
};

/// One served version of a custom resource, with its schema.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomSchema {
    pub group: String,
    pub version: String,
    pub kind: String,
    /// Usually `<Kind>List`.
    pub list_kind: String,
    /// Plural resource name, lower case: `widgets`.
    pub plural: String,
    pub scope: Scope,
    /// The version's `schema.openAPIV3Schema` as written in the CRD; `None` publishes a
    /// free-form object (`x-kubernetes-preserve-unknown-fields`).
    pub schema: Option<Value>,
    /// Served subresources: `status` and/or `scale`.
    pub subresources: Vec<String>,
}

impl CustomSchema {
    /// A custom kind with list kind `<Kind>List` and no subresources.
    pub fn new(
        group: &str,
        version: &str,
        kind: &str,
        plural: &str,
        scope: Scope,
        schema: Option<Value>,
    ) -> Self {
        CustomSchema {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            list_kind: format!("{kind}List"),
            plural: plural.into(),
            scope,
            schema,
            subresources: Vec::new(),
        }
    }

    /// One `CustomSchema` per served version of a `CustomResourceDefinition` (as JSON):
    /// group, names, scope, each version's `schema.openAPIV3Schema` and its `status` /
    /// `scale` subresources. Missing pieces yield no entry rather than an error.
    pub fn from_crd(crd: &Value) -> Vec<CustomSchema> {
        let spec = &crd["spec"];
        let (Some(group), Some(kind), Some(plural)) = (
            spec["group"].as_str(),
            spec["names"]["kind"].as_str(),
            spec["names"]["plural"].as_str(),
        ) else {
            return Vec::new();
        };
        let list_kind = spec["names"]["listKind"]
            .as_str()
            .map_or_else(|| format!("{kind}List"), String::from);
        let scope = if spec["scope"].as_str() == Some("Cluster") {
            Scope::Cluster
        } else {
            Scope::Namespaced
        };
        let versions = spec["versions"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        versions
            .iter()
            .filter(|v| v["served"].as_bool() != Some(false))
            .filter_map(|v| {
                let version = v["name"].as_str()?;
                let subresources = ["status", "scale"]
                    .into_iter()
                    .filter(|s| v["subresources"].get(*s).is_some())
                    .map(String::from)
                    .collect();
                Some(CustomSchema {
                    group: group.into(),
                    version: version.into(),
                    kind: kind.into(),
                    list_kind: list_kind.clone(),
                    plural: plural.into(),
                    scope,
                    schema: v["schema"].get("openAPIV3Schema").cloned(),
                    subresources,
                })
            })
            .collect()
    }

    /// Upstream's definition name: the group reversed, then version and kind
    /// (`stable.example.com`, `v1`, `CronTab` -> `com.example.stable.v1.CronTab`).
    pub fn definition_name(&self) -> String {
        custom_definition_name(&self.group, &self.version, &self.kind)
    }

    /// The definition name of the list kind.
    pub fn list_definition_name(&self) -> String {
        custom_definition_name(&self.group, &self.version, &self.list_kind)
    }

    /// The published definition: the CRD schema with `apiVersion`, `kind` and `metadata`
    /// (a reference to `ObjectMeta`) at the root and inside embedded resources, and the
    /// kind's `x-kubernetes-group-version-kind`.
    pub(crate) fn definition(&self) -> Value {
        let mut root = match &self.schema {
            Some(Value::Object(map)) => map.clone(),
            _ => {
                let mut m = Map::new();
                m.insert("x-kubernetes-preserve-unknown-fields".into(), json!(true));
                m
            }
        };
        root.insert("type".into(), json!("object"));
        add_resource_properties(&mut root);
        let mut out = Value::Object(root);
        embed_resources(&mut out);
        if let Some(obj) = out.as_object_mut() {
            obj.insert(
                "x-kubernetes-group-version-kind".into(),
                json!([gvk_value(&self.group, &self.version, &self.kind)]),
            );
        }
        out
    }
}

/// `com.example.v1.Widget` for (`example.com`, `v1`, `Widget`).
pub fn custom_definition_name(group: &str, version: &str, kind: &str) -> String {
    let mut parts: Vec<&str> = group.split('.').filter(|p| !p.is_empty()).collect();
    parts.reverse();
    parts.push(version);
    parts.push(kind);
    parts.join(".")
}

fn add_resource_properties(obj: &mut Map<String, Value>) {
    let props = obj.entry("properties").or_insert_with(|| json!({}));
    if !props.is_object() {
        *props = json!({});
    }
    if let Some(props) = props.as_object_mut() {
        props.insert("apiVersion".into(), api_version_property());
        props.insert("kind".into(), kind_property());
        props.insert("metadata".into(), object_meta_property());
    }
}

/// Gives every `x-kubernetes-embedded-resource` object below the root its
/// `apiVersion`, `kind` and `metadata` properties, as upstream does.
fn embed_resources(schema: &mut Value) {
    walk_schemas(schema, 0, &mut |obj, depth| {
        if depth == 0 || obj.get("x-kubernetes-embedded-resource") != Some(&json!(true)) {
            return;
        }
        let props = obj.entry("properties").or_insert_with(|| json!({}));
        if let Some(props) = props.as_object_mut() {
            props
                .entry("apiVersion")
                .or_insert_with(api_version_property);
            props.entry("kind").or_insert_with(kind_property);
            props.insert("metadata".into(), object_meta_property());
        }
    });
}

/// Removes what Swagger 2.0 cannot say (`nullable`, `oneOf`, `anyOf`, `not`) from a
/// custom definition, recursively, as upstream does for `/openapi/v2`.
pub(crate) fn strip_for_v2(schema: &mut Value) {
    walk_schemas(schema, 0, &mut |obj, _| {
        for key in ["nullable", "oneOf", "anyOf", "not"] {
            obj.remove(key);
        }
    });
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn names_reverse_the_group() {
        assert_eq!(
            custom_definition_name("example.com", "v1", "Widget"),
            "com.example.v1.Widget"
        );
        assert_eq!(
            custom_definition_name("stable.example.com", "v1", "CronTab"),
            "com.example.stable.v1.CronTab"
        );
    }

    #[test]
    fn from_crd_takes_every_served_version() {
        let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "spec": {"group": "example.com", "scope": "Cluster",
                "names": {"kind": "Widget", "plural": "widgets", "listKind": "WidgetCollection"},
                "versions": [
                    {"name": "v1", "served": true, "storage": true,
                     "schema": {"openAPIV3Schema": {"type": "object"}},
                     "subresources": {"status": {}}},
                    {"name": "v1beta1", "served": false, "storage": false},
                    {"name": "v2", "served": true, "storage": false}]}});
        let all = CustomSchema::from_crd(&crd);
        assert_eq!(all.len(), 2);
        assert_eq!(
            (all[0].version.as_str(), all[0].scope),
            ("v1", Scope::Cluster)
        );
        assert_eq!(all[0].list_kind, "WidgetCollection");
        assert_eq!(all[0].subresources, vec!["status".to_string()]);
        assert_eq!(all[0].schema, Some(json!({"type": "object"})));
        assert_eq!(all[1].schema, None);
        assert!(CustomSchema::from_crd(&json!({"spec": 1})).is_empty());
    }

    #[test]
    fn definition_gets_resource_properties_and_gvk() {
        let schema = json!({"type": "object", "properties": {
            "metadata": {"type": "object", "properties": {"name": {"type": "string"}}},
            "spec": {"type": "object", "properties": {
                "template": {"type": "object", "x-kubernetes-embedded-resource": true,
                             "x-kubernetes-preserve-unknown-fields": true}}}}});
        let c = CustomSchema::new(
            "example.com",
            "v1",
            "Widget",
            "widgets",
            Scope::Namespaced,
            Some(schema),
        );
        let d = c.definition();
        assert_eq!(
            d["properties"]["metadata"]["$ref"],
            "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
        );
        assert_eq!(d["properties"]["kind"]["type"], "string");
        assert_eq!(d["x-kubernetes-group-version-kind"][0]["kind"], "Widget");
        let embedded = &d["properties"]["spec"]["properties"]["template"]["properties"];
        assert!(embedded["metadata"]["$ref"].is_string());
        let none = CustomSchema::new("example.com", "v1", "Any", "anys", Scope::Cluster, None);
        assert_eq!(
            none.definition()["x-kubernetes-preserve-unknown-fields"],
            true
        );
    }
}
