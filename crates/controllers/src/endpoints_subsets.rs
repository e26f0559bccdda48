//! The subsets of a Service's Endpoints, as upstream's endpoints controller computes them:
//! one address per selected pod and resolvable port, ready or not, then repacked into the
//! canonical layout (addresses with the same ports share a subset, everything sorted) and
//! truncated to 1000 addresses.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{
    EndpointAddress, EndpointPort, EndpointSubset, ObjectReference, Pod, Service,
};

use super::pods::{
    find_port, has_cluster_ip, hostname_for, is_ipv6, is_ready, pod_ips, publish_not_ready,
    should_be_in_endpoints,
};

/// At most this many addresses in one Endpoints object.
pub(crate) const MAX_CAPACITY: usize = 1000;
/// Set to `truncated` when the addresses did not fit.
pub(crate) const OVER_CAPACITY_ANNOTATION: &str = "endpoints.kubernetes.io/over-capacity";

/// The IP of `pod` in the Service's (primary) family.
fn address_for(svc: &Service, pod: &Pod) -> Option<EndpointAddress> {
    let spec = svc.spec.as_ref();
    let ips = pod_ips(pod);
    let v6 = match spec
        .and_then(|s| s.ip_families.as_ref())
        .and_then(|f| f.first())
    {
        Some(family) => family == "IPv6",
        None if has_cluster_ip(svc) => {
            is_ipv6(spec.and_then(|s| s.cluster_ip.as_deref()).unwrap_or(""))
        }
        None => ips.first().is_some_and(|ip| is_ipv6(ip)),
    };
    let ip = ips.into_iter().find(|ip| is_ipv6(ip) == v6)?;
    let node = pod.spec.as_ref().and_then(|s| s.node_name.clone());
    Some(EndpointAddress {
        ip,
        hostname: hostname_for(pod, svc),
        node_name: node.filter(|n| !n.is_empty()),
        target_ref: Some(ObjectReference {
            kind: Some("Pod".into()),
            namespace: pod.metadata.namespace.clone(),
            name: pod.metadata.name.clone(),
            uid: pod.metadata.uid.clone(),
            ..Default::default()
        }),
    })
}

/// An address is identified by its IP and its pod's UID.
type AddrKey = (String, String);
/// A port as a sortable value: name, number, protocol, app protocol.
type PortKey = (Option<String>, i32, Option<String>, Option<String>);

fn addr_key(a: &EndpointAddress) -> AddrKey {
    let uid = a.target_ref.as_ref().and_then(|r| r.uid.clone());
    (a.ip.clone(), uid.unwrap_or_default())
}

fn port_key(p: &EndpointPort) -> PortKey {
    (
        p.name.clone(),
        p.port,
        p.protocol.clone(),
        p.app_protocol.clone(),
    )
}

fn port_of(k: PortKey) -> EndpointPort {
    EndpointPort {
        name: k.0,
        port: k.1,
        protocol: k.2,
        app_protocol: k.3,
    }
}

fn non_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

/// The subsets the Service's Endpoints should hold, from the pods its selector matches.
pub(crate) fn desired_subsets(svc: &Service, pods: &[Arc<Pod>]) -> Vec<EndpointSubset> {
    let tolerate = publish_not_ready(svc);
    let svc_ports = svc
        .spec
        .as_ref()
        .and_then(|s| s.ports.clone())
        .unwrap_or_default();
    let headless = svc.spec.as_ref().and_then(|s| s.cluster_ip.as_deref()) == Some("None");
    let mut entries = Vec::new();
    for pod in pods {
        if !should_be_in_endpoints(pod, tolerate) {
            continue;
        }
        let Some(addr) = address_for(svc, pod) else {
            tracing::debug!(pod = ?pod.metadata.name, "no IP of the service's family");
            continue;
        };
        let ready = tolerate || is_ready(pod);
        if svc_ports.is_empty() {
            // Headless services may have no ports.
            if headless {
                entries.push((addr, None, ready));
            }
            continue;
        }
        for sp in &svc_ports {
            let Some(port) = find_port(pod, sp) else {
                tracing::debug!(pod = ?pod.metadata.name, port = ?sp.target_port, "port not found");
                continue;
            };
            let ep = EndpointPort {
                name: sp.name.clone().filter(|n| !n.is_empty()),
                port,
                protocol: sp.protocol.clone(),
                app_protocol: sp.app_protocol.clone(),
            };
            entries.push((addr.clone(), Some(port_key(&ep)), ready));
        }
    }
    repack(entries)
}

/// Upstream's RepackSubsets over (address, port or none, ready) triples: an address not
/// ready on a port stays not ready there; addresses offering the same ports with the same
/// readiness share one subset.
fn repack(entries: Vec<(EndpointAddress, Option<PortKey>, bool)>) -> Vec<EndpointSubset> {
    let mut addrs: BTreeMap<AddrKey, EndpointAddress> = BTreeMap::new();
    let mut by_port: BTreeMap<Option<PortKey>, BTreeMap<AddrKey, bool>> = BTreeMap::new();
    for (addr, port, ready) in entries {
        let key = addr_key(&addr);
        addrs.entry(key.clone()).or_insert(addr);
        by_port
            .entry(port)
            .or_default()
            .entry(key)
            .and_modify(|r| *r = *r && ready)
            .or_insert(ready);
    }
    let mut by_members: BTreeMap<Vec<(AddrKey, bool)>, Vec<PortKey>> = BTreeMap::new();
    for (port, members) in by_port {
        let ports = by_members.entry(members.into_iter().collect()).or_default();
        ports.extend(port);
    }
    by_members
        .into_iter()
        .map(|(members, mut ports)| {
            ports.sort();
            let pick = |want: bool| {
                members
                    .iter()
                    .filter(|(_, ready)| *ready == want)
                    .filter_map(|(k, _)| addrs.get(k).cloned())
                    .collect::<Vec<_>>()
            };
            EndpointSubset {
                addresses: non_empty(pick(true)),
                not_ready_addresses: non_empty(pick(false)),
                ports: non_empty(ports.into_iter().map(port_of).collect()),
            }
        })
        .collect()
}

fn count(subsets: &[EndpointSubset]) -> (usize, usize) {
    subsets.iter().fold((0, 0), |(r, n), s| {
        (
            r + s.addresses.as_ref().map_or(0, Vec::len),
            n + s.not_ready_addresses.as_ref().map_or(0, Vec::len),
        )
    })
}

/// Whether the Endpoints' over-capacity annotation matches its subsets.
pub(crate) fn capacity_annotation_correct(
    has_annotation: bool,
    subsets: &[EndpointSubset],
) -> bool {
    let (ready, not_ready) = count(subsets);
    ready + not_ready <= MAX_CAPACITY && !has_annotation
}

/// Cuts the subsets down to [`MAX_CAPACITY`] addresses, ready ones first, each subset
/// keeping its share (rounded up); returns whether anything was cut.
pub(crate) fn truncate(subsets: &mut [EndpointSubset]) -> bool {
    let (ready, not_ready) = count(subsets);
    if ready + not_ready <= MAX_CAPACITY {
        return false;
    }
    let cut_ready = ready > MAX_CAPACITY;
    let (max, total) = if cut_ready {
        (MAX_CAPACITY, ready)
    } else {
        (MAX_CAPACITY - ready, not_ready)
    };
    let mut room = max;
    for s in subsets.iter_mut() {
        let list = if cut_ready {
            s.not_ready_addresses = None;
            &mut s.addresses
        } else {
            &mut s.not_ready_addresses
        };
        let n = list.as_ref().map_or(0, Vec::len);
        let share = (n * max).div_ceil(total.max(1)).min(room);
        if let Some(l) = list.as_mut() {
            l.truncate(share);
        }
        room -= list.as_ref().map_or(0, Vec::len);
        if list.as_ref().is_some_and(Vec::is_empty) {
            *list = None;
        }
    }
    true
}

/// Subsets as read back from the server, normalised for comparison with desired ones
/// (empty lists absent, target references without resourceVersion).
pub(crate) fn normalised(subsets: Option<&Vec<EndpointSubset>>) -> Vec<EndpointSubset> {
    let fix = |list: &Option<Vec<EndpointAddress>>| {
        let list: Vec<EndpointAddress> = list
            .iter()
            .flatten()
            .cloned()
            .map(|mut a| {
                if let Some(r) = a.target_ref.as_mut() {
                    r.resource_version = None;
                }
                a
            })
            .collect();
        non_empty(list)
    };
    subsets
        .into_iter()
        .flatten()
        .map(|s| EndpointSubset {
            addresses: fix(&s.addresses),
            not_ready_addresses: fix(&s.not_ready_addresses),
            ports: s.ports.clone().filter(|p| !p.is_empty()),
        })
        .collect()
}

#[cfg(test)]
#[path = "endpoints_subsets_tests.rs"]
mod tests;
