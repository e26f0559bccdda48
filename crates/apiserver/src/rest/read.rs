//! GET of one object and LIST with selectors, pagination and resourceVersion semantics.

use base64::Engine as _;
use kubehci_api::{ApiError, ResourceInfo};
use kubehci_store::KeyValue;
use serde_json::{Value, json};

use super::ctx::Ctx;
use super::filter::ListFilter;
use crate::objects::{decode_as, list_prefix, object_key, store_error};
use crate::state::State;

/// Reads one object or 404.
pub async fn get_object(
    state: &State,
    info: &ResourceInfo,
    ns: &str,
    name: &str,
) -> Result<(Value, i64), ApiError> {
    let key = object_key(info, ns, name);
    match state
        .backend
        .get(&key, None)
        .await
        .map_err(|e| store_error(info, name, e))?
    {
        Some(kv) => Ok((decode_as(info, &kv)?, kv.mod_revision)),
        None => Err(ApiError::not_found(&info.group_resource(), name)),
    }
}

/// The continue token: where the next page starts and the revision the list is read at.
#[derive(serde::Serialize, serde::Deserialize)]
struct ContinueToken {
    v: String,
    rv: i64,
    start: String,
}

pub fn encode_continue(rv: i64, last_key: &str) -> String {
    let t = ContinueToken {
        v: "meta.k8s.io/v1".into(),
        rv,
        start: last_key.to_string(),
    };
    base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(&t).unwrap_or_default())
}

fn decode_continue(token: &str) -> Result<ContinueToken, ApiError> {
    let bad =
        || ApiError::bad_request("continue key is not valid: illegal base64 data at input byte 0");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token)
        .map_err(|_| bad())?;
    let t: ContinueToken = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if t.v != "meta.k8s.io/v1" {
        return Err(ApiError::bad_request(
            "continue key is not valid: server does not recognize this encoded key",
        ));
    }
    Ok(t)
}

const CONTINUE_TOO_OLD: &str = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

/// A listed page.
pub struct Listed {
    /// The stored objects, in key order (decoded lazily: see [`Listed::decoded`]).
    pub items: Vec<KeyValue>,
    pub revision: i64,
    pub continue_token: Option<String>,
    pub remaining: Option<u64>,
}

/// Lists objects in `ctx`'s namespace (all namespaces for an empty one).
pub async fn list_objects(state: &State, ctx: &Ctx) -> Result<Listed, ApiError> {
    let info = &ctx.resource;
    let q = &ctx.query;
    let filter = ListFilter::new(info, q)?;
    let prefix = list_prefix(info, ctx.namespace());
    let mut start_after: Option<String> = None;
    let mut at: Option<i64> = None;
    if !q.continue_token.is_empty() {
        if !q.resource_version.is_empty() && q.resource_version != "0" {
            return Err(ApiError::bad_request(
                "specifying resource version is not allowed when using continue",
            ));
        }
        let t = decode_continue(&q.continue_token)?;
        if !t.start.starts_with(&prefix) {
            return Err(ApiError::bad_request(
                "continue key is not valid: key does not match the request",
            ));
        }
        start_after = Some(t.start);
        at = Some(t.rv);
    } else if !q.resource_version.is_empty() && q.resource_version != "0" {
        let rv: i64 = q.resource_version.parse().map_err(|_| {
            ApiError::bad_request(format!("invalid resource version: {}", q.resource_version))
        })?;
        if q.resource_version_match == "Exact" {
            at = Some(rv);
        } else {
            let cur = state
                .backend
                .current_revision()
                .await
                .map_err(|e| store_error(info, "", e))?;
            if rv > cur {
                return Err(ApiError::new(
                    504,
                    "Timeout",
                    format!("Too large resource version: {rv}, current: {cur}"),
                ));
            }
        }
    }
    let limit = q.limit;
    let mut items = Vec::new();
    // Read pages until `limit` matching objects are found (a selector may filter some
    // out), all at one revision so the result is consistent.
    let (revision, continue_token, remaining) = loop {
        let want = limit.map(|l| l - items.len());
        let page = state
            .backend
            .list(&prefix, start_after.as_deref(), want, at)
            .await
            .map_err(|e| match e {
                kubehci_store::StoreError::Compacted { .. } if !q.continue_token.is_empty() => {
                    ApiError::expired(CONTINUE_TOO_OLD)
                }
                other => store_error(info, "", other),
            })?;
        at = Some(page.revision);
        let last_key = page.items.last().map(|kv| kv.key.clone());
        for kv in page.items {
            // Without a selector nothing needs decoding here.
            if filter.is_empty() || filter.matches(&decode_as(info, &kv)?) {
                items.push(kv);
            }
        }
        let last = last_key;
        let full = limit.is_some_and(|l| items.len() >= l);
        match (page.remaining > 0, last) {
            (true, Some(last)) if full => {
                let rem = filter.is_empty().then_some(page.remaining);
                break (
                    page.revision,
                    Some(encode_continue(page.revision, &last)),
                    rem,
                );
            }
            (true, Some(last)) => start_after = Some(last),
            _ => break (page.revision, None, None),
        }
    };
    Ok(Listed {
        items,
        revision,
        continue_token,
        remaining,
    })
}

impl Listed {
    /// The items as JSON objects with their resourceVersions.
    pub fn decoded(&self, info: &ResourceInfo) -> Result<Vec<Value>, ApiError> {
        self.items.iter().map(|kv| decode_as(info, kv)).collect()
    }

    fn metadata(&self) -> Value {
        let mut md = json!({"resourceVersion": self.revision.to_string()});
        if let Some(c) = &self.continue_token {
            md["continue"] = json!(c);
        }
        if let Some(r) = self.remaining {
            md["remainingItemCount"] = json!(r);
        }
        md
    }

    /// The `<Kind>List` serialised straight from the stored bytes: no per-object parse.
    pub fn to_json_bytes(&self, info: &ResourceInfo) -> Result<Vec<u8>, ApiError> {
        let head = json!({"kind": info.list_kind, "apiVersion": info.api_version(), "metadata": self.metadata()});
        let mut out = serde_json::to_vec(&head).map_err(ApiError::internal)?;
        out.pop(); // the closing brace: items follow
        out.extend_from_slice(b",\"items\":[");
        let total: usize = self.items.iter().map(|kv| kv.value.len() + 40).sum();
        out.reserve(total + 2);
        for (i, kv) in self.items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if crate::conversion::needs_conversion(info) {
                let obj = decode_as(info, kv)?;
                serde_json::to_writer(&mut out, &obj).map_err(ApiError::internal)?;
            } else {
                crate::objects::write_with_resource_version(&mut out, &kv.value, kv.mod_revision)?;
            }
        }
        out.extend_from_slice(b"]}");
        Ok(out)
    }
}

/// The `<Kind>List` object for a listed page.
pub fn list_object(info: &ResourceInfo, listed: Listed) -> Result<Value, ApiError> {
    Ok(json!({
        "kind": info.list_kind,
        "apiVersion": info.api_version(),
        "metadata": listed.metadata(),
        "items": listed.decoded(info)?,
    }))
}
