//! The API server's create and update sequences over the public API, with the errors
//! as the strings a client sees.
#![allow(dead_code)]

use kubehci_strategy::{
    apply_defaults, prepare_for_create, prepare_for_update, validate_create, validate_update,
};
use serde_json::Value;

/// Defaults and prepares `obj` for create, lets `stamp` fill in what the server sets
/// before validation (namespace, uid, ...), then validates it.
pub fn create_with(
    group: &str,
    resource: &str,
    mut obj: Value,
    stamp: impl FnOnce(&mut Value),
) -> (Value, Vec<String>) {
    apply_defaults(group, resource, &mut obj);
    prepare_for_create(group, resource, &mut obj);
    stamp(&mut obj);
    let errs = validate_create(group, resource, &obj)
        .iter()
        .map(ToString::to_string)
        .collect();
    (obj, errs)
}

/// Defaults, prepares and validates an update of `old` to `new` (of subresource `sub`).
pub fn update(
    group: &str,
    resource: &str,
    sub: Option<&str>,
    mut new: Value,
    old: &Value,
) -> (Value, Vec<String>) {
    apply_defaults(group, resource, &mut new);
    prepare_for_update(group, resource, sub, &mut new, old);
    let errs = validate_update(group, resource, sub, &new, old)
        .iter()
        .map(ToString::to_string)
        .collect();
    (new, errs)
}
