//! WATCH: initial state (when asked), then store events filtered by selectors, with
//! bookmarks, timeouts and `410 Expired` for compacted revisions.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use bytes::Bytes;
use futures::StreamExt as _;
use http::{HeaderValue, Response, header};
use kubehci_api::{ApiError, ResourceInfo};

use crate::conversion::needs_conversion;
use kubehci_store::{Event, KeyValue, StoreError};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::ctx::Ctx;
use super::filter::ListFilter;
use super::render;
use crate::objects::{decode_as, list_prefix, set_resource_version, store_error};
use crate::respond::Resp;
use crate::state::State;

fn line(kind: &str, object: Value) -> Bytes {
    let mut v = serde_json::to_vec(&json!({"type": kind, "object": object})).unwrap_or_default();
    v.push(b'\n');
    Bytes::from(v)
}

fn error_event(err: &ApiError) -> Bytes {
    line("ERROR", err.to_status())
}

/// Serves a watch; the response streams until timeout, client hang-up or a fatal error.
pub async fn watch(state: Arc<State>, ctx: Ctx) -> Result<Resp, ApiError> {
    let info = ctx.resource.clone();
    let q = ctx.query.clone();
    let mut filter_q = q.clone();
    if !ctx.info.name.is_empty() {
        // A watch on a named URL is a watch filtered to that name.
        let name_sel = format!("metadata.name={}", ctx.info.name);
        filter_q.field_selector = if q.field_selector.is_empty() {
            name_sel
        } else {
            format!("{},{name_sel}", q.field_selector)
        };
    }
    let filter = ListFilter::new(&info, &filter_q)?;
    let prefix = list_prefix(&info, ctx.namespace());
    let send_initial = q
        .send_initial_events
        .unwrap_or(q.resource_version.is_empty() || q.resource_version == "0");
    if q.send_initial_events == Some(true)
        && (!q.allow_watch_bookmarks || q.resource_version_match != "NotOlderThan")
    {
        return Err(ApiError::invalid(
            "ListOptions.meta.k8s.io",
            "meta.k8s.io",
            "ListOptions",
            "",
            &[kubehci_api::FieldError::forbidden(
                "sendInitialEvents",
                "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled",
            )],
        ));
    }
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    // Initial state and the starting revision.
    let mut initial = Vec::new();
    let start_rev: i64 = if send_initial {
        let page = state
            .backend
            .list(&prefix, None, None, None)
            .await
            .map_err(|e| store_error(&info, "", e))?;
        for kv in &page.items {
            let obj = decode_as(&info, kv)?;
            if filter.matches(&obj) {
                initial.push(obj);
            }
        }
        page.revision
    } else {
        q.resource_version.parse::<i64>().map_err(|_| {
            ApiError::bad_request(format!("invalid resource version: {}", q.resource_version))
        })?
    };
    let stream = match state.backend.watch(&prefix, start_rev).await {
        Ok(s) => Some(s),
        Err(StoreError::Compacted {
            requested,
            compacted,
        }) => {
            let _ = tx.try_send(error_event(&ApiError::expired(format!(
                "too old resource version: {requested} ({compacted})"
            ))));
            None
        }
        Err(e) => return Err(store_error(&info, "", e)),
    };
    let timeout = q
        .timeout_seconds
        .map(std::time::Duration::from_secs)
        .unwrap_or(state.config.default_watch_timeout);
    let bookmarks = q.allow_watch_bookmarks;
    let interval = state.config.bookmark_interval;
    let table = render::wants_table(&ctx);
    let ctx = Arc::new(ctx);
    tokio::spawn(async move {
        let ctx = ctx;
        let render_obj = |obj: Value| render::render_watch_object(&ctx, obj);
        let mut last_rev = start_rev;
        for obj in initial {
            if tx.send(line("ADDED", render_obj(obj))).await.is_err() {
                return;
            }
        }
        if q.send_initial_events == Some(true) {
            let bm = json!({"kind": info.kind, "apiVersion": info.api_version(), "metadata": {
                "resourceVersion": start_rev.to_string(),
                "annotations": {"k8s.io/initial-events-end": "true"}}});
            if tx.send(line("BOOKMARK", bm)).await.is_err() {
                return;
            }
        }
        let Some(mut stream) = stream else { return };
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut tick = tokio::time::interval(interval);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                _ = tx.closed() => return,
                _ = tick.tick(), if bookmarks => {
                    let bm = json!({"kind": info.kind, "apiVersion": info.api_version(), "metadata": {"resourceVersion": last_rev.to_string()}});
                    let bm = if table { render_obj(bm) } else { bm };
                    if tx.send(line("BOOKMARK", bm)).await.is_err() { return; }
                }
                ev = stream.next() => {
                    let ev = match ev {
                        None => return,
                        Some(Err(StoreError::Compacted { requested, compacted })) => {
                            let _ = tx.send(error_event(&ApiError::expired(format!("too old resource version: {requested} ({compacted})")))).await;
                            return;
                        }
                        Some(Err(_)) => {
                            let _ = tx.send(error_event(&ApiError::expired("too old resource version: watcher fell behind; please re-list"))).await;
                            return;
                        }
                        Some(Ok(ev)) => ev,
                    };
                    last_rev = ev.revision();
                    if let Some((kind, src)) = classify(&info, &filter, &ev) {
                        let bytes = event_line(&ctx, kind, src);
                        if !bytes.is_empty() && tx.send(bytes).await.is_err() {
                            return;
                        }
                    }
                }
            }
        }
    });
    let body =
        Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx).map(Ok::<_, Infallible>));
    let mut resp = Response::new(body);
    let ct = if table {
        ctx_content_type_table()
    } else {
        "application/json".to_string()
    };
    if let Ok(v) = HeaderValue::from_str(&ct) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    Ok(resp)
}

fn ctx_content_type_table() -> String {
    "application/json;as=Table;v=v1;g=meta.k8s.io".to_string()
}

/// Maps a store event to a watch event through the filter, upstream-style: an object
/// that stops matching is DELETED for this watcher, one that starts matching is ADDED.
/// Maps a store event to a watch event through the filter, upstream-style: an object
/// that stops matching is DELETED for this watcher, one that starts matching is ADDED.
/// Without a selector nothing is decoded: the event's type follows from the store event.
fn classify<'a>(
    info: &ResourceInfo,
    filter: &ListFilter,
    ev: &'a Event,
) -> Option<(&'static str, Source<'a>)> {
    match ev {
        Event::Put { kv, prev } if filter.is_empty() && !needs_conversion(info) => Some((
            if prev.is_some() { "MODIFIED" } else { "ADDED" },
            Source::Stored(kv, kv.mod_revision),
        )),
        Event::Put { kv, prev } => {
            let obj = decode_as(info, kv).ok()?;
            let now_m = filter.matches(&obj);
            let was_m = prev
                .as_ref()
                .and_then(|p| decode_as(info, p).ok())
                .is_some_and(|o| filter.matches(&o));
            match (prev.is_some() && was_m, now_m) {
                (true, true) => Some(("MODIFIED", Source::Decoded(obj))),
                (false, true) => Some(("ADDED", Source::Decoded(obj))),
                (true, false) => Some(("DELETED", Source::Decoded(obj))),
                (false, false) => None,
            }
        }
        Event::Delete { prev, revision } if filter.is_empty() && !needs_conversion(info) => {
            Some(("DELETED", Source::Stored(prev, *revision)))
        }
        Event::Delete { prev, revision } => {
            let mut obj = decode_as(info, prev).ok()?;
            if !filter.matches(&obj) {
                return None;
            }
            set_resource_version(&mut obj, *revision);
            Some(("DELETED", Source::Decoded(obj)))
        }
    }
}

/// The object of a watch event: stored bytes (with the revision to stamp) or decoded.
enum Source<'a> {
    Stored(&'a KeyValue, i64),
    Decoded(Value),
}

/// One watch event line. Plain JSON watches splice the stored bytes (no parse, no
/// re-serialisation per watcher); Table and metadata renderings decode.
fn event_line(ctx: &Ctx, kind: &str, src: Source<'_>) -> Bytes {
    let plain = ctx.neg.render == crate::negotiate::Render::Object;
    match src {
        Source::Stored(kv, rev) if plain => {
            let mut out = Vec::with_capacity(kv.value.len() + 64);
            out.extend_from_slice(b"{\"type\":\"");
            out.extend_from_slice(kind.as_bytes());
            out.extend_from_slice(b"\",\"object\":");
            if crate::objects::write_with_resource_version(&mut out, &kv.value, rev).is_err() {
                return Bytes::new();
            }
            out.extend_from_slice(b"}\n");
            Bytes::from(out)
        }
        Source::Stored(kv, rev) => match decode_as(&ctx.resource, kv) {
            Ok(mut obj) => {
                set_resource_version(&mut obj, rev);
                line(kind, render::render_watch_object(ctx, obj))
            }
            Err(_) => Bytes::new(),
        },
        Source::Decoded(obj) => line(kind, render::render_watch_object(ctx, obj)),
    }
}
