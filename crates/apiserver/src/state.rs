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
    pub rbac: RbacCache,
    pub openapi: crate::openapi::OpenApi,
    /// Stored CRDs (as last loaded).
    pub crds: RwLock<Vec<Value>>,
    /// Set once bootstrap finished and caches are primed (`/readyz`).
    pub ready: AtomicBool,
}

pub type SharedState = Arc<State>;
