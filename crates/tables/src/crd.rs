//! Tables for custom resources from a CRD's `additionalPrinterColumns`, as the
//! apiextensions server's table convertor builds them: `Name` first, then one column
//! per printer column, each cell from the first JSONPath result.

use kubehci_api::gofmt::{go_number, to_go_json};
use serde_json::{Value, json};

use crate::columns::{META_CREATED, NAME};
use crate::jsonpath::JsonPath;
use crate::util::{Ctx, Row, name, parse_time};
use crate::{TableOptions, assemble};

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

/// What client-go's JSONPath printer writes for one result: JSON for objects and
/// arrays, `fmt.Fprint` text for scalars, `<no value>` for null.
fn print_result(v: &Value) -> String {
    match v {
        Value::Object(_) | Value::Array(_) => to_go_json(v),
        Value::Null => "<no value>".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => go_number(n),
        Value::String(s) => s.clone(),
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
        return json!(print_result(first));
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

#[cfg(test)]
mod tests {
    use super::*;
    use kubehci_api::gofmt::{
        go_float as format_float_g, go_json_float as format_float_json, to_go_json as marshal,
    };
    use serde_json::json;

    #[test]
    fn floats_print_like_go() {
        assert_eq!(format_float_g(1.5), "1.5");
        assert_eq!(format_float_g(100000.0), "100000");
        assert_eq!(format_float_g(1e6), "1e+06");
        assert_eq!(format_float_g(1234567.0), "1.234567e+06");
        assert_eq!(format_float_g(0.0001), "0.0001");
        assert_eq!(format_float_g(0.00001), "1e-05");
        assert_eq!(format_float_g(-2.25), "-2.25");
        assert_eq!(format_float_json(1e21), "1e+21");
        assert_eq!(format_float_json(1e-7), "1e-7");
        assert_eq!(format_float_json(123456789.5), "123456789.5");
    }

    #[test]
    fn marshal_sorts_keys_and_escapes_html() {
        let v = json!({"b": [1, 2.5, "<a&b>"], "a": {"y": null, "x": true}});
        assert_eq!(
            marshal(&v),
            r#"{"a":{"x":true,"y":null},"b":[1,2.5,"\u003ca\u0026b\u003e"]}"#
        );
        assert_eq!(print_result(&json!(3)), "3");
        assert_eq!(print_result(&Value::Null), "<no value>");
    }
}
