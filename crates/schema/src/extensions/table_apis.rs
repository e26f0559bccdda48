//! Kubernetes extension facts for the named API groups, `meta/v1`, apiextensions and
//! kube-aggregator definitions (notation: see `super`).

pub(super) const FACTS: &str = "\
apps.v1.DaemonSetStatus
    conditions                   map(type) merge(type)
apps.v1.DeploymentSpec
    strategy                     retainKeys
apps.v1.DeploymentStatus
    conditions                   map(type) merge(type)
apps.v1.ReplicaSetStatus
    conditions                   map(type) merge(type)
apps.v1.StatefulSetSpec
    volumeClaimTemplates         atomic
apps.v1.StatefulSetStatus
    conditions                   map(type) merge(type)
authentication.v1.TokenRequestSpec
    audiences                    atomic
authentication.v1.TokenReviewSpec
    audiences                    atomic
authentication.v1.TokenReviewStatus
    audiences                    atomic
authentication.v1.UserInfo
    groups                       atomic
authorization.v1.FieldSelectorAttributes
    requirements                 atomic
authorization.v1.LabelSelectorAttributes
    requirements                 atomic
authorization.v1.NonResourceRule
    nonResourceURLs              atomic
    verbs                        atomic
authorization.v1.ResourceRule
    apiGroups                    atomic
    resourceNames                atomic
    resources                    atomic
    verbs                        atomic
authorization.v1.SubjectAccessReviewSpec
    groups                       atomic
authorization.v1.SubjectRulesReviewStatus
    nonResourceRules             atomic
    resourceRules                atomic
autoscaling.v1.CrossVersionObjectReference map-atomic
autoscaling.v2.HPAScalingRules
    policies                     atomic
autoscaling.v2.HorizontalPodAutoscalerSpec
    metrics                      atomic
autoscaling.v2.HorizontalPodAutoscalerStatus
    conditions                   map(type) merge(type)
    currentMetrics               atomic
batch.v1.CronJobStatus
    active                       atomic
batch.v1.JobStatus
    conditions                   atomic merge(type)
batch.v1.PodFailurePolicy
    rules                        atomic
batch.v1.PodFailurePolicyOnExitCodesRequirement
    values                       set
batch.v1.PodFailurePolicyRule
    onPodConditions              atomic
batch.v1.SuccessPolicy
    rules                        atomic
batch.v1.UncountedTerminatedPods
    failed                       set
    succeeded                    set
certificates.v1.CertificateSigningRequestSpec
    groups                       atomic
    request                      atomic
    usages                       atomic
certificates.v1.CertificateSigningRequestStatus
    certificate                  atomic
    conditions                   map(type)
discovery.v1.Endpoint
    addresses                    set
discovery.v1.EndpointHints
    forNodes                     atomic
    forZones                     atomic
discovery.v1.EndpointPort               map-atomic
discovery.v1.EndpointSlice
    endpoints                    atomic
    ports                        atomic
networking.v1.HTTPIngressRuleValue
    paths                        atomic
networking.v1.IPBlock
    except                       atomic
networking.v1.IngressLoadBalancerIngress
    ports                        atomic
networking.v1.IngressLoadBalancerStatus
    ingress                      atomic
networking.v1.IngressSpec
    rules                        atomic
    tls                          atomic
networking.v1.IngressTLS
    hosts                        atomic
networking.v1.NetworkPolicyEgressRule
    ports                        atomic
    to                           atomic
networking.v1.NetworkPolicyIngressRule
    from                         atomic
    ports                        atomic
networking.v1.NetworkPolicySpec
    egress                       atomic
    ingress                      atomic
    policyTypes                  atomic
networking.v1.ServiceBackendPort        map-atomic
networking.v1.ServiceCIDRSpec
    cidrs                        atomic
networking.v1.ServiceCIDRStatus
    conditions                   map(type) merge(type)
networking.v1beta1.ServiceCIDRSpec
    cidrs                        atomic
networking.v1beta1.ServiceCIDRStatus
    conditions                   map(type) merge(type)
node.v1.Scheduling
    nodeSelector                 map-atomic
    tolerations                  atomic
policy.v1.PodDisruptionBudgetSpec
    selector                     replace
policy.v1.PodDisruptionBudgetStatus
    conditions                   map(type) merge(type)
rbac.v1.AggregationRule
    clusterRoleSelectors         atomic
rbac.v1.ClusterRole
    rules                        atomic
rbac.v1.ClusterRoleBinding
    subjects                     atomic
rbac.v1.PolicyRule
    apiGroups                    atomic
    nonResourceURLs              atomic
    resourceNames                atomic
    resources                    atomic
    verbs                        atomic
rbac.v1.Role
    rules                        atomic
rbac.v1.RoleBinding
    subjects                     atomic
rbac.v1.RoleRef                         map-atomic
rbac.v1.Subject                         map-atomic
storage.v1.CSIDriverSpec
    tokenRequests                atomic
    volumeLifecycleModes         set
storage.v1.CSINodeDriver
    topologyKeys                 atomic
storage.v1.CSINodeSpec
    drivers                      map(name) merge(name)
storage.v1.StorageClass
    allowedTopologies            atomic
    mountOptions                 atomic
io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionNames
    categories                   atomic
    shortNames                   atomic
io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionSpec
    versions                     atomic
io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionStatus
    conditions                   map(type)
    storedVersions               atomic
io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionVersion
    additionalPrinterColumns     atomic
    selectableFields             atomic
io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps
    allOf                        atomic
    anyOf                        atomic
    enum                         atomic
    oneOf                        atomic
    required                     atomic
    x-kubernetes-list-map-keys   atomic
    x-kubernetes-validations     map(rule) merge(rule)
io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.WebhookConversion
    conversionReviewVersions     atomic
io.k8s.apimachinery.pkg.apis.meta.v1.APIGroup
    serverAddressByClientCIDRs   atomic
    versions                     atomic
io.k8s.apimachinery.pkg.apis.meta.v1.APIGroupList
    groups                       atomic
io.k8s.apimachinery.pkg.apis.meta.v1.APIResource
    categories                   atomic
    shortNames                   atomic
io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList
    resources                    atomic
io.k8s.apimachinery.pkg.apis.meta.v1.APIVersions
    serverAddressByClientCIDRs   atomic
    versions                     atomic
io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions
    dryRun                       atomic
io.k8s.apimachinery.pkg.apis.meta.v1.FieldSelectorRequirement
    values                       atomic
io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector map-atomic
    matchExpressions             atomic
io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement
    values                       atomic
io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta
    finalizers                   set merge
    managedFields                atomic
    ownerReferences              map(uid) merge(uid)
io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference map-atomic
io.k8s.apimachinery.pkg.apis.meta.v1.Status
    details                      atomic
io.k8s.apimachinery.pkg.apis.meta.v1.StatusDetails
    causes                       atomic
io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIServiceSpec
    caBundle                     atomic
io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIServiceStatus
    conditions                   map(type) merge(type)
";
