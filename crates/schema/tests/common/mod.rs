//! The custom resource the schema tests register.
#![allow(dead_code)]

use kubehci_api::Scope;
use kubehci_schema::CustomSchema;
use serde_json::Value;

/// `widgets.example.com/v1` (kind `Widget`, namespaced) with `schema`.
pub fn widget(schema: Value) -> CustomSchema {
    CustomSchema::new(
        "example.com",
        "v1",
        "Widget",
        "widgets",
        Scope::Namespaced,
        Some(schema),
    )
}
