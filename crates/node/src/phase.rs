//! Upstream's pod phase (getPhase) and QoS class.

use k8s_openapi::api::core::v1::{Container, ContainerStatus, Pod};

/// Upstream's QoS class of a pod.
pub fn qos_class(pod: &Pod) -> &'static str {
    let Some(spec) = &pod.spec else {
        return "BestEffort";
    };
    let all: Vec<&Container> = spec
        .init_containers
        .iter()
        .flatten()
        .chain(spec.containers.iter())
        .collect();
    let mut any = false;
    let mut guaranteed = true;
    for c in all {
        let res = c.resources.clone().unwrap_or_default();
        let req = res.requests.unwrap_or_default();
        let lim = res.limits.unwrap_or_default();
        for r in ["cpu", "memory"] {
            let q = req.get(r).or_else(|| lim.get(r));
            if q.is_some_and(|q| q.0 != "0") {
                any = true;
            }
            match (lim.get(r), req.get(r)) {
                (Some(l), Some(q)) if l.0 == q.0 => {}
                (Some(_), None) => {}
                _ => guaranteed = false,
            }
        }
    }
    if !any {
        "BestEffort"
    } else if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

/// Upstream's getPhase.
pub fn phase(pod: &Pod, init: &[ContainerStatus], regular: &[ContainerStatus]) -> &'static str {
    let policy = pod
        .spec
        .as_ref()
        .and_then(|s| s.restart_policy.as_deref())
        .unwrap_or("Always");
    let mut pending_init = 0;
    let mut failed_init = 0;
    let sidecar = |name: &str| {
        pod.spec
            .as_ref()
            .and_then(|sp| sp.init_containers.as_ref())
            .and_then(|ic| ic.iter().find(|c| c.name == name))
            .is_some_and(|c| c.restart_policy.as_deref() == Some("Always"))
    };
    for s in init {
        if sidecar(&s.name) {
            // A started sidecar does not hold initialization back.
            if s.state
                .as_ref()
                .and_then(|st| st.running.as_ref())
                .is_none()
                && s.container_id.is_none()
            {
                pending_init += 1;
            }
            continue;
        }
        let state = s.state.clone().unwrap_or_default();
        if state.running.is_some() {
            pending_init += 1;
        } else if let Some(t) = state.terminated {
            if t.exit_code != 0 {
                failed_init += 1;
            }
        } else if state.waiting.is_some() {
            match s.last_state.as_ref().and_then(|l| l.terminated.as_ref()) {
                Some(t) if t.exit_code != 0 => failed_init += 1,
                _ => pending_init += 1,
            }
        } else {
            pending_init += 1;
        }
    }
    if failed_init > 0 && policy == "Never" {
        return "Failed";
    }
    let (mut running, mut waiting_n, mut stopped, mut succeeded) = (0, 0, 0, 0);
    for s in regular {
        let state = s.state.clone().unwrap_or_default();
        if state.running.is_some() {
            running += 1;
        } else if let Some(t) = state.terminated {
            stopped += 1;
            if t.exit_code == 0 {
                succeeded += 1;
            }
        } else if s
            .last_state
            .as_ref()
            .and_then(|l| l.terminated.as_ref())
            .is_some()
        {
            stopped += 1;
        } else {
            waiting_n += 1;
        }
    }
    let any_regular_started = regular.iter().any(|s| s.container_id.is_some());
    if (pending_init > 0 || failed_init > 0) && !any_regular_started {
        return "Pending";
    }
    if waiting_n > 0 {
        return "Pending";
    }
    if running > 0 {
        return "Running";
    }
    if stopped > 0 {
        if policy == "Always" {
            return "Running";
        }
        if stopped == succeeded {
            return "Succeeded";
        }
        if policy == "Never" {
            return "Failed";
        }
        return "Running";
    }
    "Pending"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(json: serde_json::Value) -> Pod {
        serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn qos_classes() {
        let be = pod(serde_json::json!({"spec": {"containers": [{"name": "a"}]}}));
        assert_eq!(qos_class(&be), "BestEffort");
        let g = pod(
            serde_json::json!({"spec": {"containers": [{"name": "a", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]}}),
        );
        assert_eq!(qos_class(&g), "Guaranteed");
        let b = pod(
            serde_json::json!({"spec": {"containers": [{"name": "a", "resources": {"requests": {"cpu": "100m"}}}]}}),
        );
        assert_eq!(qos_class(&b), "Burstable");
    }

    fn cs(json: serde_json::Value) -> ContainerStatus {
        serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn phases() {
        let always = pod(serde_json::json!({"spec": {"containers": [{"name": "a"}]}}));
        let never = pod(
            serde_json::json!({"spec": {"restartPolicy": "Never", "containers": [{"name": "a"}]}}),
        );
        let crashloop = cs(
            serde_json::json!({"name": "a", "image": "i", "imageID": "", "ready": false, "restartCount": 2,
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"exitCode": 1}}}),
        );
        assert_eq!(phase(&always, &[], &[crashloop]), "Running");
        let failed = cs(
            serde_json::json!({"name": "a", "image": "i", "imageID": "", "ready": false, "restartCount": 0,
            "state": {"terminated": {"exitCode": 1}}}),
        );
        assert_eq!(phase(&never, &[], std::slice::from_ref(&failed)), "Failed");
        let done = cs(
            serde_json::json!({"name": "a", "image": "i", "imageID": "", "ready": false, "restartCount": 0,
            "state": {"terminated": {"exitCode": 0}}}),
        );
        assert_eq!(phase(&never, &[], std::slice::from_ref(&done)), "Succeeded");
        let creating = cs(
            serde_json::json!({"name": "a", "image": "i", "imageID": "", "ready": false, "restartCount": 0,
            "state": {"waiting": {"reason": "ContainerCreating"}}}),
        );
        assert_eq!(
            phase(&always, &[], std::slice::from_ref(&creating)),
            "Pending"
        );
        // A failed init container with restartPolicy Never fails the pod.
        assert_eq!(
            phase(&never, &[failed], std::slice::from_ref(&creating)),
            "Failed"
        );
        assert_eq!(phase(&always, &[done], &[creating]), "Pending");
    }
}
