//! Non-resource endpoints: health, version, discovery and OpenAPI.

use http::{Request, header};
use hyper::body::Incoming;
use kubehci_api::ApiError;
use serde_json::json;

use crate::discovery;
use crate::negotiate::negotiate;
use crate::request_info::RequestInfo;
use crate::respond::{self, Resp};
use crate::state::State;

/// The Kubernetes version we speak.
pub fn version_info() -> serde_json::Value {
    json!({
        "major": "1",
        "minor": "33",
        "gitVersion": concat!("v1.33.0-kubehci.", env!("CARGO_PKG_VERSION")),
        "gitCommit": "",
        "gitTreeState": "clean",
        "buildDate": "1970-01-01T00:00:00Z",
        "goVersion": "rust",
        "compiler": "rustc",
        "platform": "linux/amd64",
        "emulationMajor": "1",
        "emulationMinor": "33",
        "minCompatibilityMajor": "1",
        "minCompatibilityMinor": "32",
    })
}

pub async fn serve(state: &State, req: &Request<Incoming>, info: &RequestInfo) -> Resp {
    let path = info.path.trim_end_matches('/');
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    match path {
        "/healthz" | "/livez" => return respond::text(200, "ok"),
        "/readyz" => {
            return if state.ready.load(std::sync::atomic::Ordering::Acquire) {
                respond::text(200, "ok")
            } else {
                respond::text(
                    500,
                    "[-]poststarthook/kubehci-bootstrap failed: not finished\nreadyz check failed",
                )
            };
        }
        "/version" => return respond::json(200, &version_info()),
        "/openapi/v2" => {
            let docs = state.openapi.get();
            return if accept.is_some_and(kubehci_schema::wants_v2_protobuf) {
                bytes_response(kubehci_schema::OPENAPI_V2_PROTOBUF, docs.v2_protobuf())
            } else {
                bytes_response("application/json", docs.v2_json())
            };
        }
        "/openapi/v3" => {
            return bytes_response("application/json", state.openapi.get().v3_index_json());
        }
        _ => {}
    }
    if let Some(gv) = path.strip_prefix("/openapi/v3/") {
        let docs = state.openapi.get();
        return match docs.v3_document(gv) {
            Some(d) => {
                let mut r = bytes_response("application/json", d.json.clone());
                r.headers_mut().insert(
                    header::CACHE_CONTROL,
                    http::HeaderValue::from_static("public, immutable"),
                );
                r
            }
            None => respond::error(&ApiError::path_not_found()),
        };
    }
    let neg = match negotiate(accept) {
        Ok(n) => n,
        Err(e) => return respond::error(&e),
    };
    let cat = state.catalog.snapshot();
    let doc = match (path, info.prefix.as_str()) {
        ("/api", _) => match neg.discovery_v2 {
            Some(v) => Some(discovery::aggregated(&cat, true, v)),
            None => Some(discovery::api_versions(&state.config.listen.to_string())),
        },
        ("/apis", _) => match neg.discovery_v2 {
            Some(v) => Some(discovery::aggregated(&cat, false, v)),
            None => Some(discovery::api_group_list(&cat)),
        },
        (_, "api") if info.group.is_empty() => {
            discovery::api_resource_list(&cat, "", &info.version)
        }
        (_, "apis") if info.version.is_empty() => discovery::api_group(&cat, &info.group),
        (_, "apis") => discovery::api_resource_list(&cat, &info.group, &info.version),
        _ => None,
    };
    match doc {
        Some(d) => {
            let mut n = neg.clone();
            if n.discovery_v2.is_none() {
                n.content_type = "application/json".into();
            }
            respond::object(200, &d, &n, false)
        }
        None => respond::error(&ApiError::path_not_found()),
    }
}

fn bytes_response(ct: &'static str, body: std::sync::Arc<[u8]>) -> Resp {
    let mut r = http::Response::new(axum::body::Body::from(bytes::Bytes::from_owner(body)));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, http::HeaderValue::from_static(ct));
    r
}
