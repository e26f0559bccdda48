//! Managed-fields tracking of non-apply writes (`update_managed_fields`) and the manager
//! name rules.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{T0, T1, T2, T3, deployment, deployment_schema, entry, managed, track};
use kubehci_patch::{
    MAX_UPDATE_MANAGERS, UpdateOptions, apply, manager_from_user_agent, manager_or_user_agent,
    update_managed_fields_with,
};
use serde_json::json;

#[test]
fn create_records_an_update_entry_like_kubectl_create() {
    let mut obj = deployment();
    track(None, &mut obj, "kubectl-create", T0);
    assert_eq!(
        managed(&obj),
        vec![json!({
            "manager": "kubectl-create",
            "operation": "Update",
            "apiVersion": "apps/v1",
            "time": T0,
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                "f:spec": {
                    "f:replicas": {},
                    "f:selector": {},
                    "f:template": {
                        "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                        "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {".": {}, "f:image": {}, "f:name": {}}}}
                    }
                }
            }
        })]
    );
}

#[test]
fn update_moves_changed_fields_to_the_writer() {
    let (s, root) = deployment_schema();
    let live = apply(None, &deployment(), "kubectl", false, Some((&s, root)), T0).unwrap();
    let mut new = live.clone();
    new["spec"]["replicas"] = json!(3);
    new["metadata"]["labels"]["extra"] = json!("x");
    track(Some(&live), &mut new, "kube-controller-manager", T1);
    let entries = managed(&new);
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["operation"], "Apply");
    assert_eq!(entries[1]["manager"], "kube-controller-manager");
    assert_eq!(entries[1]["time"], T1);
    assert_eq!(
        entries[1]["fieldsV1"],
        json!({"f:metadata": {"f:labels": {"f:extra": {}}}, "f:spec": {"f:replicas": {}}})
    );
    assert!(
        entry(&entries, "kubectl")["fieldsV1"]["f:spec"]
            .get("f:replicas")
            .is_none()
    );

    // A no-op write changes nothing, not even the time.
    let mut same = new.clone();
    track(Some(&new), &mut same, "kube-controller-manager", T2);
    assert_eq!(same, new);

    // Removing a field takes it from everyone.
    let mut removed = new.clone();
    removed["metadata"]["labels"]
        .as_object_mut()
        .unwrap()
        .remove("extra");
    track(Some(&new), &mut removed, "other", T2);
    let entries = managed(&removed);
    assert_eq!(
        entry(&entries, "kube-controller-manager")["fieldsV1"],
        json!({"f:spec": {"f:replicas": {}}})
    );
    assert!(
        entries.iter().all(|e| e["manager"] != "other"),
        "nothing changed by `other` but a removal"
    );
}

#[test]
fn empty_managed_fields_in_the_request_reset_tracking() {
    let mut obj = deployment();
    obj["metadata"]["uid"] = json!("u");
    track(None, &mut obj, "creator", T0);
    assert_eq!(managed(&obj).len(), 1);
    for reset in [json!([]), json!([{}])] {
        let mut new = obj.clone();
        new["metadata"]["managedFields"] = reset;
        new["spec"]["replicas"] = json!(7);
        track(Some(&obj), &mut new, "writer", T1);
        assert!(new["metadata"].get("managedFields").is_none(), "{new}");
    }
}

#[test]
fn managed_fields_sent_by_the_client_are_the_base() {
    let mut obj = deployment();
    track(None, &mut obj, "creator", T0);
    let mut new = obj.clone();
    new["metadata"]["managedFields"][0]["manager"] = json!("renamed");
    track(Some(&obj), &mut new, "writer", T1);
    assert_eq!(managed(&new)[0]["manager"], "renamed");
    // Invalid ones fall back to the live object's.
    let mut bad = obj.clone();
    bad["metadata"]["managedFields"][0]["operation"] = json!("Frob");
    bad["spec"]["replicas"] = json!(2);
    track(Some(&obj), &mut bad, "writer", T1);
    let entries = managed(&bad);
    assert_eq!(entry(&entries, "creator")["operation"], "Update");
    assert_eq!(
        entry(&entries, "writer")["fieldsV1"],
        json!({"f:spec": {"f:replicas": {}}})
    );
}

#[test]
fn subresource_writes_are_tracked_separately() {
    let mut obj = deployment();
    track(None, &mut obj, "creator", T0);
    let mut new = obj.clone();
    new["status"] = json!({"replicas": 1});
    new["metadata"]["managedFields"] = json!([]);
    let (s, root) = deployment_schema();
    let opts = UpdateOptions {
        manager: "kube-controller-manager",
        api_version: "apps/v1",
        subresource: Some("status"),
        now: T1,
        reset_fields: &["spec"],
    };
    update_managed_fields_with(Some(&obj), &mut new, &opts, Some((&s, root)));
    let entries = managed(&new);
    assert_eq!(
        entries.len(),
        2,
        "request managedFields are ignored for subresources"
    );
    let e = entry(&entries, "kube-controller-manager");
    assert_eq!(e["subresource"], "status");
    assert_eq!(
        e["fieldsV1"],
        json!({"f:status": {".": {}, "f:replicas": {}}})
    );
}

#[test]
fn update_managers_are_capped() {
    let mut obj = deployment();
    track(None, &mut obj, "creator", "2024-01-01T00:00:00Z");
    for i in 0..MAX_UPDATE_MANAGERS {
        let mut new = obj.clone();
        new["metadata"]["labels"][format!("l{i}")] = json!("x");
        track(
            Some(&obj),
            &mut new,
            &format!("m{i}"),
            &format!("2024-01-01T00:{:02}:00Z", i + 1),
        );
        obj = new;
    }
    let entries = managed(&obj);
    assert_eq!(entries.len(), MAX_UPDATE_MANAGERS);
    assert!(entries.iter().all(|e| e["manager"] != "creator"));
    let bucket = entry(&entries, "ancient-changes");
    assert_eq!(bucket["time"], "2024-01-01T00:01:00Z");
    assert!(
        bucket["fieldsV1"]["f:metadata"]["f:labels"]
            .get("f:l0")
            .is_some()
    );
    assert!(bucket["fieldsV1"]["f:spec"].get("f:replicas").is_some());
    // Entries are sorted by time.
    let times: Vec<&str> = entries
        .iter()
        .map(|e| e["time"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);
}

#[test]
fn entries_sort_apply_first_then_by_time() {
    let (s, root) = deployment_schema();
    let mut obj = deployment();
    track(None, &mut obj, "z-creator", T0);
    let mut cfg = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"paused": true}});
    let obj = apply(Some(&obj), &cfg, "b-applier", false, Some((&s, root)), T3).unwrap();
    cfg["spec"] = json!({"minReadySeconds": 5});
    let obj = apply(Some(&obj), &cfg, "a-applier", false, Some((&s, root)), T2).unwrap();
    let order: Vec<String> = managed(&obj)
        .iter()
        .map(|e| e["manager"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(order, ["a-applier", "b-applier", "z-creator"]);
}

#[test]
fn manager_names_from_user_agents() {
    assert_eq!(
        manager_from_user_agent("kubectl-client-side-apply/v1.33.0 (linux/amd64) kubernetes/abc"),
        "kubectl-client-side-apply"
    );
    assert_eq!(
        manager_from_user_agent("kube-controller-manager/v1.33.0"),
        "kube-controller-manager"
    );
    assert_eq!(manager_from_user_agent("Mozilla 5.0\u{1}\t"), "Mozilla 5.0");
    assert_eq!(manager_from_user_agent(""), "");
    assert_eq!(manager_from_user_agent(&"é".repeat(100)).len(), 128);
    assert_eq!(manager_or_user_agent(Some("helm"), "kubectl/v1.33"), "helm");
    assert_eq!(manager_or_user_agent(Some(""), "kubectl/v1.33"), "kubectl");
    assert_eq!(
        manager_or_user_agent(None, "python-requests/2"),
        "python-requests"
    );

    // An empty manager is recorded as `unknown`.
    let mut obj = deployment();
    track(None, &mut obj, "", T0);
    assert_eq!(managed(&obj)[0]["manager"], "unknown");
}
