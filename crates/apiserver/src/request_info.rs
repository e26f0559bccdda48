//! Turns a request path and method into upstream's `RequestInfo`: verb, group, version,
//! namespace, resource, subresource and name.

use http::Method;

/// What a request addresses, as upstream's `RequestInfoFactory` sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestInfo {
    pub is_resource_request: bool,
    pub path: String,
    /// Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection,
    /// or the lower-cased HTTP method for non-resource requests.
    pub verb: String,
    /// `api` or `apis`.
    pub prefix: String,
    pub group: String,
    pub version: String,
    pub namespace: String,
    pub resource: String,
    pub subresource: String,
    pub name: String,
    /// Path segments after the api prefix and group/version.
    pub parts: Vec<String>,
}

/// Parses a request like upstream does. `watch` is `true` when the query has
/// `watch=true|1` (legacy `/watch/` paths are handled too).
pub fn parse(method: &Method, path: &str, watch_param: bool) -> RequestInfo {
    let mut info = RequestInfo {
        path: path.to_string(),
        verb: method.as_str().to_lowercase(),
        ..Default::default()
    };
    let segs: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let Some(first) = segs.first() else {
        return info;
    };
    if *first != "api" && *first != "apis" {
        return info;
    }
    let mut rest: &[&str] = &segs[1..];
    info.prefix = (*first).to_string();
    if *first == "apis" {
        let Some(g) = rest.first() else { return info };
        info.group = (*g).to_string();
        rest = &rest[1..];
    }
    let Some(v) = rest.first() else { return info };
    info.version = (*v).to_string();
    rest = &rest[1..];
    if rest.is_empty() {
        return info;
    }
    info.is_resource_request = true;
    let mut verb = match *method {
        Method::POST => "create",
        Method::GET | Method::HEAD => "get",
        Method::PUT => "update",
        Method::PATCH => "patch",
        Method::DELETE => "delete",
        _ => "",
    }
    .to_string();
    if rest.first() == Some(&"watch") {
        verb = "watch".to_string();
        rest = &rest[1..];
    }
    // namespaces/{ns}/{resource}... except the namespace object itself.
    if rest.first() == Some(&"namespaces") {
        // As upstream: the namespace name is the request's namespace even when the
        // namespace object itself is addressed (`/namespaces/{name}[/status|/finalize]`).
        if rest.len() > 1 {
            info.namespace = rest[1].to_string();
            if rest.len() > 2 && rest[2] != "status" && rest[2] != "finalize" {
                rest = &rest[2..];
            }
        }
    }
    info.parts = rest.iter().map(|s| (*s).to_string()).collect();
    match rest.len() {
        0 => {}
        1 => info.resource = rest[0].to_string(),
        2 => {
            info.resource = rest[0].to_string();
            info.name = rest[1].to_string();
        }
        _ => {
            info.resource = rest[0].to_string();
            info.name = rest[1].to_string();
            info.subresource = rest[2].to_string();
        }
    }
    if info.name.is_empty() {
        if verb == "get" {
            verb = if watch_param { "watch" } else { "list" }.to_string();
        } else if verb == "delete" {
            verb = "deletecollection".to_string();
        }
    } else if verb == "get" && watch_param {
        verb = "watch".to_string();
    }
    info.verb = verb;
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_upstream_shapes() {
        let i = parse(&Method::GET, "/api/v1/namespaces/default/pods", false);
        assert_eq!(
            (i.verb.as_str(), i.namespace.as_str(), i.resource.as_str()),
            ("list", "default", "pods")
        );
        let i = parse(&Method::GET, "/api/v1/namespaces/default/pods", true);
        assert_eq!(i.verb, "watch");
        let i = parse(&Method::GET, "/api/v1/namespaces/default", false);
        assert_eq!(
            (
                i.verb.as_str(),
                i.resource.as_str(),
                i.name.as_str(),
                i.namespace.as_str()
            ),
            ("get", "namespaces", "default", "default")
        );
        let i = parse(
            &Method::PUT,
            "/apis/apps/v1/namespaces/a/deployments/web/scale",
            false,
        );
        assert_eq!(
            (i.group.as_str(), i.subresource.as_str(), i.verb.as_str()),
            ("apps", "scale", "update")
        );
        let i = parse(
            &Method::DELETE,
            "/apis/apps/v1/namespaces/a/deployments",
            false,
        );
        assert_eq!(i.verb, "deletecollection");
        let i = parse(&Method::GET, "/api/v1/watch/namespaces/a/pods/x", false);
        assert_eq!((i.verb.as_str(), i.name.as_str()), ("watch", "x"));
        let i = parse(&Method::PUT, "/api/v1/namespaces/a/finalize", false);
        assert_eq!(
            (i.resource.as_str(), i.name.as_str(), i.subresource.as_str()),
            ("namespaces", "a", "finalize")
        );
        let i = parse(&Method::GET, "/healthz", false);
        assert!(!i.is_resource_request);
        let i = parse(&Method::GET, "/apis/apps/v1", false);
        assert!(!i.is_resource_request);
    }
}
