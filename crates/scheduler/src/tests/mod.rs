//! Unit tests over in-memory caches (no API): filters, scores, upstream's messages,
//! preemption and the queue.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod filters;
mod messages;
mod preemption;
mod queue;
mod scoring;
mod throughput;

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Pod};
use serde_json::{Value, json};

use crate::cache::Cache;
use crate::framework::{Algorithm, Nominated, Outcome};
use crate::podinfo::{PodInfo, PriorityClasses};
use crate::preemption::preempt;

/// A Ready node with `cpu` and `memory` allocatable, 110 pods, hostname label.
pub fn node(name: &str, cpu: &str, memory: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "spec": {},
        "status": {
            "capacity": {"cpu": cpu, "memory": memory, "pods": "110"},
            "allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    })
}

/// A pod in `default` with one container requesting `cpu` and `memory` ("" = none).
pub fn pod(name: &str, cpu: &str, memory: &str) -> Value {
    let mut requests = serde_json::Map::new();
    if !cpu.is_empty() {
        requests.insert("cpu".into(), json!(cpu));
    }
    if !memory.is_empty() {
        requests.insert("memory".into(), json!(memory));
    }
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "uid": format!("uid-{name}"), "labels": {}},
        "spec": {
            "containers": [{"name": "c", "image": "busybox", "resources": {"requests": requests}}],
            "schedulerName": "default-scheduler",
            "priority": 0,
        },
    })
}

pub fn info(v: Value) -> Arc<PodInfo> {
    let p: Pod = serde_json::from_value(v).expect("pod");
    Arc::new(PodInfo::new(Arc::new(p), &PriorityClasses::default()))
}

/// A cache with these nodes and these (pod, node) assignments.
pub fn cache(nodes: Vec<Value>, pods: Vec<(Value, &str)>) -> Cache {
    let mut c = Cache::new();
    for n in nodes {
        let n: Node = serde_json::from_value(n).expect("node");
        c.apply_node(Arc::new(n));
    }
    for (mut p, node) in pods {
        p["spec"]["nodeName"] = json!(node);
        c.apply_assigned(info(p));
    }
    c
}

/// Schedules `p` once; with no node the full FailedScheduling message comes back as Err.
pub fn schedule(c: &Cache, p: Value) -> Result<String, String> {
    schedule_info(c, &info(p))
}

pub fn schedule_info(c: &Cache, p: &Arc<PodInfo>) -> Result<String, String> {
    let nominated = Nominated::new();
    match Algorithm::default().schedule(p, c, &nominated) {
        Outcome::Scheduled(n) => Ok(n),
        Outcome::NoNodes => Err(crate::status::ERR_NO_NODES.into()),
        Outcome::Unschedulable(d) => {
            let pre = preempt(p, &d, c, &nominated);
            Err(d.message(&pre.message()))
        }
    }
}

/// Sets `path` (a JSON pointer to an object member) on a JSON value.
pub fn with(mut v: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer");
    let target = if parent.is_empty() {
        &mut v
    } else {
        v.pointer_mut(parent).expect("parent exists")
    };
    target[key] = value;
    v
}
