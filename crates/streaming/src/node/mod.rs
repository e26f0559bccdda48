//! The node agent's streaming server: what the agent implements ([`StreamRuntime`]) and the
//! HTTPS server the API server calls ([`serve`]).

use std::path::{Path, PathBuf};

use async_trait::async_trait;

mod server;
pub mod tls;

pub use server::{StreamParams, serve};

/// Errors of the streaming server and of a [`StreamRuntime`]. `NotFound` and `BadRequest`
/// become HTTP 404 and 400 with the message as body; the rest become 500.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// The pod or container is not on this node (HTTP 404).
    #[error("{0}")]
    NotFound(String),
    /// The request cannot be served as asked (HTTP 400), e.g. no previous log.
    #[error("{0}")]
    BadRequest(String),
    /// The runtime failed (HTTP 500).
    #[error("{0}")]
    Runtime(String),
    /// TLS set-up failed (bad certificate or key files).
    #[error("tls: {0}")]
    Tls(String),
    /// An I/O error.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// What the node agent does for streaming requests; implemented over CRI by the agent.
///
/// `ns`/`pod` are the pod's namespace and name, `container` a container name of that pod. The
/// exec/attach/port-forward methods return the URL the runtime's streaming server gave in the
/// CRI `Exec`/`Attach`/`PortForward` response (containerd: `http://127.0.0.1:PORT/exec/TOKEN`);
/// the server proxies the client's upgrade request to it.
#[async_trait]
pub trait StreamRuntime: Send + Sync + 'static {
    /// The CRI log file of the container (`ContainerStatus.log_path`): the current instance, or
    /// with `previous` the one before it (the agent keeps the last exited instance's file, as
    /// the kubelet keeps `restartCount-1.log`). Also returns whether the instance is still
    /// running, so that `follow` knows when to stop once the file is fully read.
    async fn container_log(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        previous: bool,
    ) -> Result<LogSource, StreamError>;

    /// Whether the container instance that writes `log` still runs; polled while following.
    /// Return `false` once it exited (or is gone) so the follow ends after the last line.
    async fn is_running(&self, ns: &str, pod: &str, container: &str, log: &Path) -> bool;

    /// CRI `Exec` for the container: returns the runtime streaming URL.
    async fn exec(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        cmd: Vec<String>,
        opts: StreamOptions,
    ) -> Result<String, StreamError>;

    /// CRI `Attach` for the container: returns the runtime streaming URL.
    async fn attach(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        opts: StreamOptions,
    ) -> Result<String, StreamError>;

    /// CRI `PortForward` for the pod's sandbox: returns the runtime streaming URL. `ports` is
    /// what the client asked for (may be empty: the ports come in the stream headers).
    async fn port_forward(
        &self,
        ns: &str,
        pod: &str,
        ports: Vec<u16>,
    ) -> Result<String, StreamError>;
}

/// The log file of one container instance and whether that instance is still running.
#[derive(Debug, Clone)]
pub struct LogSource {
    /// Absolute path of the CRI log file.
    pub path: PathBuf,
    /// Whether the instance writing it runs now (false for `previous`).
    pub running: bool,
}

/// The stream flags of an exec or attach request (CRI `ExecRequest`/`AttachRequest` fields).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamOptions {
    pub tty: bool,
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
}

/// Files of the streaming server's TLS: its serving certificate and key (PEM) and the CA (PEM)
/// that client certificates must chain to.
#[derive(Debug, Clone)]
pub struct ServerTlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_ca: PathBuf,
}
