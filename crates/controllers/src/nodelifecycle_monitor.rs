//! The periodic node health pass (upstream's `monitorNodeHealth` and the NoExecute
//! tainting pass): Unknown conditions for silent nodes, `NodeNotReady` on transitions,
//! zone disruption states and NoExecute taints that mirror the Ready condition.

use std::collections::HashMap;
use std::time::Instant;

use k8s_openapi::api::core::v1::Node;
use kube::api::PostParams;

use super::health::{self, Bucket, Health, ZoneState};
use super::taints::{self, NO_EXECUTE, NOT_READY, UNREACHABLE, taint};
use super::{Controller, STARTUP_GRACE, eviction, node_ref};

/// The NoExecute taint a Ready status calls for, and the one it excludes.
fn wanted(ready: &str) -> Option<(&'static str, &'static str)> {
    match ready {
        "False" => Some((NOT_READY, UNREACHABLE)),
        "Unknown" => Some((UNREACHABLE, NOT_READY)),
        _ => None,
    }
}

fn has(node: &Node, key: &str) -> bool {
    taints::taints(node)
        .iter()
        .any(|t| t.key == key && t.effect == NO_EXECUTE)
}

impl Controller {
    /// One health pass over all nodes.
    pub(super) async fn monitor(&mut self) {
        let now = Instant::now();
        self.classify(now);
        let grace = self.ctx.options.node_monitor_grace_period;
        let names: Vec<String> = self.nodes.keys().cloned().collect();
        let mut zones: HashMap<String, (usize, usize)> = HashMap::new();
        let mut statuses: Vec<(String, String)> = Vec::new();
        for name in names {
            let Some(mut node) = self.nodes.get(&name).cloned() else {
                continue;
            };
            let lease = self.leases.get(&name).map(String::as_str);
            let Some(h) = self.health.get_mut(&name) else {
                continue;
            };
            h.observe(&node, lease, now);
            let observed = health::ready_status(&node).to_string();
            let allowed = if health::ready(&node).is_some() {
                grace
            } else {
                STARTUP_GRACE.max(grace)
            };
            if now > h.probe + allowed && health::mark_unknown(&mut node) {
                match self
                    .nodes_api
                    .replace_status(&name, &PostParams::default(), &node)
                    .await
                {
                    Ok(n) => {
                        tracing::info!(node = %name, "node stopped posting status; marked Unknown");
                        let probe = h.probe;
                        *h = Health::new(&n, lease, now);
                        h.probe = probe;
                        node = n.clone();
                        self.nodes.insert(name.clone(), n);
                    }
                    Err(e) => {
                        tracing::warn!(node = %name, error = %e, "cannot update node status");
                        continue;
                    }
                }
            }
            let current = health::ready_status(&node).to_string();
            let z = zones.entry(health::zone(&node)).or_default();
            if current == "True" {
                z.0 += 1;
            } else {
                z.1 += 1;
            }
            if current != "True" && observed == "True" {
                self.node_not_ready(&node);
            }
            statuses.push((name, current));
        }
        if self.disruption(&zones, now).await {
            return;
        }
        for (name, status) in statuses {
            self.taint_for_status(&name, &status).await;
        }
        self.drain_taint_queue(now).await;
    }

    /// Notices new and deleted nodes (upstream's `classifyNodes`).
    fn classify(&mut self, now: Instant) {
        let added: Vec<String> = self
            .nodes
            .keys()
            .filter(|n| !self.health.contains_key(*n))
            .cloned()
            .collect();
        for name in added {
            let Some(node) = self.nodes.get(&name) else {
                continue;
            };
            let lease = self.leases.get(&name).map(String::as_str);
            self.health
                .insert(name.clone(), Health::new(node, lease, now));
            let note = format!("Node {name} event: Registered Node {name} in Controller");
            self.event(node_ref(node), false, "RegisteredNode", note);
        }
        let deleted: Vec<String> = self
            .health
            .keys()
            .filter(|n| !self.nodes.contains_key(*n))
            .cloned()
            .collect();
        for name in deleted {
            self.health.remove(&name);
            let reference = k8s_openapi::api::core::v1::ObjectReference {
                api_version: Some("v1".into()),
                kind: Some("Node".into()),
                name: Some(name.clone()),
                ..Default::default()
            };
            let note = format!("Node {name} event: Removing Node {name} from Controller");
            self.event(reference, false, "RemovingNode", note);
        }
    }

    /// A node just stopped being Ready: an event, and its pods are marked not ready.
    fn node_not_ready(&self, node: &Node) {
        let name = node.metadata.name.clone().unwrap_or_default();
        let note = format!("Node {name} status is now: NodeNotReady");
        self.event(node_ref(node), false, "NodeNotReady", note);
        for key in self.pods_on(&name) {
            let (c, r) = (self.ctx.client.clone(), self.recorder.clone());
            tokio::spawn(eviction::mark_not_ready(c, r, key, name.clone()));
        }
    }

    /// Updates zone states; returns true while every zone is fully disrupted (then no
    /// NoExecute taint is added and the existing ones are removed, as upstream).
    async fn disruption(&mut self, zones: &HashMap<String, (usize, usize)>, now: Instant) -> bool {
        let states: HashMap<&String, ZoneState> = zones
            .iter()
            .map(|(z, (r, nr))| (z, health::zone_state(*r, *nr)))
            .collect();
        let all_full = !states.is_empty() && states.values().all(|s| *s == ZoneState::Full);
        if all_full {
            if !self.all_disrupted {
                tracing::warn!(
                    "all nodes are not ready: entering master disruption mode (no evictions)"
                );
                self.all_disrupted = true;
                self.taint_queue.clear();
                let nodes: Vec<Node> = self.nodes.values().cloned().collect();
                for n in nodes {
                    self.set_no_execute(&n, None).await;
                }
            }
            return true;
        }
        if self.all_disrupted {
            tracing::info!("some nodes are ready: leaving master disruption mode");
            self.all_disrupted = false;
            for h in self.health.values_mut() {
                h.probe = now;
            }
        }
        self.zones.retain(|z, _| zones.contains_key(z));
        for (z, s) in states {
            let entry = self
                .zones
                .entry(z.clone())
                .or_insert_with(|| (s, Bucket::new(now)));
            entry.0 = s;
        }
        false
    }

    /// Upstream's `processTaintBaseEviction`: swap at once between not-ready and
    /// unreachable, queue a first NoExecute taint, remove them when Ready.
    async fn taint_for_status(&mut self, name: &str, status: &str) {
        let Some(node) = self.nodes.get(name).cloned() else {
            return;
        };
        match wanted(status) {
            Some((want, other)) if has(&node, other) => {
                self.set_no_execute(&node, Some(want)).await;
            }
            Some((want, _)) if !has(&node, want) => {
                if !self.taint_queue.iter().any(|n| n == name) {
                    self.taint_queue.push_back(name.to_string());
                }
            }
            Some(_) => {}
            None => {
                self.taint_queue.retain(|n| n != name);
                if has(&node, NOT_READY) || has(&node, UNREACHABLE) {
                    tracing::info!(node = %name, "node is ready again; removing NoExecute taints");
                    self.set_no_execute(&node, None).await;
                }
            }
        }
    }

    /// Adds queued NoExecute taints as each zone's rate allows.
    async fn drain_taint_queue(&mut self, now: Instant) {
        let mut sizes: HashMap<String, usize> = HashMap::new();
        for n in self.nodes.values() {
            *sizes.entry(health::zone(n)).or_default() += 1;
        }
        let mut keep = std::collections::VecDeque::new();
        while let Some(name) = self.taint_queue.pop_front() {
            let Some(node) = self.nodes.get(&name).cloned() else {
                continue;
            };
            let Some((want, _)) = wanted(health::ready_status(&node)) else {
                continue;
            };
            let zone = health::zone(&node);
            let size = sizes.get(&zone).copied().unwrap_or(1);
            let allowed = self.zones.get_mut(&zone).is_some_and(|(state, bucket)| {
                bucket.try_take(health::zone_qps(*state, size), now)
            });
            if allowed {
                tracing::info!(node = %name, taint = want, "tainting node NoExecute");
                self.set_no_execute(&node, Some(want)).await;
            } else {
                keep.push_back(name);
            }
        }
        self.taint_queue = keep;
    }

    /// Makes `want` the node's only controller NoExecute taint (`None`: neither).
    async fn set_no_execute(&mut self, node: &Node, want: Option<&str>) {
        let add: Vec<_> = want.map(|k| taint(k, NO_EXECUTE)).into_iter().collect();
        let remove: Vec<_> = [NOT_READY, UNREACHABLE]
            .into_iter()
            .filter(|k| Some(*k) != want)
            .map(|k| taint(k, NO_EXECUTE))
            .collect();
        match taints::swap(&self.nodes_api, node, &add, &remove).await {
            Ok(Some(n)) => {
                let name = n.metadata.name.clone().unwrap_or_default();
                self.store_node(n);
                self.apply_no_execute(&name);
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(node = ?node.metadata.name, error = %e, "cannot update NoExecute taints")
            }
        }
    }
}
