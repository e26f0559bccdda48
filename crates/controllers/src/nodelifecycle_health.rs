//! Node health bookkeeping (upstream's `tryUpdateNodeHealth`): when a node last showed
//! a sign of life (a new Ready heartbeat or a renewed Lease), the Unknown conditions
//! written when it has been silent longer than its grace period, zone disruption states
//! and the token bucket that paces NoExecute tainting.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Node, NodeCondition};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

use super::taints::conditions;

/// What the controller last saw of a node.
#[derive(Debug, Clone)]
pub struct Health {
    /// When the node last showed a sign of life.
    pub probe: Instant,
    /// The Ready condition's heartbeat last seen (as written).
    ready_heartbeat: Option<String>,
    /// Whether a Ready condition was present at all.
    had_ready: bool,
    /// The Lease renewTime last seen.
    lease_renew: Option<String>,
}

fn heartbeat(c: &NodeCondition) -> Option<String> {
    c.last_heartbeat_time.as_ref().map(|t| t.0.to_string())
}

pub fn ready(node: &Node) -> Option<&NodeCondition> {
    conditions(node).iter().find(|c| c.type_ == "Ready")
}

/// The Ready status ("True", "False", "Unknown"); a node without one counts as Unknown.
pub fn ready_status(node: &Node) -> &str {
    ready(node).map_or("Unknown", |c| c.status.as_str())
}

impl Health {
    /// First sight of a node: its probe time is now (upstream assumes the same).
    pub fn new(node: &Node, lease_renew: Option<&str>, now: Instant) -> Health {
        let r = ready(node);
        Health {
            probe: now,
            ready_heartbeat: r.and_then(heartbeat),
            had_ready: r.is_some(),
            lease_renew: lease_renew.map(str::to_string),
        }
    }

    /// Moves the probe time to `now` when the node's Ready heartbeat changed or its Lease
    /// was renewed since the last look.
    pub fn observe(&mut self, node: &Node, lease_renew: Option<&str>, now: Instant) {
        let r = ready(node);
        let hb = r.and_then(heartbeat);
        if r.is_some() != self.had_ready || (r.is_some() && hb != self.ready_heartbeat) {
            self.probe = now;
        }
        self.had_ready = r.is_some();
        self.ready_heartbeat = hb;
        if let Some(renew) = lease_renew
            && self.lease_renew.as_deref() != Some(renew)
        {
            self.lease_renew = Some(renew.to_string());
            self.probe = now;
        }
    }
}

/// Condition types set to Unknown when a node goes silent (NetworkUnavailable is left
/// alone, as upstream: it belongs to the network provider).
const SILENT_TYPES: [&str; 4] = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

/// Sets the node's conditions to Unknown as upstream does for a silent node; returns
/// whether the Ready condition changed (then the status must be written).
pub fn mark_unknown(node: &mut Node) -> bool {
    let now = Time(Timestamp::now());
    let created = node.metadata.creation_timestamp.clone();
    let before = ready(node).cloned();
    let status = node.status.get_or_insert_with(Default::default);
    let conds = status.conditions.get_or_insert_with(Vec::new);
    for ty in SILENT_TYPES {
        match conds.iter_mut().find(|c| c.type_ == ty) {
            Some(c) if c.status != "Unknown" => {
                c.status = "Unknown".into();
                c.reason = Some("NodeStatusUnknown".into());
                c.message = Some("Kubelet stopped posting node status.".into());
                c.last_transition_time = Some(now.clone());
            }
            Some(_) => {}
            None => conds.push(NodeCondition {
                type_: ty.into(),
                status: "Unknown".into(),
                reason: Some("NodeStatusNeverUpdated".into()),
                message: Some("Kubelet never posted node status.".into()),
                last_heartbeat_time: created.clone(),
                last_transition_time: Some(now.clone()),
            }),
        }
    }
    ready(node).cloned() != before
}

/// The zone of a node (upstream's `GetZoneKey`): region and zone labels.
pub fn zone(node: &Node) -> String {
    let labels = node.metadata.labels.as_ref();
    let get = |a: &str, b: &str| {
        labels
            .and_then(|l| l.get(a).or_else(|| l.get(b)))
            .cloned()
            .unwrap_or_default()
    };
    let region = get(
        "topology.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/region",
    );
    let zone = get(
        "topology.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/zone",
    );
    if region.is_empty() && zone.is_empty() {
        return String::new();
    }
    format!("{region}:\x00:{zone}")
}

/// Disruption state of a zone (upstream's `ComputeZoneState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneState {
    Normal,
    /// More than 2 nodes and at least 55 % of them not ready.
    Partial,
    /// No node ready.
    Full,
}

pub fn zone_state(ready: usize, not_ready: usize) -> ZoneState {
    if ready == 0 && not_ready > 0 {
        ZoneState::Full
    } else if not_ready > 2 && not_ready * 100 >= (ready + not_ready) * 55 {
        ZoneState::Partial
    } else {
        ZoneState::Normal
    }
}

/// Upstream's `--node-eviction-rate` and `--secondary-node-eviction-rate` and
/// `--large-cluster-size-threshold`.
const EVICTION_QPS: f64 = 0.1;
const SECONDARY_EVICTION_QPS: f64 = 0.01;
const LARGE_CLUSTER: usize = 50;

/// Tainting rate of a zone in a state (full disruption of one zone keeps the normal
/// rate: the node is really gone; full disruption of all zones is handled apart).
pub fn zone_qps(state: ZoneState, size: usize) -> f64 {
    match state {
        ZoneState::Normal | ZoneState::Full => EVICTION_QPS,
        ZoneState::Partial if size > LARGE_CLUSTER => SECONDARY_EVICTION_QPS,
        ZoneState::Partial => 0.0,
    }
}

/// A token bucket of burst 1 (upstream's rate limiter of NoExecute tainting).
#[derive(Debug, Clone)]
pub struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    pub fn new(now: Instant) -> Bucket {
        Bucket {
            tokens: 1.0,
            last: now,
        }
    }

    /// Takes a token if one is there at `qps`.
    pub fn try_take(&mut self, qps: f64, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * qps).min(1.0);
        if qps > 0.0 && self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// How often node health is checked: upstream's 5 s, but at least four times per grace
/// period so that short test grace periods are honoured closely.
pub fn monitor_period(grace: Duration) -> Duration {
    (grace / 4).clamp(Duration::from_millis(200), Duration::from_secs(5))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(v: serde_json::Value) -> Node {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn probe_moves_on_signs_of_life() {
        let t0 = Instant::now();
        let n = node(json!({"metadata": {"name": "n"}, "status": {"conditions": [
            {"type": "Ready", "status": "True", "lastHeartbeatTime": "2024-01-01T00:00:00Z"}]}}));
        let mut h = Health::new(&n, Some("a"), t0);
        let t1 = t0 + Duration::from_secs(5);
        h.observe(&n, Some("a"), t1);
        assert_eq!(h.probe, t0, "nothing new");
        h.observe(&n, Some("b"), t1);
        assert_eq!(h.probe, t1, "lease renewed");
        let n2 = node(json!({"metadata": {"name": "n"}, "status": {"conditions": [
            {"type": "Ready", "status": "True", "lastHeartbeatTime": "2024-01-01T00:01:00Z"}]}}));
        let t2 = t1 + Duration::from_secs(5);
        h.observe(&n2, Some("b"), t2);
        assert_eq!(h.probe, t2, "new heartbeat");
    }

    #[test]
    fn unknown_conditions() {
        let mut n = node(json!({"metadata": {"name": "n"}, "status": {"conditions": [
            {"type": "Ready", "status": "True", "reason": "KubeletReady"},
            {"type": "NetworkUnavailable", "status": "False"}]}}));
        assert!(mark_unknown(&mut n));
        let r = ready(&n).unwrap();
        assert_eq!(r.status, "Unknown");
        assert_eq!(r.reason.as_deref(), Some("NodeStatusUnknown"));
        assert_eq!(
            r.message.as_deref(),
            Some("Kubelet stopped posting node status.")
        );
        let conds = conditions(&n);
        assert_eq!(conds.len(), 5);
        let mem = conds.iter().find(|c| c.type_ == "MemoryPressure").unwrap();
        assert_eq!(mem.reason.as_deref(), Some("NodeStatusNeverUpdated"));
        assert_eq!(
            conds
                .iter()
                .find(|c| c.type_ == "NetworkUnavailable")
                .unwrap()
                .status,
            "False"
        );
        assert!(!mark_unknown(&mut n), "already Unknown: nothing to write");
    }

    #[test]
    fn zones_and_rates() {
        assert_eq!(zone_state(0, 1), ZoneState::Full);
        assert_eq!(zone_state(1, 2), ZoneState::Normal);
        assert_eq!(zone_state(2, 3), ZoneState::Partial);
        assert_eq!(zone_qps(ZoneState::Partial, 10), 0.0);
        let t = Instant::now();
        let mut b = Bucket::new(t);
        assert!(b.try_take(0.1, t));
        assert!(!b.try_take(0.1, t + Duration::from_secs(5)));
        assert!(b.try_take(0.1, t + Duration::from_secs(10)));
        assert!(!b.try_take(0.0, t + Duration::from_secs(100)));
        assert_eq!(
            monitor_period(Duration::from_secs(4)),
            Duration::from_secs(1)
        );
        assert_eq!(
            monitor_period(Duration::from_secs(40)),
            Duration::from_secs(5)
        );
        let z = node(
            json!({"metadata": {"name": "n", "labels": {"topology.kubernetes.io/zone": "a"}}}),
        );
        assert_eq!(zone(&z), ":\u{0}:a");
    }
}
