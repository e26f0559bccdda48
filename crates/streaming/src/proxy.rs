//! Proxying a request to a backend over an already open connection, as the kubelet and the
//! API server do for streaming requests: plain requests have their response streamed back;
//! connection upgrades (SPDY or WebSocket) are answered with the backend's `101` and the two
//! upgraded connections are then spliced byte for byte.

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode, header};
use http_body_util::{BodyExt as _, Empty, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};

/// The error type of response bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// A response body.
pub type Body = BoxBody<Bytes, BoxError>;

/// A whole body.
pub fn full(data: impl Into<Bytes>) -> Body {
    Full::new(data.into()).map_err(|e| match e {}).boxed()
}

/// A plain-text response.
pub fn text(status: StatusCode, msg: impl Into<String>) -> Response<Body> {
    let mut r = Response::new(full(msg.into()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Whether a request asks for a connection upgrade (`Connection: Upgrade` and `Upgrade: ...`).
pub fn is_upgrade<B>(req: &Request<B>) -> bool {
    let has = |name: header::HeaderName, token: &str| {
        req.headers().get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|s| s.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    has(header::CONNECTION, "upgrade") && req.headers().contains_key(header::UPGRADE)
}

/// Headers that are not forwarded: credentials meant for us, and framing.
fn forwardable(name: &header::HeaderName) -> bool {
    let n = name.as_str();
    !(n == "authorization"
        || n == "host"
        || n == "content-length"
        || n == "transfer-encoding"
        || n == "proxy-authorization"
        || n.starts_with("impersonate-"))
}

fn copy_headers(from: &HeaderMap, to: &mut HeaderMap) {
    for (k, v) in from {
        if forwardable(k) {
            to.append(k.clone(), v.clone());
        }
    }
}

/// Sends `req`'s method and headers (upgrade headers included, body not) to `path_and_query`
/// on the backend reached through `io`, with `Host: host`. A `101` is relayed and the
/// connections spliced; any other response is streamed back as it comes.
pub async fn proxy<IO>(
    mut req: Request<Incoming>,
    io: IO,
    host: &str,
    path_and_query: &str,
) -> Response<Body>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let upgrade = is_upgrade(&req);
    let client_upgrade = hyper::upgrade::on(&mut req);
    let mut out = Request::new(Empty::<Bytes>::new());
    *out.method_mut() = req.method().clone();
    *out.uri_mut() = match path_and_query.parse() {
        Ok(u) => u,
        Err(e) => return text(StatusCode::INTERNAL_SERVER_ERROR, format!("bad URL: {e}")),
    };
    copy_headers(req.headers(), out.headers_mut());
    if let Ok(h) = http::HeaderValue::from_str(host) {
        out.headers_mut().insert(header::HOST, h);
    }
    let (mut sender, conn) = match hyper::client::conn::http1::handshake(TokioIo::new(io)).await {
        Ok(c) => c,
        Err(e) => return bad_gateway(e),
    };
    tokio::spawn(async move {
        if let Err(e) = conn.with_upgrades().await {
            tracing::debug!(error = %e, "backend connection ended");
        }
    });
    let mut resp = match sender.send_request(out).await {
        Ok(r) => r,
        Err(e) => return bad_gateway(e),
    };
    if !upgrade || resp.status() != StatusCode::SWITCHING_PROTOCOLS {
        let (parts, body) = resp.into_parts();
        let mut r = Response::from_parts(parts, body.map_err(BoxError::from).boxed());
        r.headers_mut().remove(header::TRANSFER_ENCODING);
        return r;
    }
    let backend_upgrade = hyper::upgrade::on(&mut resp);
    let mut r = Response::new(full(Bytes::new()));
    *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    for (k, v) in resp.headers() {
        r.headers_mut().append(k.clone(), v.clone());
    }
    tokio::spawn(async move {
        let (client, backend) = match tokio::try_join!(client_upgrade, backend_upgrade) {
            Ok(p) => p,
            Err(e) => {
                tracing::debug!(error = %e, "upgrade failed");
                return;
            }
        };
        let mut client = TokioIo::new(client);
        let mut backend = TokioIo::new(backend);
        match tokio::io::copy_bidirectional(&mut client, &mut backend).await {
            Ok((up, down)) => tracing::debug!(up, down, "stream closed"),
            Err(e) => tracing::debug!(error = %e, "stream ended"),
        }
    });
    r
}

fn bad_gateway(e: impl std::fmt::Display) -> Response<Body> {
    text(
        StatusCode::BAD_GATEWAY,
        format!("error dialing backend: {e}"),
    )
}
