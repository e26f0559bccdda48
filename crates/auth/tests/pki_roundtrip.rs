//! Certificates issued by `pki` authenticate as the identity they were issued for, over a
//! real (in-memory) rustls handshake.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::IpAddr;
use std::sync::Arc;

use base64::Engine as _;
use kubehci_auth::authn::{Authenticator, user_from_client_cert};
use kubehci_auth::pki::{
    self, ClusterCa, Kubeconfig, apiserver_names, certs_from_pem, kubeconfig_yaml,
};
use kubehci_auth::{StaticTokens, UserInfo};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

fn der(pem: &str) -> Vec<u8> {
    certs_from_pem(pem).unwrap().remove(0)
}

fn key(pem: &str) -> PrivateKeyDer<'static> {
    let (_, p) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap();
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(p.contents))
}

#[test]
fn client_cert_round_trips_to_user_info() {
    let ca = ClusterCa::generate("kubernetes").unwrap();
    let admin = ca
        .issue_client("kubernetes-admin", &["system:masters"])
        .unwrap();
    let user = user_from_client_cert(&der(&admin.cert_pem))
        .unwrap()
        .unwrap();
    assert_eq!(user.name, "kubernetes-admin");
    assert_eq!(user.groups, vec!["system:masters"]);
    let id = &user.extra["authentication.kubernetes.io/credential-id"][0];
    assert!(id.starts_with("X509SHA256=") && id.len() == 11 + 64);

    let multi = ca.issue_client("alice", &["dev", "ops", "qa"]).unwrap();
    let auth = Authenticator::new(Arc::new(StaticTokens::new()));
    let alice = auth
        .authenticate(Some(&der(&multi.cert_pem)), None)
        .unwrap();
    assert_eq!(alice.name, "alice");
    assert_eq!(
        alice.groups,
        vec!["dev", "ops", "qa", "system:authenticated"]
    );

    let none = ca.issue_client("carol", &[]).unwrap();
    assert!(
        user_from_client_cert(&der(&none.cert_pem))
            .unwrap()
            .unwrap()
            .groups
            .is_empty()
    );
}

#[test]
fn authenticator_chain_follows_upstream_order() {
    let ca = ClusterCa::generate("kubernetes").unwrap();
    let cert = der(&ca.issue_client("alice", &["dev"]).unwrap().cert_pem);
    let nameless = der(&ca.issue_client("", &["dev"]).unwrap().cert_pem);
    let tokens = StaticTokens::parse("tok123,bob,42,\"a,b\"\n", "t.csv").unwrap();
    let auth = Authenticator::new(Arc::new(tokens));
    assert_eq!(
        auth.authenticate(Some(&cert), Some("Bearer tok123"))
            .unwrap()
            .name,
        "alice"
    );
    let bob = auth
        .authenticate(Some(&nameless), Some("Bearer tok123"))
        .unwrap();
    assert_eq!((bob.name.as_str(), bob.uid.as_str()), ("bob", "42"));
    assert_eq!(bob.groups, vec!["a", "b", "system:authenticated"]);
    assert!(auth.authenticate(None, Some("Bearer nope")).is_err());
    assert_eq!(
        auth.authenticate(None, None).unwrap(),
        UserInfo::anonymous()
    );
    assert_eq!(
        auth.authenticate(None, Some("Basic Zm9vOmJhcg==")).unwrap(),
        UserInfo::anonymous()
    );
    let closed = Authenticator {
        anonymous: false,
        ..auth
    };
    assert!(closed.authenticate(None, None).is_err());
}

#[test]
fn serving_cert_names_and_ca_reload() {
    let ca = ClusterCa::generate("kubernetes").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (crt, key_path) = (dir.path().join("ca.crt"), dir.path().join("ca.key"));
    ca.save(&crt, &key_path).unwrap();
    let loaded = ClusterCa::load(&crt, &key_path).unwrap();
    assert_eq!(loaded.cert_pem(), ca.cert_pem());

    let (dns, ips) = apiserver_names(
        "node-1",
        "10.96.0.1".parse().unwrap(),
        &["192.168.1.10".parse().unwrap()],
    );
    let serving = loaded.issue_serving("kube-apiserver", &dns, &ips).unwrap();
    let d = der(&serving.cert_pem);
    let (_, cert) = X509Certificate::from_der(&d).unwrap();
    let san = cert.subject_alternative_name().unwrap().unwrap();
    let mut names = Vec::new();
    let mut addrs = Vec::new();
    for n in &san.value.general_names {
        match n {
            GeneralName::DNSName(s) => names.push(s.to_string()),
            GeneralName::IPAddress(b) => addrs.push(match b.len() {
                4 => IpAddr::from(<[u8; 4]>::try_from(*b).unwrap()),
                _ => IpAddr::from(<[u8; 16]>::try_from(*b).unwrap()),
            }),
            _ => {}
        }
    }
    for want in [
        "localhost",
        "node-1",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
    ] {
        assert!(names.contains(&want.to_string()), "{want}");
    }
    for want in ["127.0.0.1", "::1", "10.96.0.1", "192.168.1.10"] {
        assert!(addrs.contains(&want.parse().unwrap()), "{want}");
    }
    assert!(ClusterCa::from_pem("junk", "junk").is_err());
}

/// Moves TLS bytes between the two ends until both finish the handshake.
fn handshake(client: &mut rustls::ClientConnection, server: &mut rustls::ServerConnection) {
    for _ in 0..20 {
        let mut buf = Vec::new();
        client.write_tls(&mut buf).unwrap();
        server.read_tls(&mut buf.as_slice()).unwrap();
        server.process_new_packets().unwrap();
        let mut buf = Vec::new();
        server.write_tls(&mut buf).unwrap();
        client.read_tls(&mut buf.as_slice()).unwrap();
        client.process_new_packets().unwrap();
        if !client.is_handshaking() && !server.is_handshaking() {
            return;
        }
    }
    panic!("handshake did not finish");
}

#[test]
fn tls_handshake_presents_the_client_identity() {
    let ca = ClusterCa::generate("kubernetes").unwrap();
    let (dns, ips) = apiserver_names("node-1", "10.96.0.1".parse().unwrap(), &[]);
    let serving = ca.issue_serving("kube-apiserver", &dns, &ips).unwrap();
    let server_config = Arc::new(pki::server_config(ca.cert_pem(), &serving).unwrap());
    let client_cert = ca
        .issue_client("kubernetes-admin", &["system:masters", "ops"])
        .unwrap();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(ca.cert_der().to_vec()))
        .unwrap();
    let client_config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(
            vec![CertificateDer::from(der(&client_cert.cert_pem))],
            key(&client_cert.key_pem),
        )
        .unwrap();
    for host in ["kubernetes.default.svc", "localhost", "10.96.0.1"] {
        let name = ServerName::try_from(host.to_string()).unwrap();
        let mut client =
            rustls::ClientConnection::new(Arc::new(client_config.clone()), name).unwrap();
        let mut server = rustls::ServerConnection::new(server_config.clone()).unwrap();
        handshake(&mut client, &mut server);
        let leaf = server.peer_certificates().unwrap()[0].to_vec();
        let user = user_from_client_cert(&leaf).unwrap().unwrap();
        assert_eq!(user.name, "kubernetes-admin");
        assert_eq!(user.groups, vec!["system:masters", "ops"]);
        client.writer().write_all(b"ping").unwrap();
        let mut buf = Vec::new();
        client.write_tls(&mut buf).unwrap();
        server.read_tls(&mut buf.as_slice()).unwrap();
        server.process_new_packets().unwrap();
        let mut got = [0u8; 4];
        server.reader().read_exact(&mut got).unwrap();
        assert_eq!(&got, b"ping");
    }
}

#[test]
fn kubeconfig_embeds_the_credentials() {
    let ca = ClusterCa::generate("kubernetes").unwrap();
    let admin = ca
        .issue_client("kubernetes-admin", &["system:masters"])
        .unwrap();
    let yaml = kubeconfig_yaml(&Kubeconfig {
        cluster_name: "kubernetes".into(),
        server: "https://127.0.0.1:6443".into(),
        ca_pem: ca.cert_pem().to_string(),
        user_name: "kubernetes-admin".into(),
        client: Some(admin.clone()),
        ..Default::default()
    })
    .unwrap();
    let v: serde_json::Value = serde_yaml::from_str(&yaml).unwrap();
    let decode = |p: &serde_json::Value| {
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(p.as_str().unwrap())
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(
        decode(&v["clusters"][0]["cluster"]["certificate-authority-data"]),
        ca.cert_pem()
    );
    assert_eq!(
        decode(&v["users"][0]["user"]["client-certificate-data"]),
        admin.cert_pem
    );
    assert_eq!(
        decode(&v["users"][0]["user"]["client-key-data"]),
        admin.key_pem
    );
    assert_eq!(v["contexts"][0]["name"], "kubernetes-admin@kubernetes");
}

/// A kubeadm-style CA: RSA, key in PKCS#1 (`RSA PRIVATE KEY`), made with openssl.
#[test]
fn kubeadm_style_rsa_ca_issues_client_certs() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let ca = ClusterCa::load(&dir.join("rsa-ca.crt"), &dir.join("rsa-ca.key")).unwrap();
    let c = ca.issue_client("alice", &["dev", "ops"]).unwrap();
    let leaf = der(&c.cert_pem);
    let user = user_from_client_cert(&leaf).unwrap().unwrap();
    assert_eq!(user.groups, vec!["dev", "ops"]);

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(ca.cert_der().to_vec()))
        .unwrap();
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .unwrap();
    verifier
        .verify_client_cert(
            &CertificateDer::from(leaf),
            &[],
            rustls::pki_types::UnixTime::now(),
        )
        .unwrap();
}
