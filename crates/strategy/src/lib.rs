//! kubehci-strategy: what upstream v1.33's per-resource registry strategies and API
//! defaulting do to built-in objects before they are stored, and the validation that
//! turns bad objects into `422 Invalid` field errors with upstream's exact messages.
//!
//! Objects are `serde_json::Value`s in their external (v1) JSON form and are untrusted:
//! every function here accepts any JSON shape without panicking (wrong types become
//! field errors). Resources are keyed by (group, resource); unknown ones are left alone.
//!
//! The API server calls, for a create: [`apply_defaults`], [`prepare_for_create`], then
//! (after assigning `uid`) [`generate_job_selector`] for Jobs, then [`validate_create`];
//! for an update: [`apply_defaults`], [`prepare_for_update`], [`validate_update`].

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod apps_defaults;
mod apps_validation;
mod certificates;
mod config_data;
mod container_validation;
mod cron;
mod cronjobs;
mod endpoints;
mod env_validation;
mod events_and_leases;
mod gofmt;
mod ingress;
mod jobs;
mod json;
mod kinds;
mod labelselector;
mod names;
mod namespaces_nodes;
mod network_policy;
mod objectmeta;
mod pdb_priority;
mod pod_defaults;
mod pod_update;
mod pod_validation;
mod prepare;
mod probe_validation;
mod pv;
mod pvc;
mod quota;
mod rbac;
mod resource_validation;
mod scheduling_validation;
mod security_context_validation;
mod service_cluster_ips;
mod service_defaults;
mod service_validation;
mod statefulset_validation;
mod storage_classes;
mod volume_validation;

use kubehci_api::FieldError;
use serde_json::Value;

use crate::json::{P, field};
use crate::kinds::Kind;

pub use certificates::set_csr_requester;
pub use jobs::generate_job_selector;
/// Resource quantities (kept at this path; the implementation is `kubehci_api::quantity`).
pub use kubehci_api::quantity;
pub use names::NameRule;
pub use pod_update::qos_class;

/// Whether this crate has a strategy for (group, resource).
pub fn is_known(group: &str, resource: &str) -> bool {
    Kind::of(group, resource).is_some()
}

/// Upstream defaulting: what kubectl users see in `get -o yaml` that they did not send.
pub fn apply_defaults(group: &str, resource: &str, obj: &mut Value) {
    let Some(kind) = Kind::of(group, resource) else {
        return;
    };
    use Kind::*;
    match kind {
        Pod => pod_defaults::pod(obj),
        PodTemplate => pod_defaults::template_at(obj, &["template"]),
        ReplicationController => apps_defaults::replication_controller(obj),
        Deployment => apps_defaults::deployment(obj),
        ReplicaSet => apps_defaults::replica_set(obj),
        StatefulSet => apps_defaults::stateful_set(obj),
        DaemonSet => apps_defaults::daemon_set(obj),
        Job => jobs::job_defaults(obj),
        CronJob => cronjobs::cronjob_defaults(obj),
        Service => service_defaults::defaults(obj),
        Endpoints => endpoints::endpoints_defaults(obj),
        EndpointSlice => endpoints::slice_defaults(obj),
        Secret => config_data::secret_defaults(obj),
        Namespace => namespaces_nodes::namespace_defaults(obj),
        Node => namespaces_nodes::node_defaults(obj),
        PersistentVolume => pv::pv_defaults(obj),
        PersistentVolumeClaim => pvc::pvc_defaults(obj),
        LimitRange => quota::limit_range_defaults(obj),
        ResourceQuota => quota::resource_quota_defaults(obj),
        RoleBinding | ClusterRoleBinding => rbac::binding_defaults(obj),
        StorageClass => storage_classes::storage_class_defaults(obj),
        CsiDriver => storage_classes::csi_driver_defaults(obj),
        NetworkPolicy => network_policy::network_policy_defaults(obj),
        PriorityClass => pdb_priority::priority_class_defaults(obj),
        _ => {}
    }
}

/// `PrepareForCreate`: status reset (pods start Pending with a QoS class, namespaces
/// Active...), `generation: 1` for kinds that track it, and kind-specific fix-ups.
pub fn prepare_for_create(group: &str, resource: &str, obj: &mut Value) {
    if let Some(kind) = Kind::of(group, resource) {
        prepare::create(kind, obj);
    }
}

/// `PrepareForUpdate` on the main resource (`subresource == None`: status kept from
/// `old`, generation bumped iff the spec changed) or on a subresource (`status`:
/// everything but status restored from `old`; also `finalize`, `approval`,
/// `ephemeralcontainers`).
pub fn prepare_for_update(
    group: &str,
    resource: &str,
    subresource: Option<&str>,
    new: &mut Value,
    old: &Value,
) {
    if let Some(kind) = Kind::of(group, resource) {
        prepare::update(kind, subresource, new, old);
    }
}

/// Validation of a new object (metadata included).
pub fn validate_create(group: &str, resource: &str, obj: &Value) -> Vec<FieldError> {
    let Some(kind) = Kind::of(group, resource) else {
        return Vec::new();
    };
    let mut e = Vec::new();
    if !obj.is_object() {
        e.push(json::type_error(&P::new(""), obj, "object"));
        return e;
    }
    objectmeta::validate_object_meta(obj, kind.namespaced(), kind.name_rule(), &mut e);
    spec_checks(kind, obj, &mut e);
    match kind {
        Kind::Pod => pod_validation::pod_create(obj, &mut e),
        Kind::Job => jobs::job_create(obj, &mut e),
        Kind::CronJob => cronjobs::cronjob_create(obj, &mut e),
        _ => {}
    }
    e
}

/// Validation of an update of the main resource or of a subresource.
pub fn validate_update(
    group: &str,
    resource: &str,
    subresource: Option<&str>,
    new: &Value,
    old: &Value,
) -> Vec<FieldError> {
    let Some(kind) = Kind::of(group, resource) else {
        return Vec::new();
    };
    let mut e = Vec::new();
    if !new.is_object() {
        e.push(json::type_error(&P::new(""), new, "object"));
        return e;
    }
    objectmeta::validate_object_meta_update(new, old, &mut e);
    match subresource {
        None => {
            objectmeta::validate_object_meta(new, kind.namespaced(), kind.name_rule(), &mut e);
            spec_checks(kind, new, &mut e);
            update_checks(kind, new, old, &mut e);
        }
        Some("status") => status_checks(kind, new, old, &mut e),
        Some("ephemeralcontainers") if kind == Kind::Pod => {
            pod_validation::pod_spec_of(new, &mut e);
            pod_update::validate_ephemeral_update(new, old, &mut e);
        }
        Some("finalize") if kind == Kind::Namespace => {
            namespaces_nodes::namespace_finalizers(new, &mut e)
        }
        Some("approval") if kind == Kind::CertificateSigningRequest => {
            certificates::approval_checks(new, &mut e)
        }
        Some(_) => {}
    }
    e
}

/// The metadata of a standalone object validated like any other (for resources whose
/// strategy lives elsewhere, such as custom resources).
pub fn validate_metadata(obj: &Value, namespaced: bool, rule: NameRule) -> Vec<FieldError> {
    let mut e = Vec::new();
    objectmeta::validate_object_meta(obj, namespaced, rule, &mut e);
    e
}

/// Metadata update checks (immutable identity, finalizers while deleting, labels...).
pub fn validate_metadata_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut e = Vec::new();
    objectmeta::validate_object_meta_update(new, old, &mut e);
    e
}

/// Checks shared by create and update: the object's own content.
fn spec_checks(kind: Kind, obj: &Value, e: &mut Vec<FieldError>) {
    use Kind::*;
    match kind {
        Pod => pod_validation::pod_spec_of(obj, e),
        PodTemplate => {
            pod_validation::template_spec(field(obj, "template"), &P::new("template"), e)
        }
        ReplicationController => statefulset_validation::replication_controller(obj, e),
        Deployment => apps_validation::deployment(obj, e),
        ReplicaSet => apps_validation::replica_set(obj, e),
        StatefulSet => statefulset_validation::stateful_set(obj, e),
        DaemonSet => apps_validation::daemon_set(obj, e),
        ControllerRevision => statefulset_validation::controller_revision(obj, e),
        Job => jobs::job(obj, e),
        CronJob => cronjobs::cronjob(obj, e),
        Service => service_validation::validate(obj, e),
        Endpoints => endpoints::endpoints(obj, e),
        EndpointSlice => endpoints::slice(obj, e),
        ConfigMap => config_data::config_map(obj, e),
        Secret => config_data::secret(obj, e),
        Namespace => namespaces_nodes::namespace(obj, e),
        Node => namespaces_nodes::node(obj, e),
        ServiceAccount => {}
        Event => events_and_leases::core_event(obj, e),
        EventV1 => events_and_leases::event_v1(obj, e),
        Lease => events_and_leases::lease(obj, e),
        PersistentVolume => pv::pv(obj, e),
        PersistentVolumeClaim => pvc::pvc(obj, e),
        LimitRange => quota::limit_range(obj, e),
        ResourceQuota => quota::resource_quota(obj, e),
        Role => rbac::role(obj, true, e),
        ClusterRole => rbac::role(obj, false, e),
        RoleBinding => rbac::binding(obj, true, e),
        ClusterRoleBinding => rbac::binding(obj, false, e),
        StorageClass => storage_classes::storage_class(obj, e),
        CsiDriver => storage_classes::csi_driver(obj, e),
        CsiNode => storage_classes::csi_node(obj, e),
        VolumeAttachment => storage_classes::volume_attachment(obj, e),
        NetworkPolicy => network_policy::network_policy(obj, e),
        Ingress => ingress::ingress(obj, e),
        IngressClass => ingress::ingress_class(obj, e),
        PodDisruptionBudget => pdb_priority::pdb(obj, e),
        PriorityClass => pdb_priority::priority_class(obj, e),
        CertificateSigningRequest => certificates::csr(obj, e),
    }
}

/// Update-only rules: immutable fields and allowed transitions.
fn update_checks(kind: Kind, new: &Value, old: &Value, e: &mut Vec<FieldError>) {
    use Kind::*;
    match kind {
        Pod => pod_update::validate_update(new, old, e),
        Service => service_cluster_ips::validate_update(new, old, e),
        ConfigMap => config_data::config_map_update(new, old, e),
        Secret => config_data::secret_update(new, old, e),
        Node => namespaces_nodes::node_update(new, old, e),
        PersistentVolume => pv::pv_update(new, old, e),
        PersistentVolumeClaim => pvc::pvc_update(new, old, e),
        ResourceQuota => quota::resource_quota_update(new, old, e),
        Deployment | ReplicaSet | DaemonSet => apps_validation::selector_immutable(new, old, e),
        StatefulSet => statefulset_validation::stateful_set_update(new, old, e),
        ControllerRevision => statefulset_validation::controller_revision_update(new, old, e),
        Job => jobs::job_update(new, old, e),
        RoleBinding | ClusterRoleBinding => rbac::binding_update(new, old, e),
        StorageClass => storage_classes::storage_class_update(new, old, e),
        CsiDriver => storage_classes::csi_driver_update(new, old, e),
        VolumeAttachment => storage_classes::volume_attachment_update(new, old, e),
        EndpointSlice => endpoints::slice_update(new, old, e),
        PriorityClass => pdb_priority::priority_class_update(new, old, e),
        _ => {}
    }
}

/// Status-subresource rules.
fn status_checks(kind: Kind, new: &Value, old: &Value, e: &mut Vec<FieldError>) {
    use Kind::*;
    match kind {
        Pod => pod_update::validate_status_update(new, old, e),
        Deployment | ReplicaSet | StatefulSet | DaemonSet | ReplicationController => {
            statefulset_validation::status_counts(new, e);
        }
        Namespace => namespaces_nodes::namespace_status(new, e),
        _ => {}
    }
}
