//! The HTTPS front end: TLS (HTTP/2 and HTTP/1.1), authentication, impersonation,
//! authorization, then routing to discovery, OpenAPI, health and the REST handlers.

use std::net::SocketAddr;
use std::sync::Arc;

use http::{Method, Request, header};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use kubehci_api::ApiError;
use kubehci_auth::{Attributes, ImpersonationError, ImpersonationHeaders};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::negotiate::negotiate;
use crate::query::Query;
use crate::request_info::{self, RequestInfo};
use crate::respond::{self, Resp};
use crate::rest::{self, Ctx};
use crate::state::SharedState;

/// Paths anonymous clients may read.
fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/healthz" | "/readyz" | "/livez" | "/version" | "/version/"
    ) || path.starts_with("/healthz/")
        || path.starts_with("/readyz/")
        || path.starts_with("/livez/")
}

/// Accepts connections until the listener fails; each connection is served on its own task.
pub async fn serve(state: SharedState, listener: TcpListener, acceptor: TlsAcceptor) {
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let state = state.clone();
        tokio::spawn(async move {
            let tls = match acceptor.accept(tcp).await {
                Ok(t) => t,
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    return;
                }
            };
            let cert = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| c.as_ref().to_vec());
            let cert = Arc::new(cert);
            let svc = hyper::service::service_fn(move |req| {
                let state = state.clone();
                let cert = cert.clone();
                async move {
                    Ok::<_, std::convert::Infallible>(
                        handle(state, cert.as_deref(), peer, req).await,
                    )
                }
            });
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            if let Err(e) = builder
                .serve_connection_with_upgrades(TokioIo::new(tls), svc)
                .await
            {
                tracing::debug!(%peer, error = %e, "connection ended with error");
            }
        });
    }
}

async fn handle(
    state: SharedState,
    cert: Option<&[u8]>,
    _peer: SocketAddr,
    req: Request<Incoming>,
) -> Resp {
    let path = req.uri().path().to_string();
    let auth_header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let user = match state.authn.authenticate(cert, auth_header.as_deref()) {
        Ok(u) => u,
        Err(_) => return respond::error(&ApiError::unauthorized()),
    };
    if !crate::satokens::still_valid(&state, &user).await {
        return respond::error(&ApiError::unauthorized());
    }
    let anonymous = user.name == "system:anonymous";
    if anonymous && !is_public(&path) {
        return respond::error(&ApiError::unauthorized());
    }
    // Impersonation, checked as the requester.
    let imp_headers = ImpersonationHeaders::from_headers(
        req.headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?))),
    );
    let user = if imp_headers.is_empty() {
        user
    } else {
        match kubehci_auth::impersonate::impersonate(&user, &imp_headers, |u, a| {
            state.rbac.authorize(u, a)
        }) {
            Ok(Some(u)) => u,
            Ok(None) => user,
            Err(ImpersonationError::Forbidden(e)) => return respond::error(&e),
            Err(ImpersonationError::WithoutUser(m)) => {
                return respond::error(&ApiError::bad_request(m));
            }
        }
    };
    let query = match Query::parse(req.uri().query()) {
        Ok(q) => q,
        Err(e) => return respond::error(&e),
    };
    let info = request_info::parse(req.method(), &path, query.watch);
    // Authorization.
    if !(anonymous && is_public(&path)) {
        let attrs = attributes(&info);
        let decision = state.rbac.authorize(&user, &attrs);
        if !decision.allowed {
            return respond::error(&kubehci_auth::forbidden_error(
                &user.name,
                &attrs,
                &decision.reason,
            ));
        }
    }
    if rest::pod_proxy::handles(&info) {
        return rest::pod_proxy::serve(&state, req, &info).await;
    }
    if !info.is_resource_request {
        return crate::nonresource::serve(&state, &req, &info).await;
    }
    let catalog = state.catalog.snapshot();
    let Some(resource) = catalog
        .lookup(&info.group, &info.version, &info.resource)
        .cloned()
    else {
        return respond::error(&ApiError::path_not_found());
    };
    let neg = match negotiate(
        req.headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok()),
    ) {
        Ok(n) => n,
        Err(e) => return respond::error(&e),
    };
    if resource.namespaced()
        && info.namespace.is_empty()
        && !matches!(info.verb.as_str(), "list" | "watch" | "deletecollection")
    {
        // Writes and gets of namespaced objects need a namespace in the URL.
        if info.verb != "create" || !crate::reviews::is_review(&resource) {
            return respond::error(&ApiError::path_not_found());
        }
    }
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let max = state.config.max_body_bytes;
    let body = if matches!(*req.method(), Method::GET | Method::HEAD) {
        bytes::Bytes::new()
    } else {
        match read_body(req.into_body(), max).await {
            Ok(b) => b,
            Err(e) => return respond::error(&e),
        }
    };
    let extras = crate::crds::resource_extras(&state, &resource);
    let ctx = Ctx {
        info,
        resource: Arc::new(resource),
        query,
        neg,
        user_agent,
        content_type,
        user: Arc::new(user),
        warnings: Vec::new(),
        crd_columns: extras.columns,
        scale_paths: extras.scale_paths,
    };
    rest::serve(state, ctx, body).await
}

/// How much of an oversized body is read (and dropped) before answering 413, so that
/// HTTP/1.1 clients still writing their body see the Status instead of a reset.
const DRAIN_LIMIT: usize = 64 << 20;

/// Reads a request body of at most `max` bytes.
async fn read_body(mut body: Incoming, max: usize) -> Result<bytes::Bytes, ApiError> {
    let mut buf = bytes::BytesMut::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| ApiError::bad_request(format!("reading the request body: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if seen <= max {
            buf.extend_from_slice(&data);
        } else if seen > DRAIN_LIMIT {
            break;
        }
    }
    if seen > max {
        return Err(ApiError::request_entity_too_large(format!(
            "Request entity too large: limit is {max}"
        )));
    }
    Ok(buf.freeze())
}

fn attributes(info: &RequestInfo) -> Attributes {
    if info.is_resource_request {
        let mut a = Attributes::resource(
            &info.verb,
            &info.group,
            &info.resource,
            &info.namespace,
            &info.name,
        );
        a.subresource = info.subresource.clone();
        a.api_version = info.version.clone();
        a
    } else {
        Attributes::non_resource(&info.verb, &info.path)
    }
}
