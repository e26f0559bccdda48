//! Configuration, namespaces, RBAC, storage, networking and policy kinds end to end.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{create_with, update};
use kubehci_strategy::{apply_defaults, prepare_for_create, validate_create};
use serde_json::{Value, json};

fn create(group: &str, resource: &str, obj: Value, namespaced: bool) -> (Value, Vec<String>) {
    create_with(group, resource, obj, |obj| {
        if namespaced {
            obj["metadata"]["namespace"] = json!("default");
        }
        obj["metadata"]["uid"] = json!("u-1");
    })
}

#[test]
fn configmaps_and_secrets() {
    let (_, errs) = create(
        "",
        "configmaps",
        json!({"metadata": {"name": "cfg"}, "data": {"bad/key": "x", "ok": "y"}}),
        true,
    );
    assert_eq!(
        errs,
        vec![
            "data[bad/key]: Invalid value: \"bad/key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name', or 'KEY_NAME', or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
        ]
    );
    let (s, errs) = create(
        "",
        "secrets",
        json!({"metadata": {"name": "db"}, "stringData": {"password": "hunter2"}, "immutable": true}),
        true,
    );
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(s["type"], "Opaque");
    assert_eq!(s["data"], json!({"password": "aHVudGVyMg=="}));
    assert!(s.get("stringData").is_none());
    let mut changed = s.clone();
    changed["data"]["password"] = json!("eA==");
    changed["type"] = json!("kubernetes.io/basic-auth");
    let (_, errs) = update("", "secrets", None, changed, &s);
    assert_eq!(
        errs,
        vec![
            "type: Invalid value: \"kubernetes.io/basic-auth\": field is immutable",
            "data: Forbidden: field is immutable when `immutable` is set",
        ]
    );
}

#[test]
fn namespaces() {
    let (ns, errs) = create(
        "",
        "namespaces",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}),
        false,
    );
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(
        ns["metadata"]["labels"],
        json!({"kubernetes.io/metadata.name": "team-a"})
    );
    assert_eq!(ns["spec"], json!({"finalizers": ["kubernetes"]}));
    assert_eq!(ns["status"], json!({"phase": "Active"}));
    let (_, errs) = create(
        "",
        "namespaces",
        json!({"metadata": {"name": "Team.A"}}),
        false,
    );
    assert_eq!(
        errs,
        vec![
            "metadata.name: Invalid value: \"Team.A\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
        ]
    );
    let mut edited = ns.clone();
    edited["spec"]["finalizers"] = json!([]);
    let (kept, _) = update("", "namespaces", None, edited, &ns);
    assert_eq!(kept["spec"]["finalizers"], json!(["kubernetes"]));
    let mut fin = ns.clone();
    fin["spec"]["finalizers"] = json!([]);
    let (done, errs) = update("", "namespaces", Some("finalize"), fin, &ns);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(done["spec"]["finalizers"], json!([]));
}

#[test]
fn rbac() {
    let (rb, errs) = create(
        "rbac.authorization.k8s.io",
        "rolebindings",
        json!({"metadata": {"name": "view:jane"}, "roleRef": {"kind": "ClusterRole", "name": "view"}, "subjects": [{"kind": "User", "name": "jane"}]}),
        true,
    );
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(rb["subjects"][0]["apiGroup"], "rbac.authorization.k8s.io");
    let (_, errs) = create(
        "rbac.authorization.k8s.io",
        "clusterroles",
        json!({"metadata": {"name": "a/b"}, "rules": [{"apiGroups": [""], "resources": ["pods"]}]}),
        false,
    );
    assert_eq!(
        errs,
        vec![
            "metadata.name: Invalid value: \"a/b\": may not contain '/'",
            "rules[0].verbs: Required value: verbs must contain at least one value",
        ]
    );
}

#[test]
fn storage() {
    let (pvc, errs) = create(
        "",
        "persistentvolumeclaims",
        json!({"metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}),
        true,
    );
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(pvc["spec"]["volumeMode"], "Filesystem");
    assert_eq!(pvc["status"], json!({"phase": "Pending"}));
    let (pv, errs) = create(
        "",
        "persistentvolumes",
        json!({"metadata": {"name": "pv1"},
        "spec": {"capacity": {"storage": "5Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/srv/pv1"}}}),
        false,
    );
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(pv["spec"]["persistentVolumeReclaimPolicy"], "Retain");
    assert_eq!(pv["status"]["phase"], "Pending");
    let (sc, errs) = create(
        "storage.k8s.io",
        "storageclasses",
        json!({"metadata": {"name": "fast"}, "provisioner": "disk.csi.kubehci.io"}),
        false,
    );
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(sc["reclaimPolicy"], "Delete");
    assert_eq!(sc["volumeBindingMode"], "Immediate");
    let mut changed = sc.clone();
    changed["parameters"] = json!({"fsType": "xfs"});
    let (_, errs) = update("storage.k8s.io", "storageclasses", None, changed, &sc);
    assert_eq!(
        errs,
        vec!["parameters: Forbidden: updates to parameters are forbidden."]
    );
}

#[test]
fn networking_and_policy() {
    let (np, errs) = create(
        "networking.k8s.io",
        "networkpolicies",
        json!({"metadata": {"name": "deny"}, "spec": {"podSelector": {}}}),
        true,
    );
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(np["spec"]["policyTypes"], json!(["Ingress"]));
    assert_eq!(np["metadata"]["generation"], 1);
    let (_, errs) = create(
        "networking.k8s.io",
        "ingresses",
        json!({"metadata": {"name": "web"}, "spec": {}}),
        true,
    );
    assert_eq!(
        errs,
        vec![
            "spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified"
        ]
    );
    let (pdb, errs) = create(
        "policy",
        "poddisruptionbudgets",
        json!({"metadata": {"name": "web"}, "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}}),
        true,
    );
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(
        pdb["status"],
        json!({"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0})
    );
    let (pc, errs) = create(
        "scheduling.k8s.io",
        "priorityclasses",
        json!({"metadata": {"name": "high"}, "value": 1000}),
        false,
    );
    assert!(errs.is_empty(), "{errs:?}");
    let mut changed = pc.clone();
    changed["value"] = json!(2000);
    let (_, errs) = update("scheduling.k8s.io", "priorityclasses", None, changed, &pc);
    assert_eq!(
        errs,
        vec!["value: Forbidden: may not be changed in an update."]
    );
    let (lease, errs) = create(
        "coordination.k8s.io",
        "leases",
        json!({"metadata": {"name": "node-1"}, "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40}}),
        true,
    );
    assert!(errs.is_empty(), "{errs:?}");
    assert!(lease.get("status").is_none());
}

#[test]
fn unknown_resources_are_left_alone() {
    let mut obj = json!({"spec": {"x": 1}});
    apply_defaults("example.com", "widgets", &mut obj);
    prepare_for_create("example.com", "widgets", &mut obj);
    assert_eq!(obj, json!({"spec": {"x": 1}}));
    assert!(validate_create("example.com", "widgets", &obj).is_empty());
    assert!(!kubehci_strategy::is_known("example.com", "widgets"));
}
