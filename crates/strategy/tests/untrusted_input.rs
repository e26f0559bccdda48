//! Every entry point must accept any JSON shape without panicking: each field of a valid
//! object of every kind is replaced by values of every JSON type.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use kubehci_strategy::{
    apply_defaults, prepare_for_create, prepare_for_update, validate_create, validate_update,
};
use serde_json::{Value, json};

fn samples() -> Vec<(&'static str, &'static str, Value)> {
    let pod_spec = json!({"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80, "name": "http"}],
        "env": [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
        "envFrom": [{"configMapRef": {"name": "cm"}}],
        "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m"}},
        "livenessProbe": {"httpGet": {"path": "/", "port": 80}}, "readinessProbe": {"tcpSocket": {"port": "http"}},
        "lifecycle": {"preStop": {"sleep": {"seconds": 5}}},
        "volumeMounts": [{"name": "v", "mountPath": "/v", "subPath": "a"}], "securityContext": {"runAsUser": 1}}],
        "initContainers": [{"name": "i", "image": "busybox", "restartPolicy": "Always"}],
        "volumes": [{"name": "v", "configMap": {"name": "cm", "items": [{"key": "a", "path": "a"}]}},
            {"name": "p", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}},
            {"name": "e", "ephemeral": {"volumeClaimTemplate": {"spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}}}],
        "tolerations": [{"key": "k", "operator": "Exists"}], "nodeSelector": {"a": "b"},
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "a", "operator": "In", "values": ["b"]}]}]}},
            "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, "podAffinityTerm": {"topologyKey": "k", "labelSelector": {"matchLabels": {"a": "b"}}}}]}},
        "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "k", "whenUnsatisfiable": "DoNotSchedule"}],
        "dnsConfig": {"nameservers": ["1.1.1.1"]}, "hostAliases": [{"ip": "1.2.3.4", "hostnames": ["a"]}],
        "securityContext": {"sysctls": [{"name": "a", "value": "1"}]}});
    let template = json!({"metadata": {"labels": {"app": "a"}}, "spec": pod_spec});
    let meta = |name: &str| {
        json!({"name": name, "namespace": "default", "uid": "u", "labels": {"a": "b"}, "annotations": {"x": "y"},
        "ownerReferences": [{"apiVersion": "v1", "kind": "X", "name": "n", "uid": "u", "controller": true}], "finalizers": ["a/b"]})
    };
    vec![
        (
            "",
            "pods",
            json!({"metadata": meta("p"), "spec": pod_spec, "status": {"podIPs": [{"ip": "1.1.1.1"}]}}),
        ),
        (
            "",
            "services",
            json!({"metadata": meta("s"), "spec": {"type": "LoadBalancer", "clusterIP": "10.0.0.1", "ports": [{"name": "a", "port": 80, "nodePort": 30000}, {"name": "b", "port": 81, "targetPort": "x"}],
            "selector": {"a": "b"}, "sessionAffinity": "ClientIP", "externalIPs": ["1.2.3.4"], "loadBalancerSourceRanges": ["10.0.0.0/8"], "externalTrafficPolicy": "Local", "healthCheckNodePort": 31000}}),
        ),
        (
            "",
            "configmaps",
            json!({"metadata": meta("c"), "data": {"a": "b"}, "binaryData": {"c": "ZA=="}, "immutable": true}),
        ),
        (
            "",
            "secrets",
            json!({"metadata": meta("s"), "type": "kubernetes.io/tls", "data": {"tls.crt": "YQ==", "tls.key": "Yg=="}, "stringData": {"x": "y"}}),
        ),
        (
            "",
            "namespaces",
            json!({"metadata": {"name": "n"}, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}),
        ),
        (
            "",
            "nodes",
            json!({"metadata": {"name": "n"}, "spec": {"podCIDRs": ["10.0.0.0/24"], "taints": [{"key": "k", "effect": "NoSchedule"}]}, "status": {"capacity": {"cpu": "4"}, "addresses": [{"type": "InternalIP", "address": "1.2.3.4"}]}}),
        ),
        (
            "",
            "endpoints",
            json!({"metadata": meta("e"), "subsets": [{"addresses": [{"ip": "10.1.1.1", "nodeName": "n"}], "ports": [{"port": 80}]}]}),
        ),
        (
            "",
            "events",
            json!({"metadata": meta("e.1"), "involvedObject": {"namespace": "default"}, "reason": "r", "message": "m"}),
        ),
        (
            "",
            "persistentvolumes",
            json!({"metadata": {"name": "pv"}, "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/d"}, "nodeAffinity": {"required": {}}}}),
        ),
        (
            "",
            "persistentvolumeclaims",
            json!({"metadata": meta("c"), "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}, "dataSource": {"kind": "PersistentVolumeClaim", "name": "x"}}, "status": {"phase": "Bound", "capacity": {"storage": "1Gi"}}}),
        ),
        (
            "",
            "limitranges",
            json!({"metadata": meta("l"), "spec": {"limits": [{"type": "Container", "max": {"cpu": "1"}, "min": {"cpu": "100m"}}, {"type": "PersistentVolumeClaim", "min": {"storage": "1Gi"}}]}}),
        ),
        (
            "",
            "resourcequotas",
            json!({"metadata": meta("q"), "spec": {"hard": {"pods": "10"}, "scopes": ["BestEffort"]}, "status": {"used": {"pods": "1"}}}),
        ),
        (
            "",
            "replicationcontrollers",
            json!({"metadata": meta("r"), "spec": {"replicas": 1, "selector": {"app": "a"}, "template": template}}),
        ),
        (
            "",
            "podtemplates",
            json!({"metadata": meta("t"), "template": template}),
        ),
        (
            "apps",
            "deployments",
            json!({"metadata": meta("d"), "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "a"}, "matchExpressions": [{"key": "a", "operator": "In", "values": ["a"]}]}, "template": template,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}}}, "status": {"replicas": 1}}),
        ),
        (
            "apps",
            "replicasets",
            json!({"metadata": meta("r"), "spec": {"selector": {"matchLabels": {"app": "a"}}, "template": template}}),
        ),
        (
            "apps",
            "statefulsets",
            json!({"metadata": meta("s"), "spec": {"serviceName": "s", "selector": {"matchLabels": {"app": "a"}}, "template": template,
            "volumeClaimTemplates": [{"metadata": {"name": "d"}, "spec": {"accessModes": ["ReadWriteOnce"]}}], "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 1}}}}),
        ),
        (
            "apps",
            "daemonsets",
            json!({"metadata": meta("d"), "spec": {"selector": {"matchLabels": {"app": "a"}}, "template": template, "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}}}}),
        ),
        (
            "apps",
            "controllerrevisions",
            json!({"metadata": meta("c"), "data": {"a": 1}, "revision": 1}),
        ),
        (
            "batch",
            "jobs",
            json!({"metadata": meta("j"), "spec": {"completionMode": "Indexed", "completions": 2, "parallelism": 2, "template": {"metadata": {"labels": {"a": "b"}}, "spec": pod_spec}, "podFailurePolicy": {"rules": []}}, "status": {"startTime": "2024-01-01T00:00:00Z"}}),
        ),
        (
            "batch",
            "cronjobs",
            json!({"metadata": meta("c"), "spec": {"schedule": "*/5 * * * *", "timeZone": "Etc/UTC", "jobTemplate": {"spec": {"template": {"spec": pod_spec}}}}}),
        ),
        (
            "rbac.authorization.k8s.io",
            "roles",
            json!({"metadata": meta("r"), "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}),
        ),
        (
            "rbac.authorization.k8s.io",
            "clusterroles",
            json!({"metadata": {"name": "r"}, "rules": [{"nonResourceURLs": ["/x"], "verbs": ["get"]}], "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"a": "b"}}]}}),
        ),
        (
            "rbac.authorization.k8s.io",
            "rolebindings",
            json!({"metadata": meta("b"), "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"}, "subjects": [{"kind": "ServiceAccount", "name": "default"}, {"kind": "User", "name": "u"}]}),
        ),
        (
            "rbac.authorization.k8s.io",
            "clusterrolebindings",
            json!({"metadata": {"name": "b"}, "roleRef": {"kind": "ClusterRole", "name": "r"}, "subjects": [{"kind": "Group", "name": "g"}]}),
        ),
        (
            "storage.k8s.io",
            "storageclasses",
            json!({"metadata": {"name": "s"}, "provisioner": "disk.kubehci.io", "parameters": {"a": "b"}, "allowedTopologies": [{"matchLabelExpressions": [{"key": "k", "values": ["v"]}]}]}),
        ),
        (
            "storage.k8s.io",
            "csidrivers",
            json!({"metadata": {"name": "disk.kubehci.io"}, "spec": {"volumeLifecycleModes": ["Persistent"]}}),
        ),
        (
            "storage.k8s.io",
            "csinodes",
            json!({"metadata": {"name": "n"}, "spec": {"drivers": [{"name": "d.io", "nodeID": "n", "topologyKeys": ["k"]}]}}),
        ),
        (
            "storage.k8s.io",
            "volumeattachments",
            json!({"metadata": {"name": "v"}, "spec": {"attacher": "d.io", "nodeName": "n", "source": {"persistentVolumeName": "pv"}}}),
        ),
        (
            "coordination.k8s.io",
            "leases",
            json!({"metadata": meta("l"), "spec": {"holderIdentity": "h", "leaseDurationSeconds": 10}}),
        ),
        (
            "discovery.k8s.io",
            "endpointslices",
            json!({"metadata": meta("e"), "addressType": "IPv4", "endpoints": [{"addresses": ["10.0.0.1"], "nodeName": "n"}], "ports": [{"name": "http", "port": 80}]}),
        ),
        (
            "events.k8s.io",
            "events",
            json!({"metadata": meta("e.1"), "eventTime": "2024-01-01T00:00:00.000000Z", "reportingController": "a/b", "reportingInstance": "i", "action": "a", "reason": "r", "type": "Normal", "regarding": {"namespace": "default"}}),
        ),
        (
            "networking.k8s.io",
            "networkpolicies",
            json!({"metadata": meta("n"), "spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}], "ports": [{"port": 80, "endPort": 90}]}]}}),
        ),
        (
            "networking.k8s.io",
            "ingresses",
            json!({"metadata": meta("i"), "spec": {"rules": [{"host": "*.a.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "s", "port": {"number": 80}}}}]}}], "tls": [{"hosts": ["a.com"]}]}}),
        ),
        (
            "networking.k8s.io",
            "ingressclasses",
            json!({"metadata": {"name": "i"}, "spec": {"controller": "a.io/c", "parameters": {"kind": "K", "name": "n", "scope": "Cluster"}}}),
        ),
        (
            "policy",
            "poddisruptionbudgets",
            json!({"metadata": meta("p"), "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"a": "b"}}}}),
        ),
        (
            "scheduling.k8s.io",
            "priorityclasses",
            json!({"metadata": {"name": "p"}, "value": 10}),
        ),
        (
            "certificates.k8s.io",
            "certificatesigningrequests",
            json!({"metadata": {"name": "c"}, "spec": {"request": "eA==", "signerName": "a.io/b", "usages": ["client auth"]}, "status": {"conditions": [{"type": "Approved", "status": "True"}]}}),
        ),
    ]
}

fn replacements() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(-1),
        json!(1.5),
        json!("x"),
        json!([1, "a", null, {}]),
        json!({"a": [1]}),
    ]
}

/// Every path into `v` (object keys and array indices).
fn paths(v: &Value, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                let mut p = prefix.clone();
                p.push(k.clone());
                out.push(p.clone());
                paths(c, p, out);
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                let mut p = prefix.clone();
                p.push(i.to_string());
                out.push(p.clone());
                paths(c, p, out);
            }
        }
        _ => {}
    }
}

fn replace(v: &mut Value, path: &[String], with: &Value) {
    let mut cur = v;
    for k in path {
        cur = match cur {
            Value::Object(m) => match m.get_mut(k) {
                Some(c) => c,
                None => return,
            },
            Value::Array(a) => match k.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(c) => c,
                None => return,
            },
            _ => return,
        };
    }
    *cur = with.clone();
}

fn exercise(group: &str, resource: &str, obj: &Value, old: &Value) {
    let mut o = obj.clone();
    apply_defaults(group, resource, &mut o);
    prepare_for_create(group, resource, &mut o);
    if resource == "jobs" {
        kubehci_strategy::generate_job_selector(&mut o);
    }
    let _ = validate_create(group, resource, &o);
    for sub in [
        None,
        Some("status"),
        Some("finalize"),
        Some("approval"),
        Some("ephemeralcontainers"),
    ] {
        let mut n = obj.clone();
        apply_defaults(group, resource, &mut n);
        prepare_for_update(group, resource, sub, &mut n, old);
        let _ = validate_update(group, resource, sub, &n, old);
        let mut n = old.clone();
        prepare_for_update(group, resource, sub, &mut n, obj);
        let _ = validate_update(group, resource, sub, &n, obj);
    }
}

#[test]
fn valid_samples_pass_or_fail_cleanly() {
    for (g, r, obj) in samples() {
        exercise(g, r, &obj, &obj);
    }
}

#[test]
fn every_field_of_every_type_is_survived() {
    for (g, r, obj) in samples() {
        let mut all = Vec::new();
        paths(&obj, Vec::new(), &mut all);
        for p in &all {
            for with in replacements() {
                let mut bad = obj.clone();
                replace(&mut bad, p, &with);
                exercise(g, r, &bad, &obj);
            }
        }
    }
}

#[test]
fn whole_object_of_any_shape() {
    for (g, r, obj) in samples() {
        for with in replacements() {
            exercise(g, r, &with, &obj);
            exercise(g, r, &obj, &with);
        }
    }
}
