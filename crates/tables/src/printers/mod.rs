//! The built-in printers: for each group/resource, upstream's columns and a function
//! turning one object into one row. Cells are always computed as upstream's server
//! does it, with the wide (`priority: 1`) cells included.

mod apps;
mod core;
mod other;
mod pod;
mod storage;

use serde_json::Value;

use crate::columns::{self as cols, Col};
use crate::util::{Ctx, Row};

pub(crate) type PrintFn = fn(&Value, &Ctx) -> Row;

/// The printer of a built-in resource, if upstream has one; others use the default
/// table (`Name`, `Created At`).
pub(crate) fn lookup(group: &str, resource: &str) -> Option<(&'static [Col], PrintFn)> {
    let p: (&'static [Col], PrintFn) = match (group, resource) {
        ("", "pods") => (cols::POD, pod::pod),
        ("", "podtemplates") => (cols::POD_TEMPLATE, apps::pod_template),
        ("", "replicationcontrollers") => (cols::RC, apps::replication_controller),
        ("", "services") => (cols::SERVICE, core::service),
        ("", "endpoints") => (cols::ENDPOINTS, core::endpoints),
        ("", "nodes") => (cols::NODE, core::node),
        ("", "events") | ("events.k8s.io", "events") => (cols::EVENT, core::event),
        ("", "namespaces") => (cols::NAMESPACE, core::namespace),
        ("", "secrets") => (cols::SECRET, core::secret),
        ("", "serviceaccounts") => (cols::SERVICE_ACCOUNT, core::service_account),
        ("", "configmaps") => (cols::CONFIGMAP, core::config_map),
        ("", "persistentvolumes") => (cols::PV, storage::persistent_volume),
        ("", "persistentvolumeclaims") => (cols::PVC, storage::persistent_volume_claim),
        ("", "resourcequotas") => (cols::RESOURCE_QUOTA, storage::resource_quota),
        ("apps", "deployments") => (cols::DEPLOYMENT, apps::deployment),
        ("apps", "replicasets") => (cols::RS, apps::replica_set),
        ("apps", "statefulsets") => (cols::STATEFULSET, apps::stateful_set),
        ("apps", "daemonsets") => (cols::DS, apps::daemon_set),
        ("apps", "controllerrevisions") => (cols::CONTROLLER_REVISION, apps::controller_revision),
        ("batch", "jobs") => (cols::JOB, apps::job),
        ("batch", "cronjobs") => (cols::CRONJOB, apps::cron_job),
        ("rbac.authorization.k8s.io", "rolebindings") => (cols::ROLE_BINDING, other::role_binding),
        ("rbac.authorization.k8s.io", "clusterrolebindings") => {
            (cols::CLUSTER_ROLE_BINDING, other::role_binding)
        }
        ("storage.k8s.io", "storageclasses") => (cols::STORAGE_CLASS, storage::storage_class),
        ("storage.k8s.io", "csidrivers") => (cols::CSI_DRIVER, storage::csi_driver),
        ("storage.k8s.io", "csinodes") => (cols::CSI_NODE, storage::csi_node),
        ("storage.k8s.io", "volumeattachments") => {
            (cols::VOLUME_ATTACHMENT, storage::volume_attachment)
        }
        ("coordination.k8s.io", "leases") => (cols::LEASE, other::lease),
        ("discovery.k8s.io", "endpointslices") => (cols::ENDPOINT_SLICE, other::endpoint_slice),
        ("networking.k8s.io", "networkpolicies") => (cols::NETWORK_POLICY, other::network_policy),
        ("networking.k8s.io", "ingresses") => (cols::INGRESS, other::ingress),
        ("networking.k8s.io", "ingressclasses") => (cols::INGRESS_CLASS, other::ingress_class),
        ("policy", "poddisruptionbudgets") => (cols::PDB, other::pod_disruption_budget),
        ("scheduling.k8s.io", "priorityclasses") => (cols::PRIORITY_CLASS, other::priority_class),
        ("certificates.k8s.io", "certificatesigningrequests") => {
            (cols::CSR, other::certificate_signing_request)
        }
        _ => return None,
    };
    Some(p)
}
