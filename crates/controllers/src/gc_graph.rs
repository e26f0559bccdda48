//! The garbage collector's ownership graph (sans-IO): one node per object uid, with its
//! owners (from `ownerReferences`) and its dependents (the reverse edges). Owners that were
//! referenced but never observed are *virtual* nodes until a watch reports them or a
//! lookup proves them absent. Every change returns the work it makes necessary.

use std::collections::{BTreeSet, HashMap};

/// Where an object lives: the coordinates an API call needs, and its uid.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identity {
    pub api_version: String,
    pub kind: String,
    /// The object's namespace; for a virtual owner, its dependent's (the owner's scope
    /// decides at lookup time whether it applies).
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

/// One `ownerReferences` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub uid: String,
    /// `blockOwnerDeletion: true`: a foreground deletion of the owner waits for this one.
    pub block: bool,
}

/// What a watch reports about one object: only the metadata the collector needs.
#[derive(Debug, Clone)]
pub struct Observed {
    pub identity: Identity,
    pub owners: Vec<Owner>,
    /// `deletionTimestamp` is set.
    pub deleting: bool,
    pub finalizers: Vec<String>,
}

/// The finalizer of a foreground deletion.
pub const FOREGROUND: &str = "foregroundDeletion";
/// The finalizer of an orphaning deletion.
pub const ORPHAN: &str = "orphan";

#[derive(Debug, Clone)]
pub struct Node {
    pub identity: Identity,
    pub owners: Vec<Owner>,
    pub dependents: BTreeSet<String>,
    pub being_deleted: bool,
    /// Being deleted with the `foregroundDeletion` finalizer.
    pub deleting_dependents: bool,
    /// Being deleted with the `orphan` finalizer.
    pub orphaning: bool,
    /// False for a virtual node (referenced as an owner, never observed).
    pub observed: bool,
}

/// Work the collector's workers do, keyed by uid.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Work {
    /// Check whether the object must be collected (or, when it is deleting its
    /// dependents, whether its `foregroundDeletion` finalizer can go).
    Delete(String),
    /// Remove the object's ownerReferences from its dependents, then its `orphan` finalizer.
    Orphan(String),
}

#[derive(Debug, Default)]
pub struct Graph {
    nodes: HashMap<String, Node>,
}

impl Graph {
    pub fn node(&self, uid: &str) -> Option<&Node> {
        self.nodes.get(uid)
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Identities of the object's dependents.
    pub fn dependents(&self, uid: &str) -> Vec<Identity> {
        self.dependent_nodes(uid)
            .map(|n| n.identity.clone())
            .collect()
    }

    /// Dependents whose reference to `uid` has `blockOwnerDeletion: true`, with whether
    /// each is itself deleting its dependents.
    pub fn blocking_dependents(&self, uid: &str) -> Vec<(Identity, bool)> {
        self.dependent_nodes(uid)
            .filter(|d| d.owners.iter().any(|o| o.uid == uid && o.block))
            .map(|d| (d.identity.clone(), d.deleting_dependents))
            .collect()
    }

    /// Whether any dependent of `uid` is deleting its own dependents (a possible cycle).
    pub fn has_dependent_deleting_dependents(&self, uid: &str) -> bool {
        self.dependent_nodes(uid).any(|d| d.deleting_dependents)
    }

    fn dependent_nodes<'a>(&'a self, uid: &str) -> impl Iterator<Item = &'a Node> + 'a {
        self.nodes
            .get(uid)
            .into_iter()
            .flat_map(|n| n.dependents.iter())
            .filter_map(|d| self.nodes.get(d))
    }

    /// Applies an added or modified object.
    pub fn observe(&mut self, o: Observed) -> Vec<Work> {
        let uid = o.identity.uid.clone();
        let mut work = Vec::new();
        let (old_owners, was_deleting_deps, was_orphaning) = match self.nodes.get_mut(&uid) {
            Some(n) => {
                let was = (
                    std::mem::take(&mut n.owners),
                    n.deleting_dependents && n.observed,
                    n.orphaning && n.observed,
                );
                n.identity = o.identity.clone();
                n.observed = true;
                was
            }
            None => {
                self.nodes.insert(
                    uid.clone(),
                    Node {
                        identity: o.identity.clone(),
                        owners: Vec::new(),
                        dependents: BTreeSet::new(),
                        being_deleted: false,
                        deleting_dependents: false,
                        orphaning: false,
                        observed: true,
                    },
                );
                (Vec::new(), false, false)
            }
        };
        // Owners no longer referenced (or no longer blocking) may unblock a foreground
        // deletion waiting on this object.
        for old in &old_owners {
            let kept = o.owners.iter().find(|n| n.uid == old.uid);
            if kept.is_none()
                && let Some(owner) = self.nodes.get_mut(&old.uid)
            {
                owner.dependents.remove(&uid);
            }
            if (kept.is_none() || (old.block && kept.is_some_and(|k| !k.block)))
                && self
                    .nodes
                    .get(&old.uid)
                    .is_some_and(|n| n.deleting_dependents)
            {
                work.push(Work::Delete(old.uid.clone()));
            }
        }
        let mut check_self = false;
        for new in &o.owners {
            match self.nodes.get_mut(&new.uid) {
                Some(owner) => {
                    // A new link to an owner deleting its dependents. (A virtual owner is
                    // checked itself; if absent, its dependents are queued then.)
                    check_self |= owner.dependents.insert(uid.clone()) && owner.deleting_dependents;
                }
                None => {
                    let mut dependents = BTreeSet::new();
                    dependents.insert(uid.clone());
                    self.nodes.insert(
                        new.uid.clone(),
                        Node {
                            identity: Identity {
                                api_version: new.api_version.clone(),
                                kind: new.kind.clone(),
                                namespace: o.identity.namespace.clone(),
                                name: new.name.clone(),
                                uid: new.uid.clone(),
                            },
                            owners: Vec::new(),
                            dependents,
                            being_deleted: false,
                            deleting_dependents: false,
                            orphaning: false,
                            observed: false,
                        },
                    );
                    // Does this owner exist at all? A worker looks it up.
                    work.push(Work::Delete(new.uid.clone()));
                }
            }
        }
        if check_self {
            work.push(Work::Delete(uid.clone()));
        }
        let foreground = o.deleting && o.finalizers.iter().any(|f| f == FOREGROUND);
        let orphan = o.deleting && o.finalizers.iter().any(|f| f == ORPHAN);
        if let Some(n) = self.nodes.get_mut(&uid) {
            n.owners = o.owners;
            n.being_deleted = o.deleting;
            n.deleting_dependents = foreground;
            n.orphaning = orphan;
        }
        if foreground && !was_deleting_deps {
            for d in self.dependents(&uid) {
                work.push(Work::Delete(d.uid));
            }
            work.push(Work::Delete(uid.clone()));
        }
        if orphan && !was_orphaning {
            work.push(Work::Orphan(uid));
        }
        work
    }

    /// Applies a deletion (observed by a watch, or a lookup that found the object gone).
    /// The dependents must be checked, and owners waiting for this one may proceed.
    pub fn forget(&mut self, uid: &str) -> Vec<Work> {
        let Some(node) = self.nodes.remove(uid) else {
            return Vec::new();
        };
        let mut work: Vec<Work> = node.dependents.iter().cloned().map(Work::Delete).collect();
        for o in &node.owners {
            if let Some(owner) = self.nodes.get_mut(&o.uid) {
                owner.dependents.remove(uid);
                if owner.deleting_dependents {
                    work.push(Work::Delete(o.uid.clone()));
                }
                // A virtual owner nobody references any more is dropped.
                if !owner.observed && owner.dependents.is_empty() {
                    self.nodes.remove(&o.uid);
                }
            }
        }
        work
    }
}

#[cfg(test)]
#[path = "gc_graph_tests.rs"]
mod tests;
