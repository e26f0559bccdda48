//! Which k8s-openapi type describes which built-in kind, and which kinds the served
//! subresources read and write.

use k8s_openapi::Resource;
use k8s_openapi::schemars::{JsonSchema, SchemaGenerator};

/// One built-in kind and how to generate its schema.
pub(crate) struct KindType {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    /// Adds the kind's schema (and everything it refers to) to the generator and
    /// returns its definition name.
    pub add: fn(&mut SchemaGenerator) -> String,
}

fn add<T: JsonSchema>(generator: &mut SchemaGenerator) -> String {
    generator.subschema_for::<T>();
    T::schema_name().into_owned()
}

macro_rules! kinds {
    ($($t:ty),* $(,)?) => {
        &[$(KindType {
            group: <$t as Resource>::GROUP,
            version: <$t as Resource>::VERSION,
            kind: <$t as Resource>::KIND,
            add: add::<$t>,
        }),*]
    };
}

use k8s_openapi::api as a;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiext;
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1 as apireg;

/// Every kind k8s-openapi knows at v1.33, served or not.
pub(crate) const KINDS: &[KindType] = kinds![
    a::core::v1::Binding,
    a::core::v1::ComponentStatus,
    a::core::v1::ConfigMap,
    a::core::v1::Endpoints,
    a::core::v1::Event,
    a::core::v1::LimitRange,
    a::core::v1::Namespace,
    a::core::v1::Node,
    a::core::v1::PersistentVolume,
    a::core::v1::PersistentVolumeClaim,
    a::core::v1::Pod,
    a::core::v1::PodTemplate,
    a::core::v1::ReplicationController,
    a::core::v1::ResourceQuota,
    a::core::v1::Secret,
    a::core::v1::Service,
    a::core::v1::ServiceAccount,
    a::admissionregistration::v1::MutatingWebhookConfiguration,
    a::admissionregistration::v1::ValidatingAdmissionPolicy,
    a::admissionregistration::v1::ValidatingAdmissionPolicyBinding,
    a::admissionregistration::v1::ValidatingWebhookConfiguration,
    a::admissionregistration::v1alpha1::MutatingAdmissionPolicy,
    a::admissionregistration::v1alpha1::MutatingAdmissionPolicyBinding,
    a::admissionregistration::v1beta1::ValidatingAdmissionPolicy,
    a::admissionregistration::v1beta1::ValidatingAdmissionPolicyBinding,
    a::apiserverinternal::v1alpha1::StorageVersion,
    a::apps::v1::ControllerRevision,
    a::apps::v1::DaemonSet,
    a::apps::v1::Deployment,
    a::apps::v1::ReplicaSet,
    a::apps::v1::StatefulSet,
    a::authentication::v1::SelfSubjectReview,
    a::authentication::v1::TokenRequest,
    a::authentication::v1::TokenReview,
    a::authorization::v1::LocalSubjectAccessReview,
    a::authorization::v1::SelfSubjectAccessReview,
    a::authorization::v1::SelfSubjectRulesReview,
    a::authorization::v1::SubjectAccessReview,
    a::autoscaling::v1::HorizontalPodAutoscaler,
    a::autoscaling::v1::Scale,
    a::autoscaling::v2::HorizontalPodAutoscaler,
    a::batch::v1::CronJob,
    a::batch::v1::Job,
    a::certificates::v1::CertificateSigningRequest,
    a::certificates::v1alpha1::ClusterTrustBundle,
    a::certificates::v1beta1::ClusterTrustBundle,
    a::coordination::v1::Lease,
    a::coordination::v1alpha2::LeaseCandidate,
    a::coordination::v1beta1::LeaseCandidate,
    a::discovery::v1::EndpointSlice,
    a::events::v1::Event,
    a::flowcontrol::v1::FlowSchema,
    a::flowcontrol::v1::PriorityLevelConfiguration,
    a::networking::v1::IPAddress,
    a::networking::v1::Ingress,
    a::networking::v1::IngressClass,
    a::networking::v1::NetworkPolicy,
    a::networking::v1::ServiceCIDR,
    a::networking::v1beta1::IPAddress,
    a::networking::v1beta1::ServiceCIDR,
    a::node::v1::RuntimeClass,
    a::policy::v1::Eviction,
    a::policy::v1::PodDisruptionBudget,
    a::rbac::v1::ClusterRole,
    a::rbac::v1::ClusterRoleBinding,
    a::rbac::v1::Role,
    a::rbac::v1::RoleBinding,
    a::resource::v1alpha3::DeviceClass,
    a::resource::v1alpha3::DeviceTaintRule,
    a::resource::v1alpha3::ResourceClaim,
    a::resource::v1alpha3::ResourceClaimTemplate,
    a::resource::v1alpha3::ResourceSlice,
    a::resource::v1beta1::DeviceClass,
    a::resource::v1beta1::ResourceClaim,
    a::resource::v1beta1::ResourceClaimTemplate,
    a::resource::v1beta1::ResourceSlice,
    a::resource::v1beta2::DeviceClass,
    a::resource::v1beta2::ResourceClaim,
    a::resource::v1beta2::ResourceClaimTemplate,
    a::resource::v1beta2::ResourceSlice,
    a::scheduling::v1::PriorityClass,
    a::storage::v1::CSIDriver,
    a::storage::v1::CSINode,
    a::storage::v1::CSIStorageCapacity,
    a::storage::v1::StorageClass,
    a::storage::v1::VolumeAttachment,
    a::storage::v1alpha1::VolumeAttributesClass,
    a::storage::v1beta1::VolumeAttributesClass,
    a::storagemigration::v1alpha1::StorageVersionMigration,
    apiext::CustomResourceDefinition,
    apireg::APIService,
    meta::APIGroup,
    meta::APIGroupList,
    meta::APIResourceList,
    meta::APIVersions,
    meta::Status,
];

/// Definitions that are not kinds of their own but that operations refer to.
pub(crate) fn add_meta_definitions(generator: &mut SchemaGenerator) {
    generator.subschema_for::<meta::DeleteOptions>();
    generator.subschema_for::<meta::Patch>();
    generator.subschema_for::<meta::WatchEvent<a::core::v1::Pod>>();
}

pub(crate) const STATUS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
pub(crate) const DELETE_OPTIONS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
pub(crate) const WATCH_EVENT: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent";
pub(crate) const PATCH: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
pub(crate) const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
pub(crate) const LIST_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";
pub(crate) const API_RESOURCE_LIST: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList";

/// What a subresource's operations carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubKind {
    /// Reads and writes the parent kind (`status`, `ephemeralcontainers`, `approval`):
    /// GET/PUT/PATCH, or only the listed methods.
    Parent(&'static [&'static str]),
    /// Reads and writes another kind (`scale`): GET/PUT/PATCH.
    Other {
        group: &'static str,
        version: &'static str,
        kind: &'static str,
    },
    /// Creates another kind (`binding`, `eviction`, `token`): POST.
    Create {
        group: &'static str,
        version: &'static str,
        kind: &'static str,
    },
    /// Streams plain text (`log`): GET.
    Text,
    /// A connect operation (`exec`, `attach`, `portforward`, `proxy`) described by an
    /// options kind.
    Connect {
        methods: &'static [&'static str],
        options: &'static str,
    },
}

const RW: &[&str] = &["get", "put", "patch"];
const GET_POST: &[&str] = &["get", "post"];
const ALL_PROXY: &[&str] = &["delete", "get", "head", "options", "patch", "post", "put"];

/// How a subresource of a parent kind behaves; `None` for unknown subresources.
pub(crate) fn subresource(parent_kind: &str, name: &str) -> Option<SubKind> {
    Some(match name {
        "status" | "ephemeralcontainers" | "approval" => SubKind::Parent(RW),
        "finalize" => SubKind::Parent(&["put"]),
        "scale" => SubKind::Other {
            group: "autoscaling",
            version: "v1",
            kind: "Scale",
        },
        "binding" => SubKind::Create {
            group: "",
            version: "v1",
            kind: "Binding",
        },
        "eviction" => SubKind::Create {
            group: "policy",
            version: "v1",
            kind: "Eviction",
        },
        "token" => SubKind::Create {
            group: "authentication.k8s.io",
            version: "v1",
            kind: "TokenRequest",
        },
        "log" => SubKind::Text,
        "exec" => SubKind::Connect {
            methods: GET_POST,
            options: "PodExecOptions",
        },
        "attach" => SubKind::Connect {
            methods: GET_POST,
            options: "PodAttachOptions",
        },
        "portforward" => SubKind::Connect {
            methods: GET_POST,
            options: "PodPortForwardOptions",
        },
        "proxy" => SubKind::Connect {
            methods: ALL_PROXY,
            options: match parent_kind {
                "Node" => "NodeProxyOptions",
                "Service" => "ServiceProxyOptions",
                _ => "PodProxyOptions",
            },
        },
        _ => return None,
    })
}
