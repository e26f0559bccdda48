//! The built-in resources kubehci serves, named and scoped as upstream v1.33 does.

use crate::registry::{ALL_VERBS, ResourceInfo, Scope};

struct Row {
    gv: &'static str,
    resource: &'static str,
    kind: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
    categories: &'static [&'static str],
    subresources: &'static [&'static str],
    /// `None` means the full read-write verb set.
    verbs: Option<&'static [&'static str]>,
}

const fn row(
    gv: &'static str,
    resource: &'static str,
    kind: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
    categories: &'static [&'static str],
    subresources: &'static [&'static str],
) -> Row {
    Row {
        gv,
        resource,
        kind,
        namespaced,
        short,
        categories,
        subresources,
        verbs: None,
    }
}

const NS: bool = true;
const CL: bool = false;
const ALL: &[&str] = &["all"];
const NONE: &[&str] = &[];
const CREATE_ONLY: &[&str] = &["create"];

const NS_VERBS: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];

#[rustfmt::skip]
const ROWS: &[Row] = &[
    // core/v1
    Row { verbs: Some(NS_VERBS), ..row("v1", "namespaces", "Namespace", CL, &["ns"], NONE, &["status", "finalize"]) },
    row("v1", "pods", "Pod", NS, &["po"], ALL, &[
        "status", "binding", "log", "exec", "attach", "portforward", "eviction",
        "ephemeralcontainers",
    ]),
    row("v1", "nodes", "Node", CL, &["no"], NONE, &["status", "proxy"]),
    row("v1", "services", "Service", NS, &["svc"], ALL, &["status", "proxy"]),
    row("v1", "endpoints", "Endpoints", NS, &["ep"], NONE, NONE),
    row("v1", "configmaps", "ConfigMap", NS, &["cm"], NONE, NONE),
    row("v1", "secrets", "Secret", NS, NONE, NONE, NONE),
    row("v1", "serviceaccounts", "ServiceAccount", NS, &["sa"], NONE, &["token"]),
    row("v1", "events", "Event", NS, &["ev"], NONE, NONE),
    row("v1", "persistentvolumes", "PersistentVolume", CL, &["pv"], NONE, &["status"]),
    row("v1", "persistentvolumeclaims", "PersistentVolumeClaim", NS, &["pvc"], NONE, &["status"]),
    row("v1", "limitranges", "LimitRange", NS, &["limits"], NONE, NONE),
    row("v1", "resourcequotas", "ResourceQuota", NS, &["quota"], NONE, &["status"]),
    row("v1", "replicationcontrollers", "ReplicationController", NS, &["rc"], ALL, &["status", "scale"]),
    row("v1", "podtemplates", "PodTemplate", NS, NONE, NONE, NONE),
    Row { verbs: Some(CREATE_ONLY), ..row("v1", "bindings", "Binding", NS, NONE, NONE, NONE) },
    // apps/v1
    row("apps/v1", "deployments", "Deployment", NS, &["deploy"], ALL, &["status", "scale"]),
    row("apps/v1", "replicasets", "ReplicaSet", NS, &["rs"], ALL, &["status", "scale"]),
    row("apps/v1", "statefulsets", "StatefulSet", NS, &["sts"], ALL, &["status", "scale"]),
    row("apps/v1", "daemonsets", "DaemonSet", NS, &["ds"], ALL, &["status"]),
    row("apps/v1", "controllerrevisions", "ControllerRevision", NS, NONE, NONE, NONE),
    // batch/v1
    row("batch/v1", "jobs", "Job", NS, NONE, ALL, &["status"]),
    row("batch/v1", "cronjobs", "CronJob", NS, &["cj"], ALL, &["status"]),
    // rbac
    row("rbac.authorization.k8s.io/v1", "roles", "Role", NS, NONE, NONE, NONE),
    row("rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding", NS, NONE, NONE, NONE),
    row("rbac.authorization.k8s.io/v1", "clusterroles", "ClusterRole", CL, NONE, NONE, NONE),
    row("rbac.authorization.k8s.io/v1", "clusterrolebindings", "ClusterRoleBinding", CL, NONE, NONE, NONE),
    // storage
    row("storage.k8s.io/v1", "storageclasses", "StorageClass", CL, &["sc"], NONE, NONE),
    row("storage.k8s.io/v1", "csidrivers", "CSIDriver", CL, NONE, NONE, NONE),
    row("storage.k8s.io/v1", "csinodes", "CSINode", CL, NONE, NONE, NONE),
    row("storage.k8s.io/v1", "volumeattachments", "VolumeAttachment", CL, NONE, NONE, &["status"]),
    // coordination, discovery, events
    row("coordination.k8s.io/v1", "leases", "Lease", NS, NONE, NONE, NONE),
    row("discovery.k8s.io/v1", "endpointslices", "EndpointSlice", NS, NONE, NONE, NONE),
    row("events.k8s.io/v1", "events", "Event", NS, &["ev"], NONE, NONE),
    // networking
    row("networking.k8s.io/v1", "networkpolicies", "NetworkPolicy", NS, &["netpol"], NONE, NONE),
    row("networking.k8s.io/v1", "ingresses", "Ingress", NS, &["ing"], NONE, &["status"]),
    row("networking.k8s.io/v1", "ingressclasses", "IngressClass", CL, NONE, NONE, NONE),
    // policy, scheduling, certificates
    row("policy/v1", "poddisruptionbudgets", "PodDisruptionBudget", NS, &["pdb"], NONE, &["status"]),
    row("scheduling.k8s.io/v1", "priorityclasses", "PriorityClass", CL, &["pc"], NONE, NONE),
    row("certificates.k8s.io/v1", "certificatesigningrequests", "CertificateSigningRequest", CL, &["csr"], NONE, &["status", "approval"]),
    // apiextensions
    row("apiextensions.k8s.io/v1", "customresourcedefinitions", "CustomResourceDefinition", CL, &["crd", "crds"], &["api-extensions"], &["status"]),
    // reviews: create-only, never stored
    Row { verbs: Some(CREATE_ONLY), ..row("authorization.k8s.io/v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", CL, NONE, NONE, NONE) },
    Row { verbs: Some(CREATE_ONLY), ..row("authorization.k8s.io/v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview", CL, NONE, NONE, NONE) },
    Row { verbs: Some(CREATE_ONLY), ..row("authorization.k8s.io/v1", "subjectaccessreviews", "SubjectAccessReview", CL, NONE, NONE, NONE) },
    Row { verbs: Some(CREATE_ONLY), ..row("authorization.k8s.io/v1", "localsubjectaccessreviews", "LocalSubjectAccessReview", NS, NONE, NONE, NONE) },
    Row { verbs: Some(CREATE_ONLY), ..row("authentication.k8s.io/v1", "selfsubjectreviews", "SelfSubjectReview", CL, NONE, NONE, NONE) },
    Row { verbs: Some(CREATE_ONLY), ..row("authentication.k8s.io/v1", "tokenreviews", "TokenReview", CL, NONE, NONE, NONE) },
];

/// Every built-in resource, in upstream's discovery order within each group.
pub fn builtin_resources() -> Vec<ResourceInfo> {
    ROWS.iter()
        .map(|r| {
            let (group, version) = crate::registry::split_api_version(r.gv);
            let verbs: &[&str] = r.verbs.unwrap_or(ALL_VERBS);
            // Cluster-scoped or not, a resource whose list is served also supports
            // deletecollection; create-only resources keep just `create`.
            ResourceInfo {
                group: group.to_string(),
                version: version.to_string(),
                resource: r.resource.to_string(),
                singular: r.kind.to_lowercase(),
                kind: r.kind.to_string(),
                list_kind: format!("{}List", r.kind),
                scope: if r.namespaced {
                    Scope::Namespaced
                } else {
                    Scope::Cluster
                },
                short_names: r.short.iter().map(|s| s.to_string()).collect(),
                categories: r.categories.iter().map(|s| s.to_string()).collect(),
                verbs: verbs.iter().map(|s| s.to_string()).collect(),
                subresources: r.subresources.iter().map(|s| s.to_string()).collect(),
                preferred: true,
            }
        })
        .collect()
}

/// The order upstream lists API groups in `/apis` (core `v1` is served at `/api`).
pub const GROUP_ORDER: &[&str] = &[
    "apiregistration.k8s.io",
    "apps",
    "events.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "node.k8s.io",
    "discovery.k8s.io",
    "flowcontrol.apiserver.k8s.io",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_unique_per_group_version_and_short_names_do_not_clash() {
        let all = builtin_resources();
        let mut seen = std::collections::HashSet::new();
        for r in &all {
            assert!(
                seen.insert((r.group.clone(), r.version.clone(), r.resource.clone())),
                "{}",
                r.resource
            );
        }
        let pods = all.iter().find(|r| r.resource == "pods").unwrap();
        assert_eq!(pods.short_names, vec!["po"]);
        assert!(pods.namespaced());
        assert_eq!(pods.qualified_kind(), "Pod");
        let deploy = all.iter().find(|r| r.resource == "deployments").unwrap();
        assert_eq!(deploy.qualified_kind(), "Deployment.apps");
        assert_eq!(deploy.group_resource().to_string(), "deployments.apps");
    }
}
