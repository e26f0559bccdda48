//! Per-request context handed to the REST handlers.

use std::sync::Arc;

use kubehci_api::ResourceInfo;

use crate::negotiate::Negotiated;
use crate::query::Query;
use crate::request_info::RequestInfo;

/// Everything about one resource request after routing and authorization.
pub struct Ctx {
    pub info: RequestInfo,
    pub resource: Arc<ResourceInfo>,
    pub query: Query,
    pub neg: Negotiated,
    pub user_agent: String,
    pub content_type: Option<String>,
    /// The authenticated (possibly impersonated) user.
    pub user: Arc<kubehci_auth::UserInfo>,
    /// `Warning` headers to send (`299 - "..."`).
    pub warnings: Vec<String>,
    /// additionalPrinterColumns of a custom resource (None for built-ins).
    pub crd_columns: Option<Vec<kubehci_tables::PrinterColumn>>,
    /// (spec replicas, status replicas, selector) JSON pointers of a CRD's scale subresource.
    pub scale_paths: Option<(String, String, Option<String>)>,
}

impl Ctx {
    /// Namespace of the addressed object ("" for cluster-scoped resources).
    pub fn namespace(&self) -> &str {
        if self.resource.namespaced() {
            &self.info.namespace
        } else {
            ""
        }
    }
}
