//! The cluster PKI: a CA, the API server's serving certificate and client certificates
//! whose subject is the identity (CN = user, one O per group), all ECDSA P-256, PEM in
//! and out. Validity follows kubeadm: the CA ten years, leaves one year.

mod der;
mod kubeconfig;
mod tls;

use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};

pub use kubeconfig::{Kubeconfig, kubeconfig_yaml};
pub use tls::server_config;

use crate::error::{AuthError, Result};

/// Leaves and the CA are backdated this much to tolerate clock skew.
const BACKDATE: Duration = Duration::from_secs(5 * 60);
pub const CA_VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 60 * 60);
pub const LEAF_VALIDITY: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// A certificate and its private key, both PEM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertKey {
    pub cert_pem: String,
    pub key_pem: String,
}

/// The cluster certificate authority.
pub struct ClusterCa {
    cert_pem: String,
    cert_der: Vec<u8>,
    key: KeyPair,
}

impl std::fmt::Debug for ClusterCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterCa")
            .field("cert_pem", &self.cert_pem)
            .finish_non_exhaustive()
    }
}

/// Valid from `now - BACKDATE` until `now + valid_for`.
fn set_validity(params: &mut CertificateParams, valid_for: Duration) {
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    // A clock before 1970 reads as 1970; one past year 5000 as 5000, so that adding ten
    // years always stays inside the representable range.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .min(Duration::from_secs(95_000_000_000));
    params.not_before = epoch + now.saturating_sub(BACKDATE);
    params.not_after = epoch + now + valid_for;
}

impl ClusterCa {
    /// A new self-signed CA (kubeadm names it `kubernetes`).
    pub fn generate(common_name: &str) -> Result<Self> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyCertSign,
        ];
        set_validity(&mut params, CA_VALIDITY);
        let cert = params.self_signed(&key)?;
        Ok(Self {
            cert_pem: cert.pem(),
            cert_der: cert.der().to_vec(),
            key,
        })
    }

    /// An existing CA from its certificate and key, both PEM: a PKCS#8 key (ECDSA, Ed25519
    /// or RSA) or a PKCS#1 `RSA PRIVATE KEY` such as kubeadm writes.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Self> {
        let key = load_key(key_pem)?;
        let (_, pem) = x509_parser::pem::parse_x509_pem(cert_pem.as_bytes())
            .map_err(|e| AuthError::InvalidCertificate(e.to_string()))?;
        // Check it parses as a certificate and can act as an issuer.
        Issuer::from_ca_cert_der(&pem.contents.clone().into(), &key)?;
        Ok(Self {
            cert_pem: cert_pem.to_string(),
            cert_der: pem.contents,
            key,
        })
    }

    /// Loads `ca.crt` / `ca.key` style files.
    pub fn load(cert_path: &Path, key_path: &Path) -> Result<Self> {
        let cert = std::fs::read_to_string(cert_path).map_err(|e| AuthError::io(cert_path, e))?;
        let key = std::fs::read_to_string(key_path).map_err(|e| AuthError::io(key_path, e))?;
        Self::from_pem(&cert, &key)
    }

    /// Writes the certificate and key PEM files (the key readable by the owner only).
    pub fn save(&self, cert_path: &Path, key_path: &Path) -> Result<()> {
        write_file(cert_path, &self.cert_pem, 0o644)?;
        write_file(key_path, &self.key.serialize_pem(), 0o600)
    }

    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    pub fn key_pem(&self) -> String {
        self.key.serialize_pem()
    }

    fn issue(&self, mut params: CertificateParams) -> Result<(Vec<u8>, KeyPair)> {
        let key = KeyPair::generate()?;
        set_validity(&mut params, LEAF_VALIDITY);
        params.is_ca = IsCa::ExplicitNoCa;
        params.use_authority_key_identifier_extension = true;
        let issuer = Issuer::from_ca_cert_der(&self.cert_der.clone().into(), &self.key)?;
        let cert = params.signed_by(&key, &issuer)?;
        Ok((cert.der().to_vec(), key))
    }

    /// A TLS server certificate for `dns_names` and `ips`.
    pub fn issue_serving(
        &self,
        common_name: &str,
        dns_names: &[String],
        ips: &[IpAddr],
    ) -> Result<CertKey> {
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        for name in dns_names {
            let dns = name
                .clone()
                .try_into()
                .map_err(|_| AuthError::InvalidCertificate(format!("invalid DNS name {name:?}")))?;
            params.subject_alt_names.push(SanType::DnsName(dns));
        }
        params
            .subject_alt_names
            .extend(ips.iter().copied().map(SanType::IpAddress));
        let (der, key) = self.issue(params)?;
        Ok(CertKey {
            cert_pem: to_pem(&der),
            key_pem: key.serialize_pem(),
        })
    }

    /// A client certificate authenticating as `user` in `groups` (CN = user, O = each group).
    pub fn issue_client(&self, user: &str, groups: &[&str]) -> Result<CertKey> {
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, user);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let (der, key) = self.issue(params)?;
        let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        let der = der::replace_subject(&der, &der::encode_name(user, &groups), &self.key)?;
        Ok(CertKey {
            cert_pem: to_pem(&der),
            key_pem: key.serialize_pem(),
        })
    }
}

/// The names the API server's certificate must carry: `localhost`, the host name, the
/// in-cluster service names, loopback and the `kubernetes` service IP, plus `extra_ips`.
pub fn apiserver_names(
    hostname: &str,
    service_ip: IpAddr,
    extra_ips: &[IpAddr],
) -> (Vec<String>, Vec<IpAddr>) {
    let mut dns = vec!["localhost".to_string()];
    if !hostname.is_empty() && hostname != "localhost" {
        dns.push(hostname.to_string());
    }
    for name in [
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
    ] {
        dns.push(name.to_string());
    }
    let mut ips = vec![
        IpAddr::from([127, 0, 0, 1]),
        IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
        service_ip,
    ];
    for ip in extra_ips {
        if !ips.contains(ip) {
            ips.push(*ip);
        }
    }
    (dns, ips)
}

/// PEM of a DER certificate.
pub fn to_pem(der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// DER of every `CERTIFICATE` block in `pem` (e.g. a CA bundle).
pub fn certs_from_pem(pem: &str) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for item in x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes()) {
        let item = item.map_err(|e| AuthError::InvalidCertificate(e.to_string()))?;
        if item.label == "CERTIFICATE" {
            out.push(item.contents);
        }
    }
    if out.is_empty() {
        return Err(AuthError::InvalidCertificate(
            "no CERTIFICATE block in PEM".into(),
        ));
    }
    Ok(out)
}

/// A private key from PEM: PKCS#8, or PKCS#1 RSA (re-wrapped as PKCS#8).
fn load_key(key_pem: &str) -> Result<KeyPair> {
    for item in x509_parser::pem::Pem::iter_from_buffer(key_pem.as_bytes()) {
        let item = item.map_err(|e| AuthError::InvalidCertificate(e.to_string()))?;
        if item.label == "RSA PRIVATE KEY" {
            let pkcs8 =
                rustls::pki_types::PrivatePkcs8KeyDer::from(der::pkcs1_to_pkcs8(&item.contents));
            return Ok(KeyPair::from_pkcs8_der_and_sign_algo(
                &pkcs8,
                &rcgen::PKCS_RSA_SHA256,
            )?);
        }
    }
    Ok(KeyPair::from_pem(key_pem)?)
}

pub(crate) fn write_file(path: &Path, text: &str, mode: u32) -> Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)
        .map_err(|e| AuthError::io(path, e))?;
    f.write_all(text.as_bytes())
        .map_err(|e| AuthError::io(path, e))
}
