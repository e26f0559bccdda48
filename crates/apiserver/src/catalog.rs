//! The live resource catalogue: built-in resources plus those CRDs add. Readers take a
//! cheap `Arc` snapshot; CRD changes swap in a new snapshot.

use std::collections::HashMap;
use std::sync::Arc;

use kubehci_api::ResourceInfo;
use parking_lot::RwLock;

/// One immutable snapshot of what is served.
#[derive(Debug, Default)]
pub struct Catalog {
    resources: Vec<ResourceInfo>,
    index: HashMap<(String, String, String), usize>,
}

impl Catalog {
    pub fn new(resources: Vec<ResourceInfo>) -> Self {
        let index = resources
            .iter()
            .enumerate()
            .map(|(i, r)| ((r.group.clone(), r.version.clone(), r.resource.clone()), i))
            .collect();
        Self { resources, index }
    }

    pub fn all(&self) -> &[ResourceInfo] {
        &self.resources
    }

    pub fn lookup(&self, group: &str, version: &str, resource: &str) -> Option<&ResourceInfo> {
        self.index
            .get(&(group.to_string(), version.to_string(), resource.to_string()))
            .map(|&i| &self.resources[i])
    }

    /// Whether any resource is served at `group/version`.
    pub fn serves_group_version(&self, group: &str, version: &str) -> bool {
        self.resources
            .iter()
            .any(|r| r.group == group && r.version == version)
    }

    /// The resource of `kind` in `group` (any served version, preferred first).
    pub fn by_kind(&self, group: &str, kind: &str) -> Option<&ResourceInfo> {
        let mut found = self
            .resources
            .iter()
            .filter(|r| r.group == group && r.kind == kind);
        let first = found.next()?;
        if first.preferred {
            return Some(first);
        }
        found.find(|r| r.preferred).or(Some(first))
    }

    /// Groups in serving order, each with its versions (preferred first).
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for r in &self.resources {
            if r.group.is_empty() {
                continue;
            }
            match out.iter_mut().find(|(g, _)| *g == r.group) {
                Some((_, vs)) => {
                    if !vs.contains(&r.version) {
                        if r.preferred {
                            vs.insert(0, r.version.clone());
                        } else {
                            vs.push(r.version.clone());
                        }
                    }
                }
                None => out.push((r.group.clone(), vec![r.version.clone()])),
            }
        }
        let order = kubehci_api::builtin::GROUP_ORDER;
        out.sort_by_key(|(g, _)| order.iter().position(|o| o == g).unwrap_or(order.len()));
        out
    }
}

/// The shared, swappable catalogue.
#[derive(Debug, Default)]
pub struct CatalogHandle {
    current: RwLock<Arc<Catalog>>,
}

impl CatalogHandle {
    pub fn new(catalog: Catalog) -> Self {
        Self {
            current: RwLock::new(Arc::new(catalog)),
        }
    }

    pub fn snapshot(&self) -> Arc<Catalog> {
        self.current.read().clone()
    }

    pub fn replace(&self, catalog: Catalog) {
        *self.current.write() = Arc::new(catalog);
    }
}
