//! Filter outcomes and upstream's wording: per-node statuses, the reasons each plugin
//! gives, and `FitError.Error()` ("0/3 nodes are available: ...").

use std::collections::HashMap;

/// The filter plugins, in upstream's default profile order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Plugin {
    NodeUnschedulable,
    NodeName,
    TaintToleration,
    NodeAffinity,
    NodePorts,
    NodeResourcesFit,
    PodTopologySpread,
    InterPodAffinity,
    DefaultPreemption,
}

impl Plugin {
    pub fn name(self) -> &'static str {
        match self {
            Plugin::NodeUnschedulable => "NodeUnschedulable",
            Plugin::NodeName => "NodeName",
            Plugin::TaintToleration => "TaintToleration",
            Plugin::NodeAffinity => "NodeAffinity",
            Plugin::NodePorts => "NodePorts",
            Plugin::NodeResourcesFit => "NodeResourcesFit",
            Plugin::PodTopologySpread => "PodTopologySpread",
            Plugin::InterPodAffinity => "InterPodAffinity",
            Plugin::DefaultPreemption => "DefaultPreemption",
        }
    }

    /// A bit for plugin sets (which plugins rejected a pod).
    pub const fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

pub const ERR_UNSCHEDULABLE: &str = "node(s) were unschedulable";
pub const ERR_NODE_NAME: &str = "node(s) didn't match the requested node name";
pub const ERR_NODE_AFFINITY: &str = "node(s) didn't match Pod's node affinity/selector";
pub const ERR_AFFINITY_CONFLICT: &str = "pod affinity terms conflict";
pub const ERR_NODE_PORTS: &str = "node(s) didn't have free ports for the requested pod ports";
pub const ERR_POD_AFFINITY: &str = "node(s) didn't match pod affinity rules";
pub const ERR_POD_ANTI_AFFINITY: &str = "node(s) didn't match pod anti-affinity rules";
pub const ERR_EXISTING_ANTI_AFFINITY: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";
pub const ERR_SPREAD: &str = "node(s) didn't match pod topology spread constraints";
pub const ERR_SPREAD_LABEL: &str =
    "node(s) didn't match pod topology spread constraints (missing required label)";
pub const ERR_NO_NODES: &str = "no nodes available to schedule pods";
pub const PREEMPTION_NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";
pub const NO_VICTIMS: &str = "No preemption victims found for incoming pod";
pub const NOT_ELIGIBLE_NEVER: &str = "not eligible due to preemptionPolicy=Never.";
pub const NOT_ELIGIBLE_TERMINATING: &str =
    "not eligible due to a terminating pod on the nominated node.";

pub fn untolerated_taint(key: &str, value: &str) -> String {
    format!("node(s) had untolerated taint {{{key}: {value}}}")
}

/// Unschedulable may be resolved by preemption; Unresolvable (upstream's
/// UnschedulableAndUnresolvable) cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Unschedulable,
    Unresolvable,
}

/// Why one node was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub code: Code,
    pub reasons: Vec<String>,
    pub plugin: Option<Plugin>,
}

impl Status {
    pub fn new(code: Code, plugin: Plugin, reason: impl Into<String>) -> Self {
        Self {
            code,
            reasons: vec![reason.into()],
            plugin: Some(plugin),
        }
    }

    pub fn unschedulable(plugin: Plugin, reason: impl Into<String>) -> Self {
        Status::new(Code::Unschedulable, plugin, reason)
    }

    pub fn unresolvable(plugin: Plugin, reason: impl Into<String>) -> Self {
        Status::new(Code::Unresolvable, plugin, reason)
    }
}

/// The statuses of one scheduling attempt: nodes the filters rejected explicitly, and one
/// status for every other node (those a PreFilter ruled out).
#[derive(Debug, Clone, Default)]
pub struct NodeStatuses {
    pub explicit: Vec<(String, Status)>,
    pub absent: Option<Status>,
}

impl NodeStatuses {
    pub fn get(&self, node: &str) -> Option<&Status> {
        self.explicit
            .iter()
            .find(|(n, _)| n == node)
            .map(|(_, s)| s)
            .or(self.absent.as_ref())
    }
}

/// Upstream's reason histogram: "N reason" per distinct reason, sorted as strings.
pub fn histogram(statuses: &NodeStatuses, num_all_nodes: usize) -> Vec<String> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (_, s) in &statuses.explicit {
        for r in &s.reasons {
            *counts.entry(r.as_str()).or_default() += 1;
        }
    }
    let absent = num_all_nodes.saturating_sub(statuses.explicit.len());
    if absent > 0
        && let Some(s) = &statuses.absent
    {
        for r in &s.reasons {
            *counts.entry(r.as_str()).or_default() += absent;
        }
    }
    let mut out: Vec<String> = counts
        .into_iter()
        .map(|(r, n)| format!("{n} {r}"))
        .collect();
    out.sort();
    out
}

/// Upstream's `FitError.Error()`.
pub fn fit_error(
    num_all_nodes: usize,
    statuses: &NodeStatuses,
    pre_filter_msg: Option<&str>,
    post_filter_msg: &str,
) -> String {
    let mut msg = format!("0/{num_all_nodes} nodes are available:");
    match pre_filter_msg {
        Some(p) if !p.is_empty() => msg.push_str(&format!(" {p}.")),
        _ => {
            let hist = histogram(statuses, num_all_nodes);
            if !hist.is_empty() {
                msg.push_str(&format!(" {}.", hist.join(", ")));
            }
        }
    }
    if !post_filter_msg.is_empty() {
        msg.push(' ');
        msg.push_str(post_filter_msg);
    }
    msg
}

/// Event notes are limited to 1 KiB; upstream cuts longer messages and appends " ...".
pub fn truncate_message(msg: &str) -> String {
    const LIMIT: usize = 1024;
    const SUFFIX: &str = " ...";
    if msg.len() <= LIMIT {
        return msg.to_string();
    }
    let mut end = LIMIT - SUFFIX.len();
    while !msg.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{SUFFIX}", &msg[..end])
}
