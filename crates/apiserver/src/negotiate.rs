//! Content negotiation: what the client accepts (JSON, YAML, Table,
//! PartialObjectMetadata, aggregated discovery) and decoding of request bodies.

use kubehci_api::ApiError;
use serde_json::Value;

/// How a response object should be rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Render {
    #[default]
    Object,
    /// `as=Table;g=meta.k8s.io;v=v1` (or v1beta1).
    Table { v1beta1: bool },
    /// `as=PartialObjectMetadata[List]`.
    PartialMetadata { v1beta1: bool },
}

/// Serialisation format of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Json,
    Yaml,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Negotiated {
    pub render: Render,
    pub format: Format,
    /// Aggregated discovery v2 (or v2beta1) was asked for.
    pub discovery_v2: Option<&'static str>,
    /// The exact media type to answer with.
    pub content_type: String,
}

struct MediaRange<'a> {
    mime: &'a str,
    params: Vec<(&'a str, &'a str)>,
}

fn parse_accept(accept: &str) -> Vec<MediaRange<'_>> {
    accept
        .split(',')
        .map(|part| {
            let mut it = part.split(';').map(str::trim);
            let mime = it.next().unwrap_or("");
            let params = it
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.trim(), v.trim()))
                .collect();
            MediaRange { mime, params }
        })
        .collect()
}

/// Chooses the first acceptable representation in the client's order, as upstream does.
pub fn negotiate(accept: Option<&str>) -> Result<Negotiated, ApiError> {
    let accept = accept.unwrap_or("").trim();
    if accept.is_empty() {
        return Ok(json_plain());
    }
    for r in parse_accept(accept) {
        let p = |k: &str| r.params.iter().find(|(pk, _)| *pk == k).map(|(_, v)| *v);
        let format = match r.mime {
            "application/json" | "application/*" | "*/*" | "application/json-seq" => Format::Json,
            "application/yaml" => Format::Yaml,
            // We do not speak protobuf; clients list JSON after it.
            _ => continue,
        };
        match (p("as"), p("g"), p("v")) {
            (None, _, _) => {
                let mut n = json_plain();
                n.format = format;
                if format == Format::Yaml {
                    n.content_type = "application/yaml".into();
                }
                return Ok(n);
            }
            (Some("Table"), Some("meta.k8s.io"), Some(v @ ("v1" | "v1beta1")))
                if format == Format::Json =>
            {
                return Ok(Negotiated {
                    render: Render::Table {
                        v1beta1: v == "v1beta1",
                    },
                    format,
                    discovery_v2: None,
                    content_type: format!("application/json;as=Table;v={v};g=meta.k8s.io"),
                });
            }
            (
                Some(as_ @ ("PartialObjectMetadata" | "PartialObjectMetadataList")),
                Some("meta.k8s.io"),
                Some(v @ ("v1" | "v1beta1")),
            ) if format == Format::Json => {
                return Ok(Negotiated {
                    render: Render::PartialMetadata {
                        v1beta1: v == "v1beta1",
                    },
                    format,
                    discovery_v2: None,
                    content_type: format!("application/json;as={as_};v={v};g=meta.k8s.io"),
                });
            }
            (
                Some("APIGroupDiscoveryList"),
                Some("apidiscovery.k8s.io"),
                Some(v @ ("v2" | "v2beta1")),
            ) if format == Format::Json => {
                let v: &'static str = if v == "v2" { "v2" } else { "v2beta1" };
                return Ok(Negotiated {
                    render: Render::Object,
                    format,
                    discovery_v2: Some(v),
                    content_type: format!(
                        "application/json;g=apidiscovery.k8s.io;v={v};as=APIGroupDiscoveryList"
                    ),
                });
            }
            _ => continue,
        }
    }
    Err(ApiError::not_acceptable(
        "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf",
    ))
}

fn json_plain() -> Negotiated {
    Negotiated {
        content_type: "application/json".into(),
        ..Default::default()
    }
}

/// Body formats of writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyType {
    Json,
    Yaml,
    /// `application/vnd.kubernetes.protobuf` (kubectl's typed clients send it).
    Protobuf,
    JsonPatch,
    MergePatch,
    StrategicMergePatch,
    ApplyPatch,
}

pub fn body_type(content_type: Option<&str>) -> Result<BodyType, ApiError> {
    let ct = content_type.unwrap_or("application/json");
    let mime = ct.split(';').next().unwrap_or("").trim();
    Ok(match mime {
        "application/json" | "" | "*/*" => BodyType::Json,
        "application/yaml" => BodyType::Yaml,
        "application/vnd.kubernetes.protobuf" => BodyType::Protobuf,
        "application/json-patch+json" => BodyType::JsonPatch,
        "application/merge-patch+json" => BodyType::MergePatch,
        "application/strategic-merge-patch+json" => BodyType::StrategicMergePatch,
        "application/apply-patch+yaml" | "application/apply-patch+cbor"
            if mime.ends_with("yaml") =>
        {
            BodyType::ApplyPatch
        }
        _ => return Err(ApiError::unsupported_media_type(ct)),
    })
}

/// Maximum nesting depth accepted in a request body (upstream caps decoding depth too).
const MAX_DEPTH: usize = 10_000;

/// Decodes a JSON or YAML object body into a `Value`, with upstream-shaped errors.
pub fn decode_object(bytes: &[u8], yaml: bool) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("the body of the request was empty"));
    }
    let v: Value = if yaml {
        yaml_to_value(bytes)?
    } else {
        check_depth(bytes)?;
        serde_json::from_slice(bytes).map_err(|e| {
            ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))
        })?
    };
    Ok(v)
}

/// Decodes a body of any object type (JSON, YAML, protobuf envelope).
pub fn decode_any(bt: BodyType, bytes: &[u8]) -> Result<Value, ApiError> {
    match bt {
        BodyType::Json => decode_object(bytes, false),
        BodyType::Yaml => decode_object(bytes, true),
        BodyType::Protobuf => kubehci_proto::decode_envelope(bytes)
            .map(|(_, _, obj)| obj)
            .map_err(|e| ApiError::bad_request(format!("failed to decode protobuf body: {e}"))),
        _ => Err(ApiError::unsupported_media_type(
            "patch types are only valid for PATCH",
        )),
    }
}

/// Parses YAML (a single document) into JSON.
pub fn yaml_to_value(bytes: &[u8]) -> Result<Value, ApiError> {
    check_depth(bytes)?;
    let y: serde_yaml::Value = serde_yaml::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("error converting YAML to JSON: yaml: {e}")))?;
    serde_json::to_value(y)
        .map_err(|e| ApiError::bad_request(format!("error converting YAML to JSON: {e}")))
}

/// Rejects bodies nested deeper than `MAX_DEPTH` before a recursive parser sees them.
fn check_depth(bytes: &[u8]) -> Result<(), ApiError> {
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    for &b in bytes {
        if in_str {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(ApiError::bad_request(format!(
                        "the object is nested too deeply: the maximum depth is {MAX_DEPTH}"
                    )));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_get_negotiates_table() {
        let n = negotiate(Some(
            "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
        ))
        .unwrap();
        assert_eq!(n.render, Render::Table { v1beta1: false });
        let d = negotiate(Some(
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json",
        ))
        .unwrap();
        assert_eq!(d.discovery_v2, Some("v2"));
        assert_eq!(
            d.content_type,
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
        );
        let p = negotiate(Some("application/vnd.kubernetes.protobuf, */*")).unwrap();
        assert_eq!(p.format, Format::Json);
        assert!(negotiate(Some("text/html")).is_err());
    }

    #[test]
    fn deep_bodies_are_refused_not_overflowing() {
        let deep = "[".repeat(200_000);
        assert_eq!(decode_object(deep.as_bytes(), false).unwrap_err().code, 400);
        assert_eq!(decode_object(b"{", false).unwrap_err().code, 400);
        assert_eq!(decode_object(b"a: [", true).unwrap_err().code, 400);
    }
}
