//! Discovery documents: `/api`, `/apis`, per group and group-version resource lists, and
//! aggregated discovery v2 (`APIGroupDiscoveryList`).

use kubehci_api::ResourceInfo;
use serde_json::{Value, json};

use crate::catalog::Catalog;

/// Response kind and verbs of a subresource as upstream advertises them.
fn subresource_shape(r: &ResourceInfo, sub: &str) -> (String, String, String, Vec<&'static str>) {
    let same = (r.group.clone(), r.version.clone(), r.kind.clone());
    let (g, v, k, verbs): (String, String, String, Vec<&str>) = match sub {
        "status" => (same.0, same.1, same.2, vec!["get", "patch", "update"]),
        "scale" => (
            "autoscaling".into(),
            "v1".into(),
            "Scale".into(),
            vec!["get", "patch", "update"],
        ),
        "binding" => (String::new(), "v1".into(), "Binding".into(), vec!["create"]),
        "eviction" => (
            "policy".into(),
            "v1".into(),
            "Eviction".into(),
            vec!["create"],
        ),
        "log" => (String::new(), "v1".into(), "Pod".into(), vec!["get"]),
        "exec" | "attach" | "portforward" => (
            String::new(),
            "v1".into(),
            format!("Pod{}Options", capitalize(sub)),
            vec!["create", "get"],
        ),
        "proxy" => (
            String::new(),
            "v1".into(),
            format!("{}ProxyOptions", r.kind),
            vec!["create", "delete", "get", "patch", "update"],
        ),
        "ephemeralcontainers" => (same.0, same.1, same.2, vec!["get", "patch", "update"]),
        "finalize" => (same.0, same.1, same.2, vec!["update"]),
        "token" => (
            "authentication.k8s.io".into(),
            "v1".into(),
            "TokenRequest".into(),
            vec!["create"],
        ),
        "approval" => (same.0, same.1, same.2, vec!["get", "patch", "update"]),
        _ => (same.0, same.1, same.2, vec!["get"]),
    };
    (g, v, k, verbs)
}

fn capitalize(s: &str) -> String {
    match s {
        "exec" => "Exec".into(),
        "attach" => "Attach".into(),
        "portforward" => "PortForward".into(),
        other => other.to_string(),
    }
}

/// `/api`
pub fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

fn group_object(group: &str, versions: &[String]) -> Value {
    let vs: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
        .collect();
    let preferred = vs.first().cloned().unwrap_or_else(|| json!({}));
    json!({"name": group, "versions": vs, "preferredVersion": preferred})
}

/// `/apis`
pub fn api_group_list(cat: &Catalog) -> Value {
    let groups: Vec<Value> = cat
        .groups()
        .iter()
        .map(|(g, vs)| group_object(g, vs))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/<group>`
pub fn api_group(cat: &Catalog, group: &str) -> Option<Value> {
    let (g, vs) = cat.groups().into_iter().find(|(g, _)| g == group)?;
    let mut o = group_object(&g, &vs);
    o["kind"] = json!("APIGroup");
    o["apiVersion"] = json!("v1");
    Some(o)
}

/// `/api/v1`, `/apis/<group>/<version>`
pub fn api_resource_list(cat: &Catalog, group: &str, version: &str) -> Option<Value> {
    if !cat.serves_group_version(group, version) {
        return None;
    }
    let mut resources = Vec::new();
    for r in cat
        .all()
        .iter()
        .filter(|r| r.group == group && r.version == version)
    {
        let mut e = json!({
            "name": r.resource,
            "singularName": r.singular,
            "namespaced": r.namespaced(),
            "kind": r.kind,
            "verbs": r.verbs,
        });
        if !r.short_names.is_empty() {
            e["shortNames"] = json!(r.short_names);
        }
        if !r.categories.is_empty() {
            e["categories"] = json!(r.categories);
        }
        if r.verbs.len() > 1 {
            e["storageVersionHash"] = json!(storage_version_hash(r));
        }
        resources.push(e);
        for sub in &r.subresources {
            let (g, v, k, verbs) = subresource_shape(r, sub);
            let mut s = json!({"name": format!("{}/{sub}", r.resource), "singularName": "", "namespaced": r.namespaced(), "kind": k, "verbs": verbs});
            if g != r.group || v != r.version {
                s["group"] = json!(g);
                s["version"] = json!(v);
            }
            resources.push(s);
        }
    }
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": kubehci_api::registry::api_version(group, version),
        "resources": resources,
    }))
}

fn storage_version_hash(r: &ResourceInfo) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let d = sha2::Sha256::digest(format!("{}/{}/{}", r.group, r.version, r.kind).as_bytes());
    base64::engine::general_purpose::STANDARD.encode(&d[..8])
}

fn discovery_resource(r: &ResourceInfo) -> Value {
    let mut e = json!({
        "resource": r.resource,
        "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
        "scope": if r.namespaced() { "Namespaced" } else { "Cluster" },
        "singularResource": r.singular,
        "verbs": r.verbs,
    });
    if !r.short_names.is_empty() {
        e["shortNames"] = json!(r.short_names);
    }
    if !r.categories.is_empty() {
        e["categories"] = json!(r.categories);
    }
    let subs: Vec<Value> = r
        .subresources
        .iter()
        .map(|sub| {
            let (g, v, k, verbs) = subresource_shape(r, sub);
            json!({"subresource": sub, "responseKind": {"group": g, "version": v, "kind": k}, "verbs": verbs})
        })
        .collect();
    if !subs.is_empty() {
        e["subresources"] = json!(subs);
    }
    e
}

fn discovery_group(cat: &Catalog, group: &str, versions: &[String]) -> Value {
    let vs: Vec<Value> = versions
        .iter()
        .map(|v| {
            let rs: Vec<Value> = cat
                .all()
                .iter()
                .filter(|r| r.group == group && &r.version == v)
                .map(discovery_resource)
                .collect();
            json!({"version": v, "resources": rs, "freshness": "Current"})
        })
        .collect();
    json!({"metadata": {"name": group, "creationTimestamp": null}, "versions": vs})
}

/// Aggregated discovery for `/api` (legacy core group) or `/apis`.
pub fn aggregated(cat: &Catalog, legacy: bool, version: &str) -> Value {
    let items: Vec<Value> = if legacy {
        vec![discovery_group(cat, "", &["v1".to_string()])]
    } else {
        cat.groups()
            .iter()
            .map(|(g, vs)| discovery_group(cat, g, vs))
            .collect()
    };
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": format!("apidiscovery.k8s.io/{version}"), "metadata": {}, "items": items})
}
