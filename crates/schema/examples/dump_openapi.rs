//! Writes the OpenAPI documents of the built-in resources (and an example CRD) to a
//! directory: `v2.json`, `v3.json` (the index) and `v3/<key>.json`, for inspection and
//! for serving to kubectl from a test server.

use std::path::PathBuf;

use kubehci_api::Scope;
use kubehci_schema::{CustomSchema, OpenApiDocuments};

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "openapi-out".into()),
    );
    let widget = CustomSchema::new(
        "example.com",
        "v1",
        "Widget",
        "widgets",
        Scope::Namespaced,
        Some(serde_json::json!({
            "type": "object",
            "properties": {"spec": {"type": "object", "properties": {
                "size": {"type": "integer"},
                "tags": {"type": "array", "items": {"type": "string"},
                         "x-kubernetes-list-type": "set"}}}}
        })),
    );
    let resources = kubehci_api::builtin::builtin_resources();
    let start = std::time::Instant::now();
    let docs = OpenApiDocuments::build(&resources, std::slice::from_ref(&widget));
    eprintln!("built in {:?}", start.elapsed());
    std::fs::create_dir_all(dir.join("v3"))?;
    std::fs::write(dir.join("v2.json"), &*docs.v2_json())?;
    std::fs::write(dir.join("v2.pb"), &*docs.v2_protobuf())?;
    std::fs::write(dir.join("v3.json"), &*docs.v3_index_json())?;
    // The served resources (and the custom kind as one more resource), for a test
    // server's discovery documents.
    let mut all = resources.clone();
    all.push(kubehci_api::ResourceInfo {
        group: widget.group.clone(),
        version: widget.version.clone(),
        resource: widget.plural.clone(),
        singular: "widget".into(),
        kind: widget.kind.clone(),
        list_kind: widget.list_kind.clone(),
        scope: widget.scope,
        short_names: Vec::new(),
        categories: Vec::new(),
        verbs: kubehci_api::registry::ALL_VERBS
            .iter()
            .map(|v| v.to_string())
            .collect(),
        subresources: Vec::new(),
        preferred: true,
    });
    let listing = serde_json::to_vec_pretty(&all).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("resources.json"), listing)?;
    for key in docs.v3_keys() {
        if let Some(doc) = docs.v3_document(key) {
            std::fs::write(
                dir.join("v3")
                    .join(format!("{}.json", key.replace('/', "__"))),
                &*doc.json,
            )?;
        }
    }
    Ok(())
}
