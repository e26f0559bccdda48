//! The node lifecycle controller (upstream's `pkg/controller/nodelifecycle` with the taint
//! eviction of `pkg/controller/tainteviction`), simplified:
//!
//! - A node that shows no sign of life (neither a new Ready heartbeat nor a renewed Lease
//!   in `kube-node-lease`) for `--node-monitor-grace-period` gets its Ready,
//!   MemoryPressure, DiskPressure and PIDPressure conditions set to `Unknown`
//!   (`NodeStatusUnknown`, "Kubelet stopped posting node status."); its pods are marked
//!   not ready (`NodeNotReady` events). When it comes back its own status wins.
//! - Condition taints: `node.kubernetes.io/{not-ready,unreachable,...}:NoSchedule` follow
//!   the conditions; `not-ready` / `unreachable` `NoExecute` taints follow Ready=False /
//!   Unknown, added at most at upstream's pace (0.1 node/s per zone, none in a partially
//!   disrupted small zone) and never while every node is down ("master disruption
//!   mode": then nothing is evicted, as upstream).
//! - Taint eviction: pods on a node with NoExecute taints they do not tolerate are
//!   deleted at once, those that tolerate them for `tolerationSeconds` after that time
//!   (`TaintManagerEviction` events). `--pod-eviction-timeout` stands for upstream's
//!   DefaultTolerationSeconds (`--default-{not-ready,unreachable}-toleration-seconds`):
//!   pods without not-ready/unreachable NoExecute tolerations, and pods with exactly the
//!   tolerations admission adds (Exists, 300 s), are evicted after it (see
//!   [`taints::effective`]).
//!
//! Not done: rate limits on pod deletions, the `nodesToRetry` retry path, node labels
//! reconciliation, and DaemonSet pods are evicted like the others (they normally
//! tolerate the taints).

#[path = "nodelifecycle_eviction.rs"]
mod eviction;
#[path = "nodelifecycle_health.rs"]
mod health;
#[path = "nodelifecycle_monitor.rs"]
mod monitor;
#[path = "nodelifecycle_taints.rs"]
mod taints;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, ObjectReference, Pod, Toleration};
use kube::api::Api;
use kube::runtime::events::Recorder;
use kube::runtime::{WatchStreamExt as _, watcher};

use crate::context::{Context, Error};
use eviction::{Decision, Evictions, PodKey};
use health::{Bucket, Health, ZoneState};

const LEASE_NAMESPACE: &str = "kube-node-lease";

/// What the controller keeps of a bound pod.
#[derive(Debug, Clone, PartialEq)]
struct PodInfo {
    uid: Option<String>,
    node: String,
    /// Tolerations as eviction sees them ([`taints::effective`]).
    tolerations: Vec<Toleration>,
    deleting: bool,
}

/// Tracks a watch's (re)listing, to drop what vanished meanwhile.
#[derive(Debug, Default)]
struct Listing {
    seen: Option<HashSet<String>>,
    synced: bool,
}

impl Listing {
    fn see(&mut self, key: &str) {
        if let Some(s) = self.seen.as_mut() {
            s.insert(key.to_string());
        }
    }

    /// At the end of a listing: the keys of `known` that were not listed.
    fn done<'a>(&mut self, known: impl Iterator<Item = &'a String>) -> Vec<String> {
        self.synced = true;
        let seen = self.seen.take().unwrap_or_default();
        known.filter(|k| !seen.contains(*k)).cloned().collect()
    }
}

struct Controller {
    ctx: Arc<Context>,
    nodes_api: Api<Node>,
    /// Events as upstream's `node-controller`.
    recorder: Recorder,
    /// Events as upstream's `taint-eviction-controller`.
    eviction_recorder: Recorder,
    nodes: HashMap<String, Node>,
    leases: HashMap<String, String>,
    pods: HashMap<PodKey, PodInfo>,
    by_node: HashMap<String, HashSet<PodKey>>,
    health: HashMap<String, Health>,
    /// NoExecute taints per node, as the taint eviction last acted on them.
    tainted: HashMap<String, Vec<k8s_openapi::api::core::v1::Taint>>,
    evictions: Evictions,
    zones: HashMap<String, (ZoneState, Bucket)>,
    /// Nodes waiting for their NoExecute taint (paced per zone).
    taint_queue: VecDeque<String>,
    all_disrupted: bool,
    listings: [Listing; 3],
}

fn key_of(pod: &Pod) -> PodKey {
    format!(
        "{}/{}",
        pod.metadata.namespace.as_deref().unwrap_or(""),
        pod.metadata.name.as_deref().unwrap_or("")
    )
}

fn node_ref(node: &Node) -> ObjectReference {
    ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("Node".into()),
        name: node.metadata.name.clone(),
        uid: node.metadata.uid.clone(),
        ..Default::default()
    }
}

impl Controller {
    fn new(ctx: Arc<Context>) -> Controller {
        Controller {
            nodes_api: Api::all(ctx.client.clone()),
            recorder: ctx.recorder_for("node-controller"),
            eviction_recorder: ctx.recorder_for("taint-eviction-controller"),
            ctx,
            nodes: HashMap::new(),
            leases: HashMap::new(),
            pods: HashMap::new(),
            by_node: HashMap::new(),
            health: HashMap::new(),
            tainted: HashMap::new(),
            evictions: Evictions::default(),
            zones: HashMap::new(),
            taint_queue: VecDeque::new(),
            all_disrupted: false,
            listings: Default::default(),
        }
    }

    fn synced(&self) -> bool {
        self.listings.iter().all(|l| l.synced)
    }

    /// Records an event in the background (events are best effort).
    fn event(&self, reference: ObjectReference, warn: bool, reason: &'static str, note: String) {
        let recorder = if reason == "TaintManagerEviction" {
            self.eviction_recorder.clone()
        } else {
            self.recorder.clone()
        };
        tokio::spawn(
            async move { eviction::publish(&recorder, &reference, warn, reason, note).await },
        );
    }

    fn report(&self, decisions: Vec<Decision>) {
        for Decision::Cancelled(key) in decisions {
            let note = format!("Cancelling deletion of Pod {key}");
            let uid = self.pods.get(&key).and_then(|p| p.uid.as_deref());
            self.event(
                eviction::pod_ref(&key, uid),
                false,
                "TaintManagerEviction",
                note,
            );
        }
    }

    fn pods_on(&self, node: &str) -> Vec<PodKey> {
        self.by_node
            .get(node)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    async fn on_node(&mut self, node: Node) {
        let name = node.metadata.name.clone().unwrap_or_default();
        self.listings[0].see(&name);
        // Our own writes are stored at once; an older event arriving after must not
        // roll them back.
        let rv = |n: &Node| n.metadata.resource_version.as_deref()?.parse::<u64>().ok();
        if let (Some(known), Some(new)) = (self.nodes.get(&name).and_then(rv), rv(&node))
            && new < known
        {
            return;
        }
        let old = self.nodes.insert(name, node.clone());
        if self.synced() {
            self.node_changed(old.as_ref(), &node).await;
        }
    }

    fn on_node_gone(&mut self, name: &str) {
        self.nodes.remove(name);
        self.tainted.remove(name);
    }

    /// A node was added or changed: its condition taints, and evictions when its
    /// NoExecute taints changed.
    async fn node_changed(&mut self, old: Option<&Node>, node: &Node) {
        let (add, remove) = taints::no_schedule_diff(node);
        if !add.is_empty() || !remove.is_empty() {
            match taints::swap(&self.nodes_api, node, &add, &remove).await {
                Ok(Some(n)) => self.store_node(n),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(node = ?node.metadata.name, error = %e, "cannot update NoSchedule taints")
                }
            }
        }
        if old.map(taints::no_execute) != Some(taints::no_execute(node)) {
            self.apply_no_execute(node.metadata.name.as_deref().unwrap_or(""));
        }
    }

    fn store_node(&mut self, node: Node) {
        if let Some(name) = node.metadata.name.clone() {
            self.nodes.insert(name, node);
        }
    }

    fn on_pod(&mut self, pod: &Pod) {
        let key = key_of(pod);
        self.listings[2].see(&key);
        let spec = pod.spec.as_ref();
        let info = PodInfo {
            uid: pod.metadata.uid.clone(),
            node: spec.and_then(|s| s.node_name.clone()).unwrap_or_default(),
            // As upstream's taint eviction: the pod's own tolerations (admission gave it
            // the not-ready/unreachable ones with the API server's default seconds).
            tolerations: spec.and_then(|s| s.tolerations.clone()).unwrap_or_default(),
            deleting: pod.metadata.deletion_timestamp.is_some(),
        };
        let old = self.pods.insert(key.clone(), info.clone());
        if let Some(o) = old.as_ref().filter(|o| o.node != info.node)
            && let Some(s) = self.by_node.get_mut(&o.node)
        {
            s.remove(&key);
        }
        self.by_node
            .entry(info.node.clone())
            .or_default()
            .insert(key.clone());
        if !self.synced() || info.deleting {
            return;
        }
        let moved = old.as_ref().is_none_or(|o| o.node != info.node);
        if moved
            || old
                .as_ref()
                .is_some_and(|o| o.tolerations != info.tolerations)
        {
            let mut out = Vec::new();
            if let Some(t) = self.tainted.get(&info.node) {
                self.evictions
                    .process(&key, &info.tolerations, t, Instant::now(), &mut out);
            }
            self.report(out);
        }
        // A pod placed on a node that is not ready is marked not ready too.
        let node_down = self.health.contains_key(&info.node)
            && self
                .nodes
                .get(&info.node)
                .is_some_and(|n| health::ready_status(n) != "True");
        if moved && node_down {
            let (c, r) = (self.ctx.client.clone(), self.recorder.clone());
            tokio::spawn(eviction::mark_not_ready(c, r, key, info.node));
        }
    }

    fn on_pod_gone(&mut self, key: &str) {
        let mut out = Vec::new();
        self.evictions.cancel(key, &mut out);
        self.evictions.forget(key);
        self.report(out);
        if let Some(p) = self.pods.remove(key)
            && let Some(s) = self.by_node.get_mut(&p.node)
        {
            s.remove(key);
        }
    }

    /// After the first full listing of nodes, leases and pods.
    async fn on_synced(&mut self) {
        let nodes: Vec<Node> = self.nodes.values().cloned().collect();
        for n in &nodes {
            self.node_changed(None, n).await;
        }
    }
}

/// Runs the controller until a watch ends for good.
pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let client = ctx.client.clone();
    let cfg = watcher::Config::default;
    let mut nodes = watcher(Api::<Node>::all(client.clone()), cfg())
        .default_backoff()
        .boxed();
    let mut leases = watcher(
        Api::<Lease>::namespaced(client.clone(), LEASE_NAMESPACE),
        cfg(),
    )
    .default_backoff()
    .boxed();
    let pods_cfg = cfg().fields("spec.nodeName!=");
    let mut pods = watcher(Api::<Pod>::all(client), pods_cfg)
        .default_backoff()
        .boxed();
    let period = health::monitor_period(ctx.options.node_monitor_grace_period);
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut c = Controller::new(ctx);
    loop {
        let was_synced = c.synced();
        let due = c.evictions.next_due();
        let wake = async move {
            match due {
                Some(t) => tokio::time::sleep_until(t.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            ev = nodes.next() => match ev {
                Some(Ok(watcher::Event::Init)) => c.listings[0].seen = Some(HashSet::new()),
                Some(Ok(watcher::Event::Apply(n) | watcher::Event::InitApply(n))) => c.on_node(n).await,
                Some(Ok(watcher::Event::Delete(n))) => c.on_node_gone(n.metadata.name.as_deref().unwrap_or("")),
                Some(Ok(watcher::Event::InitDone)) => {
                    for name in c.listings[0].done(c.nodes.keys()) {
                        c.on_node_gone(&name);
                    }
                }
                Some(Err(e)) => tracing::debug!(error = %e, "node watch"),
                None => return Err(Error::Other("node watch ended".into())),
            },
            ev = leases.next() => match ev {
                Some(Ok(watcher::Event::Init)) => c.listings[1].seen = Some(HashSet::new()),
                Some(Ok(watcher::Event::Apply(l) | watcher::Event::InitApply(l))) => {
                    let name = l.metadata.name.clone().unwrap_or_default();
                    c.listings[1].see(&name);
                    let renew = l.spec.and_then(|s| s.renew_time).map(|t| t.0.to_string());
                    c.leases.insert(name, renew.unwrap_or_default());
                }
                Some(Ok(watcher::Event::Delete(l))) => {
                    c.leases.remove(l.metadata.name.as_deref().unwrap_or(""));
                }
                Some(Ok(watcher::Event::InitDone)) => {
                    for name in c.listings[1].done(c.leases.keys()) {
                        c.leases.remove(&name);
                    }
                }
                Some(Err(e)) => tracing::debug!(error = %e, "lease watch"),
                None => return Err(Error::Other("lease watch ended".into())),
            },
            ev = pods.next() => match ev {
                Some(Ok(watcher::Event::Init)) => c.listings[2].seen = Some(HashSet::new()),
                Some(Ok(watcher::Event::Apply(p) | watcher::Event::InitApply(p))) => c.on_pod(&p),
                Some(Ok(watcher::Event::Delete(p))) => c.on_pod_gone(&key_of(&p)),
                Some(Ok(watcher::Event::InitDone)) => {
                    for key in c.listings[2].done(c.pods.keys()) {
                        c.on_pod_gone(&key);
                    }
                }
                Some(Err(e)) => tracing::debug!(error = %e, "pod watch"),
                None => return Err(Error::Other("pod watch ended".into())),
            },
            _ = tick.tick() => {
                if c.synced() {
                    c.monitor().await;
                }
            }
            _ = wake => c.fire_evictions(),
        }
        if !was_synced && c.synced() {
            tracing::info!(
                nodes = c.nodes.len(),
                pods = c.pods.len(),
                "node lifecycle controller synced"
            );
            c.on_synced().await;
        }
    }
}

/// Upstream's `--node-startup-grace-period`: how long a node that never posted a Ready
/// condition is given.
const STARTUP_GRACE: Duration = Duration::from_secs(60);
