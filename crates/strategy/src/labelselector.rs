//! `metav1.LabelSelector`: validation (`ValidateLabelSelector`), matching, and the
//! "selector matches the pod template" rule shared by the workload kinds.

use std::collections::BTreeMap;

use kubehci_api::FieldError;
use serde_json::Value;

use crate::gofmt;
use crate::json::{Errs, P, field, get_arr, get_str, get_str_map, get_strs, str_map};
use crate::names::label_value;
use crate::objectmeta::{validate_label_name, validate_labels};

/// Validates a selector object found at `p`.
pub(crate) fn validate(sel: &Value, p: &P, e: &mut Errs) {
    if let Some(m) = get_str_map(sel, "matchLabels", p, e) {
        validate_labels(&m, &p.child("matchLabels"), e);
    }
    let ep = p.child("matchExpressions");
    for (i, r) in get_arr(sel, "matchExpressions", p, e).iter().enumerate() {
        requirement(r, &ep.index(i), e);
    }
}

fn requirement(r: &Value, p: &P, e: &mut Errs) {
    let op = get_str(r, "operator", p, e).unwrap_or("");
    let values = get_strs(r, "values", p, e);
    match op {
        "In" | "NotIn" => {
            if values.is_empty() {
                e.push(FieldError::required(
                    p.child("values"),
                    "must be specified when `operator` is 'In' or 'NotIn'",
                ));
            }
        }
        "Exists" | "DoesNotExist" => {
            if !values.is_empty() {
                e.push(FieldError::forbidden(
                    p.child("values"),
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                ));
            }
        }
        _ => e.push(FieldError::invalid(
            p.child("operator"),
            op,
            "not a valid selector operator",
        )),
    }
    validate_label_name(get_str(r, "key", p, e).unwrap_or(""), &p.child("key"), e);
    for (i, v) in values.iter().enumerate() {
        for msg in label_value(v) {
            e.push(FieldError::invalid(p.child("values").index(i), *v, msg));
        }
    }
}

/// What `LabelSelectorAsSelector` makes of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Selector {
    /// No selector at all: matches nothing.
    Nothing,
    /// `{}`: matches everything (and counts as "empty").
    Everything,
    /// Requirements that must all hold.
    Reqs(Vec<(String, String, Vec<String>)>),
    /// A selector `LabelSelectorAsSelector` rejects.
    Invalid,
}

impl Selector {
    pub(crate) fn from_value(sel: Option<&Value>) -> Selector {
        let Some(sel) = sel.filter(|s| s.is_object()) else {
            return Selector::Nothing;
        };
        let mut reqs = Vec::new();
        for (k, v) in str_map(sel, "matchLabels") {
            reqs.push((k, "In".to_string(), vec![v]));
        }
        for r in crate::json::items(sel, "matchExpressions") {
            let op = crate::json::s(r, "operator").to_string();
            if !matches!(op.as_str(), "In" | "NotIn" | "Exists" | "DoesNotExist") {
                return Selector::Invalid;
            }
            let vals = crate::json::items(r, "values")
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
            reqs.push((crate::json::s(r, "key").to_string(), op, vals));
        }
        if reqs.is_empty() {
            Selector::Everything
        } else {
            Selector::Reqs(reqs)
        }
    }

    pub(crate) fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Selector::Nothing | Selector::Invalid => false,
            Selector::Everything => true,
            Selector::Reqs(reqs) => reqs.iter().all(|(k, op, vals)| {
                let v = labels.get(k);
                match op.as_str() {
                    "In" => v.is_some_and(|v| vals.contains(v)),
                    "NotIn" => v.is_none_or(|v| !vals.contains(v)),
                    "Exists" => v.is_some(),
                    _ => v.is_none(),
                }
            }),
        }
    }
}

/// `` `selector` does not match template `labels` `` at `<template>.metadata.labels`,
/// reported when a non-empty selector misses the template's labels.
pub(crate) fn check_template(sel: Option<&Value>, template: Option<&Value>, tp: &P, e: &mut Errs) {
    let selector = Selector::from_value(sel);
    if selector == Selector::Everything || selector == Selector::Invalid {
        return;
    }
    let meta = template.and_then(|t| field(t, "metadata"));
    let labels = meta.map(|m| str_map(m, "labels")).unwrap_or_default();
    if !selector.matches(&labels) {
        e.push(gofmt::invalid_raw(
            tp.at(&["metadata", "labels"]),
            &gofmt::labels_of(meta),
            "`selector` does not match template `labels`",
        ));
    }
}

/// A `map[string]string` selector (ReplicationController, Service) as requirements.
pub(crate) fn from_map(m: &BTreeMap<String, String>) -> Selector {
    if m.is_empty() {
        return Selector::Everything;
    }
    Selector::Reqs(
        m.iter()
            .map(|(k, v)| (k.clone(), "In".to_string(), vec![v.clone()]))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn validates_requirements() {
        let sel = json!({"matchExpressions": [
            {"key": "a", "operator": "In"},
            {"key": "b", "operator": "Exists", "values": ["x"]},
            {"key": "c", "operator": "Near"}]});
        let mut e = Vec::new();
        validate(&sel, &P::new("spec.selector"), &mut e);
        let e: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert_eq!(
            e,
            vec![
                "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
                "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                "spec.selector.matchExpressions[2].operator: Invalid value: \"Near\": not a valid selector operator",
            ]
        );
    }

    #[test]
    fn template_mismatch_message() {
        let mut e = Vec::new();
        let t = json!({"metadata": {"labels": {"app": "web"}}});
        check_template(
            Some(&json!({"matchLabels": {"app": "db"}})),
            Some(&t),
            &P::new("spec.template"),
            &mut e,
        );
        check_template(None, Some(&t), &P::new("spec.template"), &mut e);
        check_template(
            Some(&json!({"matchLabels": {"app": "web"}})),
            Some(&t),
            &P::new("spec.template"),
            &mut e,
        );
        assert_eq!(e.len(), 2);
        assert_eq!(
            e[0].to_string(),
            "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`"
        );
        let s = Selector::from_value(Some(
            &json!({"matchExpressions": [{"key": "t", "operator": "NotIn", "values": ["x"]}]}),
        ));
        assert!(s.matches(&BTreeMap::new()));
    }
}
