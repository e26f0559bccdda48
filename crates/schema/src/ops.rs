//! A format-neutral description of the REST operations served for a resource, rendered
//! into Swagger 2.0 by `v2` and OpenAPI 3.0 by `v3`.

use serde_json::{Map, Value, json};

use crate::definitions::gvk_value;

/// One parameter (path or query).
#[derive(Debug, Clone)]
pub(crate) struct Param {
    pub name: &'static str,
    /// `path` or `query`.
    pub location: &'static str,
    /// `string`, `boolean` or `integer`.
    pub ty: &'static str,
    pub required: bool,
    pub description: String,
}

impl Param {
    pub fn query(name: &'static str, ty: &'static str, description: &str) -> Self {
        Param {
            name,
            location: "query",
            ty,
            required: false,
            description: description.into(),
        }
    }

    pub fn path(name: &'static str, description: String) -> Self {
        Param {
            name,
            location: "path",
            ty: "string",
            required: true,
            description,
        }
    }
}

/// What a response or request body carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Payload {
    /// An object of a definition.
    Definition(String),
    /// A patch document (any of the patch content types).
    Patch,
    /// A plain string (logs, connect streams).
    Text,
}

#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub code: &'static str,
    pub description: &'static str,
    pub payload: Option<Payload>,
}

/// One operation on a path.
#[derive(Debug, Clone)]
pub(crate) struct Operation {
    /// Lower-case HTTP method.
    pub method: &'static str,
    pub id: String,
    pub description: String,
    /// `x-kubernetes-action`.
    pub action: &'static str,
    /// `x-kubernetes-group-version-kind` (group, version, kind).
    pub gvk: Option<(String, String, String)>,
    pub params: Vec<Param>,
    /// Request body and whether it is required.
    pub body: Option<(Payload, bool)>,
    pub responses: Vec<Response>,
    pub consumes: &'static [&'static str],
    pub produces: &'static [&'static str],
    pub tag: String,
}

/// A path with its shared parameters and its operations.
#[derive(Debug, Clone)]
pub(crate) struct PathItem {
    pub path: String,
    pub params: Vec<Param>,
    pub ops: Vec<Operation>,
}

impl PathItem {
    /// The path item object, each operation and parameter rendered by the document's
    /// own functions (Swagger 2.0 and OpenAPI 3.0 differ there).
    pub fn render(&self, operation: fn(&Operation) -> Value, param: fn(&Param) -> Value) -> Value {
        let mut out = Map::new();
        for op in &self.ops {
            out.insert(op.method.to_string(), operation(op));
        }
        if !self.params.is_empty() {
            out.insert("parameters".into(), self.params.iter().map(param).collect());
        }
        Value::Object(out)
    }
}

impl Operation {
    /// Adds `x-kubernetes-action` and `x-kubernetes-group-version-kind`, as both
    /// documents carry them.
    pub fn add_extensions(&self, out: &mut Value) {
        if !self.action.is_empty() {
            out["x-kubernetes-action"] = json!(self.action);
        }
        if let Some((g, v, k)) = &self.gvk {
            out["x-kubernetes-group-version-kind"] = gvk_value(g, v, k);
        }
    }
}

pub(crate) const ANY: &[&str] = &["*/*"];
pub(crate) const OBJECT_TYPES: &[&str] = &["application/json", "application/yaml"];
pub(crate) const LIST_TYPES: &[&str] = &[
    "application/json",
    "application/yaml",
    "application/json;stream=watch",
];
pub(crate) const TEXT_TYPES: &[&str] = &["text/plain", "application/json", "application/yaml"];
/// Patch content types of built-in kinds.
pub(crate) const PATCH_TYPES: &[&str] = &[
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
];
/// Custom resources do not support strategic merge patch.
pub(crate) const CUSTOM_PATCH_TYPES: &[&str] = &[
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
];

/// `Ok` / `Created` / `Accepted` / `Unauthorized` responses carrying `payload`.
pub(crate) fn responses(codes: &[&'static str], payload: &Payload) -> Vec<Response> {
    let mut out: Vec<Response> = codes
        .iter()
        .map(|code| Response {
            code,
            description: match *code {
                "201" => "Created",
                "202" => "Accepted",
                _ => "OK",
            },
            payload: Some(payload.clone()),
        })
        .collect();
    out.push(Response {
        code: "401",
        description: "Unauthorized",
        payload: None,
    });
    out
}

/// Parameters shared by requests that write (POST, PUT, PATCH).
pub(crate) fn write_params(patch: bool) -> Vec<Param> {
    let mut params = vec![
        Param::query(
            "dryRun",
            "string",
            "When present, the request is processed but nothing is persisted. The only valid \
             value is All: run every dry-run stage.",
        ),
        Param::query(
            "fieldManager",
            "string",
            if patch {
                "Name of the actor making these changes: at most 128 printable characters. \
                 Required for apply patches, optional for the other patch types."
            } else {
                "Name of the actor making these changes: at most 128 printable characters."
            },
        ),
        Param::query(
            "fieldValidation",
            "string",
            "What the server does with unknown or duplicate fields in the body: Ignore drops \
             them silently, Warn (the default) drops them and says so in Warning headers, \
             Strict rejects the request with BadRequest naming every such field.",
        ),
    ];
    if patch {
        params.push(Param::query(
            "force",
            "boolean",
            "For apply patches: take over fields that other managers own. Must be unset for \
             other patch types.",
        ));
    }
    params
}

/// Parameters of DELETE requests.
pub(crate) fn delete_params() -> Vec<Param> {
    vec![
        Param::query(
            "dryRun",
            "string",
            "When present, the request is processed but nothing is deleted. The only valid \
             value is All.",
        ),
        Param::query(
            "gracePeriodSeconds",
            "integer",
            "Seconds to wait before deleting; 0 deletes at once. Unset uses the kind's default.",
        ),
        Param::query(
            "ignoreStoreReadErrorWithClusterBreakingPotential",
            "boolean",
            "Delete an object that cannot be read from storage (unsafe: skips finalizers and \
             preconditions).",
        ),
        Param::query(
            "orphanDependents",
            "boolean",
            "Deprecated, use propagationPolicy: whether dependents are orphaned.",
        ),
        Param::query(
            "propagationPolicy",
            "string",
            "How dependents are garbage collected: Orphan, Background or Foreground.",
        ),
    ]
}

/// Parameters of LIST and WATCH requests.
pub(crate) fn list_params() -> Vec<Param> {
    vec![
        Param::query(
            "allowWatchBookmarks",
            "boolean",
            "Ask for BOOKMARK watch events.",
        ),
        Param::query(
            "continue",
            "string",
            "Token from a previous paginated list, to fetch the next page.",
        ),
        Param::query(
            "fieldSelector",
            "string",
            "Only objects whose fields match this selector.",
        ),
        Param::query(
            "labelSelector",
            "string",
            "Only objects whose labels match this selector.",
        ),
        Param::query("limit", "integer", "Most objects to return in one page."),
        Param::query(
            "resourceVersion",
            "string",
            "Resource version the request is served at.",
        ),
        Param::query(
            "resourceVersionMatch",
            "string",
            "How resourceVersion applies to a list: Exact or NotOlderThan.",
        ),
        Param::query(
            "sendInitialEvents",
            "boolean",
            "With watch: begin with synthetic ADDED events for the current objects.",
        ),
        Param::query(
            "timeoutSeconds",
            "integer",
            "Time limit of the list or watch call.",
        ),
        Param::query("watch", "boolean", "Watch for changes instead of listing."),
    ]
}

/// `pretty`, present on every path.
pub(crate) fn pretty_param() -> Param {
    Param::query(
        "pretty",
        "string",
        "If 'true', the output is pretty printed.",
    )
}

/// Query parameters of the streaming subresources.
pub(crate) fn subresource_params(sub: &str) -> Vec<Param> {
    let q = Param::query;
    match sub {
        "log" => vec![
            q(
                "container",
                "string",
                "Container whose log to stream; defaults to the only one.",
            ),
            q("follow", "boolean", "Keep streaming as the log grows."),
            q(
                "insecureSkipTLSVerifyBackend",
                "boolean",
                "Skip verifying the kubelet's certificate.",
            ),
            q("limitBytes", "integer", "Stop after this many bytes."),
            q(
                "previous",
                "boolean",
                "Log of the previous, terminated container instance.",
            ),
            q(
                "sinceSeconds",
                "integer",
                "Only lines newer than this many seconds.",
            ),
            q("stream", "string", "Which stream: All, Stdout or Stderr."),
            q("tailLines", "integer", "Only this many lines from the end."),
            q(
                "timestamps",
                "boolean",
                "Prefix every line with its RFC 3339 timestamp.",
            ),
        ],
        "exec" | "attach" => {
            let mut params = Vec::new();
            if sub == "exec" {
                params.push(q(
                    "command",
                    "string",
                    "Command to run, one argument per value.",
                ));
            }
            params.extend([
                q(
                    "container",
                    "string",
                    "Container to use; defaults to the only one.",
                ),
                q("stderr", "boolean", "Stream the container's stderr."),
                q("stdin", "boolean", "Stream stdin to the container."),
                q("stdout", "boolean", "Stream the container's stdout."),
                q("tty", "boolean", "Allocate a terminal."),
            ]);
            params
        }
        "portforward" => vec![q("ports", "integer", "Ports to forward.")],
        "proxy" => vec![q("path", "string", "Path to proxy to.")],
        _ => Vec::new(),
    }
}
