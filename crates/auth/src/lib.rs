//! kubehci-auth: who is calling and what they may do, as kube-apiserver v1.33 decides it.
//!
//! Pure logic, no I/O beyond reading and writing PEM / token files:
//! - [`pki`]: cluster CA, serving and client certificates, kubeconfig files, rustls config;
//! - [`authn`] / [`tokenfile`]: client certificates, bearer tokens, anonymous requests;
//! - [`impersonate`]: the `Impersonate-*` headers;
//! - [`rbac`]: the RBAC policy cache and authorizer (with the `system:masters` fast path);
//! - [`bootstrap`]: the default ClusterRoles and ClusterRoleBindings;
//! - [`forbidden`]: upstream's 403 messages.

pub mod authn;
pub mod bootstrap;
pub mod error;
pub mod forbidden;
pub mod impersonate;
pub mod pki;
pub mod rbac;
pub mod satoken;
pub mod tokenfile;
pub mod user;

pub use authn::{Authenticator, AuthnError, TokenAuthenticator, TokenAuthenticators};
pub use error::{AuthError, Result};
pub use forbidden::{forbidden_error, forbidden_message};
pub use impersonate::{ImpersonationError, ImpersonationHeaders, ImpersonationPlan};
pub use rbac::{Attributes, Decision, PolicyRule, RbacCache, RbacKind, SubjectRules};
pub use tokenfile::StaticTokens;
pub use user::UserInfo;
