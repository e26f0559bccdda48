//! A CRD's spec read from JSON into upstream's internal shape (identical per-version
//! schemas, subresources, columns and selectable fields lifted to the top level), and
//! the checks of its smaller parts: names, versions, subresources, printer columns,
//! selectable fields and conversion.

use kubehci_api::FieldError;
use kubehci_api::validation;
use serde_json::Value;

use crate::crd_schema::validate_validation;
use crate::path::FieldPath;
use crate::props::Props;

pub(crate) fn text(v: Option<&Value>) -> String {
    v.and_then(Value::as_str).unwrap_or("").to_string()
}

pub(crate) fn non_null(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null())
}

/// `spec.names` / `status.acceptedNames`.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub list_kind: String,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
}

impl Names {
    pub fn read(v: &Value) -> Names {
        let list = |k: &str| -> Vec<String> {
            v.get(k)
                .and_then(Value::as_array)
                .map(|a| a.iter().map(|s| text(Some(s))).collect())
                .unwrap_or_default()
        };
        Names {
            plural: text(v.get("plural")),
            singular: text(v.get("singular")),
            kind: text(v.get("kind")),
            list_kind: text(v.get("listKind")),
            short_names: list("shortNames"),
            categories: list("categories"),
        }
    }
}

/// One entry of `spec.versions` with the per-version parts that were not lifted.
#[derive(Debug)]
pub struct Version<'a> {
    pub name: String,
    pub storage: bool,
    pub deprecated: bool,
    pub deprecation_warning: Option<&'a Value>,
    pub schema: Option<&'a Value>,
    pub subresources: Option<&'a Value>,
    pub columns: Vec<&'a Value>,
    pub selectable: Option<&'a Value>,
    pub status_enabled: bool,
}

/// The spec in upstream's internal shape.
#[derive(Debug)]
pub struct Spec<'a> {
    pub group: String,
    pub scope: String,
    pub names: Names,
    pub versions: Vec<Version<'a>>,
    pub versions_json: Value,
    pub top_validation: Option<&'a Value>,
    pub top_subresources: Option<&'a Value>,
    pub top_columns: Vec<&'a Value>,
    pub top_selectable: Option<&'a Value>,
    pub preserve_unknown_fields: bool,
    pub conversion: Option<&'a Value>,
}

fn items(v: Option<&Value>) -> Vec<&Value> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

/// Whether every version has the same `key` (nil and, for lists, empty alike), and
/// the first version's value: upstream's conversion lifts identical parts to the top.
fn lifted<'a>(raw: &[&'a Value], key: &str, empty_is_none: bool) -> (bool, Option<&'a Value>) {
    let get = |v: &'a Value| -> Option<&'a Value> {
        non_null(v.get(key)).filter(|x| !(empty_is_none && x.as_array().is_some_and(Vec::is_empty)))
    };
    let first = raw.first().and_then(|v| get(v));
    (
        !raw.is_empty() && raw.iter().all(|v| get(v) == first),
        first,
    )
}

impl<'a> Spec<'a> {
    pub fn read(crd: &'a Value) -> Spec<'a> {
        let spec = crd.get("spec");
        let field = |k: &str| spec.and_then(|s| s.get(k));
        let raw: Vec<&Value> = items(field("versions"));
        let (same_schema, top_validation) = lifted(&raw, "schema", false);
        let (same_sub, top_subresources) = lifted(&raw, "subresources", false);
        let (same_cols, top_cols) = lifted(&raw, "additionalPrinterColumns", true);
        let (same_sel, top_selectable) = lifted(&raw, "selectableFields", true);
        let versions = raw
            .iter()
            .map(|v| Version {
                name: text(v.get("name")),
                storage: v.get("storage").and_then(Value::as_bool).unwrap_or(false),
                deprecated: v
                    .get("deprecated")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                deprecation_warning: non_null(v.get("deprecationWarning")),
                schema: if same_schema {
                    None
                } else {
                    non_null(v.get("schema"))
                },
                subresources: if same_sub {
                    None
                } else {
                    non_null(v.get("subresources"))
                },
                columns: if same_cols {
                    Vec::new()
                } else {
                    items(v.get("additionalPrinterColumns"))
                },
                selectable: if same_sel {
                    None
                } else {
                    non_null(v.get("selectableFields"))
                },
                status_enabled: non_null(v.pointer("/subresources/status")).is_some(),
            })
            .collect();
        Spec {
            group: text(field("group")),
            scope: text(field("scope")),
            names: field("names").map(Names::read).unwrap_or_default(),
            versions,
            versions_json: field("versions").cloned().unwrap_or(Value::Null),
            top_validation: top_validation.filter(|_| same_schema),
            top_subresources: top_subresources.filter(|_| same_sub),
            top_columns: if same_cols {
                items(top_cols)
            } else {
                Vec::new()
            },
            top_selectable: top_selectable.filter(|_| same_sel),
            preserve_unknown_fields: field("preserveUnknownFields").and_then(Value::as_bool)
                == Some(true),
            conversion: non_null(field("conversion")),
        }
    }

    pub fn any_status_enabled(&self) -> bool {
        self.versions.iter().any(|v| v.status_enabled)
    }

    /// Whether any schema declares a `default`.
    pub fn has_defaults(&self) -> bool {
        let schemas = self
            .top_validation
            .into_iter()
            .chain(self.versions.iter().filter_map(|v| v.schema));
        schemas.filter_map(|s| s.get("openAPIV3Schema")).any(|s| {
            Props::decode(s, &FieldPath::default(), &mut Vec::new()).any(&|p| p.default.is_some())
        })
    }
}

/// Whether the CRD has condition `Established=True`.
pub fn is_established(crd: &Value) -> bool {
    items(crd.pointer("/status/conditions")).iter().any(|c| {
        c.get("type").and_then(Value::as_str) == Some("Established")
            && c.get("status").and_then(Value::as_str) == Some("True")
    })
}

/// `ValidateCustomResourceDefinitionNames`.
pub fn validate_names(n: &Names, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut check = |key: &str, value: &str, lower: bool, mixed: bool| {
        if value.is_empty() {
            return;
        }
        let candidate = if lower {
            value.to_lowercase()
        } else {
            value.to_string()
        };
        let problems = validation::is_dns1035_label(&candidate);
        if !problems.is_empty() {
            let joined = problems.join(",");
            let detail = if mixed {
                format!("may have mixed case, but should otherwise match: {joined}")
            } else {
                joined
            };
            errs.push(FieldError::invalid(path.child(key).as_str(), value, detail));
        }
    };
    check("plural", &n.plural, false, false);
    check("singular", &n.singular, false, false);
    check("kind", &n.kind, true, true);
    check("listKind", &n.list_kind, true, true);
    for (i, s) in n.short_names.iter().enumerate() {
        let problems = validation::is_dns1035_label(s);
        if !problems.is_empty() {
            errs.push(FieldError::invalid(
                path.child("shortNames").index(i).as_str(),
                s.clone(),
                problems.join(","),
            ));
        }
    }
    if !n.kind.is_empty() && n.kind == n.list_kind {
        errs.push(FieldError::invalid(
            path.child("listKind").as_str(),
            n.list_kind.clone(),
            "kind and listKind may not be the same",
        ));
    }
    for (i, c) in n.categories.iter().enumerate() {
        let problems = validation::is_dns1035_label(c);
        if !problems.is_empty() {
            errs.push(FieldError::invalid(
                path.child("categories").index(i).as_str(),
                c.clone(),
                problems.join(","),
            ));
        }
    }
    errs
}

/// `validateCustomResourceDefinitionVersion` for the parts that stayed per-version.
pub fn validate_version(v: &Version<'_>, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let warning_path = path.child("deprecationWarning");
    if let Some(w) = v.deprecation_warning {
        let w_text = w.as_str().unwrap_or("");
        let mut problems = Vec::new();
        if !v.deprecated {
            problems.push("can only be set for deprecated versions".to_string());
        } else {
            if w_text.len() > 256 {
                problems.push("must be <= 256 characters long".to_string());
            }
            if w_text.is_empty() {
                problems.push("must not be an empty string".to_string());
            }
            if let Some((i, _)) = w_text.char_indices().find(|(_, c)| c.is_control()) {
                problems.push(format!(
                    "must only contain printable UTF-8 characters; control character found at index {i}"
                ));
            }
        }
        for p in problems {
            errs.push(FieldError::invalid(warning_path.as_str(), w.clone(), p));
        }
    }
    if let Some(schema) = v.schema {
        errs.extend(validate_validation(
            schema,
            v.status_enabled,
            &path.child("schema"),
        ));
    }
    if let Some(sub) = v.subresources {
        errs.extend(crate::crd_subresources::validate_subresources(
            sub,
            &path.child("subresources"),
        ));
    }
    for (i, col) in v.columns.iter().enumerate() {
        errs.extend(crate::crd_subresources::validate_column(
            col,
            &path.child("additionalPrinterColumns").index(i),
        ));
    }
    if let Some(fields) = v
        .selectable
        .filter(|f| f.as_array().is_some_and(|a| !a.is_empty()))
    {
        let has_schema = v
            .schema
            .and_then(|s| non_null(s.get("openAPIV3Schema")))
            .is_some();
        if has_schema {
            errs.extend(crate::selectable::validate_selectable(
                fields, v.schema, path,
            ));
        } else {
            errs.push(FieldError::invalid(
                path.child("selectableFields").as_str(),
                "",
                "selectableFields may only be set when version.schema.openAPIV3Schema is not included",
            ));
        }
    }
    errs
}
