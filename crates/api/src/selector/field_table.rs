//! Which field labels each built-in resource accepts in a field selector (upstream's
//! field-label conversion functions) and the values objects expose for them
//! (upstream's `ToSelectableFields`).

use serde_json::Value;

/// How a resource rejects a label it does not support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reject {
    /// `field label not supported: <label>` (resources with a conversion function).
    NotSupported,
    /// `field label "<label>" not supported for batchv1.Job`.
    Job,
    /// `"<label>" is not a known field selector: only "metadata.name", "metadata.namespace"`.
    MetaOnly,
}

/// The accepted labels of one resource, with renames (`from`, `to`).
#[derive(Debug, Clone)]
pub(super) struct FieldRules {
    accepted: Vec<String>,
    aliases: &'static [(&'static str, &'static str)],
    reject: Reject,
}

const NAME: &str = "metadata.name";
const NAMESPACE: &str = "metadata.namespace";

const POD: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.podIPs",
    "status.nominatedNodeName",
];
const EVENT: &[&str] = &[
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
    "metadata.namespace",
    "metadata.name",
];
const EVENTS_V1: &[&str] = &[
    "reason",
    "source",
    "type",
    "metadata.namespace",
    "metadata.name",
];
const EVENTS_V1_ALIASES: &[(&str, &str)] = &[
    ("regarding.kind", "involvedObject.kind"),
    ("regarding.namespace", "involvedObject.namespace"),
    ("regarding.name", "involvedObject.name"),
    ("regarding.uid", "involvedObject.uid"),
    ("regarding.apiVersion", "involvedObject.apiVersion"),
    (
        "regarding.resourceVersion",
        "involvedObject.resourceVersion",
    ),
    ("regarding.fieldPath", "involvedObject.fieldPath"),
    ("reportingController", "reportingComponent"),
];

impl FieldRules {
    fn new(accepted: &[&str], reject: Reject) -> Self {
        Self {
            accepted: accepted.iter().map(|s| s.to_string()).collect(),
            aliases: &[],
            reject,
        }
    }

    pub(super) fn custom(namespaced: bool, selectable: &[String]) -> Self {
        let mut accepted = vec!["metadata.name".to_string()];
        if namespaced {
            accepted.push("metadata.namespace".to_string());
        }
        accepted.extend(
            selectable
                .iter()
                .map(|s| s.trim_start_matches('.').to_string()),
        );
        Self {
            accepted,
            aliases: &[],
            reject: Reject::NotSupported,
        }
    }

    /// The label after conversion, or upstream's error message.
    pub(super) fn convert(&self, label: &str) -> Result<String, String> {
        if let Some((_, to)) = self.aliases.iter().find(|(from, _)| *from == label) {
            return Ok((*to).to_string());
        }
        if self.accepted.iter().any(|a| a == label) {
            return Ok(label.to_string());
        }
        Err(match self.reject {
            Reject::NotSupported => format!("field label not supported: {label}"),
            Reject::Job => format!("field label {label:?} not supported for batchv1.Job"),
            Reject::MetaOnly => {
                format!(
                    "{label:?} is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
                )
            }
        })
    }
}

/// The field-label rules of a built-in resource; resources without their own
/// conversion accept only `metadata.name` and `metadata.namespace`.
pub(super) fn rules(group: &str, resource: &str) -> FieldRules {
    use Reject::{Job, MetaOnly, NotSupported};
    match (group, resource) {
        ("", "pods") => FieldRules {
            aliases: &[("spec.host", "spec.nodeName")],
            ..FieldRules::new(POD, NotSupported)
        },
        ("", "nodes") => FieldRules::new(&["metadata.name", "spec.unschedulable"], NotSupported),
        ("", "replicationcontrollers") => {
            FieldRules::new(&[NAME, NAMESPACE, "status.replicas"], NotSupported)
        }
        ("", "events") => FieldRules::new(EVENT, NotSupported),
        ("events.k8s.io", "events") => FieldRules {
            aliases: EVENTS_V1_ALIASES,
            ..FieldRules::new(EVENTS_V1, NotSupported)
        },
        ("", "namespaces") => FieldRules::new(&["status.phase", "metadata.name"], NotSupported),
        ("", "secrets") => FieldRules::new(&["type", NAME, NAMESPACE], NotSupported),
        ("", "services") => FieldRules::new(
            &[NAME, NAMESPACE, "spec.clusterIP", "spec.type"],
            NotSupported,
        ),
        ("apps", "replicasets") => {
            FieldRules::new(&[NAME, NAMESPACE, "status.replicas"], NotSupported)
        }
        ("batch", "jobs") => FieldRules::new(&[NAME, NAMESPACE, "status.successful"], Job),
        ("certificates.k8s.io", "certificatesigningrequests") => {
            FieldRules::new(&["metadata.name", "spec.signerName"], NotSupported)
        }
        _ => FieldRules::new(&[NAME, NAMESPACE], MetaOnly),
    }
}

fn str_at<'a>(obj: &'a Value, path: &[&str]) -> Option<&'a str> {
    crate::meta::path(obj, path).and_then(Value::as_str)
}

fn str_or_empty(obj: &Value, path: &[&str]) -> Option<String> {
    Some(str_at(obj, path).unwrap_or("").to_string())
}

fn int_string(obj: &Value, path: &[&str]) -> Option<String> {
    Some(
        crate::meta::path(obj, path)
            .and_then(Value::as_i64)
            .unwrap_or(0)
            .to_string(),
    )
}

/// An event's field in either shape: core `involvedObject`/`source`, or
/// events.k8s.io `regarding`/`deprecatedSource`.
fn event_field(obj: &Value, field: &str) -> Option<String> {
    if let Some(sub) = field
        .strip_prefix("involvedObject.")
        .or_else(|| field.strip_prefix("regarding."))
    {
        let r = obj.get("involvedObject").or_else(|| obj.get("regarding"));
        return Some(
            r.and_then(|r| r.get(sub))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        );
    }
    match field {
        "reason" | "type" => str_or_empty(obj, &[field]),
        "reportingComponent" | "reportingController" => str_or_empty(obj, &["reportingController"]),
        "source" => {
            let component = str_at(obj, &["source", "component"])
                .or_else(|| str_at(obj, &["deprecatedSource", "component"]))
                .unwrap_or("");
            if component.is_empty() {
                str_or_empty(obj, &["reportingController"])
            } else {
                Some(component.into())
            }
        }
        _ => None,
    }
}

/// The value a built-in object exposes for a (converted) field label, as upstream's
/// selectable field sets: booleans and counts as their Go strings. `None` for a label
/// the resource does not expose (matching treats it as `""`).
pub fn field_value(group: &str, resource: &str, obj: &Value, field: &str) -> Option<String> {
    match field {
        "metadata.name" => return str_or_empty(obj, &["metadata", "name"]),
        "metadata.namespace" => return str_or_empty(obj, &["metadata", "namespace"]),
        _ => {}
    }
    match (group, resource, field) {
        ("", "pods", "spec.hostNetwork") => {
            let b = crate::meta::path(obj, &["spec", "hostNetwork"])
                .and_then(Value::as_bool)
                .unwrap_or(false);
            Some(b.to_string())
        }
        ("", "pods", "status.podIP") => {
            let first = crate::meta::path(obj, &["status", "podIPs"])
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(|p| p.get("ip"))
                .and_then(Value::as_str);
            Some(
                first
                    .or_else(|| str_at(obj, &["status", "podIP"]))
                    .unwrap_or("")
                    .to_string(),
            )
        }
        (
            "",
            "pods",
            "spec.nodeName"
            | "spec.restartPolicy"
            | "spec.schedulerName"
            | "spec.serviceAccountName",
        )
        | ("", "pods" | "namespaces", "status.phase")
        | ("", "pods", "status.nominatedNodeName")
        | ("", "services", "spec.clusterIP" | "spec.type")
        | ("certificates.k8s.io", "certificatesigningrequests", "spec.signerName") => {
            let path: Vec<&str> = field.split('.').collect();
            str_or_empty(obj, &path)
        }
        ("", "nodes", "spec.unschedulable") => {
            let b = crate::meta::path(obj, &["spec", "unschedulable"])
                .and_then(Value::as_bool)
                .unwrap_or(false);
            Some(b.to_string())
        }
        ("", "replicationcontrollers", "status.replicas")
        | ("apps", "replicasets", "status.replicas") => int_string(obj, &["status", "replicas"]),
        ("batch", "jobs", "status.successful") => int_string(obj, &["status", "succeeded"]),
        ("", "secrets", "type") => str_or_empty(obj, &["type"]),
        ("" | "events.k8s.io", "events", _) => event_field(obj, field),
        _ => None,
    }
}

/// A custom resource's field: a dotted JSON path; strings as is, numbers and
/// booleans in their JSON text.
pub fn custom_field_value(obj: &Value, field: &str) -> Option<String> {
    let path: Vec<&str> = field.trim_start_matches('.').split('.').collect();
    match crate::meta::path(obj, &path)? {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
