//! Managed-fields tracking for non-apply writes (create, update, JSON/merge/strategic
//! patch): the changed fields go to the writer's `Update` entry.

use serde_json::{Map, Value};

use super::{Failure, reset_set, strip_meta, update_managers, without_managed_fields};
use crate::managed::{
    Entry, MAX_UPDATE_MANAGERS, Managed, ManagerKey, cap_update_managers, decode, encode_into,
    is_reset, normalize_time,
};
use crate::ty::{SchemaRef, Ty};

/// Upstream's limit on manager names (`FieldManagerMaxLength`).
const FIELD_MANAGER_MAX_LENGTH: usize = 128;

/// Everything a write request carries for managed-fields tracking.
#[derive(Debug, Clone, Copy, Default)]
pub struct UpdateOptions<'a> {
    /// Manager name (see [`manager_or_user_agent`]); empty becomes `unknown`.
    pub manager: &'a str,
    /// `apiVersion` of the request (`apps/v1`).
    pub api_version: &'a str,
    /// Subresource written (`status`...). Managed fields in the request body are then
    /// ignored, as upstream does.
    pub subresource: Option<&'a str>,
    /// Current time, RFC 3339.
    pub now: &'a str,
    /// Fields the strategy resets for this endpoint (see `ApplyOptions::reset_fields`).
    pub reset_fields: &'a [&'a str],
}

/// Records an `Update` by `manager` that turns `old` (`None`: create) into `new`, writing
/// `new.metadata.managedFields`. Never fails: like upstream's `UpdateNoErrors`, on an
/// internal error the previous managed fields are kept.
pub fn update_managed_fields(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    subresource: Option<&str>,
    api_version: &str,
    now: &str,
    schema: SchemaRef<'_>,
) {
    let opts = UpdateOptions {
        manager,
        api_version,
        subresource,
        now,
        reset_fields: &[],
    };
    update_managed_fields_with(old, new, &opts, schema);
}

/// [`update_managed_fields`] with every option.
pub fn update_managed_fields_with(
    old: Option<&Value>,
    new: &mut Value,
    opts: &UpdateOptions<'_>,
    schema: SchemaRef<'_>,
) {
    let ty = Ty::new(schema);
    let live_managed = || old.map(decode).and_then(Result::ok).unwrap_or_default();
    let managed = if opts.subresource.is_some() {
        live_managed()
    } else if is_reset(new) {
        Managed::new()
    } else {
        match decode(new) {
            Ok(m) if !m.is_empty() => m,
            _ => live_managed(),
        }
    };
    let new_clean = without_managed_fields(new);
    if managed.is_empty() && old.is_some_and(has_uid) {
        // An existing object nobody tracks (or whose tracking was just reset) stays
        // untracked (upstream `skipNonAppliedManager`).
        encode_into(new, &Managed::new());
        return;
    }
    let old_clean = match old {
        Some(o) => without_managed_fields(o),
        None => empty_like(&new_clean, ty),
    };
    match track(&old_clean, &new_clean, managed, opts, ty) {
        Ok(m) => encode_into(new, &m),
        Err(e) => {
            let why = match e {
                Failure::Error(e) => e.to_string(),
                Failure::Conflicts(_) => "unexpected conflicts".into(),
            };
            tracing::warn!(manager = opts.manager, error = %why, "failed to update managedFields; kept the previous ones");
            restore(old, new);
        }
    }
}

fn track(
    old: &Value,
    new: &Value,
    managed: Managed,
    opts: &UpdateOptions<'_>,
    ty: Ty<'_>,
) -> Result<Managed, Failure> {
    let reset = reset_set(opts.reset_fields);
    let (mut managers, cmp) = update_managers(old, new, managed, None, true, &reset, ty)?;
    let key = ManagerKey::new(
        opts.manager,
        false,
        opts.api_version,
        opts.subresource.unwrap_or_default(),
    );
    // The operation's own set is computed apart (upstream's "current-operation"), stripped,
    // then added to what this manager still owns.
    let op = ManagerKey::new("\u{0}current-operation", false, opts.api_version, "");
    let set = cmp.modified.union(&cmp.added).recursive_difference(&reset);
    let mut scratch = Managed::new();
    scratch.insert(
        op.clone(),
        Entry {
            set,
            api_version: opts.api_version.into(),
            applied: false,
            time: None,
        },
    );
    strip_meta(&mut scratch, &op);
    if let Some(current) = scratch.remove(&op) {
        let previous = managers
            .get(&key)
            .map(|e| e.set.clone())
            .unwrap_or_default();
        managers.insert(
            key,
            Entry {
                set: current.set.union(&previous),
                api_version: opts.api_version.into(),
                applied: false,
                time: Some(normalize_time(opts.now)),
            },
        );
    }
    cap_update_managers(&mut managers, MAX_UPDATE_MANAGERS);
    Ok(managers)
}

/// Puts the old object's managed fields back on `new`.
fn restore(old: Option<&Value>, new: &mut Value) {
    let previous = old
        .and_then(|o| o.pointer("/metadata/managedFields"))
        .cloned();
    if let Some(Value::Object(meta)) = new.get_mut("metadata") {
        match previous {
            Some(p) => {
                meta.insert("managedFields".into(), p);
            }
            None => {
                meta.shift_remove("managedFields");
            }
        }
    }
}

fn has_uid(obj: &Value) -> bool {
    obj.pointer("/metadata/uid")
        .and_then(Value::as_str)
        .is_some_and(|u| !u.is_empty())
}

/// What upstream compares a created object against: an empty object of the kind. For
/// built-in kinds Go always serializes non-pointer structs (`metadata`, `spec`, `status`,
/// and fields whose schema has `default: {}`), so those exist, empty, before the create.
fn empty_like(new: &Value, ty: Ty<'_>) -> Value {
    if !ty.is_builtin() {
        return Value::Object(Map::new());
    }
    skeleton(new, ty, true)
}

fn skeleton(new: &Value, ty: Ty<'_>, root: bool) -> Value {
    let mut out = Map::new();
    if let Value::Object(m) = new {
        for (k, v) in m {
            let present = (root && matches!(k.as_str(), "metadata" | "spec" | "status"))
                || ty.field_always_present(k);
            if present && v.is_object() {
                out.insert(k.clone(), skeleton(v, ty.field(k), false));
            }
        }
        // Required lists, maps and pointers without `omitempty` serialize as `null`.
        for k in ty.required_nullable_fields() {
            if m.contains_key(k) && !out.contains_key(k) {
                out.insert(k.to_string(), Value::Null);
            }
        }
    }
    Value::Object(out)
}

/// Upstream `prefixFromUserAgent`: the part of a user agent before the first `/`, without
/// unprintable characters, at most 128 bytes
/// (`kubectl-client-side-apply/v1.33.0 (linux/amd64)` -> `kubectl-client-side-apply`).
pub fn manager_from_user_agent(user_agent: &str) -> String {
    let prefix = user_agent.split('/').next().unwrap_or_default();
    let mut out = String::new();
    for c in prefix.chars() {
        let printable = !c.is_control() && (c == ' ' || !c.is_whitespace());
        if !printable {
            continue;
        }
        if out.len() + c.len_utf8() > FIELD_MANAGER_MAX_LENGTH {
            break;
        }
        out.push(c);
    }
    out
}

/// Upstream `managerOrUserAgent`: the `fieldManager` parameter when given, else the
/// user-agent prefix.
pub fn manager_or_user_agent(field_manager: Option<&str>, user_agent: &str) -> String {
    match field_manager {
        Some(m) if !m.is_empty() => m.to_string(),
        _ => manager_from_user_agent(user_agent),
    }
}
