//! Label selectors (pods, namespaces), node selector terms (nodeSelector, required and
//! preferred node affinity) and taint tolerations, with upstream's matching rules.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{NodeSelectorRequirement, NodeSelectorTerm, Taint, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector as ApiLabelSelector;

pub type Labels = BTreeMap<String, String>;

/// A requirement operator (`Gt`/`Lt` only appear in node selectors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "In" => Op::In,
            "NotIn" => Op::NotIn,
            "Exists" => Op::Exists,
            "DoesNotExist" => Op::DoesNotExist,
            "Gt" => Op::Gt,
            "Lt" => Op::Lt,
            _ => return None,
        })
    }
}

/// One `key op values` requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub op: Op,
    pub values: Vec<String>,
}

impl Requirement {
    pub fn new(key: &str, op: Op, values: Vec<String>) -> Self {
        Self {
            key: key.to_string(),
            op,
            values,
        }
    }

    /// Matches one value looked up by key (`None` = absent).
    pub fn matches_value(&self, value: Option<&str>) -> bool {
        match self.op {
            Op::In => value.is_some_and(|v| self.values.iter().any(|x| x == v)),
            Op::NotIn => value.is_none_or(|v| !self.values.iter().any(|x| x == v)),
            Op::Exists => value.is_some(),
            Op::DoesNotExist => value.is_none(),
            Op::Gt | Op::Lt => {
                let (Some(v), Some(bound)) = (value, self.values.first()) else {
                    return false;
                };
                match (v.parse::<i64>(), bound.parse::<i64>()) {
                    (Ok(v), Ok(b)) if self.op == Op::Gt => v > b,
                    (Ok(v), Ok(b)) => v < b,
                    _ => false,
                }
            }
        }
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.matches_value(labels.get(&self.key).map(String::as_str))
    }
}

/// A compiled `metav1.LabelSelector`: `Nothing` for an absent (nil) or invalid selector,
/// otherwise ANDed requirements (none = everything), as `LabelSelectorAsSelector`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Nothing,
    Match(Vec<Requirement>),
}

impl Selector {
    pub fn everything() -> Self {
        Selector::Match(Vec::new())
    }

    pub fn from_api(sel: Option<&ApiLabelSelector>) -> Self {
        let Some(sel) = sel else {
            return Selector::Nothing;
        };
        let mut reqs = Vec::new();
        for (k, v) in sel.match_labels.iter().flatten() {
            reqs.push(Requirement::new(k, Op::In, vec![v.clone()]));
        }
        for e in sel.match_expressions.iter().flatten() {
            match Op::parse(&e.operator) {
                Some(op @ (Op::In | Op::NotIn | Op::Exists | Op::DoesNotExist)) => {
                    reqs.push(Requirement::new(
                        &e.key,
                        op,
                        e.values.clone().unwrap_or_default(),
                    ));
                }
                _ => return Selector::Nothing,
            }
        }
        Selector::Match(reqs)
    }

    /// Adds a requirement (a no-op on `Nothing`).
    pub fn and(mut self, req: Requirement) -> Self {
        if let Selector::Match(reqs) = &mut self {
            reqs.push(req);
        }
        self
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        match self {
            Selector::Nothing => false,
            Selector::Match(reqs) => reqs.iter().all(|r| r.matches(labels)),
        }
    }
}

/// One node selector term: requirements on labels and on `metadata.name`, ANDed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeTerm {
    labels: Vec<Requirement>,
    fields: Vec<Requirement>,
    /// An invalid operator or field key makes the term match nothing.
    valid: bool,
}

impl NodeTerm {
    pub fn from_api(t: &NodeSelectorTerm) -> Self {
        let mut valid = true;
        let mut conv = |r: &NodeSelectorRequirement, field: bool| match Op::parse(&r.operator) {
            Some(op) if !field || matches!(op, Op::In | Op::NotIn) => {
                if field && r.key != "metadata.name" {
                    valid = false;
                }
                Some(Requirement::new(
                    &r.key,
                    op,
                    r.values.clone().unwrap_or_default(),
                ))
            }
            _ => {
                valid = false;
                None
            }
        };
        let labels = t
            .match_expressions
            .iter()
            .flatten()
            .filter_map(|r| conv(r, false))
            .collect::<Vec<_>>();
        let fields = t
            .match_fields
            .iter()
            .flatten()
            .filter_map(|r| conv(r, true))
            .collect::<Vec<_>>();
        Self {
            labels,
            fields,
            valid,
        }
    }

    /// An empty term matches no node (upstream's rule).
    pub fn matches(&self, name: &str, labels: &Labels) -> bool {
        if !self.valid || (self.labels.is_empty() && self.fields.is_empty()) {
            return false;
        }
        self.labels.iter().all(|r| r.matches(labels))
            && self.fields.iter().all(|r| r.matches_value(Some(name)))
    }

    /// The node names this term is restricted to by `metadata.name In`, if any.
    pub fn name_restriction(&self) -> Option<Vec<String>> {
        let mut out: Option<Vec<String>> = None;
        for r in self.fields.iter().filter(|r| r.op == Op::In) {
            out = Some(match out {
                None => r.values.clone(),
                Some(prev) => prev.into_iter().filter(|n| r.values.contains(n)).collect(),
            });
        }
        out
    }
}

/// The pod's required node placement: `nodeSelector` AND (any of the required terms).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequiredNodeAffinity {
    pub node_selector: Vec<Requirement>,
    /// `None` when the pod has no required node affinity.
    pub terms: Option<Vec<NodeTerm>>,
}

impl RequiredNodeAffinity {
    pub fn is_empty(&self) -> bool {
        self.node_selector.is_empty() && self.terms.is_none()
    }

    pub fn matches(&self, name: &str, labels: &Labels) -> bool {
        self.node_selector.iter().all(|r| r.matches(labels))
            && self
                .terms
                .as_ref()
                .is_none_or(|ts| ts.iter().any(|t| t.matches(name, labels)))
    }
}

/// Upstream's `ToleratesTaint`.
pub fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    let effect = t.effect.as_deref().unwrap_or("");
    if !effect.is_empty() && effect != taint.effect {
        return false;
    }
    let key = t.key.as_deref().unwrap_or("");
    if !key.is_empty() && key != taint.key {
        return false;
    }
    match t.operator.as_deref().unwrap_or("") {
        "" | "Equal" => t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or(""),
        "Exists" => true,
        _ => false,
    }
}

pub fn tolerated(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| tolerates(t, taint))
}

/// The first taint with a NoSchedule/NoExecute effect none of the tolerations tolerate.
pub fn first_untolerated<'a>(taints: &'a [Taint], tolerations: &[Toleration]) -> Option<&'a Taint> {
    taints.iter().find(|t| {
        (t.effect == "NoSchedule" || t.effect == "NoExecute") && !tolerated(tolerations, t)
    })
}
