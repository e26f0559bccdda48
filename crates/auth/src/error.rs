//! The crate's one error type.

/// Everything that can go wrong in kubehci-auth.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// rcgen could not build, sign or load a key or certificate.
    #[error("certificate generation failed: {0}")]
    Rcgen(#[from] rcgen::Error),

    /// A PEM block or DER structure could not be parsed.
    #[error("invalid certificate data: {0}")]
    InvalidCertificate(String),

    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },

    /// A token auth file is malformed (upstream's `--token-auth-file` rules).
    #[error("{0}")]
    TokenFile(String),

    /// A kubeconfig could not be serialized.
    #[error("kubeconfig: {0}")]
    Kubeconfig(String),

    /// rustls rejected the TLS material.
    #[error("tls: {0}")]
    Tls(String),
}

impl AuthError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = AuthError> = std::result::Result<T, E>;
