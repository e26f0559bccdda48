//! Server-side apply (`application/apply-patch+yaml`).

use serde_json::{Value, json};

use super::{
    ConflictSets, Failure, lastapplied, prune, reset_set, strip_meta, update_managers,
    without_managed_fields,
};
use crate::error::{Conflict, PatchError};
use crate::fieldpath::{Set, path_string, value_eq};
use crate::managed::{Entry, Managed, ManagerKey, decode, encode_into, normalize_time};
use crate::ty::{SchemaRef, Ty};
use crate::typed::{merge, to_field_set, validate};

/// Manager that takes ownership of the fields of an object first applied to while it had
/// no managed fields.
const BEFORE_FIRST_APPLY: &str = "before-first-apply";

/// Everything an apply request carries besides the objects.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApplyOptions<'a> {
    /// `fieldManager` (required for apply; upstream rejects an empty one before patching).
    pub manager: &'a str,
    /// `force`: take ownership of conflicting fields instead of failing.
    pub force: bool,
    /// Subresource the request addresses (`status`, `scale`), if any.
    pub subresource: Option<&'a str>,
    /// Current time, RFC 3339; recorded (whole seconds, UTC) in the manager's entry.
    pub now: &'a str,
    /// Fields the resource strategy resets for this endpoint (`status` on the main
    /// resource, `spec` on `/status`...): never owned, never conflicting.
    pub reset_fields: &'a [&'a str],
    /// `apiVersion` the request addresses; an applied object of another version or kind
    /// is rejected (upstream's `versionCheckManager`). Unchecked when `None`.
    pub api_version: Option<&'a str>,
    /// Kind the request addresses (checked together with `api_version`).
    pub kind: Option<&'a str>,
}

/// Server-side apply of `applied` (the request body) by `manager` onto `live` (`None`:
/// create). Returns the new object with `metadata.managedFields` updated; when the apply
/// changes nothing it returns `live` (managed fields possibly updated) unchanged.
pub fn apply(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
    schema: SchemaRef<'_>,
    now: &str,
) -> Result<Value, PatchError> {
    apply_with(
        live,
        applied,
        &ApplyOptions {
            manager,
            force,
            now,
            ..Default::default()
        },
        schema,
    )
}

/// [`apply`] with every option.
pub fn apply_with(
    live: Option<&Value>,
    applied: &Value,
    opts: &ApplyOptions<'_>,
    schema: SchemaRef<'_>,
) -> Result<Value, PatchError> {
    let ty = Ty::new(schema);
    if !applied.is_object() {
        return Err(PatchError::BadRequest(format!(
            "error decoding patch: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            kubehci_api::gofmt::go_type(applied)
        )));
    }
    let version = applied
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kind = applied
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if let Some(want) = opts.api_version
        && (opts.kind.is_some_and(|k| k != kind) || want != version)
    {
        return Err(PatchError::BadRequest(format!(
            "invalid object type: {}",
            gvk_string(version, kind)
        )));
    }
    if applied
        .pointer("/metadata/managedFields")
        .is_some_and(|m| !m.is_null())
    {
        return Err(PatchError::BadRequest(
            "metadata.managedFields must be nil".into(),
        ));
    }
    validate(applied, ty).map_err(|e| {
        PatchError::Internal(format!(
            "failed to create typed patch object ({}): {e}",
            gvknn(applied, version, kind)
        ))
    })?;

    let live_obj = live.cloned().unwrap_or_else(|| json!({}));
    let managed = decode(&live_obj)
        .map_err(|e| PatchError::Internal(format!("failed to decode managed fields: {e}")))?;
    let live_clean = without_managed_fields(&live_obj);
    let subresource = opts.subresource.unwrap_or_default();
    let key = ManagerKey::new(opts.manager, true, version, subresource);
    let reset = reset_set(opts.reset_fields);
    let now = normalize_time(opts.now);

    let attempt = |force: bool| -> Result<(Option<Value>, Managed), Failure> {
        let mut managed = managed.clone();
        if managed.is_empty() {
            before_first_apply(
                &live_clean,
                &mut managed,
                version,
                subresource,
                &now,
                &reset,
                ty,
            )?;
        }
        apply_once(
            &live_clean,
            applied,
            &managed,
            &key,
            version,
            force,
            &reset,
            ty,
        )
    };
    let outcome = match attempt(opts.force) {
        Err(Failure::Conflicts(conflicts)) if opts.manager == "kubectl" => {
            // `kubectl apply --server-side` over a client-side-applied object: conflicts on
            // fields the last-applied annotation already set to their live value are fine.
            match lastapplied::allowed_conflicts(&live_clean, version, ty) {
                Some(allowed) => {
                    let remaining: ConflictSets = conflicts
                        .into_iter()
                        .map(|(k, s)| (k, s.difference(&allowed)))
                        .filter(|(_, s)| !s.is_empty())
                        .collect();
                    if remaining.is_empty() {
                        attempt(true)
                    } else {
                        Err(Failure::Conflicts(remaining))
                    }
                }
                None => Err(Failure::Conflicts(conflicts)),
            }
        }
        other => other,
    };
    let (obj, mut managed) = match outcome {
        Ok(r) => r,
        Err(Failure::Conflicts(c)) => return Err(PatchError::Conflicts(to_conflicts(c))),
        Err(Failure::Error(e)) => return Err(e),
    };
    let mut out = match obj {
        Some(o) => {
            if let Some(e) = managed.get_mut(&key) {
                e.time = Some(now.clone());
            }
            o
        }
        None => live_clean,
    };
    if opts.manager == "kubectl" {
        lastapplied::update_annotation(&mut out, applied);
    }
    encode_into(&mut out, &managed);
    Ok(out)
}

/// One run of SMD's `Updater.Apply` plus the strip-meta step.
#[allow(clippy::too_many_arguments)]
fn apply_once(
    live: &Value,
    config: &Value,
    managed: &Managed,
    key: &ManagerKey,
    version: &str,
    force: bool,
    reset: &Set,
    ty: Ty<'_>,
) -> Result<(Option<Value>, Managed), Failure> {
    let merged = merge(live, config, ty)?;
    let last = managed.get(key).map(|e| e.set.clone());
    let set = to_field_set(config, ty)?.recursive_difference(reset);
    let mut managers = managed.clone();
    let time = managers.get(key).and_then(|e| e.time.clone());
    managers.insert(
        key.clone(),
        Entry {
            set,
            api_version: version.into(),
            applied: true,
            time,
        },
    );
    let new_obj = prune(&merged, &managers, last.as_ref(), ty)?;
    let (mut managers, _) = update_managers(live, &new_obj, managers, Some(key), force, reset, ty)?;
    strip_meta(&mut managers, key);
    let changed = !value_eq(live, &new_obj);
    Ok((changed.then_some(new_obj), managers))
}

/// Gives the fields of an untracked live object to `before-first-apply` (upstream
/// `skipNonAppliedManager.Apply`).
fn before_first_apply(
    live: &Value,
    managed: &mut Managed,
    version: &str,
    subresource: &str,
    now: &str,
    reset: &Set,
    ty: Ty<'_>,
) -> Result<(), PatchError> {
    let empty = json!({});
    let (mut managers, cmp) =
        match update_managers(&empty, live, managed.clone(), None, true, reset, ty) {
            Ok(r) => r,
            Err(Failure::Error(e)) => return Err(e),
            Err(Failure::Conflicts(_)) => return Ok(()),
        };
    let key = ManagerKey::new(BEFORE_FIRST_APPLY, false, version, subresource);
    let set = cmp.modified.union(&cmp.added).recursive_difference(reset);
    managers.insert(
        key.clone(),
        Entry {
            set,
            api_version: version.into(),
            applied: false,
            time: Some(now.into()),
        },
    );
    strip_meta(&mut managers, &key);
    *managed = managers;
    Ok(())
}

/// Conflicts in upstream's order: managers by identifier, fields in set order.
fn to_conflicts(mut sets: ConflictSets) -> Vec<Conflict> {
    sets.sort_by_key(|(k, _)| k.identifier());
    let mut out = Vec::new();
    for (key, set) in sets {
        for p in set.paths() {
            out.push(Conflict {
                manager: key.display(),
                manager_name: key.manager.clone(),
                field: path_string(&p),
            });
        }
    }
    out
}

/// Go's `schema.GroupVersionKind.String()`: `apps/v1, Kind=Deployment`, `/v1, Kind=Pod`.
fn gvk_string(api_version: &str, kind: &str) -> String {
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    format!("{group}/{version}, Kind={kind}")
}

/// Upstream `objectGVKNN`: `namespace/name; gvk`.
fn gvknn(obj: &Value, version: &str, kind: &str) -> String {
    let s = |p: &str| obj.pointer(p).and_then(Value::as_str).unwrap_or_default();
    format!(
        "{}/{}; {}",
        s("/metadata/namespace"),
        s("/metadata/name"),
        gvk_string(version, kind)
    )
}
