//! Upstream's pod registry checks before a streaming request reaches the node (container
//! choice, node assigned), the kubelet's log-status checks, and the node agent's path and
//! query for each subresource.

use kubehci_api::ApiError;
use serde_json::Value;

/// The node path (None: nothing to proxy) and its query parameters.
pub type Location = (Option<String>, Vec<(String, String)>);

fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn truthy(v: Option<&str>) -> bool {
    matches!(v, Some("1" | "t" | "T" | "true" | "TRUE" | "True"))
}

fn names(pod: &Value, list: &str) -> Vec<String> {
    pod.pointer(&format!("/spec/{list}"))
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn has_container(pod: &Value, name: &str) -> bool {
    ["containers", "initContainers", "ephemeralContainers"]
        .iter()
        .any(|l| names(pod, l).iter().any(|n| n == name))
}

fn node_name(pod: &Value) -> &str {
    pod.pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn namespace(pod: &Value) -> &str {
    kubehci_api::meta::namespace(pod)
}

/// The container a request addresses: the one asked for, or the only one; with several and
/// none asked for, `choose(containers)` is the 400 message.
fn pick_container(
    pod: &Value,
    name: &str,
    asked: Option<&str>,
    choose: impl FnOnce(Vec<String>) -> String,
) -> Result<String, ApiError> {
    match asked.filter(|c| !c.is_empty()) {
        Some(c) if has_container(pod, c) => Ok(c.to_string()),
        Some(c) => Err(ApiError::bad_request(format!(
            "container {c} is not valid for pod {name}"
        ))),
        None => {
            let containers = names(pod, "containers");
            match containers.len() {
                1 => Ok(containers[0].clone()),
                0 => Err(ApiError::bad_request(format!(
                    "a container name must be specified for pod {name}"
                ))),
                _ => Err(ApiError::bad_request(choose(containers))),
            }
        }
    }
}

/// The container a log request addresses (upstream's `validateContainer`).
fn log_container(pod: &Value, name: &str, asked: Option<&str>) -> Result<String, ApiError> {
    pick_container(pod, name, asked, |containers| {
        let mut all = names(pod, "initContainers");
        all.extend(containers);
        all.extend(names(pod, "ephemeralContainers"));
        format!(
            "a container name must be specified for pod {name}, choose one of: [{}]",
            all.join(" ")
        )
    })
}

/// The kubelet's `validateContainerLogStatus`: whether the container has logs to show.
fn log_status(pod: &Value, pod_name: &str, container: &str, previous: bool) -> Result<(), String> {
    let status = [
        "containerStatuses",
        "initContainerStatuses",
        "ephemeralContainerStatuses",
    ]
    .iter()
    .filter_map(|l| {
        pod.pointer(&format!("/status/{l}"))
            .and_then(Value::as_array)
    })
    .flatten()
    .find(|s| s.get("name").and_then(Value::as_str) == Some(container));
    let Some(status) = status else {
        return Err(format!(
            "container {container:?} in pod {pod_name:?} is not available"
        ));
    };
    let id = |v: Option<&Value>| {
        v.and_then(|t| t.get("containerID"))
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    let last_term = status.pointer("/lastState/terminated");
    if previous {
        if !id(last_term) {
            return Err(format!(
                "previous terminated container {container:?} in pod {pod_name:?} not found"
            ));
        }
        return Ok(());
    }
    let state = status.get("state");
    if state.and_then(|s| s.get("running")).is_some() {
        return Ok(());
    }
    if let Some(term) = state.and_then(|s| s.get("terminated")) {
        return if id(Some(term)) || id(last_term) {
            Ok(())
        } else {
            Err(format!(
                "container {container:?} in pod {pod_name:?} is terminated"
            ))
        };
    }
    if last_term.is_some() {
        return if id(last_term) {
            Ok(())
        } else {
            Err(format!(
                "container {container:?} in pod {pod_name:?} is terminated"
            ))
        };
    }
    if let Some(waiting) = state.and_then(|s| s.get("waiting")) {
        let reason = waiting.get("reason").and_then(Value::as_str).unwrap_or("");
        let why = match reason {
            "ErrImagePull" => "image can't be pulled".to_string(),
            "ImagePullBackOff" => "trying and failing to pull image".to_string(),
            r => r.to_string(),
        };
        return Err(format!(
            "container {container:?} in pod {pod_name:?} is waiting to start: {why}"
        ));
    }
    Err(format!(
        "container {container:?} in pod {pod_name:?} is waiting to start - no logs yet"
    ))
}

/// `GET pods/{name}/log`: `/containerLogs/{ns}/{pod}/{container}` with the log options.
pub fn log_location(pod: &Value, name: &str, q: &[(String, String)]) -> Result<Location, ApiError> {
    super::validate_log_options(q, name)?;
    let container = log_container(pod, name, get(q, "container"))?;
    if node_name(pod).is_empty() {
        return Ok((None, Vec::new()));
    }
    let opts = kubehci_streaming::logs::LogOptions::from_query(
        &serde_urlencoded::to_string(q).unwrap_or_default(),
        chrono::Utc::now(),
    )
    .map_err(|e| ApiError::bad_request(e.to_string()))?;
    log_status(pod, name, &container, opts.previous).map_err(ApiError::bad_request)?;
    let mut params = Vec::new();
    for flag in ["follow", "previous", "timestamps"] {
        if truthy(get(q, flag)) {
            params.push((flag.to_string(), "true".to_string()));
        }
    }
    for p in ["sinceSeconds", "sinceTime", "tailLines", "limitBytes"] {
        if let Some(v) = get(q, p) {
            params.push((p.to_string(), v.to_string()));
        }
    }
    let path = format!("/containerLogs/{}/{name}/{container}", namespace(pod));
    Ok((Some(path), params))
}

/// The container an exec or attach addresses (upstream's `streamLocation`).
fn stream_container(pod: &Value, name: &str, asked: Option<&str>) -> Result<String, ApiError> {
    pick_container(pod, name, asked, |containers| {
        let mut msg = format!(
            "a container name must be specified for pod {name}, choose one of: [{}]",
            containers.join(" ")
        );
        let init = names(pod, "initContainers");
        if !init.is_empty() {
            msg.push_str(&format!(
                " or one of the init containers: [{}]",
                init.join(" ")
            ));
        }
        msg
    })
}

fn require_node(pod: &Value, name: &str) -> Result<(), ApiError> {
    if node_name(pod).is_empty() {
        return Err(ApiError::bad_request(format!(
            "pod {name} does not have a host assigned"
        )));
    }
    Ok(())
}

/// `pods/{name}/exec|attach`: `/exec|attach/{ns}/{pod}/{container}` with the kubelet's
/// `input`/`output`/`error`/`tty`/`command` parameters.
pub fn stream_location(
    pod: &Value,
    name: &str,
    sub: &str,
    q: &[(String, String)],
) -> Result<Location, ApiError> {
    let container = stream_container(pod, name, get(q, "container"))?;
    require_node(pod, name)?;
    let mut params = Vec::new();
    for (ours, kubelet) in [
        ("stdin", "input"),
        ("stdout", "output"),
        ("stderr", "error"),
        ("tty", "tty"),
    ] {
        if truthy(get(q, ours)) {
            params.push((kubelet.to_string(), "1".to_string()));
        }
    }
    if sub == "exec" {
        let cmd: Vec<_> = q.iter().filter(|(k, _)| k == "command").collect();
        if cmd.is_empty() {
            return Err(ApiError::bad_request("you must specify at least 1 command"));
        }
        params.extend(
            cmd.into_iter()
                .map(|(_, v)| ("command".to_string(), v.clone())),
        );
    }
    let path = format!("/{sub}/{}/{name}/{container}", namespace(pod));
    Ok((Some(path), params))
}

/// `pods/{name}/portforward`: `/portForward/{ns}/{pod}` with `port` parameters.
pub fn port_forward_location(
    pod: &Value,
    name: &str,
    q: &[(String, String)],
) -> Result<Location, ApiError> {
    require_node(pod, name)?;
    let mut params = Vec::new();
    for (k, v) in q {
        if k == "ports" {
            for p in v.split(',') {
                params.push(("port".to_string(), p.trim().to_string()));
            }
        }
    }
    let path = format!("/portForward/{}/{name}", namespace(pod));
    Ok((Some(path), params))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pod(statuses: Value) -> Value {
        json!({
            "metadata": {"name": "p", "namespace": "ns"},
            "spec": {"nodeName": "n1", "initContainers": [{"name": "init"}],
                     "containers": [{"name": "a"}, {"name": "b"}]},
            "status": {"containerStatuses": statuses}
        })
    }

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn running(name: &str) -> Value {
        json!({"name": name, "state": {"running": {}}})
    }

    #[test]
    fn log_container_choice_and_messages_match_upstream() {
        let p = pod(json!([running("a"), running("b")]));
        let e = log_location(&p, "p", &q(&[])).unwrap_err();
        assert_eq!(
            e.message,
            "a container name must be specified for pod p, choose one of: [init a b]"
        );
        assert_eq!(e.code, 400);
        let e = log_location(&p, "p", &q(&[("container", "x")])).unwrap_err();
        assert_eq!(e.message, "container x is not valid for pod p");
        let (path, params) = log_location(
            &p,
            "p",
            &q(&[("container", "b"), ("follow", "true"), ("tailLines", "3")]),
        )
        .unwrap();
        assert_eq!(path.as_deref(), Some("/containerLogs/ns/p/b"));
        assert_eq!(params, q(&[("follow", "true"), ("tailLines", "3")]));
    }

    #[test]
    fn exec_container_choice_and_messages_match_upstream() {
        let p = pod(json!([]));
        let e = stream_location(&p, "p", "exec", &q(&[("command", "ls")])).unwrap_err();
        assert_eq!(
            e.message,
            "a container name must be specified for pod p, choose one of: [a b] or one of the init containers: [init]"
        );
        let (path, params) = stream_location(
            &p,
            "p",
            "exec",
            &q(&[
                ("container", "a"),
                ("command", "ls"),
                ("command", "-l"),
                ("stdin", "true"),
                ("tty", "true"),
            ]),
        )
        .unwrap();
        assert_eq!(path.as_deref(), Some("/exec/ns/p/a"));
        assert_eq!(
            params,
            q(&[
                ("input", "1"),
                ("tty", "1"),
                ("command", "ls"),
                ("command", "-l")
            ])
        );
        let mut unscheduled = p.clone();
        unscheduled["spec"]["nodeName"] = json!("");
        let e =
            stream_location(&unscheduled, "p", "attach", &q(&[("container", "a")])).unwrap_err();
        assert_eq!(e.message, "pod p does not have a host assigned");
        // Logs of a pod without a node: nothing to proxy, no error.
        assert_eq!(
            log_location(&unscheduled, "p", &q(&[("container", "a")]))
                .unwrap()
                .0,
            None
        );
    }

    #[test]
    fn log_status_follows_the_kubelet() {
        let waiting =
            |reason: &str| pod(json!([{"name": "a", "state": {"waiting": {"reason": reason}}}]));
        let msg = |p: &Value, prev: bool| log_status(p, "p", "a", prev).unwrap_err();
        assert_eq!(
            msg(&waiting("ContainerCreating"), false),
            "container \"a\" in pod \"p\" is waiting to start: ContainerCreating"
        );
        assert_eq!(
            msg(&waiting("ErrImagePull"), false),
            "container \"a\" in pod \"p\" is waiting to start: image can't be pulled"
        );
        assert_eq!(
            msg(&waiting("ImagePullBackOff"), false),
            "container \"a\" in pod \"p\" is waiting to start: trying and failing to pull image"
        );
        assert_eq!(
            msg(&pod(json!([])), false),
            "container \"a\" in pod \"p\" is not available"
        );
        assert_eq!(
            msg(&pod(json!([running("a")])), true),
            "previous terminated container \"a\" in pod \"p\" not found"
        );
        let restarted = pod(
            json!([{"name": "a", "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"containerID": "containerd://x", "exitCode": 1}}}]),
        );
        assert!(log_status(&restarted, "p", "a", false).is_ok());
        assert!(log_status(&restarted, "p", "a", true).is_ok());
        assert!(log_status(&pod(json!([running("a")])), "p", "a", false).is_ok());
    }
}
