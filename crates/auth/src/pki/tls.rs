//! rustls configuration for the API server: serve the cluster certificate and *ask* for a
//! client certificate signed by the cluster CA, accepting requests without one (they go on
//! to bearer-token or anonymous authentication), as kube-apiserver does.

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};

use super::{CertKey, certs_from_pem};
use crate::error::{AuthError, Result};

fn tls(e: impl std::fmt::Display) -> AuthError {
    AuthError::Tls(e.to_string())
}

/// The PKCS#8 DER of the first `PRIVATE KEY` block in `pem`.
fn pkcs8_key(pem: &str) -> Result<PrivateKeyDer<'static>> {
    for item in x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes()) {
        let item = item.map_err(|e| AuthError::InvalidCertificate(e.to_string()))?;
        if item.label == "PRIVATE KEY" {
            return Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
                item.contents,
            )));
        }
    }
    Err(AuthError::InvalidCertificate(
        "no PKCS#8 PRIVATE KEY block in PEM".into(),
    ))
}

/// A server config presenting `serving` (its PEM may hold the chain) and verifying
/// optional client certificates against `client_ca_pem`. ALPN offers h2 and http/1.1.
pub fn server_config(client_ca_pem: &str, serving: &CertKey) -> Result<ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    for der in certs_from_pem(client_ca_pem)? {
        roots.add(CertificateDer::from(der)).map_err(tls)?;
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .allow_unauthenticated()
        .build()
        .map_err(tls)?;
    let chain = certs_from_pem(&serving.cert_pem)?
        .into_iter()
        .map(CertificateDer::from)
        .collect();
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, pkcs8_key(&serving.key_pem)?)
        .map_err(tls)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}
