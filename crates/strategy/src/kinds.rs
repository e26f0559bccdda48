//! The built-in kinds this crate has strategies for, keyed by (group, resource), with the
//! per-kind facts the generic steps need: scope, name rule, generation tracking, and the
//! status a freshly created object starts with.

use serde_json::{Value, json};

use crate::names::NameRule;

/// One built-in resource kubehci has a strategy for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Pod,
    Node,
    Namespace,
    Service,
    Endpoints,
    ConfigMap,
    Secret,
    ServiceAccount,
    Event,
    PersistentVolume,
    PersistentVolumeClaim,
    LimitRange,
    ResourceQuota,
    ReplicationController,
    PodTemplate,
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    ControllerRevision,
    Job,
    CronJob,
    Role,
    RoleBinding,
    ClusterRole,
    ClusterRoleBinding,
    StorageClass,
    CsiDriver,
    CsiNode,
    VolumeAttachment,
    Lease,
    EndpointSlice,
    EventV1,
    NetworkPolicy,
    Ingress,
    IngressClass,
    PodDisruptionBudget,
    PriorityClass,
    CertificateSigningRequest,
}

impl Kind {
    pub(crate) fn of(group: &str, resource: &str) -> Option<Kind> {
        use Kind::*;
        Some(match (group, resource) {
            ("", "pods") => Pod,
            ("", "nodes") => Node,
            ("", "namespaces") => Namespace,
            ("", "services") => Service,
            ("", "endpoints") => Endpoints,
            ("", "configmaps") => ConfigMap,
            ("", "secrets") => Secret,
            ("", "serviceaccounts") => ServiceAccount,
            ("", "events") => Event,
            ("", "persistentvolumes") => PersistentVolume,
            ("", "persistentvolumeclaims") => PersistentVolumeClaim,
            ("", "limitranges") => LimitRange,
            ("", "resourcequotas") => ResourceQuota,
            ("", "replicationcontrollers") => ReplicationController,
            ("", "podtemplates") => PodTemplate,
            ("apps", "deployments") => Deployment,
            ("apps", "replicasets") => ReplicaSet,
            ("apps", "statefulsets") => StatefulSet,
            ("apps", "daemonsets") => DaemonSet,
            ("apps", "controllerrevisions") => ControllerRevision,
            ("batch", "jobs") => Job,
            ("batch", "cronjobs") => CronJob,
            ("rbac.authorization.k8s.io", "roles") => Role,
            ("rbac.authorization.k8s.io", "rolebindings") => RoleBinding,
            ("rbac.authorization.k8s.io", "clusterroles") => ClusterRole,
            ("rbac.authorization.k8s.io", "clusterrolebindings") => ClusterRoleBinding,
            ("storage.k8s.io", "storageclasses") => StorageClass,
            ("storage.k8s.io", "csidrivers") => CsiDriver,
            ("storage.k8s.io", "csinodes") => CsiNode,
            ("storage.k8s.io", "volumeattachments") => VolumeAttachment,
            ("coordination.k8s.io", "leases") => Lease,
            ("discovery.k8s.io", "endpointslices") => EndpointSlice,
            ("events.k8s.io", "events") => EventV1,
            ("networking.k8s.io", "networkpolicies") => NetworkPolicy,
            ("networking.k8s.io", "ingresses") => Ingress,
            ("networking.k8s.io", "ingressclasses") => IngressClass,
            ("policy", "poddisruptionbudgets") => PodDisruptionBudget,
            ("scheduling.k8s.io", "priorityclasses") => PriorityClass,
            ("certificates.k8s.io", "certificatesigningrequests") => CertificateSigningRequest,
            _ => return None,
        })
    }

    pub(crate) fn namespaced(self) -> bool {
        use Kind::*;
        !matches!(
            self,
            Node | Namespace
                | PersistentVolume
                | ClusterRole
                | ClusterRoleBinding
                | StorageClass
                | CsiDriver
                | CsiNode
                | VolumeAttachment
                | IngressClass
                | PriorityClass
                | CertificateSigningRequest
        )
    }

    pub(crate) fn name_rule(self) -> NameRule {
        use Kind::*;
        match self {
            Namespace => NameRule::Label,
            Service => NameRule::Dns1035,
            Role | RoleBinding | ClusterRole | ClusterRoleBinding | Event => NameRule::PathSegment,
            CertificateSigningRequest => NameRule::Any,
            _ => NameRule::Subdomain,
        }
    }

    /// Kinds whose strategy sets `metadata.generation` and bumps it on spec changes.
    pub(crate) fn tracks_generation(self) -> bool {
        use Kind::*;
        matches!(
            self,
            Pod | Deployment
                | ReplicaSet
                | StatefulSet
                | DaemonSet
                | ReplicationController
                | Job
                | CronJob
                | NetworkPolicy
                | Ingress
                | IngressClass
                | PodDisruptionBudget
                | EndpointSlice
        )
    }

    /// Kinds served with a `status` subresource: status is reset on create and kept
    /// from the stored object on main-resource updates.
    pub(crate) fn has_status(self) -> bool {
        use Kind::*;
        matches!(
            self,
            Pod | Node
                | Namespace
                | Service
                | PersistentVolume
                | PersistentVolumeClaim
                | ResourceQuota
                | ReplicationController
                | Deployment
                | ReplicaSet
                | StatefulSet
                | DaemonSet
                | Job
                | CronJob
                | VolumeAttachment
                | Ingress
                | PodDisruptionBudget
                | CertificateSigningRequest
        )
    }

    /// The status a new object is stored with (as the empty Go struct serializes), or
    /// `None` to keep what the client sent (nodes) or to let a strategy compute it.
    pub(crate) fn initial_status(self) -> Option<Value> {
        use Kind::*;
        Some(match self {
            Service | Ingress => json!({"loadBalancer": {}}),
            ReplicationController | ReplicaSet => json!({"replicas": 0}),
            StatefulSet => json!({"replicas": 0, "availableReplicas": 0}),
            DaemonSet => json!({
                "currentNumberScheduled": 0, "numberMisscheduled": 0,
                "desiredNumberScheduled": 0, "numberReady": 0
            }),
            PodDisruptionBudget => json!({
                "disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0
            }),
            VolumeAttachment => json!({"attached": false}),
            Namespace => json!({"phase": "Active"}),
            PersistentVolumeClaim => json!({"phase": "Pending"}),
            Deployment | Job | CronJob | ResourceQuota | CertificateSigningRequest => json!({}),
            _ => return None,
        })
    }
}
