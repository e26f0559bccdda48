//! TLS of the node agent's streaming server: client certificates are required and must chain
//! to the cluster CA; only the API server's kubelet-client identity (or `system:masters`) may
//! use the server.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer,
};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};

use super::{ServerTlsFiles, StreamError};

/// The common name of the API server's client certificate towards node agents.
pub const KUBELET_CLIENT_CN: &str = "kube-apiserver-kubelet-client";
/// The group that may use the node agent's API.
pub const MASTERS_GROUP: &str = "system:masters";

fn tls_err(e: impl std::fmt::Display) -> StreamError {
    StreamError::Tls(e.to_string())
}

fn read_pem(path: &Path) -> Result<Vec<(String, Vec<u8>)>, StreamError> {
    let data = std::fs::read(path).map_err(|e| tls_err(format!("{}: {e}", path.display())))?;
    let mut out = Vec::new();
    for item in x509_parser::pem::Pem::iter_from_buffer(&data) {
        let item = item.map_err(|e| tls_err(format!("{}: {e}", path.display())))?;
        out.push((item.label, item.contents));
    }
    Ok(out)
}

/// The DER certificates in a PEM file.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, StreamError> {
    let certs: Vec<_> = read_pem(path)?
        .into_iter()
        .filter(|(label, _)| label == "CERTIFICATE")
        .map(|(_, der)| CertificateDer::from(der))
        .collect();
    if certs.is_empty() {
        return Err(tls_err(format!("{}: no CERTIFICATE", path.display())));
    }
    Ok(certs)
}

/// The first private key (PKCS#8, PKCS#1 or SEC1) in a PEM file.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, StreamError> {
    for (label, der) in read_pem(path)? {
        match label.as_str() {
            "PRIVATE KEY" => return Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der))),
            "RSA PRIVATE KEY" => return Ok(PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(der))),
            "EC PRIVATE KEY" => return Ok(PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(der))),
            _ => {}
        }
    }
    Err(tls_err(format!("{}: no private key", path.display())))
}

/// The server config: the serving certificate, HTTP/1.1 only, client certificates required.
pub fn server_config(files: &ServerTlsFiles) -> Result<ServerConfig, StreamError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    for cert in load_certs(&files.client_ca)? {
        roots.add(cert).map_err(tls_err)?;
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(tls_err)?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_err)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(load_certs(&files.cert)?, load_key(&files.key)?)
        .map_err(tls_err)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The user (CN) and groups (O) of a client certificate.
pub fn identity(der: &[u8]) -> Option<(String, Vec<String>)> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let subject = cert.subject();
    let cn = subject
        .iter_common_name()
        .next()
        .and_then(|a| a.as_str().ok())
        .unwrap_or_default()
        .to_string();
    let groups = subject
        .iter_organization()
        .filter_map(|a| a.as_str().ok().map(str::to_string))
        .collect();
    Some((cn, groups))
}

/// Whether the identity may use the streaming server.
pub fn allowed(user: &str, groups: &[String]) -> bool {
    user == KUBELET_CLIENT_CN || groups.iter().any(|g| g == MASTERS_GROUP)
}
