//! Building HTTP responses: objects in the negotiated format, and `Status` errors.

use axum::body::Body;
use http::{HeaderValue, Response, StatusCode, header};
use kubehci_api::ApiError;
use serde_json::Value;

use crate::negotiate::{Format, Negotiated};

pub type Resp = Response<Body>;

fn build(code: u16, content_type: &str, body: Vec<u8>) -> Resp {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

/// Serialises `obj` as the client negotiated (JSON or YAML).
pub fn object(code: u16, obj: &Value, neg: &Negotiated, pretty: bool) -> Resp {
    let body = match neg.format {
        Format::Yaml => serde_yaml::to_string(obj)
            .map(String::into_bytes)
            .unwrap_or_default(),
        Format::Json if pretty => serde_json::to_vec_pretty(obj).unwrap_or_default(),
        Format::Json => serde_json::to_vec(obj).unwrap_or_default(),
    };
    build(code, &neg.content_type, body)
}

/// Already serialised bytes of the given media type.
pub fn bytes(code: u16, content_type: &str, body: Vec<u8>) -> Resp {
    build(code, content_type, body)
}

/// Plain JSON.
pub fn json(code: u16, obj: &Value) -> Resp {
    build(
        code,
        "application/json",
        serde_json::to_vec(obj).unwrap_or_default(),
    )
}

pub fn text(code: u16, body: &str) -> Resp {
    let mut r = build(code, "text/plain; charset=utf-8", body.as_bytes().to_vec());
    r.headers_mut().insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// The `Status` body of an error.
pub fn error(err: &ApiError) -> Resp {
    let mut r = json(err.code, &err.to_status());
    if err.code == 401 {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"kubernetes-master\""),
        );
    }
    r
}

/// Adds `Warning: 299 - "..."` headers.
pub fn with_warnings(mut r: Resp, warnings: &[String]) -> Resp {
    for w in warnings {
        let escaped = w.replace('\\', "\\\\").replace('"', "\\\"");
        if let Ok(v) = HeaderValue::from_str(&format!("299 - \"{escaped}\"")) {
            r.headers_mut().append(header::WARNING, v);
        }
    }
    r
}
