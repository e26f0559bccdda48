//! The paths and operations upstream publishes for one resource: collection, item,
//! cluster-wide list, watch and subresource paths, named as upstream names them.

mod extra;

use crate::catalog::{self, API_RESOURCE_LIST, DELETE_OPTIONS, STATUS};
use crate::ops::{self, Operation, Param, PathItem, Payload};

/// One served resource with the definitions its operations use.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub group: String,
    pub version: String,
    pub plural: String,
    pub kind: String,
    pub namespaced: bool,
    pub verbs: Vec<String>,
    pub subresources: Vec<String>,
    pub definition: String,
    pub list_definition: Option<String>,
    /// A custom resource (no strategic merge patch, deletes return `Status`).
    pub custom: bool,
}

/// `/api/v1` or `/apis/<group>/<version>`.
pub(crate) fn prefix(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    }
}

/// Upstream's operation-id spelling of a group: `apps` -> `Apps`,
/// `rbac.authorization.k8s.io` -> `RbacAuthorization`, core -> `Core`.
fn group_camel(group: &str) -> String {
    if group.is_empty() {
        return "Core".into();
    }
    group
        .trim_end_matches(".k8s.io")
        .split(['.', '-'])
        .map(capitalize)
        .collect()
}

pub(super) fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The tag of a group-version: `apps_v1`, `core_v1`, `rbacAuthorization_v1`.
pub(crate) fn tag(group: &str, version: &str) -> String {
    let camel = group_camel(group);
    let mut chars = camel.chars();
    let lower: String = match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    };
    format!("{lower}_{version}")
}

/// Resources whose DELETE returns the deleted object rather than a `Status`.
fn delete_returns_object(group: &str, plural: &str) -> bool {
    match group {
        "" => matches!(
            plural,
            "pods"
                | "persistentvolumeclaims"
                | "persistentvolumes"
                | "podtemplates"
                | "resourcequotas"
                | "serviceaccounts"
                | "services"
        ),
        "storage.k8s.io" | "resource.k8s.io" => true,
        _ => false,
    }
}

pub(super) struct Ctx<'a> {
    pub ep: &'a Endpoint,
    /// `{G}{V}`, e.g. `AppsV1`.
    pub gv: String,
    /// `Namespaced` or empty.
    pub ns: &'static str,
    pub tag: String,
}

impl Ctx<'_> {
    pub fn op(&self, method: &'static str, id: String, action: &'static str) -> Operation {
        Operation {
            method,
            description: String::new(),
            id,
            action,
            gvk: Some((
                self.ep.group.clone(),
                self.ep.version.clone(),
                self.ep.kind.clone(),
            )),
            params: Vec::new(),
            body: None,
            responses: Vec::new(),
            consumes: ops::ANY,
            produces: ops::OBJECT_TYPES,
            tag: self.tag.clone(),
        }
    }

    pub fn scope_params(&self, with_name: bool) -> Vec<Param> {
        let mut params = Vec::new();
        if with_name {
            params.push(Param::path("name", format!("name of the {}", self.ep.kind)));
        }
        if self.ep.namespaced {
            params.push(Param::path(
                "namespace",
                "object name and auth scope".into(),
            ));
        }
        params
    }

    pub fn has(&self, verb: &str) -> bool {
        self.ep.verbs.iter().any(|v| v == verb)
    }
}

/// Looks up the definition of a built-in kind.
pub(crate) type KindLookup<'a> = &'a dyn Fn(&str, &str, &str) -> Option<String>;

/// Every path of one endpoint.
pub(crate) fn endpoint_paths(ep: &Endpoint, lookup: KindLookup<'_>) -> Vec<PathItem> {
    let cx = Ctx {
        ep,
        gv: format!("{}{}", group_camel(&ep.group), capitalize(&ep.version)),
        ns: if ep.namespaced { "Namespaced" } else { "" },
        tag: tag(&ep.group, &ep.version),
    };
    let base = prefix(&ep.group, &ep.version);
    let collection = if ep.namespaced {
        format!("{base}/namespaces/{{namespace}}/{}", ep.plural)
    } else {
        format!("{base}/{}", ep.plural)
    };
    let item = format!("{collection}/{{name}}");
    let mut out = Vec::new();
    push(
        &mut out,
        &collection,
        cx.scope_params(false),
        collection_ops(&cx),
    );
    push(&mut out, &item, cx.scope_params(true), item_ops(&cx));
    if let (true, Some(list)) = (ep.namespaced && cx.has("list"), &ep.list_definition) {
        let id = format!("list{}{}ForAllNamespaces", cx.gv, ep.kind);
        let mut op = cx.op("get", id, "list");
        op.description = format!("list or watch objects of kind {}", ep.kind);
        op.responses = ops::responses(&["200"], &Payload::Definition(list.clone()));
        op.produces = ops::LIST_TYPES;
        let mut params = ops::list_params();
        params.push(ops::pretty_param());
        let path = format!("{base}/{}", ep.plural);
        out.push(PathItem {
            path,
            params,
            ops: vec![op],
        });
    }
    if cx.has("watch") {
        extra::watch_paths(&cx, &base, &mut out);
    }
    for sub in &ep.subresources {
        if let Some(kind) = catalog::subresource(&ep.kind, sub) {
            extra::subresource_paths(&cx, &item, sub, kind, lookup, &mut out);
        }
    }
    out
}

/// The `GET /apis/<group>/<version>/` discovery path of a group-version.
pub(crate) fn discovery_path(group: &str, version: &str) -> PathItem {
    let gv = format!("{}{}", group_camel(group), capitalize(version));
    let op = Operation {
        method: "get",
        id: format!("get{gv}APIResources"),
        description: "get available resources".into(),
        action: "",
        gvk: None,
        params: Vec::new(),
        body: None,
        responses: ops::responses(&["200"], &Payload::Definition(API_RESOURCE_LIST.into())),
        consumes: ops::OBJECT_TYPES,
        produces: ops::OBJECT_TYPES,
        tag: tag(group, version),
    };
    PathItem {
        path: format!("{}/", prefix(group, version)),
        params: Vec::new(),
        ops: vec![op],
    }
}

pub(super) fn push(
    out: &mut Vec<PathItem>,
    path: &str,
    mut params: Vec<Param>,
    ops: Vec<Operation>,
) {
    if ops.is_empty() {
        return;
    }
    params.push(ops::pretty_param());
    out.push(PathItem {
        path: path.to_string(),
        params,
        ops,
    });
}

fn collection_ops(cx: &Ctx<'_>) -> Vec<Operation> {
    let (ep, gv, ns) = (cx.ep, &cx.gv, cx.ns);
    let object = Payload::Definition(ep.definition.clone());
    let mut ops_out = Vec::new();
    if let (true, Some(list)) = (cx.has("list"), &ep.list_definition) {
        let mut op = cx.op("get", format!("list{gv}{ns}{}", ep.kind), "list");
        op.description = format!("list or watch objects of kind {}", ep.kind);
        op.params = ops::list_params();
        op.responses = ops::responses(&["200"], &Payload::Definition(list.clone()));
        op.produces = ops::LIST_TYPES;
        ops_out.push(op);
    }
    if cx.has("create") {
        let mut op = cx.op("post", format!("create{gv}{ns}{}", ep.kind), "post");
        op.description = format!("create a {}", ep.kind);
        op.params = ops::write_params(false);
        op.body = Some((object.clone(), true));
        op.responses = ops::responses(&["200", "201", "202"], &object);
        ops_out.push(op);
    }
    if cx.has("deletecollection") {
        let mut op = cx.op(
            "delete",
            format!("delete{gv}Collection{ns}{}", ep.kind),
            "deletecollection",
        );
        op.description = format!("delete collection of {}", ep.kind);
        op.params = ops::delete_params();
        op.params.extend(
            ops::list_params()
                .into_iter()
                .filter(|p| p.name != "watch" && p.name != "allowWatchBookmarks"),
        );
        op.body = Some((Payload::Definition(DELETE_OPTIONS.into()), false));
        op.responses = ops::responses(&["200"], &Payload::Definition(STATUS.into()));
        ops_out.push(op);
    }
    ops_out
}

fn item_ops(cx: &Ctx<'_>) -> Vec<Operation> {
    let (ep, gv, ns) = (cx.ep, &cx.gv, cx.ns);
    let object = Payload::Definition(ep.definition.clone());
    let mut ops_out = Vec::new();
    if cx.has("get") {
        let mut op = cx.op("get", format!("read{gv}{ns}{}", ep.kind), "get");
        op.description = format!("read the specified {}", ep.kind);
        op.responses = ops::responses(&["200"], &object);
        ops_out.push(op);
    }
    if cx.has("update") {
        let mut op = cx.op("put", format!("replace{gv}{ns}{}", ep.kind), "put");
        op.description = format!("replace the specified {}", ep.kind);
        op.params = ops::write_params(false);
        op.body = Some((object.clone(), true));
        op.responses = ops::responses(&["200", "201"], &object);
        ops_out.push(op);
    }
    if cx.has("patch") {
        ops_out.push(patch_op(
            cx,
            format!("patch{gv}{ns}{}", ep.kind),
            &object,
            "",
        ));
    }
    if cx.has("delete") {
        let mut op = cx.op("delete", format!("delete{gv}{ns}{}", ep.kind), "delete");
        op.description = format!("delete a {}", ep.kind);
        op.params = ops::delete_params();
        op.body = Some((Payload::Definition(DELETE_OPTIONS.into()), false));
        let result = if !ep.custom && delete_returns_object(&ep.group, &ep.plural) {
            object.clone()
        } else {
            Payload::Definition(STATUS.into())
        };
        op.responses = ops::responses(&["200", "202"], &result);
        ops_out.push(op);
    }
    ops_out
}

pub(super) fn patch_op(cx: &Ctx<'_>, id: String, object: &Payload, what: &str) -> Operation {
    let mut op = cx.op("patch", id, "patch");
    op.description = format!("partially update {what}the specified {}", cx.ep.kind);
    op.params = ops::write_params(true);
    op.body = Some((Payload::Patch, true));
    op.consumes = if cx.ep.custom {
        ops::CUSTOM_PATCH_TYPES
    } else {
        ops::PATCH_TYPES
    };
    op.responses = ops::responses(&["200", "201"], object);
    op
}
