//! Everything the documents and the model are rendered from: the served endpoints, the
//! definitions they reach (built-in and custom), and the paths of each group-version.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use kubehci_api::{ResourceInfo, Scope};
use serde_json::Value;

use crate::catalog::{self, DELETE_OPTIONS, PATCH, STATUS, WATCH_EVENT};
use crate::custom::CustomSchema;
use crate::definitions::{self, Gvk, builtin, gvk_value, list_definition, set_gvks};
use crate::ops::PathItem;
use crate::paths::{self, Endpoint};

/// Custom resources support every verb.
const CUSTOM_VERBS: &[&str] = kubehci_api::registry::ALL_VERBS;

/// The discovery kinds of `meta/v1`, published with every document set.
const DISCOVERY_DEFS: &[&str] = &[
    "io.k8s.apimachinery.pkg.apis.meta.v1.APIGroup",
    "io.k8s.apimachinery.pkg.apis.meta.v1.APIGroupList",
    "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList",
    "io.k8s.apimachinery.pkg.apis.meta.v1.APIVersions",
];

pub(crate) struct Spec {
    /// Every published definition, v2-shaped.
    pub defs: BTreeMap<String, Value>,
    /// Names of the custom definitions (they keep v3-only keywords out of v2).
    pub custom_defs: HashSet<String>,
    /// Group-versions served only by custom resources.
    pub custom_gvs: BTreeSet<(String, String)>,
    /// Paths of each (group, version).
    pub groups: BTreeMap<(String, String), Vec<PathItem>>,
    /// The definition of every published kind (served kinds, their lists, meta kinds).
    pub kinds: Vec<(Gvk, String)>,
}

impl Spec {
    pub fn build(resources: &[ResourceInfo], extra: &[CustomSchema]) -> Spec {
        let b = builtin();
        let lookup = |g: &str, v: &str, k: &str| b.kinds.get(&gvk(g, v, k)).cloned();
        let custom_keys: HashSet<(&str, &str, &str)> = extra
            .iter()
            .map(|c| (c.group.as_str(), c.version.as_str(), c.plural.as_str()))
            .collect();
        let mut own: BTreeMap<String, Value> = BTreeMap::new();
        let mut custom_defs = HashSet::new();
        let mut kinds: Vec<(Gvk, String)> = Vec::new();
        let mut endpoints = Vec::new();

        for r in resources {
            if custom_keys.contains(&(r.group.as_str(), r.version.as_str(), r.resource.as_str())) {
                continue;
            }
            let Some(def) = lookup(&r.group, &r.version, &r.kind) else {
                tracing::debug!(group = %r.group, version = %r.version, kind = %r.kind,
                    "no schema for served kind; left out of OpenAPI");
                continue;
            };
            kinds.push((gvk(&r.group, &r.version, &r.kind), def.clone()));
            let list_definition = if r.verbs.iter().any(|v| v == "list") {
                let name = format!("{def}List");
                let g = gvk_value(&r.group, &r.version, &r.list_kind);
                own.insert(name.clone(), list_definition(&r.kind, &def, g));
                kinds.push((gvk(&r.group, &r.version, &r.list_kind), name.clone()));
                Some(name)
            } else {
                None
            };
            endpoints.push(Endpoint {
                group: r.group.clone(),
                version: r.version.clone(),
                plural: r.resource.clone(),
                kind: r.kind.clone(),
                namespaced: r.scope == Scope::Namespaced,
                verbs: r.verbs.clone(),
                subresources: r.subresources.clone(),
                definition: def,
                list_definition,
                custom: false,
            });
        }
        for c in extra {
            let (def, list) = (c.definition_name(), c.list_definition_name());
            own.insert(def.clone(), c.definition());
            let g = gvk_value(&c.group, &c.version, &c.list_kind);
            own.insert(list.clone(), list_definition(&c.kind, &def, g));
            custom_defs.insert(def.clone());
            kinds.push((gvk(&c.group, &c.version, &c.kind), def.clone()));
            kinds.push((gvk(&c.group, &c.version, &c.list_kind), list.clone()));
            endpoints.push(Endpoint {
                group: c.group.clone(),
                version: c.version.clone(),
                plural: c.plural.clone(),
                kind: c.kind.clone(),
                namespaced: c.scope == Scope::Namespaced,
                verbs: CUSTOM_VERBS.iter().map(|v| v.to_string()).collect(),
                subresources: c.subresources.clone(),
                definition: def,
                list_definition: Some(list),
                custom: true,
            });
        }

        let mut groups: BTreeMap<(String, String), Vec<PathItem>> = BTreeMap::new();
        for ep in &endpoints {
            let items = paths::endpoint_paths(ep, &lookup);
            groups
                .entry((ep.group.clone(), ep.version.clone()))
                .or_default()
                .extend(items);
        }
        for ((g, v), items) in groups.iter_mut() {
            items.insert(0, paths::discovery_path(g, v));
        }

        // Published definitions: everything the endpoints and meta kinds reach.
        let mut roots: Vec<String> = own.keys().cloned().collect();
        roots.extend(endpoints.iter().map(|e| e.definition.clone()));
        for items in groups.values() {
            roots.extend(payload_defs(items));
        }
        roots.extend([STATUS, DELETE_OPTIONS, WATCH_EVENT, PATCH].map(String::from));
        roots.extend(DISCOVERY_DEFS.iter().map(|s| s.to_string()));
        let mut defs = BTreeMap::new();
        let mut queue = roots;
        while let Some(name) = queue.pop() {
            if defs.contains_key(&name) {
                continue;
            }
            let Some(def) = own.get(&name).or_else(|| b.defs.get(&name)) else {
                continue;
            };
            let mut refs = Vec::new();
            definitions::refs_of(def, &mut refs);
            queue.extend(refs);
            defs.insert(name, def.clone());
        }

        // DeleteOptions and WatchEvent are kinds of every served group-version. The
        // published lists name the built-in ones only, so adding a CRD leaves the
        // built-in documents (and their hashes) alone; a custom group-version's own
        // document and `/openapi/v2` add theirs (see `meta_definition`).
        let mut builtin_gvs: BTreeSet<(String, String)> = endpoints
            .iter()
            .filter(|e| !e.custom)
            .map(|e| (e.group.clone(), e.version.clone()))
            .collect();
        builtin_gvs.insert((String::new(), "v1".into()));
        let custom_gvs: BTreeSet<(String, String)> = endpoints
            .iter()
            .map(|e| (e.group.clone(), e.version.clone()))
            .filter(|gv| !builtin_gvs.contains(gv))
            .collect();
        for def in [DELETE_OPTIONS, WATCH_EVENT] {
            let kind = def.rsplit('.').next().unwrap_or_default();
            for (g, v) in builtin_gvs.iter().chain(&custom_gvs) {
                kinds.push((gvk(g, v, kind), def.to_string()));
            }
            let list: Vec<Value> = builtin_gvs
                .iter()
                .map(|(g, v)| gvk_value(g, v, kind))
                .collect();
            if let Some(d) = defs.get_mut(def) {
                set_gvks(d, &list);
            }
        }
        // Kinds published only as subresource bodies (Scale, Eviction, TokenRequest).
        for ((g, v, k), name) in &b.kinds {
            if defs.contains_key(name) && !kinds.iter().any(|(key, _)| key == &gvk(g, v, k)) {
                kinds.push((gvk(g, v, k), name.clone()));
            }
        }
        for (name, (g, v, k)) in meta_kinds() {
            kinds.push((gvk(g, v, k), name.to_string()));
        }
        Spec {
            defs,
            custom_defs,
            custom_gvs,
            groups,
            kinds,
        }
    }

    /// A definition as published beside the group-versions `gvs`: `DeleteOptions` and
    /// `WatchEvent` also name those among `gvs` that are custom.
    pub fn meta_definition<'a>(
        &self,
        name: &str,
        def: &Value,
        gvs: impl Iterator<Item = &'a (String, String)>,
    ) -> Value {
        let mut out = def.clone();
        if name != DELETE_OPTIONS && name != WATCH_EVENT {
            return out;
        }
        let kind = name.rsplit('.').next().unwrap_or_default();
        if let Some(Value::Array(list)) = out.get_mut("x-kubernetes-group-version-kind") {
            for (g, v) in gvs.filter(|gv| self.custom_gvs.contains(*gv)) {
                list.push(gvk_value(g, v, kind));
            }
        }
        out
    }

    /// Definitions reachable from the operations of `items`.
    pub fn reachable(&self, items: &[PathItem]) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut queue: Vec<String> = payload_defs(items).collect();
        while let Some(name) = queue.pop() {
            if out.contains(&name) {
                continue;
            }
            let Some(def) = self.defs.get(&name) else {
                continue;
            };
            let mut refs = Vec::new();
            definitions::refs_of(def, &mut refs);
            queue.extend(refs);
            out.insert(name);
        }
        out
    }
}

fn gvk(g: &str, v: &str, k: &str) -> Gvk {
    (g.to_string(), v.to_string(), k.to_string())
}

/// Meta kinds registered in the model beside the served ones.
fn meta_kinds() -> [(&'static str, (&'static str, &'static str, &'static str)); 5] {
    [
        (STATUS, ("", "v1", "Status")),
        (DISCOVERY_DEFS[0], ("", "v1", "APIGroup")),
        (DISCOVERY_DEFS[1], ("", "v1", "APIGroupList")),
        (DISCOVERY_DEFS[2], ("", "v1", "APIResourceList")),
        (DISCOVERY_DEFS[3], ("", "v1", "APIVersions")),
    ]
}

/// Definitions named by request bodies and responses of `items`.
fn payload_defs(items: &[PathItem]) -> impl Iterator<Item = String> + '_ {
    use crate::ops::Payload;
    items.iter().flat_map(|i| i.ops.iter()).flat_map(|op| {
        let mut names = Vec::new();
        match &op.body {
            Some((Payload::Definition(d), _)) => names.push(d.clone()),
            Some((Payload::Patch, _)) => names.push(catalog::PATCH.to_string()),
            _ => {}
        }
        for r in &op.responses {
            if let Some(Payload::Definition(d)) = &r.payload {
                names.push(d.clone());
            }
        }
        names
    })
}
