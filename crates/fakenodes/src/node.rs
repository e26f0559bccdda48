//! The fake Node objects: registration, status (as a kubelet posts it) and the node
//! Leases in `kube-node-lease` that tell the node lifecycle controller they are alive.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use futures::{StreamExt as _, TryStreamExt as _};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt as _, watcher};
use serde_json::{Value, json};

use crate::{Error, FAKE_NODE_LABEL, Settings};

/// How often each Lease is renewed (the kubelet's default).
pub const LEASE_RENEW_INTERVAL: Duration = Duration::from_secs(10);
/// `spec.leaseDurationSeconds` of the node Leases (the kubelet's default).
pub const LEASE_DURATION_SECONDS: i32 = 40;
/// How often the node status is re-posted when nothing changed (heartbeat times).
const STATUS_INTERVAL: Duration = Duration::from_secs(60);
/// Concurrent API calls when acting on all nodes.
const CONCURRENCY: usize = 16;
const LEASE_NAMESPACE: &str = "kube-node-lease";

/// One fake node.
#[derive(Debug, Clone)]
pub(crate) struct FakeNode {
    pub name: String,
    pub index: u32,
    pub ip: Ipv4Addr,
}

/// All nodes of this run, by name.
#[derive(Debug)]
pub(crate) struct NodeSet {
    pub nodes: Vec<FakeNode>,
    by_name: HashMap<String, usize>,
}

/// InternalIP of node `i`: 10.255.0.0/16, from .0.1 up.
pub(crate) fn node_ip(index: u32) -> Ipv4Addr {
    let base = u32::from(Ipv4Addr::new(10, 255, 0, 0));
    Ipv4Addr::from(base + (index % 65_534) + 1)
}

/// Pod subnet of node `i`: a /24 in 10.244.0.0-10.254.255.255.
pub(crate) fn pod_subnet(index: u32) -> Ipv4Addr {
    let base = u32::from(Ipv4Addr::new(10, 244, 0, 0));
    Ipv4Addr::from(base + (index % (11 * 256)) * 256)
}

impl NodeSet {
    pub fn new(settings: &Settings) -> NodeSet {
        let nodes: Vec<FakeNode> = (0..settings.count)
            .map(|index| FakeNode {
                name: format!("{}-{index}", settings.prefix),
                index,
                ip: node_ip(index),
            })
            .collect();
        let by_name = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.clone(), i))
            .collect();
        NodeSet { nodes, by_name }
    }

    pub fn get(&self, name: &str) -> Option<&FakeNode> {
        self.by_name.get(name).and_then(|i| self.nodes.get(*i))
    }

    /// Creates every Node (or adopts an existing one), posts its status and its Lease.
    pub async fn register_all(
        &self,
        client: &kube::Client,
        settings: &Settings,
    ) -> Result<(), Error> {
        futures::stream::iter(self.nodes.iter().map(Ok))
            .try_for_each_concurrent(CONCURRENCY, |n| register(client, n, settings))
            .await
    }
}

fn now_secs() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn now_micros() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A short stable hex id derived from a name (FNV-1a), for machine and boot ids.
pub(crate) fn hex_id(seed: &str) -> String {
    let mut out = String::new();
    for salt in [0x811c_9dc5_u64, 0xcbf2_9ce4_8422_2325] {
        let mut h = salt;
        for b in seed.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("{h:016x}"));
    }
    out
}

fn node_object(n: &FakeNode, settings: &Settings) -> Value {
    let cidr = format!("{}/24", pod_subnet(n.index));
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": n.name,
            "labels": {
                "beta.kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/hostname": n.name,
                "kubernetes.io/os": "linux",
                FAKE_NODE_LABEL: "true",
            },
            "annotations": {"node.alpha.kubernetes.io/ttl": "0"},
        },
        "spec": {"podCIDR": cidr, "podCIDRs": [cidr]},
        "status": status(n, settings, None),
    })
}

/// The status a kubelet posts; transition times are kept from `old` when unchanged.
pub(crate) fn status(n: &FakeNode, settings: &Settings, old: Option<&Value>) -> Value {
    let now = now_secs();
    let since = |ty: &str, st: &str| -> Value {
        old.and_then(|o| o.as_array())
            .and_then(|cs| cs.iter().find(|c| c["type"] == ty && c["status"] == st))
            .map(|c| c["lastTransitionTime"].clone())
            .filter(|t| t.is_string())
            .unwrap_or_else(|| json!(now))
    };
    let cond = |ty: &str, st: &str, reason: &str, message: &str| {
        json!({"type": ty, "status": st, "lastHeartbeatTime": now,
               "lastTransitionTime": since(ty, st), "reason": reason, "message": message})
    };
    let resources = json!({
        "cpu": settings.cpu,
        "ephemeral-storage": "100Gi",
        "memory": settings.memory,
        "pods": settings.max_pods.to_string(),
    });
    let id = hex_id(&n.name);
    json!({
        "capacity": resources,
        "allocatable": resources,
        "conditions": [
            cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        ],
        "addresses": [
            {"type": "InternalIP", "address": n.ip.to_string()},
            {"type": "Hostname", "address": n.name},
        ],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": {
            "machineID": &id[..32],
            "systemUUID": format!("{}-{}-{}-{}-{}", &id[..8], &id[8..12], &id[12..16], &id[16..20], &id[20..32]),
            "bootID": hex_id(&format!("{}/{}", n.name, std::process::id()))[..32].to_string(),
            "kernelVersion": "6.1.0-kubehci-fake",
            "osImage": "kubehci fake node",
            "containerRuntimeVersion": "fake://kubehci",
            "kubeletVersion": "v1.33.0",
            "operatingSystem": "linux",
            "architecture": "amd64",
        },
    })
}

async fn register(client: &kube::Client, n: &FakeNode, settings: &Settings) -> Result<(), Error> {
    let api: Api<Node> = Api::all(client.clone());
    let obj: Node =
        serde_json::from_value(node_object(n, settings)).map_err(|source| Error::Build {
            what: format!("node {}", n.name),
            source,
        })?;
    let node = match api.create(&PostParams::default(), &obj).await {
        Ok(node) => node,
        Err(kube::Error::Api(s)) if s.code == 409 => api.get(&n.name).await?,
        Err(e) => return Err(e.into()),
    };
    post_status(client, n, settings, Some(&node)).await?;
    let uid = node.metadata.uid.unwrap_or_default();
    ensure_lease(client, &n.name, &uid).await
}

/// Posts the node's status (a merge patch of pods/status: the node's word wins).
pub(crate) async fn post_status(
    client: &kube::Client,
    n: &FakeNode,
    settings: &Settings,
    current: Option<&Node>,
) -> Result<(), Error> {
    let old = current
        .and_then(|c| c.status.as_ref())
        .and_then(|s| serde_json::to_value(&s.conditions).ok());
    let api: Api<Node> = Api::all(client.clone());
    let patch = json!({"status": status(n, settings, old.as_ref())});
    api.patch_status(&n.name, &PatchParams::default(), &Patch::Merge(&patch))
        .await?;
    Ok(())
}

async fn ensure_lease(client: &kube::Client, name: &str, node_uid: &str) -> Result<(), Error> {
    let api: Api<Lease> = Api::namespaced(client.clone(), LEASE_NAMESPACE);
    let spec = json!({
        "holderIdentity": name,
        "leaseDurationSeconds": LEASE_DURATION_SECONDS,
        "renewTime": now_micros(),
    });
    match api
        .patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(&json!({"spec": spec})),
        )
        .await
    {
        Ok(_) => return Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => {}
        Err(e) => return Err(e.into()),
    }
    let mut meta = json!({"name": name, "namespace": LEASE_NAMESPACE});
    if !node_uid.is_empty() {
        meta["ownerReferences"] =
            json!([{"apiVersion": "v1", "kind": "Node", "name": name, "uid": node_uid}]);
    }
    let lease: Lease = serde_json::from_value(json!({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": meta, "spec": spec,
    }))
    .map_err(|source| Error::Build {
        what: format!("lease {name}"),
        source,
    })?;
    match api.create(&PostParams::default(), &lease).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Renews every node's Lease every [`LEASE_RENEW_INTERVAL`]; errors are logged, never
/// fatal (a kubelet keeps trying).
pub(crate) async fn renew_leases(client: kube::Client, nodes: Arc<NodeSet>) -> Result<(), Error> {
    let mut tick = tokio::time::interval(LEASE_RENEW_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let node_api: Api<Node> = Api::all(client.clone());
        futures::stream::iter(nodes.nodes.iter())
            .for_each_concurrent(CONCURRENCY, |n| {
                let (client, node_api) = (&client, &node_api);
                async move {
                    // The uid is only needed when the Lease has to be created again.
                    let uid = match ensure_lease(client, &n.name, "").await {
                        Ok(()) => return,
                        Err(_) => node_api
                            .get(&n.name)
                            .await
                            .ok()
                            .and_then(|n| n.metadata.uid),
                    };
                    if let Err(e) = ensure_lease(client, &n.name, &uid.unwrap_or_default()).await {
                        tracing::warn!(node = %n.name, error = %e, "cannot renew the node lease");
                    }
                }
            })
            .await;
    }
}

fn is_ready(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

/// Keeps the nodes' own status: re-posts it when someone else changed it (the node
/// lifecycle controller marking it Unknown) and every [`STATUS_INTERVAL`].
pub(crate) async fn keep_status(
    client: kube::Client,
    nodes: Arc<NodeSet>,
    settings: Arc<Settings>,
) -> Result<(), Error> {
    let api: Api<Node> = Api::all(client.clone());
    let cfg = watcher::Config::default().labels(&format!("{FAKE_NODE_LABEL}=true"));
    let mut events = watcher(api, cfg).default_backoff().boxed();
    let mut seen: HashMap<String, Node> = HashMap::new();
    let mut tick = tokio::time::interval(STATUS_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tokio::select! {
            ev = events.next() => {
                let node = match ev {
                    Some(Ok(watcher::Event::Apply(n) | watcher::Event::InitApply(n))) => n,
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        tracing::debug!(error = %e, "node watch");
                        continue;
                    }
                    None => return Err(Error::Stopped("node watch")),
                };
                let name = node.metadata.name.clone().unwrap_or_default();
                let Some(n) = nodes.get(&name) else { continue };
                if !is_ready(&node)
                    && let Err(e) = post_status(&client, n, &settings, Some(&node)).await
                {
                    tracing::warn!(node = %name, error = %e, "cannot post node status");
                }
                seen.insert(name, node);
            }
            _ = tick.tick() => {
                let (client, settings, seen) = (&client, &settings, &seen);
                futures::stream::iter(nodes.nodes.iter())
                    .for_each_concurrent(CONCURRENCY, |n| async move {
                        if let Err(e) = post_status(client, n, settings, seen.get(&n.name)).await {
                            tracing::warn!(node = %n.name, error = %e, "cannot post node status");
                        }
                    })
                    .await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(node_ip(0), Ipv4Addr::new(10, 255, 0, 1));
        assert_eq!(node_ip(299), Ipv4Addr::new(10, 255, 1, 44));
        assert_eq!(pod_subnet(0), Ipv4Addr::new(10, 244, 0, 0));
        assert_eq!(pod_subnet(257), Ipv4Addr::new(10, 245, 1, 0));
        assert_eq!(hex_id("a").len(), 32);
        assert_ne!(hex_id("a"), hex_id("b"));
    }

    #[test]
    fn status_keeps_transition_times() {
        let settings = Settings {
            cpu: "2".into(),
            memory: "4Gi".into(),
            max_pods: 110,
            prefix: "n".into(),
            count: 1,
            job_run: Duration::from_secs(1),
        };
        let n = FakeNode {
            name: "n-0".into(),
            index: 0,
            ip: node_ip(0),
        };
        let old = json!([{"type": "Ready", "status": "True", "lastTransitionTime": "2020-01-01T00:00:00Z"},
                          {"type": "DiskPressure", "status": "Unknown", "lastTransitionTime": "2020-01-01T00:00:00Z"}]);
        let st = status(&n, &settings, Some(&old));
        let conds = st["conditions"].as_array().unwrap();
        let ready = conds.iter().find(|c| c["type"] == "Ready").unwrap();
        assert_eq!(ready["lastTransitionTime"], "2020-01-01T00:00:00Z");
        assert_eq!(ready["reason"], "KubeletReady");
        let disk = conds.iter().find(|c| c["type"] == "DiskPressure").unwrap();
        assert_ne!(disk["lastTransitionTime"], "2020-01-01T00:00:00Z");
        assert_eq!(st["capacity"]["pods"], "110");
        assert_eq!(st["addresses"][0]["address"], "10.255.0.1");
    }
}
