//! ResourceQuota accounting shared by the API server's quota admission and the
//! resource-quota controller: what each object contributes to which quota resource name,
//! and how amounts print.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::quantity::{Format, Quantity};

/// Usage in milli-units (counts are x1000 too, so one type serves all).
pub type Usage = BTreeMap<String, i128>;

pub fn milli(v: Option<&Value>) -> i128 {
    v.and_then(Quantity::from_json)
        .and_then(Result::ok)
        .map(|q| q.milli_value())
        .unwrap_or(0)
}

fn terminal(pod: &Value) -> bool {
    matches!(
        pod.pointer("/status/phase").and_then(Value::as_str),
        Some("Succeeded" | "Failed")
    )
}

/// The usage one object contributes, keyed by quota resource names.
pub fn contribution(group: &str, resource: &str, obj: &Value) -> Usage {
    let mut u = Usage::new();
    let count_key = if group.is_empty() {
        format!("count/{resource}")
    } else {
        format!("count/{resource}.{group}")
    };
    u.insert(count_key, 1000);
    if !group.is_empty() {
        return u;
    }
    match resource {
        "pods" if !terminal(obj) => {
            u.insert("pods".into(), 1000);
            for (key, sub) in [("requests", "requests"), ("limits", "limits")] {
                for r in ["cpu", "memory", "ephemeral-storage"] {
                    let sum: i128 = obj
                        .pointer("/spec/containers")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .map(|c| milli(c.pointer(&format!("/resources/{sub}/{r}"))))
                        .sum();
                    u.insert(format!("{key}.{r}"), sum);
                    if key == "requests" {
                        u.insert(r.to_string(), sum);
                    }
                }
            }
        }
        "services" => {
            u.insert("services".into(), 1000);
            let ty = obj
                .pointer("/spec/type")
                .and_then(Value::as_str)
                .unwrap_or("ClusterIP");
            let ports = obj
                .pointer("/spec/ports")
                .and_then(Value::as_array)
                .map_or(0, Vec::len) as i128;
            match ty {
                "NodePort" => {
                    u.insert("services.nodeports".into(), ports * 1000);
                }
                "LoadBalancer" => {
                    u.insert("services.loadbalancers".into(), 1000);
                    u.insert("services.nodeports".into(), ports * 1000);
                }
                _ => {}
            }
        }
        "persistentvolumeclaims" => {
            u.insert("persistentvolumeclaims".into(), 1000);
            u.insert(
                "requests.storage".into(),
                milli(obj.pointer("/spec/resources/requests/storage")),
            );
        }
        "configmaps" | "secrets" | "replicationcontrollers" | "resourcequotas" => {
            u.insert(resource.to_string(), 1000);
        }
        _ => {}
    }
    u
}

/// Which (group, resource) a quota resource name is counted on.
pub fn counted_on(name: &str) -> Option<(String, String)> {
    if let Some(rest) = name.strip_prefix("count/") {
        return Some(match rest.split_once('.') {
            Some((r, g)) => (g.to_string(), r.to_string()),
            None => (String::new(), rest.to_string()),
        });
    }
    let core = |r: &str| Some((String::new(), r.to_string()));
    match name {
        "pods" | "cpu" | "memory" | "ephemeral-storage" => core("pods"),
        n if n.starts_with("requests.") && n != "requests.storage" => core("pods"),
        n if n.starts_with("limits.") => core("pods"),
        "services" | "services.nodeports" | "services.loadbalancers" => core("services"),
        "persistentvolumeclaims" | "requests.storage" => core("persistentvolumeclaims"),
        "configmaps" | "secrets" | "replicationcontrollers" | "resourcequotas" => core(name),
        _ => None,
    }
}

/// A usage amount as upstream prints it: counts bare, cpu in cores or millicores, bytes
/// in binary SI.
pub fn format_amount(name: &str, milli: i128) -> String {
    let bytes_like = name.contains("memory") || name.contains("storage");
    if bytes_like {
        return Quantity::from_int(
            i64::try_from(milli / 1000).unwrap_or(i64::MAX),
            Format::BinarySI,
        )
        .canonical();
    }
    if milli % 1000 == 0 {
        (milli / 1000).to_string()
    } else {
        format!("{milli}m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pods_count_and_sum_requests() {
        let pod = json!({"spec": {"containers": [
            {"resources": {"requests": {"cpu": "250m", "memory": "64Mi"}}},
            {"resources": {"requests": {"cpu": "1"}, "limits": {"cpu": "2"}}},
        ]}});
        let u = contribution("", "pods", &pod);
        assert_eq!(u["pods"], 1000);
        assert_eq!(format_amount("requests.cpu", u["requests.cpu"]), "1250m");
        assert_eq!(format_amount("limits.cpu", u["limits.cpu"]), "2");
        assert_eq!(
            format_amount("requests.memory", u["requests.memory"]),
            "64Mi"
        );
        assert_eq!(
            counted_on("count/deployments.apps"),
            Some(("apps".into(), "deployments".into()))
        );
        let done = json!({"status": {"phase": "Succeeded"}, "spec": {}});
        assert!(!contribution("", "pods", &done).contains_key("pods"));
    }
}
