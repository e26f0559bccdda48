//! Resource names and quantities: `ResourceList` checks shared by containers, quotas,
//! limit ranges, persistent volumes and claims (`validateResourceRequirements`, ...).

use kubehci_api::FieldError;
use serde_json::Value;

use crate::gofmt;
use crate::json::{Errs, P, get_obj};
use crate::names::qualified_name;
use crate::quantity::Quantity;

const STANDARD_RESOURCES: [&str; 20] = [
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
    "services",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "persistentvolumeclaims",
    "storage",
    "requests.storage",
    "services.nodeports",
    "services.loadbalancers",
    "configmaps",
];
const INTEGER_RESOURCES: [&str; 9] = [
    "pods",
    "services",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "services.nodeports",
    "services.loadbalancers",
];

fn is_hugepages(name: &str) -> bool {
    name.starts_with("hugepages-")
}

pub(crate) fn is_standard(name: &str) -> bool {
    STANDARD_RESOURCES.contains(&name)
        || is_hugepages(name)
        || name.starts_with("requests.hugepages-")
        || name.starts_with("count/")
}

fn is_native(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

fn is_extended(name: &str) -> bool {
    !is_native(name)
        && !name.starts_with("requests.")
        && qualified_name(&format!("requests.{name}")).is_empty()
}

fn is_integer_resource(name: &str) -> bool {
    INTEGER_RESOURCES.contains(&name) || is_extended(name)
}

/// `IsOvercommitAllowed`: native resources other than hugepages.
fn overcommit_allowed(name: &str) -> bool {
    is_native(name) && !is_hugepages(name)
}

/// `validateResourceName`.
pub(crate) fn resource_name(name: &str, p: &P, e: &mut Errs) -> bool {
    let before = e.len();
    for msg in qualified_name(name) {
        e.push(FieldError::invalid(p, name, msg));
    }
    if e.len() == before && !name.contains('/') && !is_standard(name) {
        e.push(FieldError::invalid(
            p,
            name,
            "must be a standard resource type or fully qualified",
        ));
    }
    e.len() == before
}

/// `validateContainerResourceName`.
fn container_resource_name(name: &str, p: &P, e: &mut Errs) {
    resource_name(name, p, e);
    if !name.contains('/') {
        if !matches!(name, "cpu" | "memory" | "ephemeral-storage") && !is_hugepages(name) {
            e.push(FieldError::invalid(
                p,
                name,
                "must be a standard resource for containers",
            ));
        }
    } else if !is_native(name) && !is_extended(name) {
        e.push(FieldError::invalid(
            p,
            name,
            "doesn't follow extended resource name standard",
        ));
    }
}

/// Parses the quantity at `p`, reporting unparsable values.
pub(crate) fn quantity(v: &Value, p: &P, e: &mut Errs) -> Option<Quantity> {
    match Quantity::from_json(v) {
        Some(Ok(q)) => Some(q),
        Some(Err(err)) => {
            e.push(FieldError::invalid(p, v.clone(), err.to_string()));
            None
        }
        None => {
            e.push(crate::json::type_error(p, v, "string"));
            None
        }
    }
}

/// `ValidateResourceQuantityValue`: non-negative, whole for integer resources.
pub(crate) fn quantity_value(name: &str, q: &Quantity, p: &P, e: &mut Errs) {
    if q.is_negative() {
        e.push(FieldError::invalid(
            p,
            q.canonical(),
            "must be greater than or equal to 0",
        ));
    }
    if is_integer_resource(name) && q.milli_value() % 1000 != 0 {
        e.push(gofmt::invalid_raw(p, &go_quantity(q), "must be an integer"));
    }
}

/// `%#v` of a `resource.Quantity`, as upstream prints it when it passes the struct.
pub(crate) fn go_quantity(q: &Quantity) -> String {
    let fmt = match q.format() {
        crate::quantity::Format::BinarySI => "BinarySI",
        crate::quantity::Format::DecimalSI => "DecimalSI",
        crate::quantity::Format::DecimalExponent => "DecimalExponent",
    };
    format!(
        "resource.Quantity{{s:{}, Format:{}}}",
        gofmt::quote(&q.canonical()),
        gofmt::quote(fmt)
    )
}

/// Reads a resource list at `o[k]` as (name, quantity) pairs, reporting bad quantities.
pub(crate) fn list(o: &Value, k: &str, p: &P, e: &mut Errs) -> Vec<(String, Quantity)> {
    let lp = p.child(k);
    let mut out = Vec::new();
    if let Some(m) = get_obj(o, k, p, e).and_then(Value::as_object) {
        for (name, v) in m {
            if let Some(q) = quantity(v, &lp.key(name), e) {
                out.push((name.clone(), q));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// `ValidateContainerResourceRequirements` for the `resources` object at `p`.
pub(crate) fn container_requirements(res: &Value, p: &P, e: &mut Errs) {
    let (lim_p, req_p) = (p.child("limits"), p.child("requests"));
    let limits = list(res, "limits", p, e);
    let requests = list(res, "requests", p, e);
    let mut has_cpu_mem = false;
    let mut has_huge = false;
    for (name, q) in &limits {
        let fp = lim_p.key(name);
        container_resource_name(name, &fp, e);
        quantity_value(name, q, &fp, e);
        has_cpu_mem |= matches!(name.as_str(), "cpu" | "memory");
        has_huge |= is_hugepages(name);
    }
    for (name, q) in &requests {
        let fp = req_p.key(name);
        container_resource_name(name, &fp, e);
        quantity_value(name, q, &fp, e);
        match limits.iter().find(|(n, _)| n == name) {
            Some((_, limit)) => {
                let ord = q.cmp_value(limit);
                if ord != std::cmp::Ordering::Equal && !overcommit_allowed(name) {
                    e.push(FieldError::invalid(
                        &req_p,
                        q.canonical(),
                        format!("must be equal to {name} limit of {}", limit.canonical()),
                    ));
                } else if ord == std::cmp::Ordering::Greater {
                    e.push(FieldError::invalid(
                        &req_p,
                        q.canonical(),
                        format!(
                            "must be less than or equal to {name} limit of {}",
                            limit.canonical()
                        ),
                    ));
                }
            }
            None if !overcommit_allowed(name) => {
                e.push(FieldError::required(
                    &lim_p,
                    "Limit must be set for non overcommitable resources",
                ));
            }
            None => {}
        }
        has_cpu_mem |= matches!(name.as_str(), "cpu" | "memory");
        has_huge |= is_hugepages(name);
    }
    if has_huge && !has_cpu_mem {
        e.push(FieldError::forbidden(p, "HugePages require cpu or memory"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(res: Value) -> Vec<String> {
        let mut e = Vec::new();
        container_requirements(&res, &P::new("spec.containers[0].resources"), &mut e);
        e.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn requests_must_not_exceed_limits() {
        assert_eq!(
            run(json!({"limits": {"cpu": "500m"}, "requests": {"cpu": "1"}})),
            vec![
                "spec.containers[0].resources.requests: Invalid value: \"1\": must be less than or equal to cpu limit of 500m"
            ]
        );
        assert!(
            run(json!({"limits": {"memory": "1Gi"}, "requests": {"memory": "512Mi"}})).is_empty()
        );
    }

    #[test]
    fn names_and_values() {
        let e = run(
            json!({"limits": {"gpu": "1", "example.com/gpu": "1.5"}, "requests": {"cpu": "-1"}}),
        );
        assert_eq!(
            e,
            vec![
                "spec.containers[0].resources.limits[example.com/gpu]: Invalid value: resource.Quantity{s:\"1500m\", Format:\"DecimalSI\"}: must be an integer",
                "spec.containers[0].resources.limits[gpu]: Invalid value: \"gpu\": must be a standard resource type or fully qualified",
                "spec.containers[0].resources.limits[gpu]: Invalid value: \"gpu\": must be a standard resource for containers",
                "spec.containers[0].resources.requests[cpu]: Invalid value: \"-1\": must be greater than or equal to 0",
            ]
        );
        let bad = run(json!({"limits": {"cpu": "lots"}}));
        assert!(bad[0].starts_with("spec.containers[0].resources.limits[cpu]: Invalid value: \"lots\": quantities must match"));
    }
}
