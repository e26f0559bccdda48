//! Kubernetes extension facts for admissionregistration, resource, flowcontrol,
//! apiserverinternal and storagemigration definitions (notation: see `super`).

pub(super) const FACTS: &str = "\
admissionregistration.v1.MatchResources map-atomic
    excludeResourceRules         atomic
    resourceRules                atomic
admissionregistration.v1.MutatingWebhook
    admissionReviewVersions      atomic
    matchConditions              map(name) merge(name)
    rules                        atomic
admissionregistration.v1.MutatingWebhookConfiguration
    webhooks                     map(name) merge(name)
admissionregistration.v1.NamedRuleWithOperations map-atomic
    apiGroups                    atomic
    apiVersions                  atomic
    operations                   atomic
    resourceNames                atomic
    resources                    atomic
admissionregistration.v1.ParamKind      map-atomic
admissionregistration.v1.ParamRef       map-atomic
admissionregistration.v1.RuleWithOperations
    apiGroups                    atomic
    apiVersions                  atomic
    operations                   atomic
    resources                    atomic
admissionregistration.v1.TypeChecking
    expressionWarnings           atomic
admissionregistration.v1.ValidatingAdmissionPolicyBindingSpec
    validationActions            set
admissionregistration.v1.ValidatingAdmissionPolicySpec
    auditAnnotations             atomic
    matchConditions              map(name) merge(name)
    validations                  atomic
    variables                    map(name) merge(name)
admissionregistration.v1.ValidatingAdmissionPolicyStatus
    conditions                   map(type)
admissionregistration.v1.ValidatingWebhook
    admissionReviewVersions      atomic
    matchConditions              map(name) merge(name)
    rules                        atomic
admissionregistration.v1.ValidatingWebhookConfiguration
    webhooks                     map(name) merge(name)
admissionregistration.v1.Variable       map-atomic
admissionregistration.v1alpha1.MatchResources map-atomic
    excludeResourceRules         atomic
    resourceRules                atomic
admissionregistration.v1alpha1.MutatingAdmissionPolicySpec
    matchConditions              map(name) merge(name)
    mutations                    atomic
    variables                    atomic
admissionregistration.v1alpha1.NamedRuleWithOperations map-atomic
    apiGroups                    atomic
    apiVersions                  atomic
    operations                   atomic
    resourceNames                atomic
    resources                    atomic
admissionregistration.v1alpha1.ParamKind map-atomic
admissionregistration.v1alpha1.ParamRef map-atomic
admissionregistration.v1beta1.MatchResources map-atomic
    excludeResourceRules         atomic
    resourceRules                atomic
admissionregistration.v1beta1.NamedRuleWithOperations map-atomic
    apiGroups                    atomic
    apiVersions                  atomic
    operations                   atomic
    resourceNames                atomic
    resources                    atomic
admissionregistration.v1beta1.ParamKind map-atomic
admissionregistration.v1beta1.ParamRef  map-atomic
admissionregistration.v1beta1.TypeChecking
    expressionWarnings           atomic
admissionregistration.v1beta1.ValidatingAdmissionPolicyBindingSpec
    validationActions            set
admissionregistration.v1beta1.ValidatingAdmissionPolicySpec
    auditAnnotations             atomic
    matchConditions              map(name) merge(name)
    validations                  atomic
    variables                    map(name) merge(name)
admissionregistration.v1beta1.ValidatingAdmissionPolicyStatus
    conditions                   map(type)
admissionregistration.v1beta1.Variable  map-atomic
apiserverinternal.v1alpha1.ServerStorageVersion
    decodableVersions            set
    servedVersions               set
apiserverinternal.v1alpha1.StorageVersionStatus
    conditions                   map(type)
    storageVersions              map(apiServerID)
flowcontrol.v1.FlowSchemaSpec
    rules                        atomic
flowcontrol.v1.FlowSchemaStatus
    conditions                   map(type) merge(type)
flowcontrol.v1.NonResourcePolicyRule
    nonResourceURLs              set
    verbs                        set
flowcontrol.v1.PolicyRulesWithSubjects
    nonResourceRules             atomic
    resourceRules                atomic
    subjects                     atomic
flowcontrol.v1.PriorityLevelConfigurationStatus
    conditions                   map(type) merge(type)
flowcontrol.v1.ResourcePolicyRule
    apiGroups                    set
    namespaces                   set
    resources                    set
    verbs                        set
resource.v1alpha3.AllocatedDeviceStatus
    conditions                   map(type)
resource.v1alpha3.BasicDevice
    consumesCounters             atomic
    taints                       atomic
resource.v1alpha3.DeviceAllocationConfiguration
    requests                     atomic
resource.v1alpha3.DeviceAllocationResult
    config                       atomic
    results                      atomic
resource.v1alpha3.DeviceClaim
    config                       atomic
    constraints                  atomic
    requests                     atomic
resource.v1alpha3.DeviceClaimConfiguration
    requests                     atomic
resource.v1alpha3.DeviceClassSpec
    config                       atomic
    selectors                    atomic
resource.v1alpha3.DeviceConstraint
    requests                     atomic
resource.v1alpha3.DeviceRequest
    firstAvailable               atomic
    selectors                    atomic
    tolerations                  atomic
resource.v1alpha3.DeviceRequestAllocationResult
    tolerations                  atomic
resource.v1alpha3.DeviceSubRequest
    selectors                    atomic
    tolerations                  atomic
resource.v1alpha3.DeviceTaintSelector
    selectors                    atomic
resource.v1alpha3.NetworkDeviceData
    ips                          atomic
resource.v1alpha3.ResourceClaimStatus
    devices                      map(driver,device,pool)
    reservedFor                  map(uid) merge(uid)
resource.v1alpha3.ResourceSliceSpec
    devices                      atomic
    sharedCounters               atomic
resource.v1beta1.AllocatedDeviceStatus
    conditions                   map(type)
resource.v1beta1.BasicDevice
    consumesCounters             atomic
    taints                       atomic
resource.v1beta1.DeviceAllocationConfiguration
    requests                     atomic
resource.v1beta1.DeviceAllocationResult
    config                       atomic
    results                      atomic
resource.v1beta1.DeviceClaim
    config                       atomic
    constraints                  atomic
    requests                     atomic
resource.v1beta1.DeviceClaimConfiguration
    requests                     atomic
resource.v1beta1.DeviceClassSpec
    config                       atomic
    selectors                    atomic
resource.v1beta1.DeviceConstraint
    requests                     atomic
resource.v1beta1.DeviceRequest
    firstAvailable               atomic
    selectors                    atomic
    tolerations                  atomic
resource.v1beta1.DeviceRequestAllocationResult
    tolerations                  atomic
resource.v1beta1.DeviceSubRequest
    selectors                    atomic
    tolerations                  atomic
resource.v1beta1.NetworkDeviceData
    ips                          atomic
resource.v1beta1.ResourceClaimStatus
    devices                      map(driver,device,pool)
    reservedFor                  map(uid) merge(uid)
resource.v1beta1.ResourceSliceSpec
    devices                      atomic
    sharedCounters               atomic
resource.v1beta2.AllocatedDeviceStatus
    conditions                   map(type)
resource.v1beta2.Device
    consumesCounters             atomic
    taints                       atomic
resource.v1beta2.DeviceAllocationConfiguration
    requests                     atomic
resource.v1beta2.DeviceAllocationResult
    config                       atomic
    results                      atomic
resource.v1beta2.DeviceClaim
    config                       atomic
    constraints                  atomic
    requests                     atomic
resource.v1beta2.DeviceClaimConfiguration
    requests                     atomic
resource.v1beta2.DeviceClassSpec
    config                       atomic
    selectors                    atomic
resource.v1beta2.DeviceConstraint
    requests                     atomic
resource.v1beta2.DeviceRequest
    firstAvailable               atomic
resource.v1beta2.DeviceRequestAllocationResult
    tolerations                  atomic
resource.v1beta2.DeviceSubRequest
    selectors                    atomic
    tolerations                  atomic
resource.v1beta2.ExactDeviceRequest
    selectors                    atomic
    tolerations                  atomic
resource.v1beta2.NetworkDeviceData
    ips                          atomic
resource.v1beta2.ResourceClaimStatus
    devices                      map(driver,device,pool)
    reservedFor                  map(uid) merge(uid)
resource.v1beta2.ResourceSliceSpec
    devices                      atomic
    sharedCounters               atomic
storagemigration.v1alpha1.StorageVersionMigrationList
    items                        map(type) merge(type)
storagemigration.v1alpha1.StorageVersionMigrationStatus
    conditions                   map(type) merge(type)
";
