//! Pod updates (`ValidatePodUpdate`, `ValidatePodStatusUpdate`, ephemeral containers),
//! the QoS class, and what the pod strategy does before storing.

use std::collections::BTreeMap;

use kubehci_api::FieldError;
use serde_json::{Value, json};

use crate::json::{Errs, P, field, items, s, same};
use crate::quantity::Quantity;
use crate::scheduling_validation::tolerations;

const UPDATABLE: &str = "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";
const MAX_INT32: i64 = 2_147_483_647;

/// `qos.GetPodQOS`: Guaranteed, Burstable or BestEffort from cpu/memory requests and limits.
pub fn qos_class(pod: &Value) -> &'static str {
    let spec = field(pod, "spec").unwrap_or(&Value::Null);
    let mut requests: BTreeMap<String, i128> = BTreeMap::new();
    let mut limits: BTreeMap<String, i128> = BTreeMap::new();
    let mut guaranteed = true;
    for c in items(spec, "containers")
        .iter()
        .chain(items(spec, "initContainers"))
    {
        let res = field(c, "resources").unwrap_or(&Value::Null);
        for (list, acc) in [("requests", &mut requests), ("limits", &mut limits)] {
            if let Some(m) = res.get(list).and_then(Value::as_object) {
                for name in ["cpu", "memory"] {
                    let q = m
                        .get(name)
                        .and_then(Quantity::from_json)
                        .and_then(Result::ok);
                    if let Some(q) = q.filter(|q| !q.is_zero()) {
                        *acc.entry(name.to_string()).or_insert(0) += q.scaled(-9);
                    }
                }
            }
        }
        let lim = res.get("limits").and_then(Value::as_object);
        let has = |n: &str| {
            lim.and_then(|m| m.get(n))
                .and_then(Quantity::from_json)
                .and_then(Result::ok)
                .is_some_and(|q| !q.is_zero())
        };
        if !(has("cpu") && has("memory")) {
            guaranteed = false;
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return "BestEffort";
    }
    if guaranteed
        && requests.iter().all(|(k, v)| limits.get(k) == Some(v))
        && requests.len() == limits.len()
    {
        return "Guaranteed";
    }
    "Burstable"
}

/// `PrepareForCreate`: generation 1, status reset to Pending with the QoS class.
pub(crate) fn prepare_create(obj: &mut Value) {
    let qos = qos_class(obj);
    crate::json::set(obj, "status", json!({"phase": "Pending", "qosClass": qos}));
}

/// A go-cmp-like summary of which spec fields differ.
pub(crate) fn spec_diff(type_name: &str, old: &Value, new: &Value) -> String {
    let mut keys: Vec<&String> = old
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
        .collect();
    keys.extend(new.as_object().into_iter().flatten().map(|(k, _)| k));
    keys.sort();
    keys.dedup();
    let mut out = format!("  {type_name}{{\n");
    for k in keys {
        if !same(old.get(k), new.get(k)) {
            let mut name = k.clone();
            if let Some(first) = name.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            out.push_str(&format!(
                "- \t{name}: {},\n",
                old.get(k).unwrap_or(&Value::Null)
            ));
            out.push_str(&format!(
                "+ \t{name}: {},\n",
                new.get(k).unwrap_or(&Value::Null)
            ));
        }
    }
    out.push_str("  }\n");
    out
}

/// `ValidatePodUpdate` beyond metadata and spec validity.
pub(crate) fn validate_update(new: &Value, old: &Value, e: &mut Errs) {
    let sp = P::new("spec");
    let empty = json!({});
    let ns = field(new, "spec").unwrap_or(&empty);
    let os = field(old, "spec").unwrap_or(&empty);
    for list in ["containers", "initContainers"] {
        let (nl, ol) = (items(ns, list), items(os, list));
        if nl.len() != ol.len() {
            e.push(FieldError::forbidden(
                sp.child(list),
                "pod updates may not add or remove containers",
            ));
            return;
        }
        for (i, c) in nl.iter().enumerate() {
            if s(c, "image").is_empty() {
                e.push(FieldError::required(
                    sp.child(list).index(i).child("image"),
                    "",
                ));
            }
        }
    }
    let ad = sp.child("activeDeadlineSeconds");
    match (
        crate::json::int(ns, "activeDeadlineSeconds"),
        crate::json::int(os, "activeDeadlineSeconds"),
    ) {
        (Some(n), _) if !(0..=MAX_INT32).contains(&n) => {
            e.push(FieldError::invalid(
                ad,
                n,
                crate::names::range_error(0, MAX_INT32),
            ));
            return;
        }
        (Some(n), Some(o)) if o < n => {
            e.push(FieldError::invalid(
                ad,
                n,
                "must be less than or equal to previous value",
            ));
            return;
        }
        (None, Some(_)) => e.push(FieldError::invalid(
            ad,
            Value::Null,
            "must not update from a positive integer to nil value",
        )),
        _ => {}
    }
    let (nt, ot) = (items(ns, "tolerations"), items(os, "tolerations"));
    let strip = |t: &Value| {
        let mut t = t.clone();
        crate::json::remove(&mut t, "tolerationSeconds");
        t
    };
    if !ot
        .iter()
        .all(|o| nt.iter().any(|n| same(Some(&strip(o)), Some(&strip(n)))))
    {
        e.push(FieldError::forbidden(
            sp.child("tolerations"),
            "existing toleration can not be modified except its tolerationSeconds",
        ));
        return;
    }
    tolerations(nt, &sp.child("tolerations"), e);
    let old_gates: Vec<&str> = items(os, "schedulingGates")
        .iter()
        .map(|g| s(g, "name"))
        .collect();
    for (i, g) in items(ns, "schedulingGates").iter().enumerate() {
        if !old_gates.contains(&s(g, "name")) {
            e.push(FieldError::forbidden(
                sp.child("schedulingGates").index(i).child("name"),
                format!(
                    "only deletion is allowed, but found new scheduling gate '{}'",
                    s(g, "name")
                ),
            ));
        }
    }
    if same(Some(ns), Some(os)) {
        return;
    }
    let mut munged = ns.clone();
    for list in ["containers", "initContainers"] {
        let old_list = items(os, list);
        for (c, o) in crate::json::items_mut(&mut munged, list).zip(old_list) {
            crate::json::set(c, "image", crate::json::cloned(o, "image"));
        }
    }
    for k in ["activeDeadlineSeconds", "schedulingGates", "tolerations"] {
        crate::json::set(&mut munged, k, crate::json::cloned(os, k));
    }
    let old_grace = crate::json::int(os, "terminationGracePeriodSeconds");
    if old_grace.is_some_and(|g| g < 0)
        && crate::json::int(&munged, "terminationGracePeriodSeconds") == Some(1)
    {
        crate::json::set(
            &mut munged,
            "terminationGracePeriodSeconds",
            crate::json::cloned(os, "terminationGracePeriodSeconds"),
        );
    }
    if !old_gates.is_empty() {
        crate::json::set(
            &mut munged,
            "nodeSelector",
            crate::json::cloned(os, "nodeSelector"),
        );
    }
    if !same(Some(&munged), Some(os)) {
        e.push(FieldError::forbidden(
            sp,
            format!(
                "pod updates may not change fields other than {UPDATABLE}\n{}",
                spec_diff("core.PodSpec", os, &munged)
            ),
        ));
    }
}

/// `ValidatePodStatusUpdate` beyond metadata.
pub(crate) fn validate_status_update(new: &Value, old: &Value, e: &mut Errs) {
    let stp = P::new("status");
    let empty = json!({});
    let (nst, ost) = (
        field(new, "status").unwrap_or(&empty),
        field(old, "status").unwrap_or(&empty),
    );
    if s(nst, "qosClass") != s(ost, "qosClass") {
        e.push(FieldError::invalid(
            stp.child("qosClass"),
            s(nst, "qosClass"),
            "field is immutable",
        ));
    }
    for list in ["podIPs", "hostIPs"] {
        for (i, ip) in items(nst, list).iter().enumerate() {
            if !crate::names::is_valid_ip(s(ip, "ip")) {
                e.push(FieldError::invalid(
                    stp.child(list).index(i),
                    s(ip, "ip"),
                    crate::names::IP_MSG,
                ));
            }
        }
    }
    if let Some(first) = items(nst, "hostIPs").first()
        && s(first, "ip") != s(nst, "hostIP")
    {
        e.push(FieldError::invalid(
            stp.child("hostIPs").index(0).child("ip"),
            s(first, "ip"),
            "must be equal to `hostIP`",
        ));
    }
    for (i, c) in items(nst, "conditions").iter().enumerate() {
        let t = s(c, "type");
        if !matches!(t, "PodScheduled" | "Ready" | "Initialized") {
            for msg in crate::names::qualified_name(t) {
                e.push(FieldError::invalid(
                    P::new("metadata")
                        .child("conditions")
                        .index(i)
                        .child("Type"),
                    t,
                    msg,
                ));
            }
        }
    }
}

/// `ValidatePodEphemeralContainersUpdate`: existing ephemeral containers are frozen.
pub(crate) fn validate_ephemeral_update(new: &Value, old: &Value, e: &mut Errs) {
    let p = P::new("spec").child("ephemeralContainers");
    let empty = json!({});
    let ns = field(new, "spec").unwrap_or(&empty);
    let os = field(old, "spec").unwrap_or(&empty);
    let mut names = std::collections::BTreeSet::new();
    for ec in items(ns, "ephemeralContainers") {
        let name = s(ec, "name");
        if !names.insert(name)
            || items(ns, "containers")
                .iter()
                .chain(items(ns, "initContainers"))
                .any(|c| s(c, "name") == name)
        {
            e.push(FieldError::duplicate(p.child("name"), name));
        }
        let target = s(ec, "targetContainerName");
        if !target.is_empty()
            && !items(ns, "containers")
                .iter()
                .chain(items(ns, "initContainers"))
                .any(|c| s(c, "name") == target)
        {
            e.push(FieldError::not_found(
                p.child("targetContainerName"),
                target,
            ));
        }
    }
    for o in items(os, "ephemeralContainers") {
        let name = s(o, "name");
        match items(ns, "ephemeralContainers")
            .iter()
            .find(|n| s(n, "name") == name)
        {
            None => e.push(FieldError::forbidden(
                &p,
                format!("existing ephemeral containers {name:?} may not be removed\n"),
            )),
            Some(n) if !same(Some(n), Some(o)) => e.push(FieldError::forbidden(
                &p,
                format!(
                    "existing ephemeral containers {name:?} may not be changed\n{}",
                    spec_diff("core.EphemeralContainer", o, n)
                ),
            )),
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(containers: Value) -> Value {
        json!({"metadata": {"name": "p", "namespace": "d"}, "spec": {"containers": containers}})
    }

    #[test]
    fn qos_classes() {
        assert_eq!(qos_class(&pod(json!([{"name": "a"}]))), "BestEffort");
        let g = json!([{"name": "a", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1000m", "memory": "1Gi"}}}]);
        assert_eq!(qos_class(&pod(g)), "Guaranteed");
        let b = json!([{"name": "a", "resources": {"requests": {"cpu": "100m"}}}]);
        assert_eq!(qos_class(&pod(b)), "Burstable");
    }
}
