#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Per-resource semantics through kubectl: CRD subresources, pruning and validation,
//! immutable fields, the status/spec split, deletecollection, namespace lifecycle and
//! field selectors.

mod common;

use common::Server;

const CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
    additionalPrinterColumns:
    - {name: Replicas, type: integer, jsonPath: .spec.replicas}
    - {name: Color, type: string, jsonPath: .spec.color, priority: 1}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              replicas: {type: integer, minimum: 0}
              color: {type: string, enum: [red, blue], default: red}
          status:
            type: object
            properties:
              replicas: {type: integer}
"#;

fn json(s: &Server, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&s.ok(args)).unwrap()
}

fn wait_served(s: &Server, resource: &str) {
    for _ in 0..50 {
        if s.kubectl(&["get", resource]).status.success() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{resource} never served");
}

#[test]
fn crd_subresources_pruning_defaults_and_validation() {
    let s = Server::start();
    s.ok_stdin(&["apply", "-f", "-"], CRD);
    wait_served(&s, "gadgets");
    let obj = "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {replicas: 1, extra: dropped}\nstatus: {replicas: 9}\n";
    s.ok_stdin(&["create", "--validate=false", "-f", "-"], obj);
    let g = json(&s, &["get", "gadget", "g", "-o", "json"]);
    assert!(g["spec"].get("extra").is_none(), "pruned: {g}");
    assert_eq!(g["spec"]["color"], "red", "defaulted");
    assert!(
        g.get("status").is_none(),
        "status ignored on create with a status subresource"
    );
    assert_eq!(g["metadata"]["generation"], 1);
    // Strict validation reports the unknown field instead of pruning silently.
    let err = s.kubectl_with(
        &s.kubeconfig(),
        &["create", "-f", "-"],
        Some(&obj.replace("name: g}", "name: g2}")),
    );
    assert!(
        String::from_utf8_lossy(&err.stderr).contains("unknown field \"spec.extra\""),
        "{}",
        String::from_utf8_lossy(&err.stderr)
    );
    // Schema validation.
    let bad = "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: b}\nspec: {replicas: -1, color: green}\n";
    let out = s.kubectl_with(&s.kubeconfig(), &["create", "-f", "-"], Some(bad));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("The Gadget \"b\" is invalid"), "{e}");
    assert!(e.contains("spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0"), "{e}");
    assert!(
        e.contains(r#"spec.color: Unsupported value: "green": supported values: "red", "blue""#),
        "{e}"
    );
    // Scale subresource.
    s.ok(&["scale", "gadget", "g", "--replicas=4"]);
    assert_eq!(
        s.ok(&["get", "gadget", "g", "-o", "jsonpath={.spec.replicas}"]),
        "4"
    );
    let scale = json(
        &s,
        &[
            "get",
            "--raw",
            "/apis/example.com/v1/namespaces/default/gadgets/g/scale",
        ],
    );
    assert_eq!(
        (scale["kind"].as_str(), scale["spec"]["replicas"].as_i64()),
        (Some("Scale"), Some(4))
    );
    // Status subresource: only status changes there; spec writes ignore status.
    s.ok(&[
        "patch",
        "gadget",
        "g",
        "--subresource=status",
        "--type=merge",
        "-p",
        r#"{"status":{"replicas":4},"spec":{"replicas":100}}"#,
    ]);
    let g = json(&s, &["get", "gadget", "g", "-o", "json"]);
    assert_eq!(
        (
            g["status"]["replicas"].as_i64(),
            g["spec"]["replicas"].as_i64()
        ),
        (Some(4), Some(4))
    );
    assert_eq!(
        g["metadata"]["generation"], 2,
        "scale changed spec once; status writes do not bump"
    );
    let wide = s.ok(&["get", "gadgets", "-o", "wide"]);
    assert_eq!(
        wide.lines()
            .next()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["NAME", "REPLICAS", "COLOR"],
        "{wide}"
    );
}

#[test]
fn immutable_fields_status_split_and_generation() {
    let s = Server::start_with(&["--disable-controllers"]);
    s.ok(&["create", "service", "clusterip", "svc", "--tcp=80:80"]);
    let err = s.fails(&[
        "patch",
        "svc",
        "svc",
        "-p",
        r#"{"spec":{"clusterIP":"10.96.0.99"}}"#,
    ]);
    assert!(
        err.contains("The Service \"svc\" is invalid")
            && err.contains("spec.clusterIPs[0]: Invalid value"),
        "{err}"
    );
    assert!(err.contains("may not change once set"), "{err}");
    s.ok(&["create", "job", "j", "--image=busybox"]);
    let err = s.fails(&[
        "patch",
        "job",
        "j",
        "--type=merge",
        "-p",
        r#"{"spec":{"selector":{"matchLabels":{"x":"y"}}}}"#,
    ]);
    assert!(
        err.contains("The Job \"j\" is invalid")
            && err.contains("spec.selector: Invalid value")
            && err.contains("field is immutable"),
        "{err}"
    );
    s.ok(&["create", "deployment", "d", "--image=busybox"]);
    // A main-resource write cannot set status; the status subresource can.
    s.ok(&[
        "patch",
        "deploy",
        "d",
        "--type=merge",
        "-p",
        r#"{"status":{"replicas":7}}"#,
    ]);
    assert_eq!(
        s.ok(&["get", "deploy", "d", "-o", "jsonpath={.status.replicas}"]),
        ""
    );
    s.ok(&[
        "patch",
        "deploy",
        "d",
        "--subresource=status",
        "--type=merge",
        "-p",
        r#"{"status":{"replicas":7}}"#,
    ]);
    assert_eq!(
        s.ok(&["get", "deploy", "d", "-o", "jsonpath={.status.replicas}"]),
        "7"
    );
    assert_eq!(
        s.ok(&[
            "get",
            "deploy",
            "d",
            "-o",
            "jsonpath={.metadata.generation}"
        ]),
        "1"
    );
    s.ok(&["label", "deploy", "d", "l=1"]);
    assert_eq!(
        s.ok(&[
            "get",
            "deploy",
            "d",
            "-o",
            "jsonpath={.metadata.generation}"
        ]),
        "1",
        "metadata changes keep generation"
    );
    // Optimistic concurrency: a stale resourceVersion conflicts.
    let d = json(&s, &["get", "deploy", "d", "-o", "json"]);
    s.ok(&["label", "deploy", "d", "l=2", "--overwrite"]);
    let stale = serde_json::to_string(&d).unwrap();
    let out = s.kubectl_with(&s.kubeconfig(), &["replace", "-f", "-"], Some(&stale));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("Operation cannot be fulfilled on deployments.apps \"d\": the object has been modified; please apply your changes to the latest version and try again"), "{e}");
}

#[test]
fn namespaces_deletecollection_and_field_selectors() {
    let s = Server::start_with(&["--disable-controllers"]);
    let err = s.fails(&["create", "configmap", "c", "-n", "missing"]);
    assert!(err.contains("namespaces \"missing\" not found"), "{err}");
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert_eq!(
            s.ok(&["get", "ns", ns, "-o", "jsonpath={.status.phase}"]),
            "Active"
        );
    }
    s.ok(&["create", "ns", "gone"]);
    s.ok(&["delete", "ns", "gone", "--wait=false"]);
    assert_eq!(
        s.ok(&["get", "ns", "gone", "-o", "jsonpath={.status.phase}"]),
        "Terminating"
    );
    let err = s.fails(&["create", "configmap", "c", "-n", "gone"]);
    assert!(
        err.contains(
            "unable to create new content in namespace gone because it is being terminated"
        ),
        "{err}"
    );
    for i in 0..4 {
        s.ok(&[
            "create",
            "configmap",
            &format!("c{i}"),
            "--from-literal=a=b",
        ]);
    }
    s.ok(&["label", "cm", "c0", "c1", "drop=yes"]);
    let out = s.ok(&["delete", "cm", "-l", "drop=yes"]);
    assert!(
        out.contains("configmap \"c0\" deleted") && out.contains("configmap \"c1\" deleted"),
        "{out}"
    );
    let left = s.ok(&["get", "cm", "-o", "name"]);
    assert!(!left.contains("c0") && left.contains("c2"), "{left}");
    let one = s.ok(&[
        "get",
        "cm",
        "--field-selector",
        "metadata.name=c3",
        "-o",
        "name",
    ]);
    assert_eq!(one.trim(), "configmap/c3");
    s.ok(&["run", "p", "--image=busybox"]);
    let pending = s.ok(&[
        "get",
        "pods",
        "--field-selector",
        "status.phase=Pending,spec.nodeName=",
        "-o",
        "name",
    ]);
    assert_eq!(pending.trim(), "pod/p");
    let err = s.fails(&["get", "pods", "--field-selector", "spec.bogus=1"]);
    assert!(
        err.contains("field label not supported: spec.bogus"),
        "{err}"
    );
    s.ok(&["delete", "cm", "--all"]);
    let none = s.ok(&["get", "cm", "-o", "name"]);
    assert!(!none.contains("configmap/c"), "{none}");
}

#[test]
fn events_are_one_store_in_two_shapes() {
    let s = Server::start();
    s.ok_stdin(
        &["create", "-f", "-"],
        r#"{"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"name":"e1","namespace":"default"},
"regarding":{"kind":"Pod","name":"web-1","namespace":"default","apiVersion":"v1"},"note":"Successfully assigned default/web-1 to n1",
"reason":"Scheduled","type":"Normal","action":"Binding","reportingController":"default-scheduler","reportingInstance":"x",
"eventTime":"2026-01-01T00:00:00.000000Z"}"#,
    );
    let core = json(&s, &["get", "events.v1.", "e1", "-o", "json"]);
    assert_eq!(core["apiVersion"], "v1");
    assert_eq!(core["involvedObject"]["name"], "web-1");
    assert_eq!(core["message"], "Successfully assigned default/web-1 to n1");
    assert_eq!(core["reportingComponent"], "default-scheduler");
    let found = s.ok(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.name=web-1",
        "-o",
        "name",
    ]);
    assert!(found.contains("e1"), "{found}");
    s.ok_stdin(
        &["create", "-f", "-"],
        r#"{"apiVersion":"v1","kind":"Event","metadata":{"name":"e2","namespace":"default"},
"involvedObject":{"kind":"Pod","name":"web-2","namespace":"default"},"message":"Back-off","reason":"BackOff","type":"Warning",
"source":{"component":"kubelet"},"count":3}"#,
    );
    let new = json(&s, &["get", "events.v1.events.k8s.io", "e2", "-o", "json"]);
    assert_eq!(new["apiVersion"], "events.k8s.io/v1");
    assert_eq!(
        (new["regarding"]["name"].as_str(), new["note"].as_str()),
        (Some("web-2"), Some("Back-off"))
    );
    assert_eq!(new["deprecatedCount"], 3);
    let listed = s.ok(&["get", "events.v1.events.k8s.io", "-o", "name"]);
    assert!(listed.contains("e1") && listed.contains("e2"), "{listed}");
}

#[test]
fn limit_ranges_and_quotas() {
    let s = Server::start_with(&["--disable-controllers", "--disable-scheduler"]);
    s.ok(&["create", "ns", "q"]);
    s.ok_stdin(
        &["apply", "-f", "-"],
        "apiVersion: v1\nkind: LimitRange\nmetadata: {name: lr, namespace: q}\nspec:\n  limits:\n  - type: Container\n    default: {cpu: 500m}\n    defaultRequest: {cpu: 100m}\n    max: {cpu: \"1\"}\n",
    );
    s.ok(&["run", "a", "-n", "q", "--image=busybox"]);
    let pod = json(&s, &["get", "pod", "a", "-n", "q", "-o", "json"]);
    assert_eq!(
        pod["spec"]["containers"][0]["resources"],
        serde_json::json!({"limits": {"cpu": "500m"}, "requests": {"cpu": "100m"}})
    );
    assert_eq!(
        pod["metadata"]["annotations"]["kubernetes.io/limit-ranger"],
        "LimitRanger plugin set: cpu request for container a; cpu limit for container a"
    );
    assert_eq!(pod["spec"]["serviceAccountName"], "default");
    assert!(
        pod["spec"]["tolerations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["key"] == "node.kubernetes.io/unreachable" && t["tolerationSeconds"] == 300)
    );
    let err = s.fails(&["run", "big", "-n", "q", "--image=busybox", "--overrides", r#"{"spec":{"containers":[{"name":"big","image":"busybox","resources":{"limits":{"cpu":"2"}}}]}}"#]);
    assert!(
        err.contains(
            r#"pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2"#
        ),
        "{err}"
    );
    s.ok_stdin(&["apply", "-f", "-"], "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: quota, namespace: q}\nspec:\n  hard: {pods: \"2\", requests.cpu: 250m}\n");
    let q = json(&s, &["get", "quota", "quota", "-n", "q", "-o", "json"]);
    assert_eq!(
        q["status"]["used"],
        serde_json::json!({"pods": "1", "requests.cpu": "100m"}),
        "{q}"
    );
    s.ok(&["run", "b", "-n", "q", "--image=busybox"]);
    let err = s.fails(&["run", "c", "-n", "q", "--image=busybox"]);
    assert!(
        err.contains(r#"pods "c" is forbidden: exceeded quota: quota, requested: pods=1,requests.cpu=100m, used: pods=2,requests.cpu=200m, limited: pods=2,requests.cpu=250m"#),
        "{err}"
    );
    let q = json(&s, &["get", "quota", "quota", "-n", "q", "-o", "json"]);
    assert_eq!(q["status"]["used"]["pods"], "2");
}

#[test]
fn quota_usage_follows_deletions() {
    let s = Server::start_with(&["--disable-scheduler", "--controllers=resourcequota"]);
    s.ok_stdin(&["apply", "-f", "-"], "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: cm-quota}\nspec:\n  hard: {configmaps: \"10\"}\n");
    s.ok(&["create", "cm", "one"]);
    s.ok(&["create", "cm", "two"]);
    let used = || {
        s.ok(&[
            "get",
            "quota",
            "cm-quota",
            "-o",
            "jsonpath={.status.used.configmaps}",
        ])
    };
    s.eventually(15, "usage 2", || used() == "2");
    s.ok(&["delete", "cm", "one"]);
    s.eventually(15, "usage back to 1", || used() == "1");
}
