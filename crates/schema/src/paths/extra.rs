//! Watch and subresource paths of a resource.

use super::{Ctx, KindLookup, capitalize, patch_op, push};
use crate::catalog::{SubKind, WATCH_EVENT};
use crate::ops::{self, Param, PathItem, Payload};

const READ_WRITE: &[&str] = &["get", "put", "patch"];

pub(super) fn watch_paths(cx: &Ctx<'_>, base: &str, out: &mut Vec<PathItem>) {
    let (ep, gv, ns) = (cx.ep, &cx.gv, cx.ns);
    let event = Payload::Definition(WATCH_EVENT.into());
    let scope = if ep.namespaced {
        "/namespaces/{namespace}"
    } else {
        ""
    };
    let list_path = format!("{base}/watch{scope}/{}", ep.plural);
    let mut variants = vec![
        (
            list_path.clone(),
            format!("watch{gv}{ns}{}List", ep.kind),
            "watchlist",
            false,
        ),
        (
            format!("{list_path}/{{name}}"),
            format!("watch{gv}{ns}{}", ep.kind),
            "watch",
            true,
        ),
    ];
    if ep.namespaced {
        let all = format!("{base}/watch/{}", ep.plural);
        variants.push((
            all,
            format!("watch{gv}{}ListForAllNamespaces", ep.kind),
            "watchlist",
            false,
        ));
    }
    for (i, (path, id, action, named)) in variants.into_iter().enumerate() {
        let mut op = cx.op("get", id, action);
        op.description = if named {
            format!("watch changes to an object of kind {}", ep.kind)
        } else {
            format!("watch changes to a list of {}", ep.kind)
        };
        op.responses = ops::responses(&["200"], &event);
        op.produces = ops::LIST_TYPES;
        let mut params = ops::list_params();
        // The all-namespaces variant has neither name nor namespace.
        if i < 2 {
            params.extend(cx.scope_params(named));
        }
        params.push(ops::pretty_param());
        out.push(PathItem {
            path,
            params,
            ops: vec![op],
        });
    }
}

pub(super) fn subresource_paths(
    cx: &Ctx<'_>,
    item: &str,
    sub: &str,
    kind: SubKind,
    lookup: KindLookup<'_>,
    out: &mut Vec<PathItem>,
) {
    let (ep, gv, ns) = (cx.ep, &cx.gv, cx.ns);
    let suffix = format!("{}{}", ep.kind, capitalize(sub));
    let path = format!("{item}/{sub}");
    let mut ops_out = Vec::new();
    match kind {
        SubKind::Parent(_) | SubKind::Other { .. } => {
            let (object, gvk, methods) = match kind {
                SubKind::Other {
                    group,
                    version,
                    kind,
                } => match lookup(group, version, kind) {
                    Some(def) => (def, (group.into(), version.into(), kind.into()), READ_WRITE),
                    None => return,
                },
                SubKind::Parent(methods) => (
                    ep.definition.clone(),
                    (ep.group.clone(), ep.version.clone(), ep.kind.clone()),
                    methods,
                ),
                _ => return,
            };
            let object = Payload::Definition(object);
            let what = format!("{sub} of ");
            for m in methods {
                let mut op = match *m {
                    "get" => {
                        let mut op = cx.op("get", format!("read{gv}{ns}{suffix}"), "get");
                        op.description = format!("read {what}the specified {}", ep.kind);
                        op.responses = ops::responses(&["200"], &object);
                        op
                    }
                    "put" => {
                        let mut op = cx.op("put", format!("replace{gv}{ns}{suffix}"), "put");
                        op.description = format!("replace {what}the specified {}", ep.kind);
                        op.params = ops::write_params(false);
                        op.body = Some((object.clone(), true));
                        op.responses = ops::responses(&["200", "201"], &object);
                        op
                    }
                    _ => patch_op(cx, format!("patch{gv}{ns}{suffix}"), &object, &what),
                };
                op.gvk = Some(gvk.clone());
                ops_out.push(op);
            }
        }
        SubKind::Create {
            group,
            version,
            kind,
        } => {
            let Some(def) = lookup(group, version, kind) else {
                return;
            };
            let object = Payload::Definition(def);
            let mut op = cx.op("post", format!("create{gv}{ns}{suffix}"), "post");
            op.description = format!("create {sub} of a {}", ep.kind);
            op.params = ops::write_params(false);
            op.body = Some((object.clone(), true));
            op.responses = ops::responses(&["200", "201", "202"], &object);
            op.gvk = Some((group.into(), version.into(), kind.into()));
            ops_out.push(op);
        }
        SubKind::Text => {
            let mut op = cx.op("get", format!("read{gv}{ns}{suffix}"), "get");
            op.description = format!("read {sub} of the specified {}", ep.kind);
            op.params = ops::subresource_params(sub);
            op.responses = ops::responses(&["200"], &Payload::Text);
            op.produces = ops::TEXT_TYPES;
            ops_out.push(op);
        }
        SubKind::Connect { methods, options } => {
            for with_path in [false, true] {
                if with_path && sub != "proxy" {
                    continue;
                }
                let mut conn = Vec::new();
                for m in methods.iter().copied() {
                    let tail = if with_path { "WithPath" } else { "" };
                    let id = format!("connect{gv}{}{ns}{suffix}{tail}", capitalize(m));
                    let mut op = cx.op(m, id, "connect");
                    op.description = format!(
                        "connect {} requests to {sub} of {}",
                        m.to_uppercase(),
                        ep.kind
                    );
                    op.gvk = Some((ep.group.clone(), ep.version.clone(), options.to_string()));
                    op.responses = ops::responses(&["200"], &Payload::Text);
                    op.produces = ops::ANY;
                    conn.push(op);
                }
                let mut params = cx.scope_params(true);
                params.extend(ops::subresource_params(sub));
                let p = if with_path {
                    format!("{path}/{{path}}")
                } else {
                    path.clone()
                };
                if with_path {
                    params.push(Param::path("path", "path to the resource".into()));
                }
                out.push(PathItem {
                    path: p,
                    params,
                    ops: conn,
                });
            }
            return;
        }
    }
    push(out, &path, cx.scope_params(true), ops_out);
}
