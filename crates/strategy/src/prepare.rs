//! The generic create/update steps every strategy shares: status reset or carried over,
//! `metadata.generation` tracking, identity fields restored from the stored object, and
//! what each subresource (`status`, `finalize`, `approval`, `ephemeralcontainers`) may change.

use serde_json::{Value, json};

use crate::json::{at_mut, cloned, ensure_obj, field, obj_mut, remove, same, set};
use crate::kinds::Kind;

/// `PrepareForCreate` for `kind`.
pub(crate) fn create(kind: Kind, obj: &mut Value) {
    if let Some(st) = kind.initial_status() {
        set(obj, "status", st);
    }
    match kind {
        Kind::Pod => crate::pod_update::prepare_create(obj),
        Kind::PersistentVolume => {
            let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
            set(
                obj,
                "status",
                json!({"phase": "Pending", "lastPhaseTransitionTime": now}),
            );
        }
        Kind::Namespace => {
            crate::namespaces_nodes::namespace_defaults(obj);
            if let Some(spec) = ensure_obj(obj, "spec") {
                crate::namespaces_nodes::ensure_kubernetes_finalizer(spec);
            }
        }
        Kind::Service => crate::service_defaults::prepare_create(obj),
        Kind::CertificateSigningRequest => crate::certificates::csr_prepare_create(obj),
        _ => {}
    }
    if kind.tracks_generation()
        && let Some(Value::Object(m)) = ensure_obj(obj, "metadata")
    {
        m.insert("generation".into(), json!(1));
    }
}

/// What `BeforeUpdate` restores before any strategy runs: the stored generation and
/// the identity and deletion fields a client may not change.
fn restore_identity(new: &mut Value, old: &Value) {
    let Some(om) = field(old, "metadata") else {
        return;
    };
    let om = om.clone();
    let Some(nm) = ensure_obj(new, "metadata") else {
        return;
    };
    match field(&om, "generation") {
        Some(g) => set(nm, "generation", g.clone()),
        None => remove(nm, "generation"),
    }
    if crate::json::s(nm, "uid").is_empty() && field(&om, "uid").is_some() {
        set(nm, "uid", cloned(&om, "uid"));
    }
    for k in ["creationTimestamp", "deletionTimestamp"] {
        if field(&om, k).is_some() {
            set(nm, k, cloned(&om, k));
        }
    }
    if field(&om, "deletionGracePeriodSeconds").is_some()
        && field(nm, "deletionGracePeriodSeconds").is_none()
    {
        set(
            nm,
            "deletionGracePeriodSeconds",
            cloned(&om, "deletionGracePeriodSeconds"),
        );
    }
}

fn bump_generation(new: &mut Value) {
    if let Some(m) = obj_mut(new, "metadata") {
        let g = crate::json::int(m, "generation").unwrap_or(0);
        set(m, "generation", json!(g + 1));
    }
}

/// Whether the parts of an object that drive `generation` differ: the spec, or for
/// kinds without one, everything but metadata.
fn content_changed(kind: Kind, new: &Value, old: &Value) -> bool {
    if kind == Kind::EndpointSlice {
        let strip = |v: &Value| {
            let mut v = v.clone();
            for k in ["metadata", "apiVersion", "kind"] {
                remove(&mut v, k);
            }
            v
        };
        return !same(Some(&strip(new)), Some(&strip(old)));
    }
    !same(new.get("spec"), old.get("spec"))
}

/// Copies every top-level field but `metadata` and `status` from `old` into `new`.
fn restore_all_but_status(new: &mut Value, old: &Value) {
    let Value::Object(nm) = new else { return };
    nm.retain(|k, _| matches!(k.as_str(), "metadata" | "status" | "apiVersion" | "kind"));
    if let Value::Object(om) = old {
        for (k, v) in om {
            if !matches!(k.as_str(), "metadata" | "status" | "apiVersion" | "kind") {
                nm.insert(k.clone(), v.clone());
            }
        }
    }
}

fn restore_meta(new: &mut Value, old: &Value, keys: &[&str]) {
    let om = field(old, "metadata").cloned().unwrap_or(json!({}));
    if let Some(nm) = ensure_obj(new, "metadata") {
        for k in keys {
            match field(&om, k) {
                Some(v) => set(nm, k, v.clone()),
                None => remove(nm, k),
            }
        }
    }
}

/// `PrepareForUpdate` for `kind` on the main resource (`sub == None`) or a subresource.
pub(crate) fn update(kind: Kind, sub: Option<&str>, new: &mut Value, old: &Value) {
    restore_identity(new, old);
    match sub {
        None => {
            if kind.has_status() {
                set(new, "status", cloned(old, "status"));
                if field(old, "status").is_none() {
                    remove(new, "status");
                }
            }
            match kind {
                Kind::Namespace => {
                    let fin = old
                        .get("spec")
                        .map(|s| cloned(s, "finalizers"))
                        .unwrap_or(Value::Null);
                    if let Some(spec) = ensure_obj(new, "spec") {
                        set(spec, "finalizers", fin);
                    }
                }
                Kind::CertificateSigningRequest => set(new, "spec", cloned(old, "spec")),
                Kind::Service => crate::service_defaults::prepare_update(new, old),
                _ => {}
            }
            if kind.tracks_generation() && content_changed(kind, new, old) {
                bump_generation(new);
            }
        }
        Some("status") => {
            restore_all_but_status(new, old);
            match kind {
                Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet | Kind::DaemonSet => {
                    restore_meta(new, old, &["labels"]);
                }
                Kind::Pod => {
                    restore_meta(new, old, &["ownerReferences"]);
                    let qos = old
                        .get("status")
                        .map(|s| cloned(s, "qosClass"))
                        .unwrap_or(Value::Null);
                    if let Some(st) = obj_mut(new, "status")
                        && crate::json::s(st, "qosClass").is_empty()
                        && !qos.is_null()
                    {
                        set(st, "qosClass", qos);
                    }
                }
                Kind::CertificateSigningRequest => {
                    crate::certificates::csr_prepare_status(new, old, false)
                }
                _ => {}
            }
        }
        Some("finalize") => set(new, "status", cloned(old, "status")),
        Some("approval") => {
            restore_all_but_status(new, old);
            crate::certificates::csr_prepare_status(new, old, true);
        }
        Some("ephemeralcontainers") => {
            let eph = new
                .get("spec")
                .map(|s| cloned(s, "ephemeralContainers"))
                .unwrap_or(Value::Null);
            restore_all_but_status(new, old);
            set(new, "status", cloned(old, "status"));
            restore_meta(
                new,
                old,
                &["labels", "annotations", "finalizers", "ownerReferences"],
            );
            if let Some(spec) = at_mut(new, &["spec"]) {
                set(spec, "ephemeralContainers", eph);
            }
            if content_changed(kind, new, old) {
                bump_generation(new);
            }
        }
        Some(_) => {}
    }
}
