//! Column sets of workloads (pod templates, replication controllers, replica sets,
//! daemon sets, jobs, cron jobs, stateful sets, deployments, controller revisions),
//! policy, networking, RBAC, certificates, coordination, storage and discovery.

use super::docs::*;
use super::{AGE, CONTAINERS, Col, IMAGES, NAME, c, w};

pub(crate) const PDB: &[Col] = &[
    NAME,
    c(
        "Min Available",
        "string",
        "The minimum number of pods that must be available.",
    ),
    c(
        "Max Unavailable",
        "string",
        "The maximum number of pods that may be unavailable.",
    ),
    c(
        "Allowed Disruptions",
        "integer",
        "Calculated number of pods that may be disrupted at this time.",
    ),
    AGE,
];
pub(crate) const INGRESS: &[Col] = &[
    NAME,
    c(
        "Class",
        "string",
        "The name of the IngressClass resource that should be used for additional configuration",
    ),
    c(
        "Hosts",
        "string",
        "Hosts that incoming requests are matched against before the ingress rule",
    ),
    c(
        "Address",
        "string",
        "Address is a list containing ingress points for the load-balancer",
    ),
    c("Ports", "string", "Ports of TLS configurations that open"),
    AGE,
];
pub(crate) const INGRESS_CLASS: &[Col] = &[
    NAME,
    c(
        "Controller",
        "string",
        "Controller that is responsible for handling this class",
    ),
    c(
        "Parameters",
        "string",
        "A reference to a resource with additional parameters",
    ),
    AGE,
];
pub(crate) const NETWORK_POLICY: &[Col] =
    &[NAME, c("Pod-Selector", "string", NETPOL_POD_SELECTOR), AGE];
pub(crate) const ROLE_BINDING: &[Col] = &[
    NAME,
    c("Role", "string", RB_ROLE_REF),
    AGE,
    w("Users", "string", "Users in the roleBinding"),
    w("Groups", "string", "Groups in the roleBinding"),
    w(
        "ServiceAccounts",
        "string",
        "ServiceAccounts in the roleBinding",
    ),
];
pub(crate) const CLUSTER_ROLE_BINDING: &[Col] = &[
    NAME,
    c("Role", "string", CRB_ROLE_REF),
    AGE,
    w("Users", "string", "Users in the clusterRoleBinding"),
    w("Groups", "string", "Groups in the clusterRoleBinding"),
    w(
        "ServiceAccounts",
        "string",
        "ServiceAccounts in the clusterRoleBinding",
    ),
];
pub(crate) const CSR: &[Col] = &[
    NAME,
    AGE,
    c("SignerName", "string", CSR_SIGNER),
    c("Requestor", "string", CSR_REQUEST),
    c("RequestedDuration", "string", CSR_EXPIRATION),
    c("Condition", "string", CSR_CONDITIONS),
];
pub(crate) const LEASE: &[Col] = &[NAME, c("Holder", "string", LEASE_HOLDER), AGE];
pub(crate) const STORAGE_CLASS: &[Col] = &[
    NAME,
    c("Provisioner", "string", SC_PROVISIONER),
    c("ReclaimPolicy", "string", SC_RECLAIM),
    c("VolumeBindingMode", "string", SC_BINDING),
    c("AllowVolumeExpansion", "string", SC_EXPANSION),
    AGE,
];
pub(crate) const PRIORITY_CLASS: &[Col] = &[
    NAME,
    c("Value", "integer", PC_VALUE),
    c("Global-Default", "boolean", PC_DEFAULT),
    AGE,
    c("PreemptionPolicy", "string", PC_PREEMPTION),
];
pub(crate) const VOLUME_ATTACHMENT: &[Col] = &[
    NAME,
    Col {
        format: "name",
        ..c("Attacher", "string", VA_ATTACHER)
    },
    c("PV", "string", VA_PV),
    c("Node", "string", VA_NODE),
    c("Attached", "boolean", VA_ATTACHED),
    AGE,
];
pub(crate) const ENDPOINT_SLICE: &[Col] = &[
    NAME,
    c("AddressType", "string", ES_ADDRESS_TYPE),
    c("Ports", "string", ES_PORTS),
    c("Endpoints", "string", ES_ENDPOINTS),
    AGE,
];
pub(crate) const CSI_NODE: &[Col] = &[
    NAME,
    c(
        "Drivers",
        "integer",
        "Drivers indicates the number of CSI drivers registered on the node",
    ),
    AGE,
];
pub(crate) const CSI_DRIVER: &[Col] = &[
    NAME,
    c("AttachRequired", "boolean", CSI_ATTACH),
    c("PodInfoOnMount", "boolean", CSI_POD_INFO),
    c("StorageCapacity", "boolean", CSI_CAPACITY),
    c("TokenRequests", "string", CSI_TOKENS),
    c("RequiresRepublish", "boolean", CSI_REPUBLISH),
    c("Modes", "string", CSI_MODES),
    AGE,
];

pub(crate) const POD_TEMPLATE: &[Col] = &[
    NAME,
    c("Containers", "string", CONTAINERS),
    c("Images", "string", IMAGES),
    c("Pod Labels", "string", "The labels for the pod template."),
];
pub(crate) const RC: &[Col] = &[
    NAME,
    c("Desired", "integer", RC_REPLICAS),
    c("Current", "integer", RC_STATUS_REPLICAS),
    c("Ready", "integer", RC_READY),
    AGE,
    w("Containers", "string", CONTAINERS),
    w("Images", "string", IMAGES),
    w("Selector", "string", RC_SELECTOR),
];
pub(crate) const RS: &[Col] = &[
    NAME,
    c("Desired", "integer", RS_REPLICAS),
    c("Current", "integer", RS_STATUS_REPLICAS),
    c("Ready", "integer", RS_READY),
    AGE,
    w("Containers", "string", CONTAINERS),
    w("Images", "string", IMAGES),
    w("Selector", "string", RS_SELECTOR),
];
pub(crate) const DS: &[Col] = &[
    NAME,
    c("Desired", "integer", DS_DESIRED),
    c("Current", "integer", DS_CURRENT),
    c("Ready", "integer", DS_READY),
    c("Up-to-date", "integer", DS_UPDATED),
    c("Available", "integer", DS_AVAILABLE),
    c("Node Selector", "string", POD_NODE_SELECTOR),
    AGE,
    w("Containers", "string", CONTAINERS),
    w("Images", "string", IMAGES),
    w("Selector", "string", DS_SELECTOR),
];
pub(crate) const JOB: &[Col] = &[
    NAME,
    c("Status", "string", "Status of the job."),
    c("Completions", "string", JOB_SUCCEEDED),
    c("Duration", "string", "Time required to complete the job."),
    AGE,
    w("Containers", "string", CONTAINERS),
    w("Images", "string", IMAGES),
    w("Selector", "string", JOB_SELECTOR),
];
pub(crate) const CRONJOB: &[Col] = &[
    NAME,
    c("Schedule", "string", CJ_SCHEDULE),
    c("Timezone", "string", CJ_TIMEZONE),
    c("Suspend", "boolean", CJ_SUSPEND),
    c("Active", "integer", CJ_ACTIVE),
    c("Last Schedule", "string", CJ_LAST),
    AGE,
    w("Containers", "string", CONTAINERS),
    w("Images", "string", IMAGES),
    w("Selector", "string", JOB_SELECTOR),
];
pub(crate) const STATEFULSET: &[Col] = &[
    NAME,
    c("Ready", "string", "Number of the pod with ready state"),
    AGE,
    w("Containers", "string", CONTAINERS),
    w("Images", "string", IMAGES),
];
pub(crate) const DEPLOYMENT: &[Col] = &[
    NAME,
    c("Ready", "string", "Number of the pod with ready state"),
    c("Up-to-date", "string", DEPLOY_UPDATED),
    c("Available", "string", DEPLOY_AVAILABLE),
    AGE,
    w("Containers", "string", CONTAINERS),
    w("Images", "string", IMAGES),
    w("Selector", "string", DEPLOY_SELECTOR),
];
pub(crate) const CONTROLLER_REVISION: &[Col] = &[
    NAME,
    c("Controller", "string", "Controller of the object"),
    c("Revision", "string", CR_REVISION),
    AGE,
];
