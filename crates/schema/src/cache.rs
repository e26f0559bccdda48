//! Serving the documents cheaply: every document is built and serialized once per set
//! of served resources, and rebuilt when CRDs change.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use kubehci_api::ResourceInfo;
use serde_json::{Value, json};
use sha2::{Digest, Sha512};

use crate::custom::CustomSchema;
use crate::model::Schemas;
use crate::spec::Spec;
use crate::v3::group_version_key;
use crate::{resolve, v2, v2proto, v3};

/// One serialized v3 group-version document.
#[derive(Debug, Clone)]
pub struct V3Document {
    /// The document as JSON.
    pub json: Arc<[u8]>,
    /// Upstream's hash of it: SHA-512, upper-case hex (128 characters). Clients treat it
    /// as opaque; it changes whenever the document does.
    pub hash: String,
}

/// Every OpenAPI document and the schema model of one set of served resources.
#[derive(Debug)]
pub struct OpenApiDocuments {
    v2: Arc<[u8]>,
    v2_protobuf: Arc<[u8]>,
    v3_index: Arc<[u8]>,
    v3: BTreeMap<String, V3Document>,
    schemas: Arc<Schemas>,
}

impl OpenApiDocuments {
    /// Builds and serializes everything for `resources` (built-in) and `extra` (custom).
    pub fn build(resources: &[ResourceInfo], extra: &[CustomSchema]) -> Self {
        let spec = Spec::build(resources, extra);
        let v2_doc = v2::render(&spec);
        let v2 = to_bytes(&v2_doc);
        let v2_protobuf = v2proto::openapi_v2_protobuf(&v2_doc).into();
        drop(v2_doc);
        let mut v3 = BTreeMap::new();
        for (group, version) in spec.groups.keys() {
            if let Some(doc) = v3::render_group_version(&spec, group, version) {
                let json = to_bytes(&doc);
                let hash = hash_hex(&json);
                v3.insert(group_version_key(group, version), V3Document { json, hash });
            }
        }
        let v3_index = to_bytes(&index(&v3));
        let schemas = Arc::new(resolve::build(&spec));
        OpenApiDocuments {
            v2,
            v2_protobuf,
            v3_index,
            v3,
            schemas,
        }
    }

    /// `/openapi/v2` as JSON.
    pub fn v2_json(&self) -> Arc<[u8]> {
        self.v2.clone()
    }

    /// `/openapi/v2` as protobuf ([`crate::OPENAPI_V2_PROTOBUF`]), what kubectl asks for.
    pub fn v2_protobuf(&self) -> Arc<[u8]> {
        self.v2_protobuf.clone()
    }

    /// `/openapi/v3` (the index) as JSON.
    pub fn v3_index_json(&self) -> Arc<[u8]> {
        self.v3_index.clone()
    }

    /// The document of `/openapi/v3/<key>`, `key` being `api/v1` or
    /// `apis/<group>/<version>`.
    pub fn v3_document(&self, key: &str) -> Option<&V3Document> {
        self.v3.get(key.trim_matches('/'))
    }

    /// Index keys of every group-version document.
    pub fn v3_keys(&self) -> impl Iterator<Item = &str> {
        self.v3.keys().map(String::as_str)
    }

    /// The resolved schema model of the same definitions.
    pub fn schemas(&self) -> Arc<Schemas> {
        self.schemas.clone()
    }
}

fn to_bytes(value: &Value) -> Arc<[u8]> {
    // Serializing a `Value` cannot fail: its keys are strings and it holds no
    // non-finite numbers.
    serde_json::to_vec(value).unwrap_or_default().into()
}

fn hash_hex(bytes: &[u8]) -> String {
    Sha512::digest(bytes)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

fn index(v3: &BTreeMap<String, V3Document>) -> Value {
    let paths: serde_json::Map<String, Value> = v3
        .iter()
        .map(|(key, doc)| {
            let url = format!("/openapi/v3/{key}?hash={}", doc.hash);
            (key.clone(), json!({ "serverRelativeURL": url }))
        })
        .collect();
    json!({ "paths": paths })
}

/// The current documents, shared between request handlers and replaced as a whole when
/// the served resources change.
#[derive(Debug)]
pub struct OpenApiCache {
    current: RwLock<Arc<OpenApiDocuments>>,
}

impl OpenApiCache {
    pub fn new(resources: &[ResourceInfo], extra: &[CustomSchema]) -> Self {
        OpenApiCache {
            current: RwLock::new(Arc::new(OpenApiDocuments::build(resources, extra))),
        }
    }

    /// The documents in force now (cheap: an `Arc` clone).
    pub fn get(&self) -> Arc<OpenApiDocuments> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Rebuilds every document (e.g. after a CRD was created, changed or deleted). The
    /// build happens outside the lock; readers keep the old documents until the swap.
    pub fn rebuild(&self, resources: &[ResourceInfo], extra: &[CustomSchema]) {
        let fresh = Arc::new(OpenApiDocuments::build(resources, extra));
        match self.current.write() {
            Ok(mut guard) => *guard = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
    }
}
