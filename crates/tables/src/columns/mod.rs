//! Column definitions of every built-in printer, as upstream's `AddHandlers` declares
//! them (names, types, formats, priorities), with upstream's descriptions: the
//! `SwaggerDoc()` text of the field a column shows. Upstream points some of them at
//! beta API types (extensions/v1beta1, batch/v1beta1, discovery/v1beta1); the stable
//! types' wording is used here.

mod docs;
mod other;

use serde_json::{Value, json};

pub(crate) use docs::META_CREATED;
use docs::*;
pub(crate) use other::*;

/// One `TableColumnDefinition`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Col {
    pub name: &'static str,
    pub ty: &'static str,
    pub format: &'static str,
    pub desc: &'static str,
    pub priority: i64,
}

impl Col {
    pub fn to_json(self) -> Value {
        json!({"name": self.name, "type": self.ty, "format": self.format, "description": self.desc, "priority": self.priority})
    }
}

const fn c(name: &'static str, ty: &'static str, desc: &'static str) -> Col {
    Col {
        name,
        ty,
        format: "",
        desc,
        priority: 0,
    }
}

/// A `-o wide` column (priority 1).
const fn w(name: &'static str, ty: &'static str, desc: &'static str) -> Col {
    Col {
        name,
        ty,
        format: "",
        desc,
        priority: 1,
    }
}

pub(crate) const NAME: Col = Col {
    name: "Name",
    ty: "string",
    format: "name",
    desc: META_NAME,
    priority: 0,
};
const AGE: Col = c("Age", "string", META_CREATED);
const CONTAINERS: &str = "Names of each container in the template.";
const IMAGES: &str = "Images referenced by each container in the template.";

/// The default table convertor's columns (resources without a printer).
pub(crate) const DEFAULT: &[Col] = &[NAME, c("Created At", "date", META_CREATED)];

// Core resources: pods, services, endpoints, nodes, events, namespaces, secrets,
// service accounts, config maps, volumes and claims, resource quotas.

pub(crate) const POD: &[Col] = &[
    NAME,
    c(
        "Ready",
        "string",
        "The aggregate readiness state of this pod for accepting traffic.",
    ),
    c(
        "Status",
        "string",
        "The aggregate status of the containers in this pod.",
    ),
    c(
        "Restarts",
        "string",
        "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
    ),
    AGE,
    w("IP", "string", POD_IP),
    w("Node", "string", POD_NODE),
    w("Nominated Node", "string", POD_NOMINATED),
    w("Readiness Gates", "string", POD_GATES),
];
pub(crate) const SERVICE: &[Col] = &[
    NAME,
    c("Type", "string", SVC_TYPE),
    c("Cluster-IP", "string", SVC_CLUSTER_IP),
    c("External-IP", "string", SVC_EXTERNAL_IPS),
    c("Port(s)", "string", SVC_PORTS),
    AGE,
    w("Selector", "string", SVC_SELECTOR),
];
pub(crate) const ENDPOINTS: &[Col] = &[NAME, c("Endpoints", "string", EP_SUBSETS), AGE];
pub(crate) const NODE: &[Col] = &[
    NAME,
    c("Status", "string", "The status of the node"),
    c("Roles", "string", "The roles of the node"),
    AGE,
    c("Version", "string", NODE_KUBELET),
    w("Internal-IP", "string", NODE_ADDRESSES),
    w("External-IP", "string", NODE_ADDRESSES),
    w("OS-Image", "string", NODE_OS_IMAGE),
    w("Kernel-Version", "string", NODE_KERNEL),
    w("Container-Runtime", "string", NODE_RUNTIME),
];
pub(crate) const EVENT: &[Col] = &[
    c("Last Seen", "string", EV_LAST),
    c("Type", "string", EV_TYPE),
    c("Reason", "string", EV_REASON),
    c("Object", "string", EV_OBJECT),
    w("Subobject", "string", EV_FIELD_PATH),
    w("Source", "string", EV_SOURCE),
    c("Message", "string", EV_MESSAGE),
    w("First Seen", "string", EV_FIRST),
    w("Count", "string", EV_COUNT),
    Col {
        priority: 1,
        ..NAME
    },
];
pub(crate) const NAMESPACE: &[Col] = &[
    NAME,
    c("Status", "string", "The status of the namespace"),
    AGE,
];
pub(crate) const SECRET: &[Col] = &[
    NAME,
    c("Type", "string", SECRET_TYPE),
    c("Data", "string", SECRET_DATA),
    AGE,
];
pub(crate) const SERVICE_ACCOUNT: &[Col] = &[NAME, c("Secrets", "string", SA_SECRETS), AGE];
pub(crate) const CONFIGMAP: &[Col] = &[NAME, c("Data", "string", CM_DATA), AGE];
pub(crate) const PV: &[Col] = &[
    NAME,
    c("Capacity", "string", PV_CAPACITY),
    c("Access Modes", "string", PV_ACCESS),
    c("Reclaim Policy", "string", PV_RECLAIM),
    c("Status", "string", PV_PHASE),
    c("Claim", "string", PV_CLAIM),
    c("StorageClass", "string", "StorageClass of the pv"),
    c(
        "VolumeAttributesClass",
        "string",
        "VolumeAttributesClass of the pv",
    ),
    c("Reason", "string", PV_REASON),
    AGE,
    w("VolumeMode", "string", PV_MODE),
];
pub(crate) const PVC: &[Col] = &[
    NAME,
    c("Status", "string", PVC_PHASE),
    c("Volume", "string", PVC_VOLUME),
    c("Capacity", "string", PVC_CAPACITY),
    c("Access Modes", "string", PVC_ACCESS),
    c("StorageClass", "string", "StorageClass of the pvc"),
    c(
        "VolumeAttributesClass",
        "string",
        "VolumeAttributesClass of the pvc",
    ),
    AGE,
    w("VolumeMode", "string", PVC_MODE),
];
pub(crate) const RESOURCE_QUOTA: &[Col] = &[
    NAME,
    c(
        "Request",
        "string",
        "Request represents a minimum amount of cpu/memory that a container may consume.",
    ),
    c(
        "Limit",
        "string",
        "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.",
    ),
    AGE,
];
