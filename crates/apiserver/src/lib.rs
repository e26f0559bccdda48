//! kubehci's Kubernetes API server: HTTPS front end, authentication and RBAC, discovery
//! and OpenAPI, and the generic REST handlers that apply each resource's strategy on
//! top of the revisioned store.

pub mod alloc;
pub mod bootstrap;
pub mod catalog;
pub mod config;
pub mod conversion;
pub mod crds;
pub mod discovery;
pub mod informers;
pub mod negotiate;
pub mod nonresource;
pub mod objects;
pub mod query;
pub mod request_info;
pub mod respond;
pub mod rest;
pub mod reviews;
pub mod satokens;
pub mod schemas;
pub mod server;
pub mod startup;
pub mod state;
pub mod subresources;

pub use config::ServerConfig;
pub use startup::{ServerHandle, StartError, start};
