//! The status conditions a terminating namespace carries, with upstream's types, reasons
//! and messages: each deletion pass sets every one of them, `True` with the problem or
//! `False` with the "all is well" text.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{NamespaceCondition, NamespaceStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

pub const DISCOVERY_FAILURE: &str = "NamespaceDeletionDiscoveryFailure";
pub const GV_PARSING_FAILURE: &str = "NamespaceDeletionGVParsingFailure";
pub const CONTENT_FAILURE: &str = "NamespaceDeletionContentFailure";
pub const CONTENT_REMAINING: &str = "NamespaceContentRemaining";
pub const FINALIZERS_REMAINING: &str = "NamespaceFinalizersRemaining";

/// Every condition type maintained, in the order they are added, with the reason and
/// message of its `False` ("ok") variant.
const MAINTAINED: [(&str, &str, &str); 5] = [
    (
        DISCOVERY_FAILURE,
        "ResourcesDiscovered",
        "All resources successfully discovered",
    ),
    (
        GV_PARSING_FAILURE,
        "ParsedGroupVersions",
        "All legacy kube types successfully parsed",
    ),
    (
        CONTENT_FAILURE,
        "ContentDeleted",
        "All content successfully deleted, may be waiting on finalization",
    ),
    (
        CONTENT_REMAINING,
        "ContentRemoved",
        "All content successfully removed",
    ),
    (
        FINALIZERS_REMAINING,
        "ContentHasNoFinalizers",
        "All content-preserving finalizers finished",
    ),
];

/// What one deletion pass found, turned into conditions by [`Findings::apply`].
#[derive(Debug, Default)]
pub struct Findings {
    /// Discovery failed (its message).
    pub discovery_error: Option<String>,
    /// Per-resource deletion errors.
    pub content_errors: Vec<String>,
    /// `(group, resource)` -> objects left.
    pub remaining: BTreeMap<(String, String), usize>,
    /// Finalizer -> objects carrying it.
    pub finalizers: BTreeMap<String, usize>,
}

/// A failing (`True`) condition: (type, reason, message).
type Failing = (&'static str, &'static str, String);

impl Findings {
    fn failing(&self) -> Vec<Failing> {
        let mut out = Vec::new();
        if let Some(e) = &self.discovery_error {
            out.push((DISCOVERY_FAILURE, "DiscoveryFailed", e.clone()));
        }
        if !self.content_errors.is_empty() {
            let mut msgs = self.content_errors.clone();
            msgs.sort();
            out.push((
                CONTENT_FAILURE,
                "ContentDeletionFailed",
                format!(
                    "Failed to delete all resource types, {} remaining: {}",
                    msgs.len(),
                    msgs.join(", ")
                ),
            ));
        }
        let mut left: Vec<String> = self
            .remaining
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|((group, resource), n)| format!("{resource}.{group} has {n} resource instances"))
            .collect();
        if !left.is_empty() {
            left.sort();
            out.push((
                CONTENT_REMAINING,
                "SomeResourcesRemain",
                format!("Some resources are remaining: {}", left.join(", ")),
            ));
        }
        let mut fins: Vec<String> = self
            .finalizers
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(f, n)| format!("{f} in {n} resource instances"))
            .collect();
        if !fins.is_empty() {
            fins.sort();
            out.push((
                FINALIZERS_REMAINING,
                "SomeFinalizersRemain",
                format!(
                    "Some content in the namespace has finalizers remaining: {}",
                    fins.join(", ")
                ),
            ));
        }
        out
    }

    /// Sets every maintained condition in `status`; the transition time moves only when a
    /// condition's status changes. Returns whether anything changed.
    pub fn apply(&self, status: &mut NamespaceStatus, now: Time) -> bool {
        let failing = self.failing();
        let conditions = status.conditions.get_or_insert_with(Vec::new);
        let mut changed = false;
        for (ty, ok_reason, ok_message) in MAINTAINED {
            let (state, reason, message) = match failing.iter().find(|f| f.0 == ty) {
                Some((_, reason, message)) => ("True", *reason, message.clone()),
                None => ("False", ok_reason, ok_message.to_string()),
            };
            match conditions.iter_mut().find(|c| c.type_ == ty) {
                None => {
                    conditions.push(NamespaceCondition {
                        type_: ty.to_string(),
                        status: state.to_string(),
                        reason: Some(reason.to_string()),
                        message: Some(message),
                        last_transition_time: Some(now.clone()),
                    });
                    changed = true;
                }
                Some(c) => {
                    let same = c.status == state
                        && c.reason.as_deref() == Some(reason)
                        && c.message.as_deref() == Some(message.as_str());
                    if !same {
                        if c.status != state {
                            c.last_transition_time = Some(now.clone());
                        }
                        c.status = state.to_string();
                        c.reason = Some(reason.to_string());
                        c.message = Some(message);
                        changed = true;
                    }
                }
            }
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn now() -> Time {
        Time(k8s_openapi::jiff::Timestamp::now())
    }

    fn cond<'a>(s: &'a NamespaceStatus, ty: &str) -> &'a NamespaceCondition {
        s.conditions
            .as_ref()
            .unwrap()
            .iter()
            .find(|c| c.type_ == ty)
            .unwrap()
    }

    #[test]
    fn all_ok_sets_every_condition_false_once() {
        let mut s = NamespaceStatus::default();
        assert!(Findings::default().apply(&mut s, now()));
        let types: Vec<&str> = s
            .conditions
            .as_ref()
            .unwrap()
            .iter()
            .map(|c| c.type_.as_str())
            .collect();
        assert_eq!(
            types,
            [
                DISCOVERY_FAILURE,
                GV_PARSING_FAILURE,
                CONTENT_FAILURE,
                CONTENT_REMAINING,
                FINALIZERS_REMAINING
            ]
        );
        let c = cond(&s, CONTENT_REMAINING);
        assert_eq!(c.status, "False");
        assert_eq!(c.reason.as_deref(), Some("ContentRemoved"));
        assert_eq!(
            c.message.as_deref(),
            Some("All content successfully removed")
        );
        assert!(!Findings::default().apply(&mut s, now()));
    }

    #[test]
    fn remaining_content_and_finalizers_read_as_upstream() {
        let mut f = Findings::default();
        f.remaining.insert(("".into(), "pods".into()), 2);
        f.remaining.insert(("".into(), "configmaps".into()), 1);
        f.remaining
            .insert(("stable.example.com".into(), "crontabs".into()), 3);
        f.finalizers.insert("example.com/hold".into(), 1);
        f.finalizers.insert("a.io/b".into(), 2);
        f.content_errors.push("z failed".into());
        f.content_errors.push("a failed".into());
        let mut s = NamespaceStatus::default();
        f.apply(&mut s, now());
        let c = cond(&s, CONTENT_REMAINING);
        assert_eq!(c.status, "True");
        assert_eq!(c.reason.as_deref(), Some("SomeResourcesRemain"));
        assert_eq!(
            c.message.as_deref(),
            Some(
                "Some resources are remaining: configmaps. has 1 resource instances, crontabs.stable.example.com has 3 resource instances, pods. has 2 resource instances"
            )
        );
        let c = cond(&s, FINALIZERS_REMAINING);
        assert_eq!(c.reason.as_deref(), Some("SomeFinalizersRemain"));
        assert_eq!(
            c.message.as_deref(),
            Some(
                "Some content in the namespace has finalizers remaining: a.io/b in 2 resource instances, example.com/hold in 1 resource instances"
            )
        );
        let c = cond(&s, CONTENT_FAILURE);
        assert_eq!(
            c.message.as_deref(),
            Some("Failed to delete all resource types, 2 remaining: a failed, z failed")
        );
        assert_eq!(cond(&s, DISCOVERY_FAILURE).status, "False");
    }

    #[test]
    fn transition_time_moves_only_with_status() {
        let mut s = NamespaceStatus::default();
        let t0 = Time("2024-01-01T00:00:00Z".parse().unwrap());
        let t1 = Time("2024-01-01T00:01:00Z".parse().unwrap());
        let t2 = Time("2024-01-01T00:02:00Z".parse().unwrap());
        let mut f = Findings::default();
        f.remaining.insert(("".into(), "pods".into()), 2);
        f.apply(&mut s, t0.clone());
        f.remaining.insert(("".into(), "pods".into()), 1);
        assert!(f.apply(&mut s, t1));
        assert_eq!(cond(&s, CONTENT_REMAINING).last_transition_time, Some(t0));
        assert!(Findings::default().apply(&mut s, t2.clone()));
        assert_eq!(cond(&s, CONTENT_REMAINING).last_transition_time, Some(t2));
        assert_eq!(cond(&s, CONTENT_REMAINING).status, "False");
    }
}
