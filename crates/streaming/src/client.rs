//! The API server's side of the node connection: a TLS client that presents the
//! kubelet-client certificate and verifies the node agent's serving certificate against the
//! cluster CA.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::node::StreamError;
use crate::node::tls::{load_certs, load_key};

/// A client config trusting `ca` (PEM file) and authenticating with `cert`/`key` (PEM files).
/// ALPN offers only `http/1.1`: upgrades need HTTP/1.1.
pub fn client_config(ca: &Path, cert: &Path, key: &Path) -> Result<ClientConfig, StreamError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for c in load_certs(ca)? {
        roots.add(c).map_err(|e| StreamError::Tls(e.to_string()))?;
    }
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StreamError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_client_auth_cert(load_certs(cert)?, load_key(key)?)
        .map_err(|e| StreamError::Tls(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Opens a TLS connection to `host:port` (an IP address or a DNS name, which the server's
/// certificate must name).
pub async fn connect(
    config: Arc<ClientConfig>,
    host: &str,
    port: u16,
) -> Result<TlsStream<TcpStream>, StreamError> {
    let name = match host.parse::<IpAddr>() {
        Ok(ip) => ServerName::IpAddress(ip.into()),
        Err(_) => ServerName::try_from(host.to_string())
            .map_err(|e| StreamError::Tls(format!("server name {host:?}: {e}")))?,
    };
    let tcp = TcpStream::connect((host, port)).await?;
    let _ = tcp.set_nodelay(true);
    Ok(TlsConnector::from(config).connect(name, tcp).await?)
}
