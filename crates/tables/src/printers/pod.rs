//! `kubectl get pods`: READY, upstream's STATUS reasoning (init containers,
//! sidecars, waiting/terminated reasons, Terminating, NodeLost) and RESTARTS with the
//! time of the last restart.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::util::{
    Ctx, Row, age, arr, get, human_duration, i, is_deleting, name, opt_b, parse_time, s,
};

/// Keeps the later of two restart times (unset counts as the earliest).
fn later(cur: Option<DateTime<Utc>>, t: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (cur, t) {
        (Some(a), Some(b)) if b > a => Some(b),
        (None, Some(b)) => Some(b),
        (a, _) => a,
    }
}

/// When the last termination finished; an unset time never moves the latest restart.
fn last_terminated(status: &Value) -> Option<DateTime<Utc>> {
    parse_time(get(status, &["lastState", "terminated", "finishedAt"]))
}

fn has_condition(pod: &Value, ty: &str) -> bool {
    arr(pod, &["status", "conditions"])
        .iter()
        .any(|c| s(c, &["type"]) == ty && s(c, &["status"]) == "True")
}

/// `podutil.IsRestartableInitContainer`: a sidecar (`restartPolicy: Always`).
fn restartable(pod: &Value, container: &str) -> bool {
    arr(pod, &["spec", "initContainers"])
        .iter()
        .find(|c| s(c, &["name"]) == container)
        .is_some_and(|c| s(c, &["restartPolicy"]) == "Always")
}

fn terminated_reason(t: &Value, prefix: &str) -> String {
    match s(t, &["reason"]) {
        "" if i(t, &["signal"]) != 0 => format!("{prefix}Signal:{}", i(t, &["signal"])),
        "" => format!("{prefix}ExitCode:{}", i(t, &["exitCode"])),
        r => format!("{prefix}{r}"),
    }
}

pub(crate) fn pod(pod: &Value, ctx: &Ctx) -> Row {
    let mut restarts = 0i64;
    let mut sidecar_restarts = 0i64;
    let mut total = arr(pod, &["spec", "containers"]).len();
    let mut ready = 0usize;
    let mut last_restart: Option<DateTime<Utc>> = None;
    let mut last_sidecar_restart: Option<DateTime<Utc>> = None;

    let phase = s(pod, &["status", "phase"]);
    let mut reason = match s(pod, &["status", "reason"]) {
        "" => phase.to_string(),
        r => r.to_string(),
    };
    for c in arr(pod, &["status", "conditions"]) {
        if s(c, &["type"]) == "PodScheduled" && s(c, &["reason"]) == "SchedulingGated" {
            reason = "SchedulingGated".to_string();
        }
    }
    let conditions = match phase {
        "Succeeded" => Some(
            json!([{"type": "Completed", "status": "True", "reason": "Succeeded",
            "message": "The pod has completed successfully."}]),
        ),
        "Failed" => Some(
            json!([{"type": "Completed", "status": "True", "reason": "Failed",
            "message": "The pod failed."}]),
        ),
        _ => None,
    };

    let init_specs = arr(pod, &["spec", "initContainers"]);
    total += init_specs
        .iter()
        .filter(|c| s(c, &["restartPolicy"]) == "Always")
        .count();

    let mut initializing = false;
    for (idx, st) in arr(pod, &["status", "initContainerStatuses"])
        .iter()
        .enumerate()
    {
        let count = i(st, &["restartCount"]);
        restarts += count;
        last_restart = later(last_restart, last_terminated(st));
        let sidecar = restartable(pod, s(st, &["name"]));
        if sidecar {
            sidecar_restarts += count;
            last_sidecar_restart = later(last_sidecar_restart, last_terminated(st));
        }
        let terminated = get(st, &["state", "terminated"]).filter(|t| t.is_object());
        let waiting_reason = s(st, &["state", "waiting", "reason"]);
        if terminated.is_some_and(|t| i(t, &["exitCode"]) == 0) {
            continue;
        }
        if sidecar && opt_b(st, &["started"]) == Some(true) {
            if opt_b(st, &["ready"]) == Some(true) {
                ready += 1;
            }
            continue;
        }
        reason = match terminated {
            Some(t) => terminated_reason(t, "Init:"),
            None if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" => {
                format!("Init:{waiting_reason}")
            }
            None => format!("Init:{idx}/{}", init_specs.len()),
        };
        initializing = true;
        break;
    }

    if !initializing || has_condition(pod, "Initialized") {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        for st in arr(pod, &["status", "containerStatuses"]).iter().rev() {
            restarts += i(st, &["restartCount"]);
            last_restart = later(last_restart, last_terminated(st));
            let terminated = get(st, &["state", "terminated"]).filter(|t| t.is_object());
            let waiting_reason = s(st, &["state", "waiting", "reason"]);
            if !waiting_reason.is_empty() {
                reason = waiting_reason.to_string();
            } else if let Some(t) = terminated {
                reason = terminated_reason(t, "");
            } else if opt_b(st, &["ready"]) == Some(true)
                && get(st, &["state", "running"]).is_some_and(Value::is_object)
            {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            reason = if has_condition(pod, "Ready") {
                "Running"
            } else {
                "NotReady"
            }
            .to_string();
        }
    }

    if is_deleting(pod) && s(pod, &["status", "reason"]) == "NodeLost" {
        reason = "Unknown".to_string();
    } else if is_deleting(pod) && phase != "Succeeded" && phase != "Failed" {
        reason = "Terminating".to_string();
    }

    let restarts_cell = match last_restart {
        Some(t) if restarts != 0 => format!("{restarts} ({} ago)", human_duration(ctx.now - t)),
        _ => restarts.to_string(),
    };

    let first_ip = arr(pod, &["status", "podIPs"])
        .first()
        .map(|p| s(p, &["ip"]))
        .unwrap_or("");
    let pod_ip = if first_ip.is_empty() {
        s(pod, &["status", "podIP"])
    } else {
        first_ip
    };
    let gates = arr(pod, &["spec", "readinessGates"]);
    let readiness = if gates.is_empty() {
        "<none>".to_string()
    } else {
        let conds = arr(pod, &["status", "conditions"]);
        let true_count = gates
            .iter()
            .filter(|g| {
                let ty = s(g, &["conditionType"]);
                conds
                    .iter()
                    .find(|c| s(c, &["type"]) == ty)
                    .is_some_and(|c| s(c, &["status"]) == "True")
            })
            .count();
        format!("{true_count}/{}", gates.len())
    };
    let none = |x: &str| {
        if x.is_empty() {
            "<none>".to_string()
        } else {
            x.to_string()
        }
    };
    Row {
        cells: vec![
            json!(name(pod)),
            json!(format!("{ready}/{total}")),
            json!(reason),
            json!(restarts_cell),
            json!(age(ctx, pod)),
            json!(none(pod_ip)),
            json!(none(s(pod, &["spec", "nodeName"]))),
            json!(none(s(pod, &["status", "nominatedNodeName"]))),
            json!(readiness),
        ],
        conditions,
    }
}
