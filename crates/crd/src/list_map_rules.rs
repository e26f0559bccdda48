//! `x-kubernetes-list-type` / `x-kubernetes-map-type` rules of CRD schemas: the type
//! they need, set items that must be atomic, map keys that must be scalar properties
//! of the items, required or defaulted, and never nullable.

use kubehci_api::FieldError;
use serde_json::Value;

use crate::path::FieldPath;
use crate::props::Props;

fn type_error(errs: &mut Vec<FieldError>, path: &FieldPath, ty: &str, detail: &str) {
    if ty.is_empty() {
        errs.push(FieldError::required(path.child("type").as_str(), detail));
    } else {
        errs.push(FieldError::invalid(path.child("type").as_str(), ty, detail));
    }
}

pub fn map_and_list_types(s: &Props, path: &FieldPath, errs: &mut Vec<FieldError>) {
    if s.x_map_type.is_some() && s.ty != "object" {
        type_error(
            errs,
            path,
            &s.ty,
            "must be object if x-kubernetes-map-type is specified",
        );
    }
    if let Some(mt) = s
        .x_map_type
        .as_deref()
        .filter(|m| *m != "atomic" && *m != "granular")
    {
        errs.push(FieldError::not_supported(
            path.child("x-kubernetes-map-type").as_str(),
            mt,
            &["atomic", "granular"],
        ));
    }
    let list_type = s.x_list_type.as_deref();
    if list_type.is_some() && s.ty != "array" {
        type_error(
            errs,
            path,
            &s.ty,
            "must be array if x-kubernetes-list-type is specified",
        );
    } else if let (Some("set"), Some(is)) = (list_type, s.items.as_deref()) {
        let detail = "must be atomic as item of a list with x-kubernetes-list-type=set";
        match is.ty.as_str() {
            "array" if is.x_list_type.as_deref().is_some_and(|t| t != "atomic") => {
                let field = path.child("items").child("x-kubernetes-list-type");
                errs.push(FieldError::invalid(
                    field.as_str(),
                    is.x_list_type.clone().unwrap_or_default(),
                    detail,
                ));
            }
            "object" if is.x_map_type.as_deref() != Some("atomic") => {
                let field = path.child("items").child("x-kubernetes-map-type");
                let shown = is.x_list_type.clone().map_or(Value::Null, Value::String);
                errs.push(FieldError::invalid(field.as_str(), shown, detail));
            }
            _ => {}
        }
    }
    if let Some(lt) = list_type.filter(|t| !["atomic", "set", "map"].contains(t)) {
        errs.push(FieldError::not_supported(
            path.child("x-kubernetes-list-type").as_str(),
            lt,
            &["atomic", "set", "map"],
        ));
    }
    let keys_value = || Value::from(s.x_list_map_keys.clone());
    if !s.x_list_map_keys.is_empty() {
        let detail = "must be map if x-kubernetes-list-map-keys is non-empty";
        match list_type {
            None => errs.push(FieldError::required(
                path.child("x-kubernetes-list-type").as_str(),
                detail,
            )),
            Some(t) if t != "map" => errs.push(FieldError::invalid(
                path.child("x-kubernetes-list-type").as_str(),
                t,
                detail,
            )),
            _ => {}
        }
    }
    if list_type == Some("map") {
        if s.x_list_map_keys.is_empty() {
            errs.push(FieldError::required(
                path.child("x-kubernetes-list-map-keys").as_str(),
                "must not be empty if x-kubernetes-list-type is map",
            ));
        }
        if s.items.is_none() && s.items_array.is_empty() {
            errs.push(FieldError::required(
                path.child("items").as_str(),
                "must have a schema if x-kubernetes-list-type is map",
            ));
        }
        if s.items.is_none() && !s.items_array.is_empty() {
            errs.push(FieldError::invalid(
                path.child("items").as_str(),
                "",
                "must only have a single schema if x-kubernetes-list-type is map",
            ));
        }
        if let Some(is) = s.items.as_deref() {
            if is.ty != "object" {
                errs.push(FieldError::invalid(
                    path.child("items").child("type").as_str(),
                    is.ty.clone(),
                    "must be object if parent array's x-kubernetes-list-type is map",
                ));
            } else {
                let mut seen: Vec<&str> = Vec::new();
                for k in &s.x_list_map_keys {
                    match is.properties.get(k) {
                        Some(p) if p.ty == "array" || p.ty == "object" => errs.push(FieldError::invalid(
                            path.child("items").child("properties").key(k).child("type").as_str(),
                            is.ty.clone(),
                            "must be a scalar type if parent array's x-kubernetes-list-type is map",
                        )),
                        Some(_) => {}
                        None => errs.push(FieldError::invalid(
                            path.child("x-kubernetes-list-map-keys").as_str(),
                            keys_value(),
                            "entries must all be names of item properties",
                        )),
                    }
                    if seen.contains(&k.as_str()) {
                        errs.push(FieldError::invalid(
                            path.child("x-kubernetes-list-map-keys").as_str(),
                            keys_value(),
                            "must not contain duplicate entries",
                        ));
                    }
                    seen.push(k);
                }
            }
        }
    }
    map_list_keys_map_set(s, path, errs);
}

/// `validateMapListKeysMapSet`.
fn map_list_keys_map_set(s: &Props, path: &FieldPath, errs: &mut Vec<FieldError>) {
    let (Some(lt @ ("set" | "map")), Some(is)) = (s.x_list_type.as_deref(), s.items.as_deref())
    else {
        return;
    };
    if is.nullable {
        errs.push(FieldError::forbidden(
            path.child("items").child("nullable").as_str(),
            format!("cannot be nullable when x-kubernetes-list-type is {lt}"),
        ));
    }
    if lt != "map" {
        return;
    }
    for k in &s.x_list_map_keys {
        let Some(prop) = is.properties.get(k) else {
            continue;
        };
        let kpath = path.child("items").child("properties").key(k);
        if !is.required.contains(k) && prop.default.is_none() {
            errs.push(FieldError::required(
                kpath.child("default").as_str(),
                "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property",
            ));
        }
        if prop.nullable {
            errs.push(FieldError::forbidden(
                kpath.child("nullable").as_str(),
                "this property is in x-kubernetes-list-map-keys, so it cannot be nullable",
            ));
        }
    }
}
