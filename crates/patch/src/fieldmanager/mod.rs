//! Server-side apply and managed-fields tracking (upstream's field manager chain in
//! `k8s.io/apimachinery/pkg/util/managedfields/internal` over structured-merge-diff's
//! `merge.Updater`). This module holds the pieces shared by Apply and Update operations.

mod apply;
mod lastapplied;
mod update;

pub use apply::{ApplyOptions, apply, apply_with};
pub use update::{
    UpdateOptions, manager_from_user_agent, manager_or_user_agent, update_managed_fields,
    update_managed_fields_with,
};

use serde_json::Value;

use crate::error::PatchError;
use crate::fieldpath::{PathElement, Set};
use crate::managed::{Managed, ManagerKey};
use crate::ty::Ty;
use crate::typed::{Comparison, compare, remove_items, to_field_set};

/// Fields never owned by anyone (upstream `stripMetaManager`).
fn strip_set() -> Set {
    let mut s = Set::new();
    let f = |n: &str| PathElement::Field(n.into());
    for top in ["apiVersion", "kind", "metadata"] {
        s.insert(&[f(top)]);
    }
    for m in [
        "name",
        "namespace",
        "creationTimestamp",
        "selfLink",
        "uid",
        "clusterName",
        "generation",
        "managedFields",
        "resourceVersion",
    ] {
        s.insert(&[f("metadata"), f(m)]);
    }
    s
}

/// Removes the stripped fields from `key`'s set; drops the entry when nothing is left.
fn strip_meta(managed: &mut Managed, key: &ManagerKey) {
    if let Some(e) = managed.get_mut(key) {
        e.set = e.set.difference(&strip_set());
        if e.set.is_empty() {
            managed.remove(key);
        }
    }
}

/// Dotted field paths (`status`, `metadata.labels`) as a set.
fn reset_set(paths: &[&str]) -> Set {
    let mut s = Set::new();
    for p in paths.iter().filter(|p| !p.is_empty()) {
        let path: Vec<PathElement> = p.split('.').map(|f| PathElement::Field(f.into())).collect();
        s.insert(&path);
    }
    s
}

/// `obj` without `metadata.managedFields`.
fn without_managed_fields(obj: &Value) -> Value {
    let mut out = obj.clone();
    if let Some(Value::Object(meta)) = out.get_mut("metadata") {
        meta.shift_remove("managedFields");
    }
    out
}

/// Conflicting fields per manager.
type ConflictSets = Vec<(ManagerKey, Set)>;

/// Why one apply attempt failed.
enum Failure {
    Conflicts(ConflictSets),
    Error(PatchError),
}

impl From<PatchError> for Failure {
    fn from(e: PatchError) -> Self {
        Failure::Error(e)
    }
}

/// Upstream `Updater.update`: fields of other managers that `new` changes become
/// conflicts (an error unless `force`, otherwise taken away), removed fields are taken
/// away from everyone, empty managers disappear. `workflow` is the manager doing the
/// operation (never in conflict with itself).
fn update_managers(
    old: &Value,
    new: &Value,
    mut managers: Managed,
    workflow: Option<&ManagerKey>,
    force: bool,
    reset: &Set,
    ty: Ty<'_>,
) -> Result<(Managed, Comparison), Failure> {
    let mut cmp = compare(old, new, ty)?;
    cmp.exclude(reset);
    let changed = cmp.modified.union(&cmp.added);
    let mut conflicts: ConflictSets = Vec::new();
    for (key, entry) in &managers {
        if Some(key) == workflow {
            continue;
        }
        let c = entry.set.intersection(&changed);
        if !c.is_empty() {
            conflicts.push((key.clone(), c));
        }
    }
    if !force && !conflicts.is_empty() {
        return Err(Failure::Conflicts(conflicts));
    }
    for (key, c) in &conflicts {
        if let Some(e) = managers.get_mut(key) {
            e.set = e.set.difference(c);
        }
    }
    if !cmp.removed.is_empty() {
        for (key, e) in managers.iter_mut() {
            if Some(key) != workflow {
                e.set = e.set.difference(&cmp.removed);
            }
        }
    }
    managers.retain(|_, e| !e.set.is_empty());
    Ok((managers, cmp))
}

/// Upstream `Updater.prune`: removes from the merged object what the applier owned before
/// and no longer applies, unless another manager owns it or nobody ever did.
fn prune(
    merged: &Value,
    managers: &Managed,
    last: Option<&Set>,
    ty: Ty<'_>,
) -> Result<Value, PatchError> {
    let Some(last) = last.filter(|s| !s.is_empty()) else {
        return Ok(merged.clone());
    };
    let named = |s: &Set| s.ensure_named_fields_are_members(ty);
    let last = named(last);
    let pruned = remove_items(merged, &last, ty)?;

    let owned = named(
        &managers
            .values()
            .fold(Set::new(), |acc, e| acc.union(&e.set)),
    );
    let merged_set = named(&to_field_set(merged, ty)?);
    let pruned_set = named(&to_field_set(&pruned, ty)?);
    let pruned = remove_items(
        merged,
        &merged_set.difference(&pruned_set.union(&owned)),
        ty,
    )?;

    let pruned_set = named(&to_field_set(&pruned, ty)?);
    remove_items(
        merged,
        &merged_set.difference(&pruned_set).intersection(&last),
        ty,
    )
}
