//! The ReplicaSet controller (upstream `pkg/controller/replicaset`): keeps
//! `spec.replicas` pods matching the selector, adopting orphans and releasing pods it
//! no longer selects, and reports replicas/fullyLabeled/ready/available in the status.
//! The engine is shared with the ReplicationController controller.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetStatus};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector as TypedSelector;
use kubehci_api::selector::LabelSelector;
use serde_json::{Map, Value};

use crate::context::{Context, Error};

#[path = "replicaset_claim.rs"]
pub(crate) mod claim;
#[path = "replicaset_engine.rs"]
pub(crate) mod engine;
#[path = "replicaset_expect.rs"]
pub(crate) mod expect;
#[path = "replicaset_manage.rs"]
pub(crate) mod manage;
#[path = "replicaset_pods.rs"]
pub(crate) mod pods;

/// A label selector (`metav1.LabelSelectorAsSelector`), with a fast path for the common
/// plain `matchLabels` form that needs no conversion of the labels it tests.
#[derive(Debug, Clone)]
pub(crate) enum Selector {
    /// Every listed label must have this value; an empty map selects everything.
    Labels(BTreeMap<String, String>),
    /// With `matchExpressions`: the general matcher.
    General(LabelSelector),
    /// A nil or invalid selector selects nothing.
    Nothing,
}

impl Selector {
    /// From a typed `LabelSelector` (a Deployment's or ReplicaSet's).
    pub(crate) fn typed(sel: Option<&TypedSelector>) -> Self {
        let Some(sel) = sel else {
            return Self::Nothing;
        };
        if sel.match_expressions.as_ref().is_none_or(|e| e.is_empty()) {
            return Self::Labels(sel.match_labels.clone().unwrap_or_default());
        }
        serde_json::to_value(sel)
            .ok()
            .and_then(|v| LabelSelector::from_label_selector(Some(&v)).ok())
            .map_or(Self::Nothing, Self::General)
    }

    /// From a map selector (a ReplicationController's); an empty one selects nothing.
    pub(crate) fn set(map: Option<&BTreeMap<String, String>>) -> Self {
        match map {
            Some(m) if !m.is_empty() => Self::Labels(m.clone()),
            _ => Self::Nothing,
        }
    }

    /// Whether an object with these labels is selected.
    pub(crate) fn matches(&self, labels: Option<&BTreeMap<String, String>>) -> bool {
        match self {
            Self::Nothing => false,
            Self::Labels(want) => want
                .iter()
                .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v)),
            Self::General(s) => {
                let map: Map<String, Value> = labels
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect();
                s.matches(&map)
            }
        }
    }

    /// True when it selects every object.
    pub(crate) fn is_everything(&self) -> bool {
        match self {
            Self::Labels(m) => m.is_empty(),
            Self::General(s) => s.is_empty(),
            Self::Nothing => false,
        }
    }

    /// The `labelSelector` query of a LIST (`None` for a selector matching nothing).
    pub(crate) fn query(&self) -> Option<String> {
        match self {
            Self::Labels(m) => Some(
                m.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            Self::General(s) => Some(s.to_string()),
            Self::Nothing => None,
        }
    }
}

impl engine::Owner for ReplicaSet {
    const COMPONENT: &'static str = "replicaset-controller";

    fn selector(&self) -> Selector {
        Selector::typed(self.spec.as_ref().map(|s| &s.selector))
    }

    fn replicas(&self) -> i32 {
        self.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
    }

    fn template(&self) -> Option<&PodTemplateSpec> {
        self.spec.as_ref().and_then(|s| s.template.as_ref())
    }

    fn min_ready_seconds(&self) -> i32 {
        self.spec
            .as_ref()
            .and_then(|s| s.min_ready_seconds)
            .unwrap_or(0)
    }

    fn status(&self) -> ReplicaSetStatus {
        self.status.clone().unwrap_or_default()
    }
}

pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    engine::run::<ReplicaSet>(ctx).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn selectors_match_like_upstream() {
        let plain = Selector::typed(Some(&TypedSelector {
            match_labels: Some(labels(&[("app", "web")])),
            match_expressions: None,
        }));
        assert!(plain.matches(Some(&labels(&[("app", "web"), ("x", "y")]))));
        assert!(!plain.matches(Some(&labels(&[("app", "db")]))));
        assert!(!plain.matches(None));
        assert_eq!(plain.query().as_deref(), Some("app=web"));
        let exprs = Selector::typed(Some(&TypedSelector {
            match_labels: Some(labels(&[("app", "web")])),
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "tier".into(),
                operator: "In".into(),
                values: Some(vec!["a".into(), "b".into()]),
            }]),
        }));
        assert!(exprs.matches(Some(&labels(&[("app", "web"), ("tier", "b")]))));
        assert!(!exprs.matches(Some(&labels(&[("app", "web"), ("tier", "c")]))));
        // nil selects nothing, empty selects everything, an empty RC selector nothing.
        assert!(!Selector::typed(None).matches(Some(&labels(&[]))));
        let all = Selector::typed(Some(&TypedSelector::default()));
        assert!(all.is_everything() && all.matches(None));
        assert!(!Selector::set(Some(&BTreeMap::new())).matches(None));
    }
}
