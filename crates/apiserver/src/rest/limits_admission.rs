//! LimitRanger admission for new pods: container defaults from `LimitRange`s of type
//! Container (`default` -> limits, `defaultRequest` -> requests) and their min, max and
//! maxLimitRequestRatio checks, with upstream's messages and annotation.

use kubehci_api::ApiError;
use kubehci_api::quantity::Quantity;
use serde_json::{Map, Value, json};

use crate::state::State;

fn milli(v: &Value) -> Option<i128> {
    Quantity::from_json(v)?.ok().map(|q| q.milli_value())
}

/// Upstream prints the LimitRange's own quantity strings in these messages.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub async fn admit(state: &State, ns: &str, pod: &mut Value) -> Result<(), ApiError> {
    let page = state
        .backend
        .list(
            &format!("/registry/core/limitranges/{ns}/"),
            None,
            None,
            None,
        )
        .await
        .map_err(ApiError::internal)?;
    let ranges: Vec<Value> = page
        .items
        .iter()
        .filter_map(|kv| serde_json::from_slice(&kv.value).ok())
        .collect();
    if ranges.is_empty() {
        return Ok(());
    }
    let items: Vec<Value> = ranges
        .iter()
        .flat_map(|r| {
            r.pointer("/spec/limits")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter(|l| l.get("type").and_then(Value::as_str) == Some("Container"))
        .collect();
    let mut set_requests: Vec<(String, Vec<String>)> = Vec::new();
    let mut set_limits: Vec<(String, Vec<String>)> = Vec::new();
    let mut errs = Vec::new();
    for key in ["initContainers", "containers"] {
        let Some(cs) = pod
            .pointer_mut(&format!("/spec/{key}"))
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for c in cs.iter_mut() {
            let cname = c
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let Some(cm) = c.as_object_mut() else {
                continue;
            };
            let res = cm.entry("resources").or_insert_with(|| json!({}));
            let Some(res) = res.as_object_mut() else {
                continue;
            };
            for item in &items {
                defaults(res, item, "default", "limits", &cname, &mut set_limits);
                defaults(
                    res,
                    item,
                    "defaultRequest",
                    "requests",
                    &cname,
                    &mut set_requests,
                );
                check(res, item, &mut errs);
            }
        }
    }
    if !errs.is_empty() {
        let name = kubehci_api::meta::name(pod).to_string();
        let msg = if errs.len() == 1 {
            errs.remove(0)
        } else {
            format!("[{}]", errs.join(", "))
        };
        return Err(ApiError::forbidden(
            &kubehci_api::GroupResource::new("", "pods"),
            &name,
            format!("pods {name:?} is forbidden: {msg}"),
        ));
    }
    let describe = |set: &[(String, Vec<String>)], what: &str| {
        set.iter()
            .map(|(c, rs)| format!("{} {what} for container {c}", rs.join(", ")))
            .collect::<Vec<_>>()
    };
    let mut parts = describe(&set_requests, "request");
    parts.extend(describe(&set_limits, "limit"));
    if !parts.is_empty() {
        let md = kubehci_api::meta::metadata_mut(pod);
        let ann = md.entry("annotations").or_insert_with(|| json!({}));
        if let Some(a) = ann.as_object_mut() {
            a.insert(
                "kubernetes.io/limit-ranger".into(),
                json!(format!("LimitRanger plugin set: {}", parts.join("; "))),
            );
        }
    }
    Ok(())
}

fn defaults(
    res: &mut Map<String, Value>,
    item: &Value,
    from: &str,
    to: &str,
    cname: &str,
    log: &mut Vec<(String, Vec<String>)>,
) {
    let Some(src) = item.get(from).and_then(Value::as_object) else {
        return;
    };
    let dst = res.entry(to).or_insert_with(|| json!({}));
    let Some(dst) = dst.as_object_mut() else {
        return;
    };
    for (r, q) in src {
        if !dst.contains_key(r) {
            dst.insert(r.clone(), q.clone());
            match log.iter_mut().find(|(c, _)| c == cname) {
                Some((_, rs)) => rs.push(r.clone()),
                None => log.push((cname.to_string(), vec![r.clone()])),
            }
        }
    }
}

fn check(res: &Map<String, Value>, item: &Value, errs: &mut Vec<String>) {
    let get = |k: &str, r: &str| res.get(k).and_then(|m| m.get(r)).cloned();
    if let Some(min) = item.get("min").and_then(Value::as_object) {
        for (r, q) in min {
            match get("requests", r) {
                Some(req) if milli(&req) < milli(q) => errs.push(format!(
                    "minimum {r} usage per Container is {}, but request is {}",
                    text(q),
                    text(&req)
                )),
                None => errs.push(format!(
                    "minimum {r} usage per Container is {}.  No request is specified",
                    text(q)
                )),
                _ => {}
            }
        }
    }
    if let Some(max) = item.get("max").and_then(Value::as_object) {
        for (r, q) in max {
            match get("limits", r) {
                Some(lim) if milli(&lim) > milli(q) => errs.push(format!(
                    "maximum {r} usage per Container is {}, but limit is {}",
                    text(q),
                    text(&lim)
                )),
                None => errs.push(format!(
                    "maximum {r} usage per Container is {}.  No limit is specified",
                    text(q)
                )),
                _ => {}
            }
        }
    }
    if let Some(ratio) = item.get("maxLimitRequestRatio").and_then(Value::as_object) {
        for (r, q) in ratio {
            let (Some(l), Some(rq)) = (
                get("limits", r).and_then(|v| milli(&v)),
                get("requests", r).and_then(|v| milli(&v)),
            ) else {
                continue;
            };
            if rq > 0 {
                let actual = l as f64 / rq as f64;
                if milli(q).is_some_and(|max| actual > max as f64 / 1000.0) {
                    errs.push(format!(
                        "{r} max limit to request ratio per Container is {}, but provided ratio is {actual:.6}",
                        text(q)
                    ));
                }
            }
        }
    }
}
