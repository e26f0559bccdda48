//! Server-side apply: ownership, pruning, conflicts and the managedFields format, modelled
//! on upstream's `managedfields` and structured-merge-diff tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{T0, T1, T2, deployment, deployment_schema, entry, managed, ssa, track};
use kubehci_patch::{PatchError, update_managed_fields};
use serde_json::{Value, json};

fn update(old: &Value, new: &mut Value, manager: &str, now: &str) {
    track(Some(old), new, manager, now);
}

#[test]
fn create_by_apply_records_the_applied_fields() {
    let out = ssa(
        None,
        &deployment(),
        "kubectl",
        false,
        "2024-01-01T01:00:00.123+01:00",
    )
    .unwrap();
    let mut expected = deployment();
    expected["metadata"]["managedFields"] = json!([{
        "manager": "kubectl",
        "operation": "Apply",
        "apiVersion": "apps/v1",
        "time": "2024-01-01T00:00:00Z",
        "fieldsType": "FieldsV1",
        "fieldsV1": {
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {
                "f:replicas": {},
                "f:selector": {},
                "f:template": {
                    "f:metadata": {"f:labels": {"f:app": {}}},
                    "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {".": {}, "f:image": {}, "f:name": {}}}}
                }
            }
        }
    }]);
    assert_eq!(out, expected);
    // Keys come out in field-set order, as upstream serializes them.
    let fields = &managed(&out)[0]["fieldsV1"]["f:spec"];
    assert_eq!(
        fields.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["f:replicas", "f:selector", "f:template"]
    );
}

#[test]
fn fields_no_longer_applied_are_removed() {
    let live = ssa(None, &deployment(), "kubectl", false, T0).unwrap();
    let mut next = deployment();
    next["metadata"]["labels"] = json!({"tier": "web"});
    next["spec"]["template"]["spec"]["containers"][0]["env"] = json!([{"name": "A", "value": "1"}]);
    let out = ssa(Some(&live), &next, "kubectl", false, T1).unwrap();
    assert_eq!(out["metadata"]["labels"], json!({"tier": "web"}));
    assert_eq!(
        out["spec"]["template"]["spec"]["containers"][0]["env"],
        json!([{"name": "A", "value": "1"}])
    );
    let e = &managed(&out)[0];
    assert_eq!(e["time"], T1);
    assert_eq!(
        e["fieldsV1"]["f:metadata"],
        json!({"f:labels": {"f:tier": {}}})
    );

    // Dropping the env var prunes it; dropping every label removes the map.
    let mut last = deployment();
    last["metadata"].as_object_mut().unwrap().remove("labels");
    let out = ssa(Some(&out), &last, "kubectl", false, T2).unwrap();
    assert!(out["metadata"].get("labels").is_none());
    assert!(
        out["spec"]["template"]["spec"]["containers"][0]
            .get("env")
            .is_none()
    );
}

#[test]
fn conflict_with_an_update_manager_then_force() {
    let live = ssa(None, &deployment(), "kubectl", false, T0).unwrap();
    let mut scaled = live.clone();
    scaled["spec"]["replicas"] = json!(3);
    update(&live, &mut scaled, "kubectl-client-side-apply", T1);
    let entries = managed(&scaled);
    assert_eq!(
        entry(&entries, "kubectl-client-side-apply")["fieldsV1"],
        json!({"f:spec": {"f:replicas": {}}})
    );
    assert!(
        entry(&entries, "kubectl")["fieldsV1"]["f:spec"]
            .get("f:replicas")
            .is_none()
    );

    let err = ssa(Some(&scaled), &deployment(), "kubectl", false, T2).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas"
    );
    let status = err.to_api_error();
    assert_eq!((status.code, status.reason.as_str()), (409, "Conflict"));
    assert_eq!(
        status.details.unwrap()["causes"],
        json!([{
            "reason": "FieldManagerConflict",
            "message": "conflict with \"kubectl-client-side-apply\" using apps/v1",
            "field": ".spec.replicas"
        }])
    );
    let PatchError::Conflicts(c) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(c[0].manager_name, "kubectl-client-side-apply");

    let forced = ssa(Some(&scaled), &deployment(), "kubectl", true, T2).unwrap();
    assert_eq!(forced["spec"]["replicas"], 1);
    let entries = managed(&forced);
    assert_eq!(
        entries.len(),
        1,
        "the update manager lost its only field: {entries:?}"
    );
    assert!(
        entry(&entries, "kubectl")["fieldsV1"]["f:spec"]
            .get("f:replicas")
            .is_some()
    );
}

#[test]
fn several_conflicts_are_grouped_by_manager() {
    let live = ssa(None, &deployment(), "a", false, T0).unwrap();
    let mut other = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "x"}}, "spec": {"replicas": 2}});
    let err = ssa(Some(&live), &other, "b", false, T1).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Apply failed with 2 conflicts: conflicts with \"a\":\n- .metadata.labels.app\n- .spec.replicas"
    );
    // Same values: shared ownership, no conflict.
    other["metadata"]["labels"]["app"] = json!("web");
    other["spec"]["replicas"] = json!(1);
    let shared = ssa(Some(&live), &other, "b", false, T1).unwrap();
    assert_eq!(managed(&shared).len(), 2);
    // `a` stops applying the label: `b` still owns it, so it stays.
    let mut a_cfg = deployment();
    a_cfg["metadata"].as_object_mut().unwrap().remove("labels");
    let out = ssa(Some(&shared), &a_cfg, "a", false, T2).unwrap();
    assert_eq!(out["metadata"]["labels"], json!({"app": "web"}));
}

#[test]
fn associative_lists_merge_by_key_and_keep_order() {
    let mut cfg = deployment();
    cfg["spec"]["template"]["spec"]["containers"] =
        json!([{"name": "a", "image": "a"}, {"name": "b", "image": "b"}]);
    let live = ssa(None, &cfg, "m1", false, T0).unwrap();
    let other = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "c", "ports": [{"containerPort": 80}]}]}}}});
    let live = ssa(Some(&live), &other, "m2", false, T1).unwrap();
    let names = |v: &Value| -> Vec<String> {
        v["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&live), ["a", "b", "c"]);
    // List keys with a schema default: protocol defaults to TCP.
    let m2 = entry(&managed(&live), "m2").clone();
    assert_eq!(
        m2["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"c\"}"]["f:ports"],
        json!({"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}})
    );
    // m1 reorders its items: its items follow its order, m2's item keeps its place.
    cfg["spec"]["template"]["spec"]["containers"] =
        json!([{"name": "b", "image": "b"}, {"name": "a", "image": "a"}]);
    let live = ssa(Some(&live), &cfg, "m1", false, T2).unwrap();
    assert_eq!(names(&live), ["b", "c", "a"]);
}

#[test]
fn sets_union_and_atomic_lists_replace() {
    let base = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "finalizers": ["a"]}});
    let live = ssa(None, &base, "m1", false, T0).unwrap();
    assert_eq!(
        managed(&live)[0]["fieldsV1"],
        json!({"f:metadata": {"f:finalizers": {"v:\"a\"": {}}}})
    );
    let other = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "finalizers": ["b"]}});
    let live = ssa(Some(&live), &other, "m2", false, T1).unwrap();
    assert_eq!(live["metadata"]["finalizers"], json!(["a", "b"]));
    let none = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}});
    let live = ssa(Some(&live), &none, "m1", false, T2).unwrap();
    assert_eq!(live["metadata"]["finalizers"], json!(["b"]));

    let mut cmd = deployment();
    cmd["spec"]["template"]["spec"]["containers"][0]["command"] = json!(["x", "y"]);
    let live = ssa(None, &cmd, "m1", false, T0).unwrap();
    let c = &managed(&live)[0]["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"nginx\"}"];
    assert_eq!(c["f:command"], json!({}));
    let mut cmd2 = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": [{"name": "nginx", "command": ["z"]}]}}}});
    let err = ssa(Some(&live), &cmd2, "m2", false, T1).unwrap_err();
    assert!(
        err.to_string()
            .ends_with(".spec.template.spec.containers[name=\"nginx\"].command"),
        "{err}"
    );
    cmd2["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.25");
    let out = ssa(Some(&live), &cmd2, "m2", true, T1).unwrap();
    assert_eq!(
        out["spec"]["template"]["spec"]["containers"][0]["command"],
        json!(["z"])
    );
}

#[test]
fn untracked_objects_belong_to_before_first_apply() {
    let mut live = deployment();
    live["metadata"]["uid"] = json!("u1");
    let mut cfg = deployment();
    cfg["spec"]["replicas"] = json!(2);
    let err = ssa(Some(&live), &cfg, "kubectl", false, T1).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Apply failed with 1 conflict: conflict with \"before-first-apply\" using apps/v1: .spec.replicas"
    );
    let out = ssa(Some(&live), &deployment(), "kubectl", false, T1).unwrap();
    let entries = managed(&out);
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["manager"], "kubectl");
    assert_eq!(entries[1]["manager"], "before-first-apply");
    assert_eq!(entries[1]["operation"], "Update");
}

#[test]
fn kubectl_takes_over_from_client_side_apply() {
    let csa = deployment();
    let mut created = csa.clone();
    created["metadata"]["annotations"] = json!({"kubectl.kubernetes.io/last-applied-configuration": serde_json::to_string(&csa).unwrap()});
    let (s, root) = deployment_schema();
    update_managed_fields(
        None,
        &mut created,
        "kubectl-client-side-apply",
        None,
        "apps/v1",
        T0,
        Some((&s, root)),
    );

    let mut cfg = deployment();
    cfg["spec"]["replicas"] = json!(8);
    cfg["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.27");
    let out = ssa(Some(&created), &cfg, "kubectl", false, T1).unwrap();
    assert_eq!(out["spec"]["replicas"], 8);
    let last = out["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
        .as_str()
        .unwrap();
    assert!(last.ends_with('\n'));
    assert!(
        last.starts_with(
            "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"labels\""
        ),
        "{last}"
    );
    assert!(last.contains("nginx:1.27"));

    // Another manager does not get that leniency.
    let err = ssa(Some(&created), &cfg, "helm", false, T1).unwrap_err();
    assert!(
        matches!(err, PatchError::Conflicts(ref c) if c.len() == 2),
        "{err}"
    );
}

#[test]
fn no_op_apply_keeps_time_and_object() {
    let live = ssa(None, &deployment(), "kubectl", false, T0).unwrap();
    let again = ssa(Some(&live), &deployment(), "kubectl", false, T1).unwrap();
    assert_eq!(again, live);
    // A new manager applying the same values gets an entry but no timestamp change for others.
    let other = ssa(Some(&live), &deployment(), "other", false, T1).unwrap();
    let entries = managed(&other);
    assert_eq!(entries.len(), 2);
    assert_eq!(entry(&entries, "kubectl")["time"], T0);
}
