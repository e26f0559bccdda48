//! The pod statuses a kubelet would post, built from the pod (pure functions): Running
//! and Ready with every container running, or ended (Succeeded/Failed) with every
//! container terminated.

use std::net::Ipv4Addr;

use serde_json::{Value, json};

use crate::node::hex_id;

/// Where a running pod lives.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placement {
    pub pod_ip: Ipv4Addr,
    pub host_ip: Ipv4Addr,
}

fn str_at<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

fn condition<'a>(pod: &'a Value, ty: &str) -> Option<&'a Value> {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)?
        .iter()
        .find(|c| c["type"] == ty)
}

/// True when the pod already shows what [`running`] writes (phase and readiness).
pub(crate) fn is_running_ready(pod: &Value) -> bool {
    str_at(pod, "/status/phase") == "Running"
        && condition(pod, "Ready").is_some_and(|c| c["status"] == "True")
}

/// A container id that stays the same for a pod's container.
pub(crate) fn container_id(uid: &str, name: &str) -> String {
    format!("fake://{}", hex_id(&format!("{uid}/{name}")))
}

/// A pod condition; its transition time is kept when its status did not change.
fn cond(pod: &Value, ty: &str, status: &str, reason: Option<&str>, now: &str) -> Value {
    let since = condition(pod, ty)
        .filter(|c| c["status"] == status)
        .and_then(|c| c.get("lastTransitionTime"))
        .filter(|t| t.is_string())
        .cloned()
        .unwrap_or_else(|| json!(now));
    let mut c =
        json!({"type": ty, "status": status, "lastProbeTime": null, "lastTransitionTime": since});
    if let Some(r) = reason {
        c["reason"] = json!(r);
    }
    c
}

fn containers<'a>(pod: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    pod.pointer(&format!("/spec/{key}"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// When a container started, as the pod last showed it (else `now`).
fn started_at(pod: &Value, key: &str, name: &str, now: &str) -> String {
    pod.pointer(&format!("/status/{key}"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|s| s["name"] == name)
        .and_then(|s| {
            s.pointer("/state/running/startedAt")
                .or_else(|| s.pointer("/state/terminated/startedAt"))
        })
        .and_then(Value::as_str)
        .unwrap_or(now)
        .to_string()
}

fn start_time(pod: &Value, now: &str) -> String {
    match str_at(pod, "/status/startTime") {
        "" => now.to_string(),
        t => t.to_string(),
    }
}

fn base_status(c: &Value, uid: &str) -> Value {
    let name = c["name"].as_str().unwrap_or("");
    let image = c["image"].as_str().unwrap_or("");
    json!({
        "name": name,
        "image": image,
        "imageID": format!("fake://{image}"),
        "containerID": container_id(uid, name),
        "restartCount": 0,
        "lastState": {},
    })
}

fn init_statuses(pod: &Value, uid: &str, now: &str) -> Vec<Value> {
    let start = start_time(pod, now);
    containers(pod, "initContainers")
        .map(|c| {
            let mut s = base_status(c, uid);
            s["state"] = json!({"terminated": {"exitCode": 0, "reason": "Completed",
                "startedAt": start, "finishedAt": start, "containerID": s["containerID"]}});
            s["ready"] = json!(true);
            s["started"] = json!(false);
            s
        })
        .collect()
}

/// The status of a pod whose containers all run and are ready.
pub(crate) fn running(pod: &Value, place: Placement, now: &str) -> Value {
    let uid = str_at(pod, "/metadata/uid");
    let statuses: Vec<Value> = containers(pod, "containers")
        .map(|c| {
            let mut s = base_status(c, uid);
            let name = c["name"].as_str().unwrap_or("");
            let since = started_at(pod, "containerStatuses", name, now);
            s["state"] = json!({"running": {"startedAt": since}});
            s["ready"] = json!(true);
            s["started"] = json!(true);
            s
        })
        .collect();
    let (pod_ip, host_ip) = (place.pod_ip.to_string(), place.host_ip.to_string());
    let mut st = json!({
        "phase": "Running",
        "conditions": [
            cond(pod, "PodReadyToStartContainers", "True", None, now),
            cond(pod, "Initialized", "True", None, now),
            cond(pod, "Ready", "True", None, now),
            cond(pod, "ContainersReady", "True", None, now),
            cond(pod, "PodScheduled", "True", None, now),
        ],
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "startTime": start_time(pod, now),
        "containerStatuses": statuses,
    });
    let inits = init_statuses(pod, uid, now);
    if !inits.is_empty() {
        st["initContainerStatuses"] = json!(inits);
    }
    st
}

/// The status of a pod whose containers all exited with `exit_code` (0: Succeeded).
pub(crate) fn finished(pod: &Value, exit_code: i32, now: &str) -> Value {
    let uid = str_at(pod, "/metadata/uid");
    let (phase, reason, cond_reason) = if exit_code == 0 {
        ("Succeeded", "Completed", "PodCompleted")
    } else {
        ("Failed", "Error", "PodFailed")
    };
    let statuses: Vec<Value> = containers(pod, "containers")
        .map(|c| {
            let mut s = base_status(c, uid);
            let name = c["name"].as_str().unwrap_or("");
            let since = started_at(pod, "containerStatuses", name, now);
            s["state"] = json!({"terminated": {"exitCode": exit_code, "reason": reason,
                "startedAt": since, "finishedAt": now, "containerID": s["containerID"]}});
            s["ready"] = json!(false);
            s["started"] = json!(false);
            s
        })
        .collect();
    let mut st = json!({
        "phase": phase,
        "conditions": [
            cond(pod, "PodReadyToStartContainers", "False", None, now),
            cond(pod, "Initialized", "True", None, now),
            cond(pod, "Ready", "False", Some(cond_reason), now),
            cond(pod, "ContainersReady", "False", Some(cond_reason), now),
            cond(pod, "PodScheduled", "True", None, now),
        ],
        "startTime": start_time(pod, now),
        "containerStatuses": statuses,
    });
    let inits = init_statuses(pod, uid, now);
    if !inits.is_empty() {
        st["initContainerStatuses"] = json!(inits);
    }
    st
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod() -> Value {
        json!({
            "metadata": {"name": "p", "namespace": "default", "uid": "u1"},
            "spec": {"nodeName": "n-0", "containers": [{"name": "c", "image": "busybox"}],
                     "initContainers": [{"name": "i", "image": "alpine"}]},
            "status": {"phase": "Pending", "conditions": [
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2020-01-01T00:00:00Z"}]},
        })
    }

    fn place() -> Placement {
        Placement {
            pod_ip: Ipv4Addr::new(10, 244, 0, 2),
            host_ip: Ipv4Addr::new(10, 255, 0, 1),
        }
    }

    #[test]
    fn running_pod() {
        let now = "2024-05-01T10:00:00Z";
        let st = running(&pod(), place(), now);
        assert_eq!(st["phase"], "Running");
        assert_eq!(st["podIP"], "10.244.0.2");
        assert_eq!(st["hostIPs"][0]["ip"], "10.255.0.1");
        assert_eq!(st["startTime"], now);
        let sched = &st["conditions"][4];
        assert_eq!(sched["type"], "PodScheduled");
        assert_eq!(sched["lastTransitionTime"], "2020-01-01T00:00:00Z");
        let c = &st["containerStatuses"][0];
        assert_eq!(c["ready"], true);
        assert_eq!(c["state"]["running"]["startedAt"], now);
        assert!(c["containerID"].as_str().unwrap().starts_with("fake://"));
        assert_eq!(
            st["initContainerStatuses"][0]["state"]["terminated"]["reason"],
            "Completed"
        );
        let mut p = pod();
        p["status"] = st;
        assert!(is_running_ready(&p));
    }

    #[test]
    fn finished_pod_keeps_start_times() {
        let mut p = pod();
        p["status"] = running(&p, place(), "2024-05-01T10:00:00Z");
        let st = finished(&p, 0, "2024-05-01T10:00:05Z");
        assert_eq!(st["phase"], "Succeeded");
        let t = &st["containerStatuses"][0]["state"]["terminated"];
        assert_eq!(t["startedAt"], "2024-05-01T10:00:00Z");
        assert_eq!(t["finishedAt"], "2024-05-01T10:00:05Z");
        assert_eq!(t["reason"], "Completed");
        assert_eq!(st["conditions"][2]["reason"], "PodCompleted");
        let failed = finished(&p, 3, "2024-05-01T10:00:05Z");
        assert_eq!(failed["phase"], "Failed");
        assert_eq!(
            failed["containerStatuses"][0]["state"]["terminated"]["exitCode"],
            3
        );
    }
}
