//! Server-side printing: the `meta.k8s.io/v1` `Table` objects `kubectl get` asks for
//! (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), built as upstream's API
//! server builds them.
//!
//! - [`table`] prints built-in resources with upstream's column sets and cell logic
//!   (`pkg/printers/internalversion`), always including the wide (`priority: 1`)
//!   cells, which kubectl hides unless `-o wide`. Resources without a printer get the
//!   default table: `Name` and `Created At`.
//! - [`crd_table`] prints custom resources from `additionalPrinterColumns`.
//! - [`set_list_meta`] fills in the list's `resourceVersion`/`continue`.
//!
//! Objects are the stored, versioned JSON; upstream's read-time defaults (replicas 1,
//! service type `ClusterIP`, ...) are applied where a cell depends on them.

mod columns;
mod crd;
pub mod jsonpath;
mod printers;
pub mod quantity;
mod util;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

pub use crd::{PrinterColumn, crd_columns, crd_table};
pub use util::human_duration;

use util::{Ctx, Row};

/// Errors of this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// A JSONPath that does not parse.
    #[error("unrecognized column definition: {0}")]
    JsonPath(String),
}

/// `includeObject` of `TableOptions`: what each row's `object` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IncludeObject {
    /// `null`.
    None,
    /// A `PartialObjectMetadata` (upstream's default).
    #[default]
    Metadata,
    /// The whole object.
    Object,
}

impl IncludeObject {
    /// From the query parameter (`None`, `Metadata`, `Object`; empty means `Metadata`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "None" => Some(Self::None),
            "" | "Metadata" => Some(Self::Metadata),
            "Object" => Some(Self::Object),
            _ => None,
        }
    }
}

/// How to build a table.
#[derive(Debug, Clone)]
pub struct TableOptions {
    pub include_object: IncludeObject,
    /// The clock for AGE and other durations.
    pub now: DateTime<Utc>,
    /// `TableOptions.noHeaders`: leave `columnDefinitions` null.
    pub no_headers: bool,
}

impl Default for TableOptions {
    fn default() -> Self {
        Self {
            include_object: IncludeObject::default(),
            now: Utc::now(),
            no_headers: false,
        }
    }
}

/// A float cell as Go's JSON encoder writes float64: integral values without `.0`.
pub(crate) fn float_cell(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        json!(f as i64)
    } else {
        json!(f)
    }
}

fn row_object(obj: &Value, include: IncludeObject) -> Value {
    match include {
        IncludeObject::None => Value::Null,
        IncludeObject::Object => obj.clone(),
        IncludeObject::Metadata => json!({
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": obj.get("metadata").cloned().unwrap_or_else(|| json!({})),
        }),
    }
}

/// Puts columns and rows together. `null_when_empty` reproduces the default
/// convertor, whose row list is nil (`null`) when there are no objects.
pub(crate) fn assemble(
    columns: Vec<Value>,
    rows: Vec<(Row, &Value)>,
    opts: &TableOptions,
    null_when_empty: bool,
) -> Value {
    let rows_json: Vec<Value> = rows
        .into_iter()
        .map(|(row, obj)| {
            let mut r = Map::new();
            r.insert("cells".into(), Value::Array(row.cells));
            if let Some(c) = row.conditions {
                r.insert("conditions".into(), c);
            }
            r.insert("object".into(), row_object(obj, opts.include_object));
            Value::Object(r)
        })
        .collect();
    let rows_value = if rows_json.is_empty() && null_when_empty {
        Value::Null
    } else {
        Value::Array(rows_json)
    };
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": if opts.no_headers { Value::Null } else { Value::Array(columns) },
        "rows": rows_value,
    })
}

/// Whether upstream has a dedicated printer for this built-in resource.
pub fn has_printer(group: &str, resource: &str) -> bool {
    printers::lookup(group, resource).is_some()
}

/// The Table of built-in objects (one object for a GET, the items for a LIST).
pub fn table(group: &str, resource: &str, objs: &[Value], opts: &TableOptions) -> Value {
    let ctx = Ctx { now: opts.now };
    match printers::lookup(group, resource) {
        Some((cols, print)) => {
            let defs = cols.iter().map(|c| c.to_json()).collect();
            let rows = objs.iter().map(|o| (print(o, &ctx), o)).collect();
            assemble(defs, rows, opts, false)
        }
        None => default_table(objs, opts),
    }
}

/// Upstream's default table convertor: `Name` and `Created At` (RFC 3339, UTC).
pub fn default_table(objs: &[Value], opts: &TableOptions) -> Value {
    let defs = columns::DEFAULT.iter().map(|c| c.to_json()).collect();
    let rows = objs
        .iter()
        .map(|o| {
            let created = util::parse_time(util::get(o, &["metadata", "creationTimestamp"]))
                .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
                .unwrap_or_else(|| "0001-01-01T00:00:00Z".to_string());
            (Row::new(vec![json!(util::name(o)), json!(created)]), o)
        })
        .collect();
    assemble(defs, rows, opts, true)
}

/// Sets the Table's list metadata: the resource version of the list (or of the single
/// object), the continue token and the remaining item count when there are any.
pub fn set_list_meta(
    table: &mut Value,
    resource_version: &str,
    continue_token: Option<&str>,
    remaining: Option<i64>,
) {
    let mut md = Map::new();
    if !resource_version.is_empty() {
        md.insert("resourceVersion".into(), json!(resource_version));
    }
    if let Some(c) = continue_token.filter(|c| !c.is_empty()) {
        md.insert("continue".into(), json!(c));
    }
    if let Some(n) = remaining {
        md.insert("remainingItemCount".into(), json!(n));
    }
    if let Some(t) = table.as_object_mut() {
        t.insert("metadata".into(), Value::Object(md));
    }
}
