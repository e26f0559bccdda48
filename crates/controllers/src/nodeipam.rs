//! The node IPAM controller (upstream `pkg/controller/nodeipam`, range allocator): every Node
//! without `spec.podCIDR` gets the next free subnet of `--cluster-cidr` (mask
//! `--node-cidr-mask-size`); subnets of deleted nodes are free again. When the range is
//! used up the node gets upstream's `CIDRNotAvailable` event and keeps waiting.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::sync::Arc;

use futures::StreamExt as _;
use ipnet::Ipv4Net;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::events::{Event, EventType};
use kube::runtime::watcher;
use kube::{Resource as _, ResourceExt as _};
use serde_json::json;

use crate::context::{Context, Error};

/// Subnet allocation over one cluster CIDR: subnet `i` is the i-th block of the node mask.
#[derive(Debug)]
pub struct RangeAllocator {
    cluster: Ipv4Net,
    mask: u8,
    used: BTreeSet<u32>,
}

impl RangeAllocator {
    pub fn new(cluster: Ipv4Net, mask: u8) -> Result<Self, Error> {
        if mask < cluster.prefix_len() || mask > 30 {
            return Err(Error::Other(format!(
                "--node-cidr-mask-size {mask} must be between the cluster CIDR's prefix {} \
                 and 30",
                cluster.prefix_len()
            )));
        }
        Ok(Self {
            cluster: cluster.trunc(),
            mask,
            used: BTreeSet::new(),
        })
    }

    fn count(&self) -> u32 {
        1u32 << (self.mask - self.cluster.prefix_len()).min(31)
    }

    fn subnet(&self, i: u32) -> Option<Ipv4Net> {
        let step = 1u64 << (32 - u32::from(self.mask));
        let base = u64::from(u32::from(self.cluster.network())) + u64::from(i) * step;
        let addr = Ipv4Addr::from(u32::try_from(base).ok()?);
        Ipv4Net::new(addr, self.mask).ok()
    }

    fn index_of(&self, cidr: &str) -> Option<u32> {
        let net: Ipv4Net = cidr.parse().ok()?;
        if net.prefix_len() != self.mask || !self.cluster.contains(&net) {
            return None;
        }
        let step = 1u32 << (32 - u32::from(self.mask));
        Some((u32::from(net.network()) - u32::from(self.cluster.network())) / step)
    }

    /// Marks `cidr` as in use (a node already has it); CIDRs outside the range are ignored.
    pub fn occupy(&mut self, cidr: &str) {
        if let Some(i) = self.index_of(cidr) {
            self.used.insert(i);
        }
    }

    pub fn release(&mut self, cidr: &str) {
        if let Some(i) = self.index_of(cidr) {
            self.used.remove(&i);
        }
    }

    /// The lowest free subnet, now in use; `None` when the range is exhausted.
    pub fn allocate(&mut self) -> Option<Ipv4Net> {
        let i = (0..self.count()).find(|i| !self.used.contains(i))?;
        self.used.insert(i);
        self.subnet(i)
    }
}

fn pod_cidr(node: &Node) -> Option<&str> {
    node.spec
        .as_ref()
        .and_then(|s| s.pod_cidr.as_deref())
        .filter(|c| !c.is_empty())
}

pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let Some(cluster) = ctx.options.cluster_cidr else {
        tracing::info!("node IPAM disabled: no --cluster-cidr");
        std::future::pending::<()>().await;
        return Ok(());
    };
    let mut ranges = RangeAllocator::new(cluster, ctx.options.node_cidr_mask_size)?;
    let nodes: Api<Node> = Api::all(ctx.client.clone());
    let recorder = ctx.recorder_for("cidrAllocator");
    let mut initial: Vec<Node> = Vec::new();
    let mut synced = false;
    let mut events = std::pin::pin!(watcher(nodes.clone(), watcher::Config::default()));
    while let Some(ev) = events.next().await {
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) => {
                tracing::debug!(error = %e, "node watch");
                continue;
            }
        };
        let todo: Vec<Node> = match ev {
            watcher::Event::Init => {
                initial.clear();
                Vec::new()
            }
            watcher::Event::InitApply(n) => {
                if let Some(c) = pod_cidr(&n) {
                    ranges.occupy(c);
                }
                initial.push(n);
                Vec::new()
            }
            watcher::Event::InitDone => {
                synced = true;
                std::mem::take(&mut initial)
            }
            watcher::Event::Apply(n) => {
                if let Some(c) = pod_cidr(&n) {
                    ranges.occupy(c);
                }
                vec![n]
            }
            watcher::Event::Delete(n) => {
                if let Some(c) = pod_cidr(&n) {
                    ranges.release(c);
                }
                Vec::new()
            }
        };
        if !synced {
            continue;
        }
        for node in todo.iter().filter(|n| pod_cidr(n).is_none()) {
            let name = node.name_any();
            let Some(cidr) = ranges.allocate() else {
                let ev = Event {
                    type_: EventType::Normal,
                    reason: "CIDRNotAvailable".into(),
                    note: Some(format!("Node {name} status is now: CIDRNotAvailable")),
                    action: "CIDRNotAvailable".into(),
                    secondary: None,
                };
                let _ = recorder.publish(&ev, &node.object_ref(&())).await;
                continue;
            };
            let patch =
                json!({"spec": {"podCIDR": cidr.to_string(), "podCIDRs": [cidr.to_string()]}});
            match nodes
                .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                Ok(_) => tracing::info!(node = %name, %cidr, "allocated the pod CIDR"),
                Err(e) => {
                    ranges.release(&cidr.to_string());
                    tracing::warn!(node = %name, error = %e, "cannot set the pod CIDR");
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::RangeAllocator;

    #[test]
    fn subnets_are_handed_out_lowest_first_and_reused() {
        let mut r = RangeAllocator::new("10.244.0.0/16".parse().unwrap(), 24).unwrap();
        r.occupy("10.244.0.0/24");
        r.occupy("192.168.0.0/24");
        assert_eq!(r.allocate().unwrap().to_string(), "10.244.1.0/24");
        assert_eq!(r.allocate().unwrap().to_string(), "10.244.2.0/24");
        r.release("10.244.1.0/24");
        assert_eq!(r.allocate().unwrap().to_string(), "10.244.1.0/24");
    }

    #[test]
    fn a_full_range_allocates_nothing() {
        let mut r = RangeAllocator::new("10.0.0.0/23".parse().unwrap(), 24).unwrap();
        assert_eq!(r.allocate().unwrap().to_string(), "10.0.0.0/24");
        assert_eq!(r.allocate().unwrap().to_string(), "10.0.1.0/24");
        assert!(r.allocate().is_none());
        assert!(RangeAllocator::new("10.0.0.0/16".parse().unwrap(), 8).is_err());
    }
}
