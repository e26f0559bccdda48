//! Errors of the runtime crate.

use std::path::PathBuf;

use crate::cri::CriError;

/// Everything that can go wrong starting containerd, building or importing images.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// A filesystem operation failed.
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A Unix socket path is longer than the kernel accepts (107 bytes).
    #[error(
        "the containerd socket path {path} is {len} bytes, over the 107-byte Unix socket limit; \
         use a shorter state directory"
    )]
    SocketPathTooLong { path: PathBuf, len: usize },
    /// A program we need is not installed.
    #[error(
        "{program} is not installed ({source}); run scripts/setup.sh or `apt-get install {package}`"
    )]
    MissingProgram {
        program: String,
        package: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// containerd exited or did not answer in time.
    #[error("containerd did not start: {reason}; see {log}")]
    Start { reason: String, log: PathBuf },
    /// Talking CRI to containerd failed.
    #[error(transparent)]
    Cri(#[from] CriError),
    /// A CRI call returned an error.
    #[error("CRI {call} failed: {status}")]
    CriCall {
        call: &'static str,
        #[source]
        status: tonic::Status,
    },
    /// `ctr images import` failed.
    #[error("importing {archive} failed: {message}")]
    Import { archive: PathBuf, message: String },
    /// Teardown could not remove everything.
    #[error("containerd teardown left things behind: {0}")]
    Teardown(String),
    /// No containerd runs for this state directory.
    #[error("no containerd is running for {0}")]
    NotRunning(PathBuf),
}

impl RuntimeError {
    pub(crate) fn io(
        what: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| RuntimeError::Io { what, path, source }
    }

    pub(crate) fn cri(call: &'static str) -> impl FnOnce(tonic::Status) -> Self {
        move |status| RuntimeError::CriCall { call, status }
    }
}
