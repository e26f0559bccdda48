//! Serialised OpenAPI documents, built once per catalogue change and served as bytes.

use std::collections::HashMap;

use bytes::Bytes;
use parking_lot::RwLock;
use serde_json::json;

#[derive(Default)]
struct Docs {
    v2: Option<Bytes>,
    v3_index: Bytes,
    v3: HashMap<String, Bytes>,
}

/// The OpenAPI documents of the current catalogue.
#[derive(Default)]
pub struct OpenApi {
    docs: RwLock<Docs>,
}

impl OpenApi {
    pub fn v2_bytes(&self) -> Option<Bytes> {
        self.docs.read().v2.clone()
    }

    pub fn v3_index_bytes(&self) -> Bytes {
        let d = self.docs.read();
        if d.v3_index.is_empty() { Bytes::from_static(b"{\"paths\":{}}") } else { d.v3_index.clone() }
    }

    /// `gv` is the path after `/openapi/v3/`, e.g. `apis/apps/v1` (query ignored).
    pub fn v3_bytes(&self, gv: &str) -> Option<Bytes> {
        self.docs.read().v3.get(gv.trim_end_matches('/')).cloned()
    }

    /// Replaces all documents.
    pub fn set(&self, v2: serde_json::Value, v3: Vec<(String, serde_json::Value)>) {
        let mut paths = serde_json::Map::new();
        let mut map = HashMap::new();
        for (gv, doc) in v3 {
            let bytes = serde_json::to_vec(&doc).unwrap_or_default();
            let hash = hash_hex(&bytes);
            paths.insert(gv.clone(), json!({"serverRelativeURL": format!("/openapi/v3/{gv}?hash={hash}")}));
            map.insert(gv, Bytes::from(bytes));
        }
        let index = serde_json::to_vec(&json!({"paths": paths})).unwrap_or_default();
        let mut d = self.docs.write();
        d.v2 = Some(Bytes::from(serde_json::to_vec(&v2).unwrap_or_default()));
        d.v3_index = Bytes::from(index);
        d.v3 = map;
    }
}

fn hash_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    let d = sha2::Sha512::digest(bytes);
    d.iter().map(|b| format!("{b:02X}")).collect()
}
