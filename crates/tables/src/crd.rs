//! Tables for custom resources from a CRD's `additionalPrinterColumns`, as the
//! apiextensions server's table convertor builds them: `Name` first, then one column
//! per printer column, each cell from the first JSONPath result.

use serde_json::{Value, json};

use crate::columns::{META_CREATED, NAME};
use crate::jsonpath::JsonPath;
use crate::util::{Ctx, Row, name, parse_time};
use crate::{TableOptions, assemble, gofmt};

/// One `additionalPrinterColumns` entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrinterColumn {
    pub name: String,
    /// `string`, `integer`, `number`, `boolean` or `date`.
    pub column_type: String,
    pub format: String,
    pub description: String,
    pub priority: i64,
    pub json_path: String,
}

impl PrinterColumn {
    /// From the CRD's JSON (`name`, `type`, `format`, `description`, `priority`, `jsonPath`).
    pub fn from_json(v: &Value) -> Self {
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        Self {
            name: s("name"),
            column_type: s("type"),
            format: s("format"),
            description: s("description"),
            priority: v.get("priority").and_then(Value::as_i64).unwrap_or(0),
            json_path: s("jsonPath"),
        }
    }

    /// The column upstream serves when a version defines none: `Age`.
    pub fn default_age() -> Self {
        Self {
            name: "Age".into(),
            column_type: "date".into(),
            format: String::new(),
            description: META_CREATED.into(),
            priority: 0,
            json_path: ".metadata.creationTimestamp".into(),
        }
    }
}

/// The printer columns a CRD defines for one of its versions (empty if none).
pub fn crd_columns(crd: &Value, version: &str) -> Vec<PrinterColumn> {
    crd.get("spec")
        .and_then(|s| s.get("versions"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|v| v.get("name").and_then(Value::as_str) == Some(version))
        .and_then(|v| v.get("additionalPrinterColumns"))
        .and_then(Value::as_array)
        .map(|cols| cols.iter().map(PrinterColumn::from_json).collect())
        .unwrap_or_default()
}

/// Upstream's `cellForJSONValue` for non-string columns.
fn typed_cell(ty: &str, v: &Value, ctx: &Ctx) -> Value {
    match (ty, v) {
        ("integer", Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .map(Value::from)
            .unwrap_or(Value::Null),
        ("number", Value::Number(n)) => crate::float_cell(n.as_f64().unwrap_or(0.0)),
        ("boolean", Value::Bool(b)) => json!(b),
        ("date", Value::String(t)) => {
            if t.is_empty() || t == "null" {
                return json!("<unknown>");
            }
            match parse_time(Some(v)) {
                Some(when) => json!(crate::util::human_duration(ctx.now - when)),
                None if chrono::DateTime::parse_from_rfc3339(t).is_ok() => json!("<unknown>"),
                None => json!("<invalid>"),
            }
        }
        _ => Value::Null,
    }
}

fn cell(col: &PrinterColumn, path: &JsonPath, obj: &Value, ctx: &Ctx) -> Value {
    let found = match path.find(obj) {
        Ok(f) => f,
        Err(_) => return Value::Null,
    };
    let Some(first) = found.first() else {
        return Value::Null;
    };
    if col.column_type == "string" {
        return json!(gofmt::print_result(first));
    }
    typed_cell(&col.column_type, first, ctx)
}

/// The Table of custom objects. With no columns the `Age` column is used, as upstream.
/// A column whose JSONPath does not parse ends the column list there, as upstream's
/// convertor keeps the columns parsed before the failing one.
pub fn crd_table(columns: &[PrinterColumn], objs: &[Value], opts: &TableOptions) -> Value {
    let defaulted;
    let columns = if columns.is_empty() {
        defaulted = [PrinterColumn::default_age()];
        &defaulted[..]
    } else {
        columns
    };
    let mut defs = vec![NAME.to_json()];
    let mut parsed: Vec<(&PrinterColumn, JsonPath)> = Vec::new();
    for col in columns {
        let Ok(path) = JsonPath::parse(&col.json_path) else {
            break;
        };
        let description = if col.description.is_empty() {
            format!(
                "Custom resource definition column (in JSONPath format): {}",
                col.json_path
            )
        } else {
            col.description.clone()
        };
        defs.push(
            json!({"name": col.name, "type": col.column_type, "format": col.format,
            "description": description, "priority": col.priority}),
        );
        parsed.push((col, path));
    }
    let ctx = Ctx { now: opts.now };
    let rows = objs
        .iter()
        .map(|o| {
            let mut cells = vec![json!(name(o))];
            cells.extend(parsed.iter().map(|(col, path)| cell(col, path, o, &ctx)));
            (Row::new(cells), o)
        })
        .collect();
    assemble(defs, rows, opts, false)
}
