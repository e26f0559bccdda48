//! The EndpointSlice reconciler, as upstream's `k8s.io/endpointslice` plans it (without
//! topology hints): the desired endpoints of a Service grouped by port set, compared with
//! its existing slices, give the slices to create, update and delete; slices hold at most
//! 100 endpoints, are filled before new ones are made, and a Service with no endpoints
//! keeps one empty placeholder slice.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, ObjectReference, Pod, Service};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

use crate::endpoints::pods::{self, Labels};

pub(crate) const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
pub(crate) const MANAGED_BY_LABEL: &str = "endpointslice.kubernetes.io/managed-by";
pub(crate) const CONTROLLER_NAME: &str = "endpointslice-controller.k8s.io";
/// Upstream's `--max-endpoints-per-slice` default.
pub(crate) const MAX_ENDPOINTS: usize = 100;
const ZONE_LABEL: &str = "topology.kubernetes.io/zone";

/// An endpoint's identity: its sorted addresses, hostname and pod namespace/name.
pub(crate) type EndpointId = (Vec<String>, String, String, String);
/// A set of ports as a sortable value.
type PortsKey = Vec<(String, i32, String, String)>;

pub(crate) fn endpoint_id(ep: &Endpoint) -> EndpointId {
    let mut addresses = ep.addresses.clone();
    addresses.sort();
    let r = ep.target_ref.as_ref();
    let field =
        |f: fn(&ObjectReference) -> Option<&String>| r.and_then(f).cloned().unwrap_or_default();
    (
        addresses,
        ep.hostname.clone().unwrap_or_default(),
        field(|r| r.namespace.as_ref()),
        field(|r| r.name.as_ref()),
    )
}

fn ports_key(ports: Option<&Vec<EndpointPort>>) -> PortsKey {
    let mut key: PortsKey = ports
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p.name.clone().unwrap_or_default(),
                p.port.unwrap_or(0),
                p.protocol.clone().unwrap_or_default(),
                p.app_protocol.clone().unwrap_or_default(),
            )
        })
        .collect();
    key.sort();
    key
}

/// The address types a Service's slices have: its IP families (IPv4 when unknown).
pub(crate) fn address_types(svc: &Service) -> BTreeSet<&'static str> {
    let families = svc.spec.as_ref().and_then(|s| s.ip_families.as_ref());
    let types: BTreeSet<&'static str> = families
        .into_iter()
        .flatten()
        .filter_map(|f| match f.as_str() {
            "IPv4" => Some("IPv4"),
            "IPv6" => Some("IPv6"),
            _ => None,
        })
        .collect();
    if !types.is_empty() {
        return types;
    }
    // Families unknown: a headful Service's cluster IP tells; a headless one gets both.
    let ip = svc.spec.as_ref().and_then(|s| s.cluster_ip.as_deref());
    match ip.filter(|_| pods::has_cluster_ip(svc)) {
        Some(ip) if pods::is_ipv6(ip) => BTreeSet::from(["IPv6"]),
        Some(_) => BTreeSet::from(["IPv4"]),
        None => BTreeSet::from(["IPv4", "IPv6"]),
    }
}

/// The endpoint of `pod` for `svc` (upstream's podToEndpoint).
fn pod_endpoint(pod: &Pod, node: Option<&Node>, svc: &Service, address_type: &str) -> Endpoint {
    let serving = pods::is_ready(pod);
    let terminating = pod.metadata.deletion_timestamp.is_some();
    let ready = pods::publish_not_ready(svc) || (serving && !terminating);
    let addresses = pods::pod_ips(pod)
        .into_iter()
        .filter(|ip| pods::is_ipv6(ip) == (address_type == "IPv6"))
        .collect();
    let node_name = pod.spec.as_ref().and_then(|s| s.node_name.clone());
    let zone = node
        .and_then(|n| n.metadata.labels.as_ref())
        .and_then(|l| l.get(ZONE_LABEL))
        .filter(|z| !z.is_empty())
        .cloned();
    Endpoint {
        addresses,
        conditions: Some(EndpointConditions {
            ready: Some(ready),
            serving: Some(serving),
            terminating: Some(terminating),
        }),
        hostname: pods::hostname_for(pod, svc),
        node_name: node_name.filter(|n| !n.is_empty()),
        target_ref: Some(ObjectReference {
            kind: Some("Pod".into()),
            namespace: pod.metadata.namespace.clone(),
            name: pod.metadata.name.clone(),
            uid: pod.metadata.uid.clone(),
            ..Default::default()
        }),
        zone,
        ..Default::default()
    }
}

/// The ports of `svc` that resolve on `pod`.
fn endpoint_ports(svc: &Service, pod: &Pod) -> Vec<EndpointPort> {
    let spec = svc.spec.as_ref();
    let ports = spec.and_then(|s| s.ports.as_ref());
    ports
        .into_iter()
        .flatten()
        .filter_map(|sp| {
            Some(EndpointPort {
                name: Some(sp.name.clone().unwrap_or_default()),
                port: Some(pods::find_port(pod, sp)?),
                protocol: Some(sp.protocol.clone().unwrap_or_else(|| "TCP".into())),
                app_protocol: sp.app_protocol.clone(),
            })
        })
        .collect()
}

/// The labels a slice of `svc` carries (the Service's own plus the reserved ones), and
/// whether the slice's non-reserved labels differ from the Service's.
pub(crate) fn slice_labels(current: Option<&Labels>, svc: &Service) -> (Labels, bool) {
    let reserved = |k: &String| {
        k == SERVICE_NAME_LABEL || k == MANAGED_BY_LABEL || k == crate::endpoints::HEADLESS_LABEL
    };
    let own = |l: Option<&Labels>| -> Labels {
        l.into_iter()
            .flatten()
            .filter(|(k, _)| !reserved(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let mut labels = own(svc.metadata.labels.as_ref());
    let changed = own(current) != labels;
    if !pods::has_cluster_ip(svc) {
        labels.insert(crate::endpoints::HEADLESS_LABEL.into(), String::new());
    }
    labels.insert(
        SERVICE_NAME_LABEL.into(),
        svc.metadata.name.clone().unwrap_or_default(),
    );
    labels.insert(MANAGED_BY_LABEL.into(), CONTROLLER_NAME.into());
    (labels, changed)
}

fn owner_ref(svc: &Service) -> OwnerReference {
    OwnerReference {
        api_version: "v1".into(),
        kind: "Service".into(),
        name: svc.metadata.name.clone().unwrap_or_default(),
        uid: svc.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// The slice belongs to this very Service (not an older one of the same name).
pub(crate) fn owned_by(slice: &EndpointSlice, svc: &Service) -> bool {
    let uid = svc.metadata.uid.as_deref().unwrap_or("");
    let refs = slice.metadata.owner_references.iter().flatten();
    refs.into_iter()
        .any(|o| o.uid == uid && o.kind == "Service" && o.api_version == "v1")
}

/// A new, unnamed slice of `svc` (named by the server from `<service>-`).
pub(crate) fn new_slice(
    svc: &Service,
    ports: &[EndpointPort],
    address_type: &str,
) -> EndpointSlice {
    let mut slice = EndpointSlice {
        address_type: address_type.into(),
        ports: Some(ports.to_vec()),
        ..Default::default()
    };
    let name = svc.metadata.name.clone().unwrap_or_default();
    slice.metadata.generate_name = Some(format!("{name}-"));
    slice.metadata.namespace = svc.metadata.namespace.clone();
    slice.metadata.owner_references = Some(vec![owner_ref(svc)]);
    slice.metadata.labels = Some(slice_labels(None, svc).0);
    slice
}

/// The endpoints wanted for one port set.
struct Group {
    ports: Vec<EndpointPort>,
    endpoints: BTreeMap<EndpointId, Endpoint>,
}

/// What to write.
#[derive(Default, Debug)]
pub(crate) struct Plan {
    pub(crate) create: Vec<EndpointSlice>,
    pub(crate) update: Vec<EndpointSlice>,
    pub(crate) delete: Vec<EndpointSlice>,
    /// Pods skipped (their node is unknown): the Service is retried later.
    pub(crate) skipped: Vec<String>,
}

/// Plans the slices of `svc` given the pods its selector matches and its existing
/// controller-managed slices.
pub(crate) fn reconcile(
    svc: &Service,
    pods: &[Arc<Pod>],
    node: impl Fn(&str) -> Option<Arc<Node>>,
    existing: &[Arc<EndpointSlice>],
) -> Plan {
    let types = address_types(svc);
    let mut plan = Plan::default();
    for slice in existing {
        if !types.contains(slice.address_type.as_str()) {
            plan.delete.push((**slice).clone());
        }
    }
    for t in types {
        let of_type: Vec<&EndpointSlice> = existing
            .iter()
            .map(|s| &**s)
            .filter(|s| s.address_type == t)
            .collect();
        reconcile_type(svc, pods, &node, &of_type, t, &mut plan);
    }
    plan
}

fn reconcile_type(
    svc: &Service,
    pods: &[Arc<Pod>],
    node: &impl Fn(&str) -> Option<Arc<Node>>,
    existing: &[&EndpointSlice],
    address_type: &str,
    plan: &mut Plan,
) {
    let mut create = Vec::new();
    let mut update = Vec::new();
    let mut delete = Vec::new();
    let mut existing_by_ports: BTreeMap<PortsKey, Vec<&EndpointSlice>> = BTreeMap::new();
    for s in existing {
        if owned_by(s, svc) {
            existing_by_ports
                .entry(ports_key(s.ports.as_ref()))
                .or_default()
                .push(s);
        } else {
            delete.push((*s).clone());
        }
    }
    let mut desired: BTreeMap<PortsKey, Group> = BTreeMap::new();
    for pod in pods
        .iter()
        .filter(|p| pods::should_be_in_endpoints(p, true))
    {
        let ports = endpoint_ports(svc, pod);
        let group = desired
            .entry(ports_key(Some(&ports)))
            .or_insert_with(|| Group {
                ports: ports.clone(),
                endpoints: BTreeMap::new(),
            });
        let node_name = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.as_deref())
            .unwrap_or("");
        let n = node(node_name);
        if n.is_none() && !pods::publish_not_ready(svc) {
            let pod_name = pod.metadata.name.as_deref().unwrap_or("");
            plan.skipped.push(format!(
                "skipping Pod {pod_name}: Node {node_name} Not Found"
            ));
            continue;
        }
        let ep = pod_endpoint(pod, n.as_deref(), svc, address_type);
        if !ep.addresses.is_empty() {
            group.endpoints.insert(endpoint_id(&ep), ep);
        }
    }
    for (key, group) in desired {
        let slices = existing_by_ports.remove(&key).unwrap_or_default();
        let (c, u, d) =
            super::fill::by_ports(svc, &slices, group.endpoints, &group.ports, address_type);
        create.extend(c);
        update.extend(u);
        delete.extend(d);
    }
    // Port sets no longer wanted.
    delete.extend(existing_by_ports.into_values().flatten().cloned());
    if existing.len() == delete.len() && create.is_empty() {
        let placeholder = new_slice(svc, &[], address_type);
        match delete.as_slice() {
            [only] if is_placeholder_like(only, &placeholder) => delete.clear(),
            _ => create.push(placeholder),
        }
    }
    // Reuse slices about to be deleted for the ones to create.
    let mut kept = Vec::new();
    for old in delete {
        match create.pop() {
            Some(mut new) if owned_by(&old, svc) && old.address_type == new.address_type => {
                new.metadata = old.metadata.clone();
                new.metadata.labels = slice_labels(old.metadata.labels.as_ref(), svc).0.into();
                update.push(new);
            }
            other => {
                create.extend(other);
                kept.push(old);
            }
        }
    }
    plan.create.extend(create);
    plan.update.extend(update);
    plan.delete.extend(kept);
}

/// An existing slice equal to the placeholder as far as upstream compares them.
fn is_placeholder_like(s: &EndpointSlice, placeholder: &EndpointSlice) -> bool {
    s.metadata.namespace == placeholder.metadata.namespace
        && s.metadata.labels.clone().unwrap_or_default()
            == placeholder.metadata.labels.clone().unwrap_or_default()
        && s.metadata.owner_references == placeholder.metadata.owner_references
        && s.address_type == placeholder.address_type
        && s.endpoints.is_empty()
        && s.ports.as_ref().is_none_or(Vec::is_empty)
}

#[cfg(test)]
#[path = "endpointslice_reconcile_tests.rs"]
mod tests;
