//! Deployments, replica sets, stateful sets, daemon sets, controller revisions,
//! replication controllers, pod templates, jobs and cron jobs.

mod common;

use common::{ago, columns, meta, names, texts};
use serde_json::{Value, json};

fn template() -> Value {
    json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
        {"name": "app", "image": "nginx:1.27"}, {"name": "sidecar", "image": "busybox"}]}})
}

#[test]
fn deployments() {
    assert_eq!(
        columns("apps", "deployments")
            .iter()
            .map(|c| (c.0.as_str(), c.2))
            .collect::<Vec<_>>(),
        [
            ("Name", 0),
            ("Ready", 0),
            ("Up-to-date", 0),
            ("Available", 0),
            ("Age", 0),
            ("Containers", 1),
            ("Images", 1),
            ("Selector", 1)
        ]
    );
    let d = json!({"metadata": meta("web", 600), "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": template()},
        "status": {"replicas": 3, "readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}});
    assert_eq!(
        texts("apps", "deployments", d),
        [
            "web",
            "2/3",
            "3",
            "2",
            "10m",
            "app,sidecar",
            "nginx:1.27,busybox",
            "app=web"
        ]
    );
    let fresh = json!({"metadata": meta("new", 5), "spec": {"template": template(),
        "selector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]}]}}});
    assert_eq!(texts("apps", "deployments", fresh)[1..4], ["0/1", "0", "0"]);
    let bad = json!({"metadata": meta("bad", 5), "spec": {"selector": {"matchExpressions": [{"key": "x", "operator": "Nope"}]}}});
    assert_eq!(texts("apps", "deployments", bad)[7], "<invalid>");
}

#[test]
fn replica_sets_and_controllers() {
    assert_eq!(
        names(&columns("apps", "replicasets")),
        [
            "Name",
            "Desired",
            "Current",
            "Ready",
            "Age",
            "Containers",
            "Images",
            "Selector"
        ]
    );
    assert_eq!(columns("apps", "replicasets")[1].1, "integer");
    let rs = json!({"metadata": meta("web-7d9f", 7200), "spec": {"replicas": 2, "template": template(),
        "selector": {"matchLabels": {"app": "web", "pod-template-hash": "7d9f"}}}, "status": {"replicas": 2, "readyReplicas": 1}});
    assert_eq!(
        texts("apps", "replicasets", rs),
        [
            "web-7d9f",
            "2",
            "2",
            "1",
            "120m",
            "app,sidecar",
            "nginx:1.27,busybox",
            "app=web,pod-template-hash=7d9f"
        ]
    );
    let no_selector = json!({"metadata": meta("x", 1), "spec": {"replicas": 0}});
    assert_eq!(
        texts("apps", "replicasets", no_selector)[1..],
        ["0", "0", "0", "1s", "", "", "<none>"]
    );
    let rc = json!({"metadata": meta("rc", 60), "spec": {"selector": {"app": "web"}, "template": template()}, "status": {"replicas": 1}});
    assert_eq!(
        texts("", "replicationcontrollers", rc),
        [
            "rc",
            "1",
            "1",
            "0",
            "60s",
            "app,sidecar",
            "nginx:1.27,busybox",
            "app=web"
        ]
    );
    let pt = json!({"metadata": meta("pt", 60), "template": template()});
    assert_eq!(
        texts("", "podtemplates", pt),
        ["pt", "app,sidecar", "nginx:1.27,busybox", "app=web"]
    );
}

#[test]
fn stateful_and_daemon_sets() {
    let sts = json!({"metadata": meta("db", 3600 * 30), "spec": {"replicas": 3, "template": template()}, "status": {"readyReplicas": 3}});
    assert_eq!(
        texts("apps", "statefulsets", sts),
        ["db", "3/3", "30h", "app,sidecar", "nginx:1.27,busybox"]
    );
    assert_eq!(
        names(&columns("apps", "daemonsets")),
        [
            "Name",
            "Desired",
            "Current",
            "Ready",
            "Up-to-date",
            "Available",
            "Node Selector",
            "Age",
            "Containers",
            "Images",
            "Selector"
        ]
    );
    let mut tpl = template();
    tpl["spec"]["nodeSelector"] = json!({"kubernetes.io/os": "linux"});
    let ds = json!({"metadata": meta("proxy", 86400 * 9), "spec": {"selector": {"matchLabels": {"k8s-app": "proxy"}}, "template": tpl},
        "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2, "updatedNumberScheduled": 3, "numberAvailable": 2}});
    assert_eq!(
        texts("apps", "daemonsets", ds),
        [
            "proxy",
            "3",
            "3",
            "2",
            "3",
            "2",
            "kubernetes.io/os=linux",
            "9d",
            "app,sidecar",
            "nginx:1.27,busybox",
            "k8s-app=proxy"
        ]
    );
}

#[test]
fn controller_revisions() {
    let mut md = meta("db-5c7", 60);
    md["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db", "uid": "x", "controller": true}]);
    assert_eq!(
        texts(
            "apps",
            "controllerrevisions",
            json!({"metadata": md, "revision": 2})
        ),
        ["db-5c7", "statefulset.apps/db", "2", "60s"]
    );
    let mut core = meta("c", 60);
    core["ownerReferences"] =
        json!([{"apiVersion": "v1", "kind": "Pod", "name": "p", "controller": true}]);
    assert_eq!(
        texts(
            "apps",
            "controllerrevisions",
            json!({"metadata": core, "revision": 1})
        )[1],
        "pod/p"
    );
    assert_eq!(
        texts(
            "apps",
            "controllerrevisions",
            json!({"metadata": meta("o", 1), "revision": 1})
        )[1],
        "<none>"
    );
}

fn job(spec: Value, status: Value) -> Value {
    let mut spec = spec;
    spec["template"] = template();
    spec["selector"] = json!({"matchLabels": {"batch.kubernetes.io/controller-uid": "abc"}});
    json!({"metadata": meta("pi", 400), "spec": spec, "status": status})
}

#[test]
fn jobs() {
    assert_eq!(
        names(&columns("batch", "jobs")),
        [
            "Name",
            "Status",
            "Completions",
            "Duration",
            "Age",
            "Containers",
            "Images",
            "Selector"
        ]
    );
    let done = json!({"succeeded": 1, "startTime": ago(400), "completionTime": ago(380),
        "conditions": [{"type": "SuccessCriteriaMet", "status": "True"}, {"type": "Complete", "status": "True"}]});
    assert_eq!(
        texts(
            "batch",
            "jobs",
            job(json!({"completions": 1, "parallelism": 1}), done)
        ),
        [
            "pi",
            "Complete",
            "1/1",
            "20s",
            "6m40s",
            "app,sidecar",
            "nginx:1.27,busybox",
            "batch.kubernetes.io/controller-uid=abc"
        ]
    );
    let running = json!({"active": 2, "succeeded": 1, "startTime": ago(300)});
    assert_eq!(
        texts("batch", "jobs", job(json!({"parallelism": 3}), running))[1..4],
        ["Running", "1/1 of 3", "5m"]
    );
    let failed = json!({"conditions": [{"type": "Failed", "status": "True"}]});
    assert_eq!(
        texts("batch", "jobs", job(json!({"completions": 5}), failed))[1..4],
        ["Failed", "0/5", ""]
    );
    let suspended = json!({"conditions": [{"type": "Suspended", "status": "True"}]});
    assert_eq!(
        texts("batch", "jobs", job(json!({}), suspended))[1],
        "Suspended"
    );
    let mut deleting = job(
        json!({}),
        json!({"conditions": [{"type": "FailureTarget", "status": "True"}]}),
    );
    assert_eq!(texts("batch", "jobs", deleting.clone())[1], "FailureTarget");
    deleting["metadata"]["deletionTimestamp"] = json!(ago(1));
    assert_eq!(texts("batch", "jobs", deleting)[1], "Terminating");
}

#[test]
fn cron_jobs() {
    assert_eq!(
        columns("batch", "cronjobs")
            .iter()
            .map(|c| (c.0.as_str(), c.1.as_str()))
            .collect::<Vec<_>>()[..6],
        [
            ("Name", "string"),
            ("Schedule", "string"),
            ("Timezone", "string"),
            ("Suspend", "boolean"),
            ("Active", "integer"),
            ("Last Schedule", "string")
        ]
    );
    let cj = json!({"metadata": meta("backup", 86400 * 2), "spec": {"schedule": "*/5 * * * *", "suspend": false,
        "jobTemplate": {"spec": {"template": template()}}}, "status": {"active": [{"name": "backup-1"}], "lastScheduleTime": ago(100)}});
    assert_eq!(
        texts("batch", "cronjobs", cj),
        [
            "backup",
            "*/5 * * * *",
            "<none>",
            "False",
            "1",
            "100s",
            "2d",
            "app,sidecar",
            "nginx:1.27,busybox",
            "<none>"
        ]
    );
    let tz = json!({"metadata": meta("r", 60), "spec": {"schedule": "@daily", "timeZone": "Etc/UTC", "suspend": true}});
    assert_eq!(
        texts("batch", "cronjobs", tz)[1..6],
        ["@daily", "Etc/UTC", "True", "0", "<none>"]
    );
}
