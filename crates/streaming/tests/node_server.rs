//! The node streaming server over real TLS on loopback: who may call it, log requests and
//! their errors, and upgrade splicing to a runtime streaming endpoint.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty};
use hyper_util::rt::TokioIo;
use kubehci_auth::pki::ClusterCa;
use kubehci_streaming::client::{client_config, connect};
use kubehci_streaming::node::{LogSource, StreamError, StreamOptions, StreamRuntime};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Logs from a fixed file for container `c` of `default/p`; exec/attach/port-forward go to
/// `url`.
struct Fake {
    log: PathBuf,
    url: String,
}

#[async_trait]
impl StreamRuntime for Fake {
    async fn container_log(
        &self,
        ns: &str,
        pod: &str,
        c: &str,
        previous: bool,
    ) -> Result<LogSource, StreamError> {
        if (ns, pod, c) != ("default", "p", "c") {
            return Err(StreamError::NotFound(format!(
                "container {c:?} not found in pod {pod:?}"
            )));
        }
        if previous {
            return Err(StreamError::BadRequest(format!(
                "previous terminated container {c:?} in pod {pod:?} not found"
            )));
        }
        Ok(LogSource {
            path: self.log.clone(),
            running: false,
        })
    }
    async fn is_running(&self, _: &str, _: &str, _: &str, _: &Path) -> bool {
        false
    }
    async fn exec(
        &self,
        _: &str,
        _: &str,
        _: &str,
        cmd: Vec<String>,
        o: StreamOptions,
    ) -> Result<String, StreamError> {
        assert_eq!(cmd, ["sh", "-c", "echo hi"]);
        assert!(o.stdin && o.stdout && !o.stderr && o.tty);
        Ok(self.url.clone())
    }
    async fn attach(
        &self,
        _: &str,
        _: &str,
        _: &str,
        _: StreamOptions,
    ) -> Result<String, StreamError> {
        Ok(self.url.clone())
    }
    async fn port_forward(&self, _: &str, _: &str, _: Vec<u16>) -> Result<String, StreamError> {
        Ok(self.url.clone())
    }
}

/// A stand-in runtime streaming endpoint: answers an upgrade with 101, then echoes.
async fn echo_upgrade_server() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut b = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if s.read(&mut b).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(b[0]);
                }
                let head = String::from_utf8_lossy(&head).to_lowercase();
                assert!(head.starts_with("post /exec/token "), "{head}");
                assert!(
                    head.contains("x-stream-protocol-version: v4.channel.k8s.io"),
                    "{head}"
                );
                assert!(!head.contains("authorization"), "{head}");
                s.write_all(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n").await.unwrap();
                let (mut r, mut w) = s.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
    });
    format!("http://{addr}/exec/token")
}

struct Setup {
    _dir: tempfile::TempDir,
    ca: ClusterCa,
    ca_file: PathBuf,
    dir: PathBuf,
    port: u16,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn setup() -> Setup {
    let dir = common::short_tempdir();
    let ca = ClusterCa::generate("test-ca").unwrap();
    let tls = common::serving_files(&ca, dir.path());
    let log = dir.path().join("c.log");
    std::fs::write(
        &log,
        "2024-01-01T00:00:01Z stdout F one\n2024-01-01T00:00:02Z stderr F two\n",
    )
    .unwrap();
    let rt = Fake {
        log,
        url: echo_upgrade_server().await,
    };
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(kubehci_streaming::serve(
        l,
        tls.clone(),
        Arc::new(rt),
        async move {
            let _ = rx.await;
        },
    ));
    Setup {
        ca_file: tls.client_ca,
        dir: dir.path().to_path_buf(),
        _dir: dir,
        ca,
        port,
        _stop: tx,
    }
}

async fn get(s: &Setup, user: &str, groups: &[&str], path: &str) -> anyhow::Result<(u16, String)> {
    let (crt, key) = common::client_files(&s.ca, &s.dir, user, user, groups);
    let cfg = Arc::new(client_config(&s.ca_file, &crt, &key)?);
    let conn = connect(cfg, "127.0.0.1", s.port).await?;
    let (mut send, c) = hyper::client::conn::http1::handshake(TokioIo::new(conn)).await?;
    tokio::spawn(c);
    let resp = send
        .send_request(
            http::Request::get(path)
                .header("host", "127.0.0.1")
                .body(Empty::<Bytes>::new())?,
        )
        .await?;
    let code = resp.status().as_u16();
    let body = resp.into_body().collect().await?.to_bytes();
    Ok((code, String::from_utf8_lossy(&body).into_owned()))
}

#[tokio::test]
async fn only_the_api_server_identity_or_masters_may_call() {
    let s = setup().await;
    let logs = "/containerLogs/default/p/c";
    let ok = (200, "one\ntwo\n".to_string());
    assert_eq!(
        get(&s, "kube-apiserver-kubelet-client", &[], logs)
            .await
            .unwrap(),
        ok
    );
    assert_eq!(
        get(&s, "admin", &["system:masters"], logs).await.unwrap(),
        ok
    );
    assert_eq!(
        get(&s, "bob", &["developers"], logs).await.unwrap(),
        (
            403,
            "Forbidden (user=bob, verb=get, resource=nodes, subresource=proxy)".to_string()
        )
    );
    // A certificate from another CA is refused during the handshake.
    let other = ClusterCa::generate("other").unwrap();
    let (crt, key) = common::client_files(
        &other,
        &s.dir,
        "intruder",
        "kube-apiserver-kubelet-client",
        &[],
    );
    let cfg = Arc::new(client_config(&s.ca_file, &crt, &key).unwrap());
    let refused = async {
        let conn = connect(cfg, "127.0.0.1", s.port).await?;
        let (mut send, c) = hyper::client::conn::http1::handshake(TokioIo::new(conn)).await?;
        tokio::spawn(c);
        send.send_request(http::Request::get(logs).body(Empty::<Bytes>::new())?)
            .await?;
        anyhow::Ok(())
    };
    assert!(refused.await.is_err());
    // No client certificate at all: refused too.
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(
            s.ca.cert_der().to_vec(),
        ))
        .unwrap();
    let anon = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let refused = async {
        let conn = connect(Arc::new(anon), "127.0.0.1", s.port).await?;
        let (mut send, c) = hyper::client::conn::http1::handshake(TokioIo::new(conn)).await?;
        tokio::spawn(c);
        send.send_request(http::Request::get(logs).body(Empty::<Bytes>::new())?)
            .await?;
        anyhow::Ok(())
    };
    assert!(refused.await.is_err());
}

#[tokio::test]
async fn log_options_and_errors() {
    let s = setup().await;
    let user = "kube-apiserver-kubelet-client";
    let q = |p: &str| format!("/containerLogs/default/p/c?{p}");
    assert_eq!(
        get(&s, user, &[], &q("tailLines=1")).await.unwrap(),
        (200, "two\n".into())
    );
    assert_eq!(
        get(&s, user, &[], &q("timestamps=true&limitBytes=25"))
            .await
            .unwrap(),
        (200, "2024-01-01T00:00:01Z one\n".into())
    );
    assert_eq!(
        get(&s, user, &[], &q("previous=true")).await.unwrap(),
        (
            400,
            "previous terminated container \"c\" in pod \"p\" not found".into()
        )
    );
    assert_eq!(
        get(&s, user, &[], &q("tailLines=-1")).await.unwrap(),
        (
            400,
            "tailLines: Invalid value: must be greater than or equal to 0".into()
        )
    );
    assert_eq!(
        get(&s, user, &[], "/containerLogs/default/p/x")
            .await
            .unwrap(),
        (404, "container \"x\" not found in pod \"p\"".into())
    );
    assert_eq!(get(&s, user, &[], "/nothing").await.unwrap().0, 404);
}

#[tokio::test]
async fn exec_upgrades_are_spliced_to_the_runtime() {
    let s = setup().await;
    let (crt, key) = common::client_files(&s.ca, &s.dir, "k", "kube-apiserver-kubelet-client", &[]);
    let cfg = Arc::new(client_config(&s.ca_file, &crt, &key).unwrap());
    let conn = connect(cfg, "127.0.0.1", s.port).await.unwrap();
    let (mut send, c) = hyper::client::conn::http1::handshake(TokioIo::new(conn))
        .await
        .unwrap();
    tokio::spawn(c.with_upgrades());
    let req = http::Request::post(
        "/exec/default/p/c?command=sh&command=-c&command=echo+hi&input=1&output=1&tty=1",
    )
    .header("host", "127.0.0.1")
    .header("connection", "Upgrade")
    .header("upgrade", "SPDY/3.1")
    .header("x-stream-protocol-version", "v4.channel.k8s.io")
    .header("authorization", "Bearer must-not-be-forwarded")
    .body(Empty::<Bytes>::new())
    .unwrap();
    let mut resp = send.send_request(req).await.unwrap();
    assert_eq!(resp.status(), 101);
    assert_eq!(
        resp.headers()["x-stream-protocol-version"],
        "v4.channel.k8s.io"
    );
    let mut io = TokioIo::new(hyper::upgrade::on(&mut resp).await.unwrap());
    io.write_all(b"ping over the splice").await.unwrap();
    let mut buf = [0u8; 20];
    io.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"ping over the splice");
}
