//! The labels and annotations kubelet puts on CRI sandboxes and containers. The agent reads
//! them back to rebuild a pod's state (adoption after a restart), and `crictl`-style tools
//! show them.

use std::collections::HashMap;

use k8s_openapi::api::core::v1::Pod;

pub const POD_NAME: &str = "io.kubernetes.pod.name";
pub const POD_NAMESPACE: &str = "io.kubernetes.pod.namespace";
pub const POD_UID: &str = "io.kubernetes.pod.uid";
pub const CONTAINER_NAME: &str = "io.kubernetes.container.name";
pub const CONTAINER_TYPE: &str = "io.kubernetes.container.type";
pub const POD_TERMINATION_GRACE: &str = "io.kubernetes.pod.terminationGracePeriod";
pub const CONTAINER_HASH: &str = "io.kubernetes.container.hash";
pub const CONTAINER_RESTART_COUNT: &str = "io.kubernetes.container.restartCount";
pub const CONTAINER_TERMINATION_MESSAGE_PATH: &str =
    "io.kubernetes.container.terminationMessagePath";
pub const CONTAINER_TERMINATION_MESSAGE_POLICY: &str =
    "io.kubernetes.container.terminationMessagePolicy";
pub const CONTAINER_INIT: &str = "io.kubehci.container.init";
/// Marks everything this agent made, so that a shared containerd is never swept clean of
/// other users' sandboxes.
pub const MANAGED_BY: &str = "io.kubehci.node";

/// `name_namespace(uid)`: upstream's `format.Pod`, used in messages.
pub fn format_pod(pod: &Pod) -> String {
    format!(
        "{}_{}({})",
        pod.metadata.name.as_deref().unwrap_or_default(),
        pod.metadata.namespace.as_deref().unwrap_or_default(),
        pod.metadata.uid.as_deref().unwrap_or_default()
    )
}

/// The pod's uid, name and namespace.
pub fn pod_key(pod: &Pod) -> (String, String, String) {
    (
        pod.metadata.uid.clone().unwrap_or_default(),
        pod.metadata.name.clone().unwrap_or_default(),
        pod.metadata
            .namespace
            .clone()
            .unwrap_or_else(|| "default".into()),
    )
}

/// Labels of a pod's sandbox: the pod's own labels plus the io.kubernetes.pod.* ones.
pub fn sandbox_labels(pod: &Pod, node: &str) -> HashMap<String, String> {
    let mut l: HashMap<String, String> = pod
        .metadata
        .labels
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let (uid, name, ns) = pod_key(pod);
    l.insert(POD_NAME.into(), name);
    l.insert(POD_NAMESPACE.into(), ns);
    l.insert(POD_UID.into(), uid);
    l.insert(MANAGED_BY.into(), node.into());
    l
}

/// Labels of one container of a pod.
pub fn container_labels(
    pod: &Pod,
    node: &str,
    container: &str,
    init: bool,
) -> HashMap<String, String> {
    let (uid, name, ns) = pod_key(pod);
    let mut l = HashMap::new();
    l.insert(POD_NAME.into(), name);
    l.insert(POD_NAMESPACE.into(), ns);
    l.insert(POD_UID.into(), uid);
    l.insert(CONTAINER_NAME.into(), container.into());
    l.insert(MANAGED_BY.into(), node.into());
    if init {
        l.insert(CONTAINER_INIT.into(), "true".into());
    }
    l
}

/// The selector for everything of one pod.
pub fn pod_selector(uid: &str) -> HashMap<String, String> {
    HashMap::from([(POD_UID.to_string(), uid.to_string())])
}

/// The selector for everything this node made.
pub fn node_selector(node: &str) -> HashMap<String, String> {
    HashMap::from([(MANAGED_BY.to_string(), node.to_string())])
}
