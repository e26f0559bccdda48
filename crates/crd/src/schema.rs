//! [`CrdSchema`]: one version's `openAPIV3Schema` compiled once and used for every
//! custom object of that version: validation, pruning, defaulting and the patch model.

use kubehci_api::FieldError;
use kubehci_schema::{NodeId, Schemas};
use serde_json::Value;

use crate::Error;
use crate::embedded::{drop_unknown_meta_fields, validate_embedded};
use crate::listtype::validate_list_types;
use crate::openapi::{RegexCache, Validator};
use crate::openapi_errors::to_field_errors;
use crate::path::FieldPath;
use crate::props::Props;
use crate::{defaulting, model, prune};

/// A compiled CRD version schema.
#[derive(Debug, Clone)]
pub struct CrdSchema {
    root: Props,
    regexes: RegexCache,
}

impl CrdSchema {
    /// Compiles an `openAPIV3Schema` object. Shape errors (a string where a number
    /// belongs, nesting deeper than the cap) are refused; structural rules are the CRD
    /// validation's business and are not re-checked here.
    pub fn new(open_api_v3_schema: &Value) -> Result<Self, Error> {
        let mut errs = Vec::new();
        let root = Props::decode(
            open_api_v3_schema,
            &FieldPath::new("openAPIV3Schema"),
            &mut errs,
        );
        if !errs.is_empty() {
            return Err(Error::InvalidSchema(kubehci_api::field::aggregate(&errs)));
        }
        let regexes = RegexCache::build(&root);
        Ok(Self { root, regexes })
    }

    /// The schema of `version` in a v1 CRD (`spec.versions[].schema.openAPIV3Schema`).
    pub fn for_version(crd: &Value, version: &str) -> Result<Self, Error> {
        let schema = crd
            .pointer("/spec/versions")
            .and_then(Value::as_array)
            .and_then(|vs| {
                vs.iter()
                    .find(|v| v.get("name").and_then(Value::as_str) == Some(version))
            })
            .and_then(|v| v.pointer("/schema/openAPIV3Schema"))
            .filter(|s| !s.is_null())
            .ok_or_else(|| Error::NoSchema(version.to_string()))?;
        Self::new(schema)
    }

    /// Validates a whole custom object: the OpenAPI schema (kube-openapi messages),
    /// embedded resources' `apiVersion`/`kind`/`metadata`, and list-type uniqueness.
    /// `kind`/`apiVersion` of the object itself: see [`validate_type_meta`].
    pub fn validate(&self, obj: &Value) -> Vec<FieldError> {
        let validator = Validator {
            regexes: &self.regexes,
        };
        let mut errs = to_field_errors(
            &FieldPath::default(),
            validator.validate(&self.root, obj, ""),
        );
        errs.extend(validate_embedded(
            &FieldPath::default(),
            &self.root,
            obj,
            false,
        ));
        errs.extend(validate_list_types(&self.root, obj));
        errs
    }

    /// Validates the `status` of an object against `properties.status`, as a status
    /// subresource update does (paths under `status`). Nothing when either is absent.
    pub fn validate_status(&self, obj: &Value) -> Vec<FieldError> {
        let (Some(status), Some(schema)) = (obj.get("status"), self.root.properties.get("status"))
        else {
            return Vec::new();
        };
        let validator = Validator {
            regexes: &self.regexes,
        };
        to_field_errors(
            &FieldPath::new("status"),
            validator.validate(schema, status, ""),
        )
    }

    /// Drops unknown fields; returns their paths, sorted. `apiVersion`, `kind` and
    /// `metadata` of the root are kept as they are (see [`prune_root_metadata`]).
    pub fn prune(&self, obj: &mut Value) -> Vec<String> {
        prune::prune(obj, &self.root, true)
    }

    /// Structural defaulting (non-nullable nulls without default removed first).
    pub fn apply_defaults(&self, obj: &mut Value) {
        defaulting::apply_defaults(obj, &self.root);
    }

    /// Adds this schema to a model arena and returns the root node. Root and embedded
    /// `metadata` use the arena's `ObjectMeta` definition when present (else a
    /// free-form object); register the id for the kind with `Schemas::register_gvk`.
    pub fn to_model(&self, schemas: &mut Schemas) -> NodeId {
        model::build(&self.root, schemas)
    }

    /// Whether the schema declares `status` (the status subresource's part).
    pub fn has_status(&self) -> bool {
        self.root.properties.contains_key("status")
    }
}

/// Drops fields of the root `metadata` that `ObjectMeta` does not have (what decoding
/// into `ObjectMeta` does upstream); returns `metadata.<field>` paths.
pub fn prune_root_metadata(obj: &mut Value) -> Vec<String> {
    obj.as_object_mut()
        .map(|m| drop_unknown_meta_fields(m, ""))
        .unwrap_or_default()
}

/// `ValidateTypeMeta`: `kind` and `apiVersion` must be the served ones.
pub fn validate_type_meta(obj: &Value, group: &str, version: &str, kind: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let got_kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    if got_kind != kind {
        errs.push(FieldError::invalid(
            "kind",
            got_kind,
            format!("must be {kind}"),
        ));
    }
    let want = format!("{group}/{version}");
    let got = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    if got != want {
        errs.push(FieldError::invalid(
            "apiVersion",
            got,
            format!("must be {want}"),
        ));
    }
    errs
}
