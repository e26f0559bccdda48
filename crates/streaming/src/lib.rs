//! Streaming for pods: container logs, exec, attach and port-forward, from kubectl through the
//! API server to the node agent and the runtime.
//!
//! The node agent side lives in [`node`]: the agent implements [`node::StreamRuntime`] over CRI
//! and runs [`node::serve`], an HTTPS server that only the API server (client certificate
//! `CN=kube-apiserver-kubelet-client` or group `system:masters`) may call. Its paths are the
//! kubelet's: `GET /containerLogs/{ns}/{pod}/{container}?...`, `/exec/{ns}/{pod}/{container}`,
//! `/attach/{ns}/{pod}/{container}` and `/portForward/{ns}/{pod}`.
//!
//! [`logs`] reads CRI log files (`<RFC3339Nano> <stream> <P|F> <text>`) with kubectl's options.

pub mod client;
pub mod logs;
pub mod node;
pub mod proxy;
pub mod spdy;
pub mod translate;
pub mod ws;

pub use node::{ServerTlsFiles, StreamError, StreamRuntime, serve};
