//! Golden-ish checks of the published OpenAPI documents.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use kubehci_api::builtin::builtin_resources;
use kubehci_schema::{
    CustomSchema, OpenApiCache, OpenApiDocuments, openapi_v2, openapi_v3_group_version,
    openapi_v3_index,
};
use serde_json::{Value, json};

fn widget() -> CustomSchema {
    let mut c = common::widget(json!({"type": "object", "properties": {
            "spec": {"type": "object", "nullable": true,
                     "properties": {"size": {"type": "integer"}}}}}));
    c.subresources = vec!["status".into(), "scale".into()];
    c
}

fn param_names(op: &Value) -> BTreeSet<String> {
    op["parameters"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter_map(|p| p["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Every `$ref` in `doc` names something under `prefix` that exists in `defs`.
fn assert_refs_resolve(doc: &Value, prefix: &str, defs: &Value) {
    fn walk(v: &Value, prefix: &str, defs: &Value, bad: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    // (JSONSchemaProps has a *property* named `$ref`.)
                    if let ("$ref", Value::String(r)) = (k.as_str(), x) {
                        match r.strip_prefix(prefix) {
                            Some(name) if defs.get(name).is_some() => {}
                            _ => bad.push(r.to_string()),
                        }
                    } else {
                        walk(x, prefix, defs, bad);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, prefix, defs, bad)),
            _ => {}
        }
    }
    let mut bad = Vec::new();
    walk(doc, prefix, defs, &mut bad);
    assert!(bad.is_empty(), "dangling refs: {bad:?}");
}

#[test]
fn v2_has_definitions_extensions_and_deployment_operations() {
    let doc = openapi_v2(&builtin_resources(), &[widget()]);
    assert_eq!(doc["swagger"], "2.0");
    let defs = &doc["definitions"];
    assert_refs_resolve(&doc, "#/definitions/", defs);

    let deploy = &defs["io.k8s.api.apps.v1.Deployment"];
    assert_eq!(
        deploy["x-kubernetes-group-version-kind"],
        json!([{"group": "apps", "kind": "Deployment", "version": "v1"}])
    );
    assert!(
        deploy.get("required").is_none(),
        "metadata is not required upstream"
    );
    let list = &defs["io.k8s.api.apps.v1.DeploymentList"];
    assert_eq!(
        list["x-kubernetes-group-version-kind"][0]["kind"],
        "DeploymentList"
    );
    assert_eq!(
        list["properties"]["items"]["items"]["$ref"],
        "#/definitions/io.k8s.api.apps.v1.Deployment"
    );

    let containers = &defs["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
    assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
    assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");
    assert_eq!(containers["x-kubernetes-list-type"], "map");
    assert_eq!(containers["x-kubernetes-list-map-keys"], json!(["name"]));
    let strategy = &defs["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["strategy"];
    assert_eq!(strategy["x-kubernetes-patch-strategy"], "retainKeys");
    assert_eq!(
        strategy["$ref"],
        "#/definitions/io.k8s.api.apps.v1.DeploymentStrategy"
    );
    let ports = &defs["io.k8s.api.core.v1.ServiceSpec"]["properties"]["ports"];
    assert_eq!(
        ports["x-kubernetes-list-map-keys"],
        json!(["port", "protocol"])
    );
    let int_or_string = &defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"];
    assert_eq!(
        (&int_or_string["type"], &int_or_string["format"]),
        (&json!("string"), &json!("int-or-string"))
    );
    let gvks = defs["io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"]["x-kubernetes-group-version-kind"]
        .as_array()
        .unwrap();
    assert!(gvks.contains(&json!({"group": "apps", "kind": "DeleteOptions", "version": "v1"})));
    assert!(
        gvks.contains(&json!({"group": "example.com", "kind": "DeleteOptions", "version": "v1"}))
    );
    // Kinds nobody serves stay out.
    assert!(
        defs.get("io.k8s.api.resource.v1beta2.ResourceClaim")
            .is_none()
    );

    let item = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"];
    let patch = &item["patch"];
    assert_eq!(patch["x-kubernetes-action"], "patch");
    assert_eq!(patch["operationId"], "patchAppsV1NamespacedDeployment");
    assert_eq!(
        patch["x-kubernetes-group-version-kind"],
        json!({"group": "apps", "kind": "Deployment", "version": "v1"})
    );
    let names = param_names(patch);
    for p in ["body", "dryRun", "fieldManager", "fieldValidation", "force"] {
        assert!(names.contains(p), "{p} missing from {names:?}");
    }
    assert!(
        patch["consumes"]
            .as_array()
            .unwrap()
            .contains(&json!("application/strategic-merge-patch+json"))
    );
    assert_eq!(
        param_names(item),
        ["name", "namespace", "pretty"].map(String::from).into()
    );
    for m in ["get", "put", "delete"] {
        assert!(item[m].is_object(), "{m}");
    }
    let coll = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments"];
    assert_eq!(coll["post"]["x-kubernetes-action"], "post");
    assert_eq!(
        coll["get"]["responses"]["200"]["schema"]["$ref"],
        "#/definitions/io.k8s.api.apps.v1.DeploymentList"
    );
    assert_eq!(coll["delete"]["x-kubernetes-action"], "deletecollection");
    let scale = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"];
    assert_eq!(
        scale["patch"]["x-kubernetes-group-version-kind"]["kind"],
        "Scale"
    );
    assert!(doc["paths"]["/apis/apps/v1/deployments"]["get"].is_object());
    assert!(
        doc["paths"]["/apis/apps/v1/watch/namespaces/{namespace}/deployments/{name}"]["get"]
            .is_object()
    );
    assert_eq!(
        doc["paths"]["/api/v1/namespaces/{namespace}/pods/{name}/exec"]["get"]["x-kubernetes-action"],
        "connect"
    );
    assert!(doc["paths"]["/api/v1/namespaces/{namespace}/pods/{name}/log"]["get"].is_object());

    // The custom kind: upstream-like name, v3-only keywords stripped in v2.
    let w = &defs["com.example.v1.Widget"];
    assert_eq!(
        w["properties"]["metadata"]["$ref"],
        "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    );
    assert!(w["properties"]["spec"].get("nullable").is_none());
    assert!(defs["com.example.v1.WidgetList"].is_object());
    let cr_patch =
        &doc["paths"]["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"]["patch"];
    assert!(
        !cr_patch["consumes"]
            .as_array()
            .unwrap()
            .contains(&json!("application/strategic-merge-patch+json"))
    );
    assert!(
        doc["paths"]["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}/status"]["put"]
            .is_object()
    );
}

#[test]
fn v3_apps_document_has_gvks_and_patch_with_field_validation() {
    let doc = openapi_v3_group_version("apps", "v1", &builtin_resources(), &[]).unwrap();
    assert_eq!(doc["openapi"], "3.0.0");
    let schemas = &doc["components"]["schemas"];
    assert_refs_resolve(&doc, "#/components/schemas/", schemas);
    assert_eq!(
        schemas["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"],
        json!([{"group": "apps", "kind": "Deployment", "version": "v1"}])
    );
    // A `$ref` with siblings is wrapped in allOf; extensions stay on the property.
    let strategy = &schemas["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["strategy"];
    assert_eq!(
        strategy["allOf"][0]["$ref"],
        "#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy"
    );
    assert_eq!(strategy["x-kubernetes-patch-strategy"], "retainKeys");
    assert!(schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["oneOf"].is_array());
    // Only what apps/v1 reaches.
    assert!(schemas.get("io.k8s.api.batch.v1.Job").is_none());
    assert!(schemas.get("io.k8s.api.core.v1.PodSpec").is_some());

    let patch = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
    assert_eq!(
        patch["x-kubernetes-group-version-kind"],
        json!({"group": "apps", "kind": "Deployment", "version": "v1"})
    );
    let names = param_names(patch);
    assert!(
        names.contains("fieldValidation")
            && names.contains("dryRun")
            && names.contains("fieldManager")
    );
    let body = &patch["requestBody"]["content"]["application/apply-patch+yaml"]["schema"]["$ref"];
    assert_eq!(
        body,
        "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"
    );
    let ok = &patch["responses"]["200"]["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(ok, "#/components/schemas/io.k8s.api.apps.v1.Deployment");
    // kubectl's verifier takes the first PATCH it meets for the kind: all of them
    // (status, scale) must carry fieldValidation.
    for (path, item) in doc["paths"].as_object().unwrap() {
        if let Some(p) = item.get("patch") {
            assert!(param_names(p).contains("fieldValidation"), "{path}");
        }
    }
    let post = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments"]["post"];
    assert_eq!(
        post["requestBody"]["content"]["*/*"]["schema"]["$ref"],
        "#/components/schemas/io.k8s.api.apps.v1.Deployment"
    );
    assert!(openapi_v3_group_version("nope", "v1", &builtin_resources(), &[]).is_none());
}

#[test]
fn v3_index_lists_every_group_version_with_a_hash() {
    let index = openapi_v3_index(&builtin_resources(), &[widget()]);
    let paths = index["paths"].as_object().unwrap();
    for key in [
        "api/v1",
        "apis/apps/v1",
        "apis/batch/v1",
        "apis/example.com/v1",
    ] {
        let url = paths[key]["serverRelativeURL"].as_str().unwrap();
        let (base, hash) = url.split_once("?hash=").unwrap();
        assert_eq!(base, format!("/openapi/v3/{key}"));
        assert_eq!(hash.len(), 128);
        assert!(
            hash.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        );
    }
}

#[test]
fn documents_build_once_serve_bytes_and_rebuild_on_crd_change() {
    let resources = builtin_resources();
    let start = std::time::Instant::now();
    let docs = OpenApiDocuments::build(&resources, &[]);
    let took = start.elapsed();
    eprintln!("built every document in {took:?}");
    assert!(took.as_secs() < 20, "{took:?}");
    let v2: Value = serde_json::from_slice(&docs.v2_json()).unwrap();
    assert!(v2["paths"].as_object().unwrap().len() > 100);
    let apps = docs.v3_document("apis/apps/v1").unwrap();
    let parsed: Value = serde_json::from_slice(&apps.json).unwrap();
    assert!(parsed["components"]["schemas"]["io.k8s.api.apps.v1.Deployment"].is_object());
    assert!(docs.v3_document("/apis/apps/v1/").is_some());
    assert!(docs.v3_document("apis/example.com/v1").is_none());
    assert!(docs.schemas().for_gvk("apps", "v1", "Deployment").is_some());

    let cache = OpenApiCache::new(&resources, &[]);
    let before = cache.get();
    let apps_hash = before.v3_document("apis/apps/v1").unwrap().hash.clone();
    cache.rebuild(&resources, &[widget()]);
    let after = cache.get();
    assert!(after.v3_document("apis/example.com/v1").is_some());
    assert!(
        after
            .schemas()
            .for_gvk("example.com", "v1", "Widget")
            .is_some()
    );
    // Unchanged group-versions keep their hash (clients keep their cached copies).
    assert_eq!(after.v3_document("apis/apps/v1").unwrap().hash, apps_hash);
    assert!(before.v3_document("apis/example.com/v1").is_none());
    // Same input, same bytes and hashes.
    let again = OpenApiDocuments::build(&resources, &[]);
    assert_eq!(again.v3_index_json(), docs.v3_index_json());
    assert_eq!(again.v2_json(), docs.v2_json());
    assert!(docs.v2_protobuf().len() > 100_000);
    assert!(kubehci_schema::wants_v2_protobuf(
        "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
    ));

    fn shared<T: Send + Sync>() {}
    shared::<OpenApiDocuments>();
    shared::<OpenApiCache>();
}
