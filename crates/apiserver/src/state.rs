//! Everything a request handler shares: store, catalogue, configuration, allocators.

use std::sync::Arc;

use std::sync::atomic::AtomicBool;

use kubehci_auth::{Authenticator, RbacCache};
use kubehci_store::Backend;
use parking_lot::RwLock;
use serde_json::Value;

use crate::alloc::ServiceAllocators;
use crate::catalog::CatalogHandle;
use crate::config::ServerConfig;

pub struct State {
    pub config: ServerConfig,
    pub backend: Arc<dyn Backend>,
    pub catalog: CatalogHandle,
    pub allocators: ServiceAllocators,
    pub authn: Authenticator,
    /// Signs service-account tokens (`DIR/pki/sa.key`).
    pub sa_signer: kubehci_auth::satoken::SaSigner,
    pub rbac: RbacCache,
    /// OpenAPI documents and the schema model of the current catalogue.
    pub openapi: kubehci_schema::OpenApiCache,
    /// Stored CRDs (as last loaded).
    pub crds: RwLock<Vec<Value>>,
    /// Compiled schemas of served custom resources, by (group, version, plural).
    pub crd_schemas:
        RwLock<std::collections::HashMap<(String, String, String), Arc<kubehci_crd::CrdSchema>>>,
    /// TLS client config towards node agents (kubelet-client certificate, cluster CA).
    pub kubelet_client: crate::rest::pod_proxy::KubeletClient,
    /// Set once bootstrap finished and caches are primed (`/readyz`).
    pub ready: AtomicBool,
}

pub type SharedState = Arc<State>;
