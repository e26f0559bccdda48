//! `pods/log`, `pods/exec`, `pods/attach` and `pods/portforward`: checks as upstream's pod
//! registry does (container, node), then proxies to the node agent's streaming server
//! (`/containerLogs`, `/exec`, `/attach`, `/portForward`) over TLS with the kubelet-client
//! certificate. Upgrades (SPDY, WebSocket) are relayed and spliced by
//! [`kubehci_streaming::proxy::proxy`].

use std::sync::Arc;

use http::{Method, Request, StatusCode};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use kubehci_api::ApiError;
use serde_json::Value;

mod checks;

use checks::{log_location, port_forward_location, stream_location};

use crate::request_info::RequestInfo;
use crate::respond::{self, Resp};
use crate::rest::read::get_object;
use crate::state::State;

/// The kubelet's port when the Node does not say (`daemonEndpoints.kubeletEndpoint.Port`).
const DEFAULT_KUBELET_PORT: u16 = 10250;

/// Whether this module serves the request.
pub fn handles(info: &RequestInfo) -> bool {
    info.is_resource_request
        && info.group.is_empty()
        && info.resource == "pods"
        && !info.name.is_empty()
        && matches!(
            info.subresource.as_str(),
            "log" | "exec" | "attach" | "portforward"
        )
}

/// Serves one pod streaming request (already authenticated and authorized).
pub async fn serve(state: &State, req: Request<Incoming>, info: &RequestInfo) -> Resp {
    match serve_inner(state, req, info).await {
        Ok(r) => r,
        Err(e) => respond::error(&e),
    }
}

fn query_pairs(req: &Request<Incoming>) -> Result<Vec<(String, String)>, ApiError> {
    serde_urlencoded::from_str(req.uri().query().unwrap_or(""))
        .map_err(|e| ApiError::bad_request(format!("invalid query: {e}")))
}

async fn serve_inner(
    state: &State,
    req: Request<Incoming>,
    info: &RequestInfo,
) -> Result<Resp, ApiError> {
    let gr = kubehci_api::GroupResource::new("", "pods");
    let sub = info.subresource.as_str();
    let method_ok = match sub {
        "log" => req.method() == Method::GET,
        _ => req.method() == Method::GET || req.method() == Method::POST,
    };
    if !method_ok {
        let verb = info.verb.as_str();
        return Err(ApiError::method_not_supported(&gr, verb));
    }
    let catalog = state.catalog.snapshot();
    let pods = catalog
        .lookup("", "v1", "pods")
        .cloned()
        .ok_or_else(ApiError::path_not_found)?;
    let (pod, _) = get_object(state, &pods, &info.namespace, &info.name).await?;
    let pairs = query_pairs(&req)?;
    let (path, params) = match sub {
        "log" => log_location(&pod, &info.name, &pairs)?,
        "exec" | "attach" => stream_location(&pod, &info.name, sub, &pairs)?,
        _ => port_forward_location(&pod, &info.name, &pairs)?,
    };
    let Some(path) = path else {
        // Logs of a pod without a node: an empty stream, as upstream.
        return Ok(respond::text(200, ""));
    };
    let node_name = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let (host, port) = node_address(state, &catalog, node_name).await?;
    let Some(tls) = state.kubelet_client.clone() else {
        return Err(ApiError::internal("no kubelet client credentials"));
    };
    let query = serde_urlencoded::to_string(&params).map_err(ApiError::internal)?;
    let path_and_query = if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    };
    let conn = kubehci_streaming::client::connect(tls, &host, port)
        .await
        .map_err(|e| ApiError::internal(format!("error dialing backend: {e}")))?;
    let authority = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    if sub == "log" {
        return log_stream(conn, &authority, &path_and_query, &info.name).await;
    }
    let resp = kubehci_streaming::proxy::proxy(req, conn, &authority, &path_and_query).await;
    Ok(resp.map(axum::body::Body::new))
}

/// GETs the node agent's log and streams it; its errors become `Status` as upstream's
/// response checker makes them.
async fn log_stream(
    conn: tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
    authority: &str,
    path_and_query: &str,
    pod: &str,
) -> Result<Resp, ApiError> {
    let (mut sender, c) = hyper::client::conn::http1::handshake(TokioIo::new(conn))
        .await
        .map_err(ApiError::internal)?;
    tokio::spawn(async move {
        if let Err(e) = c.await {
            tracing::debug!(error = %e, "node log connection ended");
        }
    });
    let req = Request::get(path_and_query)
        .header(http::header::HOST, authority)
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .map_err(ApiError::internal)?;
    let resp = sender.send_request(req).await.map_err(ApiError::internal)?;
    let status = resp.status();
    if status.is_success() {
        let body = axum::body::Body::new(resp.into_body());
        let mut r = http::Response::new(body);
        r.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("text/plain"),
        );
        return Ok(r);
    }
    let text = resp
        .into_body()
        .collect()
        .await
        .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
        .unwrap_or_default();
    Err(match status {
        StatusCode::BAD_REQUEST => ApiError::bad_request(text.trim_end().to_string()),
        StatusCode::NOT_FOUND => {
            ApiError::not_found(&kubehci_api::GroupResource::new("", "pods"), pod)
        }
        StatusCode::INTERNAL_SERVER_ERROR => ApiError::internal(text.trim_end()),
        s => ApiError::new(s.as_u16(), "", text.trim_end().to_string()),
    })
}

/// (host, port) of the node agent: InternalIP, else Hostname, else ExternalIP, and the
/// kubelet endpoint port.
async fn node_address(
    state: &State,
    catalog: &crate::catalog::Catalog,
    node: &str,
) -> Result<(String, u16), ApiError> {
    let nodes = catalog
        .lookup("", "v1", "nodes")
        .cloned()
        .ok_or_else(ApiError::path_not_found)?;
    let (obj, _) = get_object(state, &nodes, "", node).await?;
    let addresses = obj
        .pointer("/status/addresses")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let find = |t: &str| {
        addresses.iter().find_map(|a| {
            (a.get("type").and_then(Value::as_str) == Some(t))
                .then(|| a.get("address").and_then(Value::as_str))
                .flatten()
                .map(str::to_string)
        })
    };
    let host = find("InternalIP")
        .or_else(|| find("Hostname"))
        .or_else(|| find("ExternalIP"))
        .ok_or_else(|| ApiError::bad_request(format!("node {node:?} has no address")))?;
    let port = obj
        .pointer("/status/daemonEndpoints/kubeletEndpoint/Port")
        .and_then(Value::as_u64)
        .and_then(|p| u16::try_from(p).ok())
        .filter(|p| *p != 0)
        .unwrap_or(DEFAULT_KUBELET_PORT);
    Ok((host, port))
}

/// Upstream's `ValidatePodLogOptions`: out-of-range values are `422 Invalid` on
/// `PodLogOptions`; values that do not parse are `400` (as the parameter decoder fails).
fn validate_log_options(q: &[(String, String)], name: &str) -> Result<(), ApiError> {
    use kubehci_api::FieldError;
    let int = |key: &str| -> Result<Option<i64>, ApiError> {
        match q.iter().find(|(k, _)| k == key) {
            None => Ok(None),
            Some((_, v)) => v.parse().map(Some).map_err(|_| {
                ApiError::bad_request(format!("strconv.ParseInt: parsing {v:?}: invalid syntax"))
            }),
        }
    };
    let mut errs = Vec::new();
    if let Some(n) = int("tailLines")?.filter(|n| *n < 0) {
        errs.push(FieldError::invalid(
            "tailLines",
            n,
            "must be greater than or equal to 0",
        ));
    }
    if let Some(n) = int("limitBytes")?.filter(|n| *n < 1) {
        errs.push(FieldError::invalid(
            "limitBytes",
            n,
            "must be greater than 0",
        ));
    }
    let since_seconds = int("sinceSeconds")?;
    if since_seconds.is_some() && q.iter().any(|(k, _)| k == "sinceTime") {
        errs.push(FieldError::forbidden(
            "",
            "at most one of `sinceTime` or `sinceSeconds` may be specified",
        ));
    } else if let Some(n) = since_seconds.filter(|n| *n < 1) {
        errs.push(FieldError::invalid(
            "sinceSeconds",
            n,
            "must be greater than 0",
        ));
    }
    if errs.is_empty() {
        return Ok(());
    }
    Err(ApiError::invalid(
        "PodLogOptions",
        "",
        "PodLogOptions",
        name,
        &errs,
    ))
}

/// The kubelet-client TLS config shared by all requests.
pub type KubeletClient = Option<Arc<rustls::ClientConfig>>;

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn log_options_are_validated_as_upstream() {
        assert!(validate_log_options(&q(&[("tailLines", "0"), ("limitBytes", "1")]), "p").is_ok());
        let e = validate_log_options(&q(&[("tailLines", "-1")]), "p").unwrap_err();
        assert_eq!(e.code, 422);
        assert_eq!(
            e.message,
            "PodLogOptions \"p\" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0"
        );
        let e = validate_log_options(&q(&[("sinceSeconds", "0")]), "p").unwrap_err();
        assert!(
            e.message
                .ends_with("sinceSeconds: Invalid value: 0: must be greater than 0")
        );
        let e = validate_log_options(&q(&[("tailLines", "x")]), "p").unwrap_err();
        assert_eq!(e.code, 400);
    }
}
