//! Objects every cluster starts with: the system namespaces, the `kubernetes` Service
//! and its Endpoints, and the bootstrap RBAC policy. Idempotent: existing objects stay.

use chrono::{SecondsFormat, Utc};
use kubehci_api::ApiError;
use kubehci_store::StoreError;
use serde_json::{Value, json};

use crate::state::State;

fn stamp(mut obj: Value) -> Value {
    let md = kubehci_api::meta::metadata_mut(&mut obj);
    md.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
    md.insert(
        "creationTimestamp".into(),
        json!(Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)),
    );
    obj
}

async fn ensure(state: &State, key: String, obj: Value) -> Result<bool, ApiError> {
    let bytes = crate::objects::encode(&stamp(obj))?;
    match state.backend.create(&key, bytes).await {
        Ok(_) => Ok(true),
        Err(StoreError::AlreadyExists(_)) => Ok(false),
        Err(e) => Err(ApiError::internal(e)),
    }
}

pub fn namespace_object(name: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    })
}

pub async fn run(state: &State) -> Result<(), ApiError> {
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        ensure(
            state,
            format!("/registry/core/namespaces/{ns}"),
            namespace_object(ns),
        )
        .await?;
    }
    let ip = state.allocators.first_ip().to_string();
    let port = state.config.listen.port();
    let svc = json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "namespace": "default",
            "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {
            "ports": [{"name": "https", "protocol": "TCP", "port": 443, "targetPort": port}],
            "clusterIP": ip, "clusterIPs": [ip], "type": "ClusterIP", "sessionAffinity": "None",
            "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "internalTrafficPolicy": "Cluster",
        },
        "status": {"loadBalancer": {}},
    });
    state.allocators.load(&svc);
    ensure(
        state,
        "/registry/core/services/default/kubernetes".into(),
        svc,
    )
    .await?;
    let ep = json!({
        "apiVersion": "v1", "kind": "Endpoints",
        "metadata": {"name": "kubernetes", "namespace": "default",
            "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
        "subsets": [{"addresses": [{"ip": state.config.listen.ip().to_string()}],
            "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}],
    });
    ensure(
        state,
        "/registry/core/endpoints/default/kubernetes".into(),
        ep,
    )
    .await?;
    for (kind, ns, name, obj) in kubehci_auth::bootstrap::objects() {
        let resource = match kind {
            kubehci_auth::RbacKind::ClusterRole => "clusterroles",
            kubehci_auth::RbacKind::ClusterRoleBinding => "clusterrolebindings",
            kubehci_auth::RbacKind::Role => "roles",
            kubehci_auth::RbacKind::RoleBinding => "rolebindings",
        };
        let key = if ns.is_empty() {
            format!("/registry/rbac.authorization.k8s.io/{resource}/{name}")
        } else {
            format!("/registry/rbac.authorization.k8s.io/{resource}/{ns}/{name}")
        };
        ensure(state, key, obj).await?;
    }
    for (name, value, description) in [
        (
            "system-node-critical",
            2_000_001_000,
            "Used for system critical pods that must not be moved from their current node.",
        ),
        (
            "system-cluster-critical",
            2_000_000_000,
            "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
        ),
    ] {
        let pc = json!({
            "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
            "metadata": {"name": name}, "value": value, "description": description,
            "preemptionPolicy": "PreemptLowerPriority",
        });
        ensure(
            state,
            format!("/registry/scheduling.k8s.io/priorityclasses/{name}"),
            pc,
        )
        .await?;
    }
    // Services already stored hold addresses and ports.
    let page = state
        .backend
        .list("/registry/core/services/", None, None, None)
        .await
        .map_err(ApiError::internal)?;
    for kv in page.items {
        if let Ok(v) = serde_json::from_slice::<Value>(&kv.value) {
            state.allocators.load(&v);
        }
    }
    Ok(())
}
