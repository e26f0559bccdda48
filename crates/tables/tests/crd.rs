//! Custom resources printed from `additionalPrinterColumns`.

mod common;

use common::{ago, now, opts};
use kubehci_tables::{PrinterColumn, TableOptions, crd_columns, crd_table};
use serde_json::{Value, json};

fn col(name: &str, ty: &str, path: &str) -> PrinterColumn {
    PrinterColumn {
        name: name.into(),
        column_type: ty.into(),
        json_path: path.into(),
        ..PrinterColumn::default()
    }
}

fn cluster() -> Value {
    json!({"apiVersion": "kubehci.io/v1", "kind": "Cluster", "metadata": {"name": "dev", "creationTimestamp": ago(3600)},
        "spec": {"version": "v1.33.1", "controlPlane": {"count": 3}, "pools": [{"name": "a", "count": 2}, {"name": "b", "count": 1}],
            "ratio": 0.75, "paused": false, "labels": {"z": "1", "a": "<x>"}},
        "status": {"phase": "Running", "endpoint": null, "conditions": [
            {"type": "Progressing", "status": "False"}, {"type": "Ready", "status": "True", "lastTransitionTime": ago(125)}]}})
}

#[test]
fn printer_columns() {
    let crd = json!({"spec": {"versions": [{"name": "v1", "additionalPrinterColumns": [
        {"name": "Version", "type": "string", "jsonPath": ".spec.version"},
        {"name": "Control Planes", "type": "integer", "jsonPath": ".spec.controlPlane.count", "description": "how many"},
        {"name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"},
        {"name": "Since", "type": "date", "jsonPath": ".status.conditions[?(@.type=='Ready')].lastTransitionTime", "priority": 1},
        {"name": "Ratio", "type": "number", "jsonPath": ".spec.ratio"},
        {"name": "Paused", "type": "boolean", "jsonPath": ".spec.paused"},
        {"name": "Pools", "type": "string", "jsonPath": ".spec.pools[*].name"},
        {"name": "Last Pool", "type": "integer", "jsonPath": ".spec.pools[-1].count"},
        {"name": "Labels", "type": "string", "jsonPath": ".spec.labels"},
        {"name": "Endpoint", "type": "string", "jsonPath": ".status.endpoint"},
        {"name": "Missing", "type": "string", "jsonPath": ".status.nothing.here"},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]}]}});
    let cols = crd_columns(&crd, "v1");
    assert_eq!(cols.len(), 12);
    assert!(crd_columns(&crd, "v2").is_empty());
    let t = crd_table(&cols, &[cluster()], &opts());
    let defs = t["columnDefinitions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(defs[0]["name"], "Name");
    assert_eq!(
        defs[1],
        json!({"name": "Version", "type": "string", "format": "",
        "description": "Custom resource definition column (in JSONPath format): .spec.version", "priority": 0})
    );
    assert_eq!(defs[2]["description"], "how many");
    assert_eq!(defs[4]["priority"], 1);
    assert_eq!(
        t["rows"][0]["cells"],
        json!([
            "dev",
            "v1.33.1",
            3,
            "True",
            "2m5s",
            0.75,
            false,
            "a",
            1,
            "{\"a\":\"\\u003cx\\u003e\",\"z\":\"1\"}",
            "<no value>",
            null,
            "60m"
        ])
    );
}

#[test]
fn default_age_column_and_bad_paths() {
    let t = crd_table(&[], &[cluster()], &opts());
    let defs = t["columnDefinitions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        defs.iter().map(|d| d["name"].clone()).collect::<Vec<_>>(),
        [json!("Name"), json!("Age")]
    );
    assert_eq!(defs[1]["type"], "date");
    assert_eq!(t["rows"][0]["cells"], json!(["dev", "60m"]));
    let cols = [
        col("Phase", "string", ".status.phase"),
        col("Bad", "string", ".spec[?(@.x"),
        col("After", "string", ".spec.version"),
    ];
    let t = crd_table(&cols, &[cluster()], &opts());
    assert_eq!(t["columnDefinitions"].as_array().map(Vec::len), Some(2));
    assert_eq!(t["rows"][0]["cells"], json!(["dev", "Running"]));
}

#[test]
fn typed_cells_and_errors() {
    let obj = json!({"metadata": {"name": "x"}, "spec": {"n": 2.9, "s": "abc", "when": "yesterday", "zero": "", "list": [1, 2]}});
    let cols = [
        col("N", "integer", ".spec.n"),
        col("S", "integer", ".spec.s"),
        col("When", "date", ".spec.when"),
        col("Zero", "date", ".spec.zero"),
        col("Idx", "integer", ".spec.list[5]"),
        col("Whole", "string", ".spec.list"),
        col("F", "number", ".spec.list[1]"),
        col("Str", "string", ".spec.n"),
    ];
    let t = crd_table(
        &cols,
        &[obj],
        &TableOptions {
            now: now(),
            ..TableOptions::default()
        },
    );
    assert_eq!(
        t["rows"][0]["cells"],
        json!([
            "x",
            2,
            null,
            "<invalid>",
            "<unknown>",
            null,
            "[1,2]",
            2,
            "2.9"
        ])
    );
    let empty = crd_table(&cols, &[], &opts());
    assert_eq!(empty["rows"], json!([]));
}
