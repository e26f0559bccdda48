//! Placing the desired endpoints of one port set into slices (upstream's
//! reconcileByPortMapping): keep wanted endpoints where they are (updating changed ones),
//! drop unwanted ones, fill the slices being updated anyway, then the fullest-fitting
//! unchanged slice, and only then create new slices.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{ObjectReference, Service};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointPort, EndpointSlice};

use super::reconcile::{EndpointId, MAX_ENDPOINTS, endpoint_id, new_slice, slice_labels};

/// Slices to create, update and delete for one port set.
pub(crate) type Changes = (Vec<EndpointSlice>, Vec<EndpointSlice>, Vec<EndpointSlice>);

fn without_version(r: &Option<ObjectReference>) -> Option<ObjectReference> {
    r.clone().map(|mut r| {
        r.resource_version = None;
        r
    })
}

/// The desired endpoint `want` matches the stored `have` beyond their identity.
fn same_endpoint(want: &Endpoint, have: &Endpoint) -> bool {
    want.node_name == have.node_name
        && want.zone == have.zone
        && want.conditions == have.conditions
        && want.hints == have.hints
        && without_version(&want.target_ref) == without_version(&have.target_ref)
}

fn name_of(s: &EndpointSlice) -> String {
    s.metadata.name.clone().unwrap_or_default()
}

/// Moves up to the slice's free room of endpoints from `desired` into `slice`.
fn fill(slice: &mut EndpointSlice, desired: &mut BTreeMap<EndpointId, Endpoint>) {
    while slice.endpoints.len() < MAX_ENDPOINTS {
        let Some((_, ep)) = desired.pop_first() else {
            break;
        };
        slice.endpoints.push(ep);
    }
}

pub(crate) fn by_ports(
    svc: &Service,
    existing: &[&EndpointSlice],
    mut desired: BTreeMap<EndpointId, Endpoint>,
    ports: &[EndpointPort],
    address_type: &str,
) -> Changes {
    let mut by_name: BTreeMap<String, EndpointSlice> = BTreeMap::new();
    let mut unchanged = BTreeSet::new();
    let mut to_update = BTreeSet::new();
    let mut to_delete = BTreeSet::new();

    // 1. Keep the wanted endpoints of each slice, note changed and emptied slices.
    for s in existing {
        let name = name_of(s);
        let mut kept = Vec::new();
        let mut changed = false;
        for ep in &s.endpoints {
            if let Some(want) = desired.remove(&endpoint_id(ep)) {
                changed |= !same_endpoint(&want, ep);
                kept.push(want);
            }
        }
        let (labels, labels_changed) = slice_labels(s.metadata.labels.as_ref(), svc);
        let mut slice = (*s).clone();
        if changed || kept.len() != s.endpoints.len() {
            if kept.is_empty() {
                to_delete.insert(name.clone());
            } else {
                slice.endpoints = kept;
                slice.metadata.labels = Some(labels);
                to_update.insert(name.clone());
            }
        } else if labels_changed {
            slice.metadata.labels = Some(labels);
            to_update.insert(name.clone());
        } else {
            unchanged.insert(name.clone());
        }
        by_name.insert(name, slice);
    }

    // 2. Fill the slices being updated anyway, fullest first.
    if !desired.is_empty() {
        let mut names: Vec<&String> = to_update.iter().collect();
        names.sort_by_key(|n| std::cmp::Reverse(by_name.get(*n).map_or(0, |s| s.endpoints.len())));
        for n in names {
            if let Some(slice) = by_name.get_mut(n) {
                fill(slice, &mut desired);
            }
        }
    }

    // 3. Put the rest into the unchanged slice they fit best, else into new slices.
    let mut create = Vec::new();
    while !desired.is_empty() {
        let mut target = None;
        if desired.len() < MAX_ENDPOINTS {
            let mut best = MAX_ENDPOINTS;
            for n in &unchanged {
                let used = desired.len() + by_name.get(n).map_or(0, |s| s.endpoints.len());
                if used <= MAX_ENDPOINTS && MAX_ENDPOINTS - used < best {
                    best = MAX_ENDPOINTS - used;
                    target = Some(n.clone());
                }
            }
        }
        match target.and_then(|n| by_name.get_mut(&n).map(|s| (n, s))) {
            Some((n, slice)) => {
                fill(slice, &mut desired);
                unchanged.remove(&n);
                to_update.insert(n);
            }
            None => {
                let mut slice = new_slice(svc, ports, address_type);
                fill(&mut slice, &mut desired);
                create.push(slice);
            }
        }
    }

    let mut take = |names: BTreeSet<String>| -> Vec<EndpointSlice> {
        names.iter().filter_map(|n| by_name.remove(n)).collect()
    };
    let update = take(to_update);
    let delete = take(to_delete);
    (create, update, delete)
}
