//! In-process caches fed from the store: RBAC policy and CRDs. Each lists once, then
//! follows the store's watch; on any watch failure it re-lists.

use std::sync::Arc;

use futures::StreamExt as _;
use kubehci_auth::RbacKind;
use kubehci_store::Event;
use serde_json::Value;

use crate::state::State;

const RBAC_PREFIX: &str = "/registry/rbac.authorization.k8s.io/";
const CRD_PREFIX: &str = "/registry/apiextensions.k8s.io/customresourcedefinitions/";

/// `(kind, namespace, name)` from an RBAC key `/registry/rbac.../<resource>/[<ns>/]<name>`.
fn rbac_key(key: &str) -> Option<(RbacKind, String, String)> {
    let rest = key.strip_prefix(RBAC_PREFIX)?;
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        ["clusterroles", name] => Some((RbacKind::ClusterRole, String::new(), (*name).to_string())),
        ["clusterrolebindings", name] => Some((
            RbacKind::ClusterRoleBinding,
            String::new(),
            (*name).to_string(),
        )),
        ["roles", ns, name] => Some((RbacKind::Role, (*ns).to_string(), (*name).to_string())),
        ["rolebindings", ns, name] => Some((
            RbacKind::RoleBinding,
            (*ns).to_string(),
            (*name).to_string(),
        )),
        _ => None,
    }
}

/// Loads the RBAC cache once; returns the revision to watch from.
pub async fn load_rbac(state: &State) -> Result<i64, kubehci_store::StoreError> {
    let page = state.backend.list(RBAC_PREFIX, None, None, None).await?;
    let parsed: Vec<(RbacKind, String, String, Value)> = page
        .items
        .iter()
        .filter_map(|kv| {
            let (k, ns, name) = rbac_key(&kv.key)?;
            Some((k, ns, name, serde_json::from_slice(&kv.value).ok()?))
        })
        .collect();
    state.rbac.replace_all(
        parsed
            .iter()
            .map(|(k, ns, n, v)| (*k, ns.as_str(), n.as_str(), v)),
    );
    Ok(page.revision)
}

/// Loads CRDs once; returns the revision to watch from.
pub async fn load_crds(state: &State) -> Result<i64, kubehci_store::StoreError> {
    let page = state.backend.list(CRD_PREFIX, None, None, None).await?;
    let crds = page
        .items
        .iter()
        .filter_map(|kv| serde_json::from_slice(&kv.value).ok())
        .collect();
    crate::crds::rebuild(state, crds);
    Ok(page.revision)
}

/// Follows RBAC and CRD changes until the process ends.
pub fn spawn(state: Arc<State>, rbac_rev: i64, crd_rev: i64) {
    let s = state.clone();
    tokio::spawn(async move {
        let mut rev = rbac_rev;
        loop {
            if let Ok(mut w) = s.backend.watch(RBAC_PREFIX, rev).await {
                while let Some(Ok(ev)) = w.next().await {
                    rev = ev.revision();
                    match &ev {
                        Event::Put { kv, .. } => {
                            if let (Some((k, ns, name)), Ok(v)) = (
                                rbac_key(&kv.key),
                                serde_json::from_slice::<Value>(&kv.value),
                            ) {
                                s.rbac.upsert(k, &ns, &name, &v);
                            }
                        }
                        Event::Delete { prev, .. } => {
                            if let Some((k, ns, name)) = rbac_key(&prev.key) {
                                s.rbac.remove(k, &ns, &name);
                            }
                        }
                    }
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            match load_rbac(&s).await {
                Ok(r) => rev = r,
                Err(e) => tracing::warn!(error = %e, "re-listing RBAC failed"),
            }
        }
    });
    tokio::spawn(async move {
        let mut rev = crd_rev;
        loop {
            if let Ok(mut w) = state.backend.watch(CRD_PREFIX, rev).await {
                while let Some(Ok(ev)) = w.next().await {
                    rev = ev.revision();
                    // CRDs change rarely: rebuild from a fresh list.
                    match load_crds(&state).await {
                        Ok(r) => rev = rev.max(r),
                        Err(e) => tracing::warn!(error = %e, "reloading CRDs failed"),
                    }
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            if let Ok(r) = load_crds(&state).await {
                rev = r;
            }
        }
    });
}
