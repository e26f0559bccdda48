//! Strategic merge patch against a Deployment-like schema, modelled on upstream's
//! `strategicpatch` tests and on the patches `kubectl apply` (client-side) sends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{deployment, deployment_schema};
use kubehci_patch::{PatchError, strategic_merge_patch};
use serde_json::{Value, json};

fn smp(original: &Value, patch: Value) -> Result<Value, PatchError> {
    let (s, root) = deployment_schema();
    strategic_merge_patch(original, &patch, Some((&s, root)))
}

fn pod_spec(v: &Value) -> &Value {
    &v["spec"]["template"]["spec"]
}

#[test]
fn kubectl_apply_adds_container_and_removes_env_var() {
    let mut live = deployment();
    live["spec"]["template"]["spec"]["containers"] = json!([
        {"name": "nginx", "image": "nginx:1.25", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
        {"name": "sidecar", "image": "busybox"}
    ]);
    // What kubectl 1.33 computes when the last-applied config had nginx with env A and B
    // and the new config drops B and adds a logger container.
    let patch = json!({"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "nginx"}, {"name": "logger"}],
        "containers": [
            {"$setElementOrder/env": [{"name": "A"}], "env": [{"$patch": "delete", "name": "B"}], "name": "nginx"},
            {"image": "fluentd", "name": "logger"}
        ]
    }}}});
    let out = smp(&live, patch).unwrap();
    assert_eq!(
        pod_spec(&out)["containers"],
        json!([
            {"name": "nginx", "image": "nginx:1.25", "env": [{"name": "A", "value": "1"}]},
            {"name": "logger", "image": "fluentd"},
            {"name": "sidecar", "image": "busybox"}
        ])
    );
    // Untouched fields stay, key order of the live object is kept.
    assert_eq!(out["spec"]["replicas"], 1);
    let keys: Vec<&String> = out.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["apiVersion", "kind", "metadata", "spec"]);
}

#[test]
fn set_element_order_reorders_and_keeps_server_only_items() {
    let mut live = deployment();
    live["spec"]["template"]["spec"]["containers"] = json!([{"name": "a", "image": "a"}, {"name": "b", "image": "b"}, {"name": "c", "image": "c"}]);
    let patch = json!({"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "c"}, {"name": "a"}]
    }}}});
    let out = smp(&live, patch).unwrap();
    let names: Vec<&str> = pod_spec(&out)["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    // Ordered items follow the directive; the server-only `b` is placed before the first
    // ordered item that comes after it in the live list (`c`), as upstream does.
    assert_eq!(names, ["b", "c", "a"]);
}

#[test]
fn merge_list_adds_new_items_after_existing_ones() {
    let out = smp(
        &deployment(),
        json!({"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}, {"name": "x", "image": "y"}]}}}}),
    )
    .unwrap();
    assert_eq!(
        pod_spec(&out)["containers"],
        json!([{"name": "nginx", "image": "nginx:1.27"}, {"name": "x", "image": "y"}])
    );
}

#[test]
fn primitive_merge_list_with_deletions_and_order() {
    let mut live = deployment();
    live["metadata"]["finalizers"] = json!(["a", "b"]);
    let out = smp(
        &live,
        json!({"metadata": {
            "$deleteFromPrimitiveList/finalizers": ["a"],
            "$setElementOrder/finalizers": ["b", "c"],
            "finalizers": ["c"]
        }}),
    )
    .unwrap();
    assert_eq!(out["metadata"]["finalizers"], json!(["b", "c"]));
    // Plain union keeps live order, then new items.
    let out = smp(&live, json!({"metadata": {"finalizers": ["c", "a"]}})).unwrap();
    assert_eq!(out["metadata"]["finalizers"], json!(["c", "a", "b"]));
}

#[test]
fn retain_keys_on_list_items_and_maps() {
    let mut live = deployment();
    live["spec"]["template"]["spec"]["volumes"] = json!([{"name": "v", "emptyDir": {}}]);
    live["spec"]["strategy"] = json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}});
    let out = smp(
        &live,
        json!({"spec": {
            "strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": null},
            "template": {"spec": {"volumes": [{"$retainKeys": ["hostPath", "name"], "hostPath": {"path": "/x"}, "name": "v"}]}}
        }}),
    )
    .unwrap();
    assert_eq!(out["spec"]["strategy"], json!({"type": "Recreate"}));
    assert_eq!(
        pod_spec(&out)["volumes"],
        json!([{"name": "v", "hostPath": {"path": "/x"}}])
    );

    let err = smp(
        &live,
        json!({"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {"maxSurge": 2}}}}),
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "invalid patch format of retainKeys");
    assert_eq!(err.status_code(), 400);
}

#[test]
fn patch_directives_on_maps_and_lists() {
    let live = deployment();
    let out = smp(
        &live,
        json!({"metadata": {"labels": {"$patch": "replace", "tier": "fe"}}}),
    )
    .unwrap();
    assert_eq!(out["metadata"]["labels"], json!({"tier": "fe"}));

    let out = smp(&live, json!({"spec": {"selector": {"$patch": "delete"}}})).unwrap();
    assert_eq!(out["spec"]["selector"], json!({}));

    let out = smp(
        &live,
        json!({"spec": {"template": {"spec": {"containers": [{"$patch": "replace"}, {"name": "only", "image": "i"}]}}}}),
    )
    .unwrap();
    assert_eq!(
        pod_spec(&out)["containers"],
        json!([{"name": "only", "image": "i"}])
    );

    let out = smp(&live, json!({"spec": {"template": {"spec": {"containers": [{"$patch": "delete", "name": "nginx"}]}}}})).unwrap();
    assert_eq!(pod_spec(&out)["containers"], json!([]));

    // A new map carrying a directive is dropped rather than stored.
    let out = smp(&live, json!({"spec": {"paused": {"$patch": "delete"}}})).unwrap();
    assert!(out["spec"].get("paused").is_none());
}

#[test]
fn nulls_delete_and_non_merge_lists_replace() {
    let mut live = deployment();
    live["spec"]["template"]["spec"]["containers"][0]["command"] = json!(["a", "b"]);
    let out = smp(
        &live,
        json!({
            "metadata": {"labels": {"app": null, "new": "x"}},
            "spec": {"replicas": null, "template": {"spec": {"containers": [{"name": "nginx", "command": ["c"], "args": [null, "z"]}]}}},
            "status": {"replicas": 3, "readyReplicas": null}
        }),
    )
    .unwrap();
    assert_eq!(out["metadata"]["labels"], json!({"new": "x"}));
    assert!(out["spec"].get("replicas").is_none());
    assert_eq!(pod_spec(&out)["containers"][0]["command"], json!(["c"]));
    // Nulls in values that did not exist are discarded.
    assert_eq!(out["status"], json!({"replicas": 3}));
}

#[test]
fn errors_map_to_upstream_codes() {
    let live = deployment();
    let e = smp(
        &live,
        json!({"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}}),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "map: map[image:x] does not contain declared merge key: name"
    );
    assert_eq!(e.status_code(), 500);

    let e = smp(&live, json!({"metadata": {"labels": {"$patch": "frob"}}})).unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown patch type: frob in map: map[$patch:frob]"
    );

    let e = smp(
        &live,
        json!({"metadata": {"$deleteFromPrimitiveListfinalizers": ["a"]}}),
    )
    .unwrap_err();
    assert_eq!(
        (e.status_code(), e.to_string().as_str()),
        (400, "invalid patch format of primitive list")
    );

    let e = smp(&live, json!({"spec": {"$setElementOrder/x": "notalist"}})).unwrap_err();
    assert_eq!(e.status_code(), 500);

    let mut with_list = live.clone();
    with_list["metadata"]["finalizers"] = json!([["nested"]]);
    let e = smp(&with_list, json!({"metadata": {"finalizers": [["x"]]}})).unwrap_err();
    assert_eq!(
        (e.status_code(), e.to_string().as_str()),
        (422, "lists of lists are not supported")
    );

    let e = smp(
        &live,
        json!({"spec": {"template": {"spec": {"containers": [{"name": "n", "$patch": "merge"}]}}}}),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "merging lists cannot yet be specified in the patch"
    );

    let e = smp(&live, json!([1])).unwrap_err();
    assert_eq!(e.status_code(), 400);

    let e = strategic_merge_patch(&live, &json!({}), None).unwrap_err();
    assert_eq!(e, PatchError::StrategicMergeUnsupported);
    assert_eq!(e.to_api_error().code, 415);
}

#[test]
fn wrong_types_replace_instead_of_failing() {
    let live = deployment();
    let out = smp(
        &live,
        json!({"spec": {"template": "nope", "replicas": "3"}}),
    )
    .unwrap();
    assert_eq!(out["spec"]["template"], "nope");
    assert_eq!(out["spec"]["replicas"], "3");
    let out = smp(&live, json!({"metadata": {"labels": ["x"]}})).unwrap();
    assert_eq!(out["metadata"]["labels"], json!(["x"]));
}
