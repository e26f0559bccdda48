//! CustomResourceDefinitions: turning stored CRDs into served resources (catalogue,
//! printer columns, scale paths).

use kubehci_api::{ResourceInfo, Scope};
use serde_json::Value;

use crate::catalog::Catalog;
use crate::state::State;

/// Per-resource extras a CRD brings.
#[derive(Default)]
pub struct Extras {
    pub columns: Option<Vec<kubehci_tables::PrinterColumn>>,
    pub scale_paths: Option<(String, String, Option<String>)>,
}

/// JSON path `.spec.replicas` to JSON pointer `/spec/replicas`.
fn json_path_to_pointer(p: &str) -> String {
    p.trim_start_matches('.')
        .split('.')
        .fold(String::new(), |mut acc, s| {
            acc.push('/');
            acc.push_str(s);
            acc
        })
}

pub fn resource_extras(state: &State, info: &ResourceInfo) -> Extras {
    if crate::rest::filter::is_builtin(info) {
        return Extras::default();
    }
    let crds = state.crds.read();
    let Some(crd) = crds.iter().find(|c| {
        c.pointer("/spec/group").and_then(Value::as_str) == Some(info.group.as_str())
            && c.pointer("/spec/names/plural").and_then(Value::as_str)
                == Some(info.resource.as_str())
    }) else {
        return Extras::default();
    };
    let Some(version) = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .and_then(|vs| {
            vs.iter()
                .find(|v| v.get("name").and_then(Value::as_str) == Some(info.version.as_str()))
        })
    else {
        return Extras::default();
    };
    let columns = Some(kubehci_tables::crd_columns(crd, &info.version));
    let scale_paths = version.pointer("/subresources/scale").map(|s| {
        let g = |k: &str| s.get(k).and_then(Value::as_str).map(json_path_to_pointer);
        (
            g("specReplicasPath").unwrap_or_else(|| "/spec/replicas".into()),
            g("statusReplicasPath").unwrap_or_else(|| "/status/replicas".into()),
            g("labelSelectorPath"),
        )
    });
    Extras {
        columns,
        scale_paths,
    }
}

/// Served resources of one CRD.
pub fn crd_resources(crd: &Value) -> Vec<ResourceInfo> {
    let s = |p: &str| {
        crd.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let strs = |p: &str| -> Vec<String> {
        crd.pointer(p)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let established = crd
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Established" && c["status"] == "True")
        });
    if !established || crd.pointer("/metadata/deletionTimestamp").is_some() {
        return Vec::new();
    }
    let kind = s("/spec/names/kind");
    let mut out = Vec::new();
    for v in crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if v.get("served").and_then(Value::as_bool) != Some(true) {
            continue;
        }
        let mut subs = Vec::new();
        if v.pointer("/subresources/status").is_some() {
            subs.push("status".to_string());
        }
        if v.pointer("/subresources/scale").is_some() {
            subs.push("scale".to_string());
        }
        out.push(ResourceInfo {
            group: s("/spec/group"),
            version: v
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            resource: s("/spec/names/plural"),
            singular: {
                let sg = s("/spec/names/singular");
                if sg.is_empty() {
                    kind.to_lowercase()
                } else {
                    sg
                }
            },
            kind: kind.clone(),
            list_kind: {
                let lk = s("/spec/names/listKind");
                if lk.is_empty() {
                    format!("{kind}List")
                } else {
                    lk
                }
            },
            scope: if s("/spec/scope") == "Cluster" {
                Scope::Cluster
            } else {
                Scope::Namespaced
            },
            short_names: strs("/spec/names/shortNames"),
            categories: strs("/spec/names/categories"),
            verbs: kubehci_api::registry::ALL_VERBS
                .iter()
                .map(|v| v.to_string())
                .collect(),
            subresources: subs,
            preferred: v.get("storage").and_then(Value::as_bool) == Some(true),
        });
    }
    out
}

/// Rebuilds the catalogue from the built-ins plus `crds`.
pub fn rebuild(state: &State, crds: Vec<Value>) {
    let mut all = kubehci_api::builtin::builtin_resources();
    for crd in &crds {
        all.extend(crd_resources(crd));
    }
    let mut schemas = std::collections::HashMap::new();
    for r in all.iter().filter(|r| !crate::rest::filter::is_builtin(r)) {
        let Some(crd) = crds.iter().find(|c| {
            c.pointer("/spec/group").and_then(Value::as_str) == Some(r.group.as_str())
                && c.pointer("/spec/names/plural").and_then(Value::as_str)
                    == Some(r.resource.as_str())
        }) else {
            continue;
        };
        match kubehci_crd::CrdSchema::for_version(crd, &r.version) {
            Ok(s) => {
                schemas.insert(
                    (r.group.clone(), r.version.clone(), r.resource.clone()),
                    std::sync::Arc::new(s),
                );
            }
            Err(e) => {
                tracing::warn!(group = %r.group, resource = %r.resource, error = %e, "CRD schema does not compile")
            }
        }
    }
    // Schemas first, then the catalogue: a kind is served only once its schema is known
    // (strict field validation and patching rely on it).
    crate::schemas::rebuild(state, &all, &crds);
    *state.crd_schemas.write() = schemas;
    *state.crds.write() = crds;
    state.catalog.replace(Catalog::new(all));
}
