//! Kubernetes extension facts for `core/v1` definitions (notation: see `super`).

pub(super) const FACTS: &str = "\
core.v1.Capabilities
    add                          atomic
    drop                         atomic
core.v1.CephFSPersistentVolumeSource
    monitors                     atomic
core.v1.CephFSVolumeSource
    monitors                     atomic
core.v1.ComponentStatus
    conditions                   map(type) merge(type)
core.v1.ConfigMapKeySelector            map-atomic
core.v1.ConfigMapProjection
    items                        atomic
core.v1.ConfigMapVolumeSource
    items                        atomic
core.v1.Container
    args                         atomic
    command                      atomic
    env                          map(name) merge(name)
    envFrom                      atomic
    ports                        map(containerPort,protocol) merge(containerPort)
    resizePolicy                 atomic
    volumeDevices                map(devicePath) merge(devicePath)
    volumeMounts                 map(mountPath) merge(mountPath)
core.v1.ContainerImage
    names                        atomic
core.v1.ContainerStatus
    allocatedResourcesStatus     map(name) merge(name)
    volumeMounts                 map(mountPath) merge(mountPath)
core.v1.DownwardAPIProjection
    items                        atomic
core.v1.DownwardAPIVolumeSource
    items                        atomic
core.v1.EndpointAddress                 map-atomic
core.v1.EndpointPort                    map-atomic
core.v1.EndpointSubset
    addresses                    atomic
    notReadyAddresses            atomic
    ports                        atomic
core.v1.Endpoints
    subsets                      atomic
core.v1.EphemeralContainer
    args                         atomic
    command                      atomic
    env                          map(name) merge(name)
    envFrom                      atomic
    ports                        map(containerPort,protocol) merge(containerPort)
    resizePolicy                 atomic
    volumeDevices                map(devicePath) merge(devicePath)
    volumeMounts                 map(mountPath) merge(mountPath)
core.v1.ExecAction
    command                      atomic
core.v1.FCVolumeSource
    targetWWNs                   atomic
    wwids                        atomic
core.v1.HTTPGetAction
    httpHeaders                  atomic
core.v1.HostAlias
    hostnames                    atomic
core.v1.ISCSIPersistentVolumeSource
    portals                      atomic
core.v1.ISCSIVolumeSource
    portals                      atomic
core.v1.LimitRangeSpec
    limits                       atomic
core.v1.LinuxContainerUser
    supplementalGroups           atomic
core.v1.LoadBalancerIngress
    ports                        atomic
core.v1.LoadBalancerStatus
    ingress                      atomic
core.v1.LocalObjectReference            map-atomic
core.v1.NamespaceSpec
    finalizers                   atomic
core.v1.NamespaceStatus
    conditions                   map(type) merge(type)
core.v1.NodeAffinity
    preferredDuringSchedulingIgnoredDuringExecution atomic
core.v1.NodeSelector                    map-atomic
    nodeSelectorTerms            atomic
core.v1.NodeSelectorRequirement
    values                       atomic
core.v1.NodeSelectorTerm                map-atomic
    matchExpressions             atomic
    matchFields                  atomic
core.v1.NodeSpec
    podCIDRs                     set merge
    taints                       atomic
core.v1.NodeStatus
    addresses                    map(type) merge(type)
    conditions                   map(type) merge(type)
    images                       atomic
    runtimeHandlers              atomic
    volumesAttached              atomic
    volumesInUse                 atomic
core.v1.ObjectFieldSelector             map-atomic
core.v1.ObjectReference                 map-atomic
core.v1.PersistentVolumeClaimSpec
    accessModes                  atomic
core.v1.PersistentVolumeClaimStatus
    accessModes                  atomic
    allocatedResourceStatuses    map-granular
    conditions                   map(type) merge(type)
core.v1.PersistentVolumeSpec
    accessModes                  atomic
    claimRef                     map-granular
    mountOptions                 atomic
core.v1.PodAffinity
    preferredDuringSchedulingIgnoredDuringExecution atomic
    requiredDuringSchedulingIgnoredDuringExecution atomic
core.v1.PodAffinityTerm
    matchLabelKeys               atomic
    mismatchLabelKeys            atomic
    namespaces                   atomic
core.v1.PodAntiAffinity
    preferredDuringSchedulingIgnoredDuringExecution atomic
    requiredDuringSchedulingIgnoredDuringExecution atomic
core.v1.PodDNSConfig
    nameservers                  atomic
    options                      atomic
    searches                     atomic
core.v1.PodSecurityContext
    supplementalGroups           atomic
    sysctls                      atomic
core.v1.PodSpec
    containers                   map(name) merge(name)
    ephemeralContainers          map(name) merge(name)
    hostAliases                  map(ip) merge(ip)
    imagePullSecrets             map(name) merge(name)
    initContainers               map(name) merge(name)
    nodeSelector                 map-atomic
    readinessGates               atomic
    resourceClaims               map(name) merge,retainKeys(name)
    schedulingGates              map(name) merge(name)
    tolerations                  atomic
    topologySpreadConstraints    map(topologyKey,whenUnsatisfiable) merge(topologyKey)
    volumes                      map(name) merge,retainKeys(name)
core.v1.PodStatus
    conditions                   map(type) merge(type)
    containerStatuses            atomic
    ephemeralContainerStatuses   atomic
    hostIPs                      atomic merge(ip)
    initContainerStatuses        atomic
    podIPs                       map(ip) merge(ip)
    resourceClaimStatuses        map(name) merge,retainKeys(name)
core.v1.ProjectedVolumeSource
    sources                      atomic
core.v1.RBDPersistentVolumeSource
    monitors                     atomic
core.v1.RBDVolumeSource
    monitors                     atomic
core.v1.ReplicationControllerSpec
    selector                     map-atomic
core.v1.ReplicationControllerStatus
    conditions                   map(type) merge(type)
core.v1.ResourceFieldSelector           map-atomic
core.v1.ResourceQuotaSpec
    scopes                       atomic
core.v1.ResourceRequirements
    claims                       map(name)
core.v1.ResourceStatus
    resources                    map(resourceID)
core.v1.ScopeSelector                   map-atomic
    matchExpressions             atomic
core.v1.ScopedResourceSelectorRequirement
    values                       atomic
core.v1.SecretKeySelector               map-atomic
core.v1.SecretProjection
    items                        atomic
core.v1.SecretReference                 map-atomic
core.v1.SecretVolumeSource
    items                        atomic
core.v1.ServiceAccount
    imagePullSecrets             atomic
    secrets                      map(name) merge(name)
core.v1.ServiceSpec
    clusterIPs                   atomic
    externalIPs                  atomic
    ipFamilies                   atomic
    loadBalancerSourceRanges     atomic
    ports                        map(port,protocol) merge(port)
    selector                     map-atomic
core.v1.ServiceStatus
    conditions                   map(type) merge(type)
core.v1.TopologySelectorLabelRequirement
    values                       atomic
core.v1.TopologySelectorTerm            map-atomic
    matchLabelExpressions        atomic
core.v1.TopologySpreadConstraint
    matchLabelKeys               atomic
core.v1.TypedLocalObjectReference       map-atomic
";
