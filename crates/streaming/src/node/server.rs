//! The node agent's streaming HTTPS server: `containerLogs`, `exec`, `attach` and
//! `portForward` at the kubelet's paths, for the API server only.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt as _, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use super::tls::{allowed, identity, server_config};
use super::{ServerTlsFiles, StreamError, StreamOptions, StreamRuntime};
use crate::logs::{LogOptions, copy_log};
use crate::proxy::{Body, proxy, text};
use crate::translate::{PORT_FORWARD_TUNNEL, V5_CHANNEL, exec_over_websocket, port_forward_tunnel};

/// Serves the streaming API on `listener` until `shutdown` completes. Every client must present
/// a certificate signed by `tls.client_ca`; only `CN=kube-apiserver-kubelet-client` or group
/// `system:masters` get further than `403`.
pub async fn serve(
    listener: TcpListener,
    tls: ServerTlsFiles,
    runtime: Arc<dyn StreamRuntime>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), StreamError> {
    let acceptor = TlsAcceptor::from(Arc::new(server_config(&tls)?));
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            () = &mut shutdown => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "streaming server: accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let runtime = runtime.clone();
        tokio::spawn(async move {
            let stream = match acceptor.accept(tcp).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "streaming server: TLS handshake failed");
                    return;
                }
            };
            let who = stream
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .and_then(|c| identity(c.as_ref()))
                .unwrap_or_else(|| ("system:anonymous".into(), Vec::new()));
            let who = Arc::new(who);
            let svc = hyper::service::service_fn(move |req| {
                let runtime = runtime.clone();
                let who = who.clone();
                async move { Ok::<_, Infallible>(handle(req, runtime, &who).await) }
            });
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .with_upgrades()
                .await
            {
                tracing::debug!(%peer, error = %e, "streaming connection ended");
            }
        });
    }
}

fn error_response(e: &StreamError) -> Response<Body> {
    let status = match e {
        StreamError::NotFound(_) => StatusCode::NOT_FOUND,
        StreamError::BadRequest(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    text(status, e.to_string())
}

fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

async fn handle(
    req: Request<Incoming>,
    runtime: Arc<dyn StreamRuntime>,
    who: &(String, Vec<String>),
) -> Response<Body> {
    let (user, groups) = who;
    let seg = segments(req.uri().path());
    if !allowed(user, groups) {
        let verb = if req.method() == Method::GET {
            "get"
        } else {
            "create"
        };
        return text(
            StatusCode::FORBIDDEN,
            format!("Forbidden (user={user}, verb={verb}, resource=nodes, subresource=proxy)"),
        );
    }
    let query = req.uri().query().unwrap_or("").to_string();
    let seg: Vec<&str> = seg.iter().map(String::as_str).collect();
    let result = match (req.method().clone(), seg.as_slice()) {
        (Method::GET, ["containerLogs", ns, pod, container]) => {
            container_logs(runtime, ns, pod, container, &query).await
        }
        (Method::GET | Method::POST, ["exec", ns, pod, container]) => {
            let p = StreamParams::parse(&query);
            match runtime.exec(ns, pod, container, p.command, p.opts).await {
                Ok(url) if wants(&req, V5_CHANNEL) => exec_over_websocket(req, &url, p.opts).await,
                Ok(url) => proxy_to_url(req, &url).await,
                Err(e) => Err(e),
            }
        }
        (Method::GET | Method::POST, ["attach", ns, pod, container]) => {
            let p = StreamParams::parse(&query);
            match runtime.attach(ns, pod, container, p.opts).await {
                Ok(url) if wants(&req, V5_CHANNEL) => exec_over_websocket(req, &url, p.opts).await,
                Ok(url) => proxy_to_url(req, &url).await,
                Err(e) => Err(e),
            }
        }
        (Method::GET | Method::POST, ["portForward", ns, pod]) => {
            let p = StreamParams::parse(&query);
            match runtime.port_forward(ns, pod, p.ports).await {
                Ok(url) if wants(&req, PORT_FORWARD_TUNNEL) => port_forward_tunnel(req, &url).await,
                Ok(url) => proxy_to_url(req, &url).await,
                Err(e) => Err(e),
            }
        }
        _ => Ok(text(StatusCode::NOT_FOUND, "404 page not found")),
    };
    result.unwrap_or_else(|e| error_response(&e))
}

/// Whether the request is a WebSocket upgrade offering `protocol`.
fn wants(req: &Request<Incoming>, protocol: &str) -> bool {
    crate::ws::is_websocket(req)
        && crate::ws::offered_protocols(req)
            .iter()
            .any(|p| p == protocol)
}

/// The kubelet's exec/attach/portForward query: `command` (repeated), `input`, `output`,
/// `error`, `tty`, and `port` (repeated). With `tty`, `error` is dropped (as the kubelet does).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct StreamParams {
    pub command: Vec<String>,
    pub opts: StreamOptions,
    pub ports: Vec<u16>,
}

impl StreamParams {
    pub fn parse(query: &str) -> Self {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
        let mut p = StreamParams::default();
        let truthy = |v: &str| matches!(v, "1" | "t" | "T" | "true" | "TRUE" | "True");
        for (k, v) in pairs {
            match k.as_str() {
                "command" => p.command.push(v),
                "input" => p.opts.stdin = truthy(&v),
                "output" => p.opts.stdout = truthy(&v),
                "error" => p.opts.stderr = truthy(&v),
                "tty" => p.opts.tty = truthy(&v),
                "port" | "ports" => {
                    p.ports
                        .extend(v.split(',').filter_map(|s| s.trim().parse::<u16>().ok()));
                }
                _ => {}
            }
        }
        // As the kubelet: a terminal has no separate stderr (CRI refuses both).
        if p.opts.tty {
            p.opts.stderr = false;
        }
        p
    }
}

/// Proxies the request (usually an upgrade) to the runtime's streaming URL
/// (`http://HOST:PORT/PATH`).
async fn proxy_to_url(req: Request<Incoming>, url: &str) -> Result<Response<Body>, StreamError> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| StreamError::Runtime(format!("runtime streaming URL {url:?}: {e}")))?;
    let authority = uri
        .authority()
        .ok_or_else(|| StreamError::Runtime(format!("runtime streaming URL {url:?} has no host")))?
        .clone();
    if uri.scheme_str() != Some("http") {
        return Err(StreamError::Runtime(format!(
            "runtime streaming URL {url:?}: only http is supported"
        )));
    }
    let port = authority.port_u16().unwrap_or(80);
    let tcp = TcpStream::connect((authority.host(), port))
        .await
        .map_err(|e| StreamError::Runtime(format!("dialing {url}: {e}")))?;
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    Ok(proxy(req, tcp, authority.as_str(), path).await)
}

async fn container_logs(
    runtime: Arc<dyn StreamRuntime>,
    ns: &str,
    pod: &str,
    container: &str,
    query: &str,
) -> Result<Response<Body>, StreamError> {
    let opts = LogOptions::from_query(query, chrono::Utc::now())
        .map_err(|e| StreamError::BadRequest(e.to_string()))?;
    let source = runtime
        .container_log(ns, pod, container, opts.previous)
        .await?;
    // Fail before answering 200 if the file cannot be opened.
    std::fs::metadata(&source.path).map_err(|e| {
        StreamError::NotFound(format!(
            "failed to open log file {:?}: {e}",
            source.path.display().to_string()
        ))
    })?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(16);
    let (ns, pod, container) = (ns.to_string(), pod.to_string(), container.to_string());
    tokio::spawn(async move {
        let path = source.path.clone();
        let running = || {
            let runtime = runtime.clone();
            let (ns, pod, container, path) =
                (ns.clone(), pod.clone(), container.clone(), path.clone());
            async move { source.running && runtime.is_running(&ns, &pod, &container, &path).await }
        };
        if let Err(e) = copy_log(&path, &opts, running, tx).await {
            tracing::warn!(error = %e, path = %path.display(), "reading container log");
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, crate::proxy::BoxError>(Frame::data(b)), rx))
    });
    let mut resp = Response::new(StreamBody::new(stream).boxed());
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain"),
    );
    Ok(resp)
}
