#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A scripted kubectl 1.33 session against a freshly started server (issue #2's
//! acceptance): discovery, create -f of a multi-document YAML, apply twice, server-side
//! apply with conflicts, every output format, label/annotate/patch/scale/edit/delete,
//! describe, explain, diff, auth.

mod common;

use common::Server;

const MANIFEST: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  color: blue
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: shop
stringData:
  password: hunter2
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: busybox:1.36
        env:
        - {name: MODE, value: prod}
        - {name: DEBUG, value: "0"}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer, minimum: 1}
"#;

const WIDGET: &str = r#"
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w1
  namespace: shop
spec:
  size: 3
"#;

#[test]
fn discovery_and_create_from_multi_document_yaml() {
    let s = Server::start();
    let res = s.ok(&["api-resources"]);
    assert!(
        res.lines()
            .any(|l| l.starts_with("deployments") && l.contains("deploy") && l.contains("apps/v1")),
        "{res}"
    );
    assert!(
        res.lines()
            .any(|l| l.starts_with("pods") && l.contains("po")),
        "{res}"
    );
    let out = s.ok_stdin(&["create", "-f", "-"], MANIFEST);
    for want in [
        "namespace/shop created",
        "configmap/settings created",
        "secret/creds created",
        "deployment.apps/web created",
        "service/web created",
        "customresourcedefinition.apiextensions.k8s.io/widgets.example.com created",
    ] {
        assert!(out.contains(want), "missing {want:?} in {out}");
    }
    // The CRD is served once established; its objects can be created and printed.
    let mut created = String::new();
    for _ in 0..50 {
        let o = s.kubectl_with(&s.kubeconfig(), &["create", "-f", "-"], Some(WIDGET));
        if o.status.success() {
            created = String::from_utf8_lossy(&o.stdout).to_string();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        created.contains("widget.example.com/w1 created"),
        "{created}"
    );
    let widgets = s.ok(&["get", "wd", "-n", "shop"]);
    assert!(
        widgets.contains("SIZE")
            && widgets
                .lines()
                .any(|l| l.starts_with("w1") && l.contains('3')),
        "{widgets}"
    );
    // Strict validation rejects unknown fields with upstream's words.
    let bad = s.kubectl_with(
        &s.kubeconfig(),
        &["create", "-f", "-"],
        Some("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: shop}\ndata: {a: b}\nbogus: 1\n"),
    );
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        !bad.status.success() && err.contains("unknown field \"bogus\""),
        "{err}"
    );
    let all = s.ok(&["get", "all", "-n", "shop"]);
    assert!(
        all.contains("deployment.apps/web") && all.contains("service/web"),
        "{all}"
    );
}

#[test]
fn output_formats() {
    let s = Server::start();
    s.ok_stdin(&["create", "-f", "-"], MANIFEST);
    let wide = s.ok(&["get", "deploy", "web", "-n", "shop", "-o", "wide"]);
    let header: Vec<&str> = wide
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        [
            "NAME",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "AGE",
            "CONTAINERS",
            "IMAGES",
            "SELECTOR"
        ],
        "{wide}"
    );
    assert!(
        wide.contains("busybox:1.36") && wide.contains("app=web"),
        "{wide}"
    );
    let yaml = s.ok(&["get", "cm", "settings", "-n", "shop", "-o", "yaml"]);
    assert!(
        yaml.contains("color: blue") && yaml.contains("resourceVersion:"),
        "{yaml}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&s.ok(&["get", "svc", "web", "-n", "shop", "-o", "json"])).unwrap();
    assert!(
        json["spec"]["clusterIP"]
            .as_str()
            .unwrap()
            .starts_with("10."),
        "{json}"
    );
    assert_eq!(json["spec"]["ports"][0]["protocol"], "TCP");
    let jp = s.ok(&[
        "get",
        "cm",
        "settings",
        "-n",
        "shop",
        "-o",
        "jsonpath={.data.color}",
    ]);
    assert_eq!(jp, "blue");
    let cc = s.ok(&[
        "get",
        "deploy",
        "-n",
        "shop",
        "-o",
        "custom-columns=N:.metadata.name,R:.spec.replicas",
    ]);
    assert_eq!(
        cc.split_whitespace().collect::<Vec<_>>(),
        ["N", "R", "web", "2"],
        "{cc}"
    );
    let names = s.ok(&["get", "cm,secret", "-n", "shop", "-o", "name"]);
    assert!(
        names.contains("configmap/settings") && names.contains("secret/creds"),
        "{names}"
    );
    let secret = s.ok(&[
        "get",
        "secret",
        "creds",
        "-n",
        "shop",
        "-o",
        "jsonpath={.data.password}",
    ]);
    assert_eq!(
        secret, "aHVudGVyMg==",
        "stringData must be folded into data"
    );
    let pods = s.ok(&["get", "pods", "-A"]);
    assert!(
        pods.contains("No resources found") || pods.is_empty() || pods.starts_with("NAMESPACE"),
        "{pods}"
    );
}

#[test]
fn label_annotate_patch_scale_edit() {
    let s = Server::start();
    s.ok_stdin(&["create", "-f", "-"], MANIFEST);
    s.ok(&["label", "cm", "settings", "-n", "shop", "tier=gold"]);
    s.ok(&["annotate", "cm", "settings", "-n", "shop", "owner=team-a"]);
    let got = s.ok(&["get", "cm", "-n", "shop", "-l", "tier=gold", "-o", "name"]);
    assert_eq!(got.trim(), "configmap/settings");
    let none = s.ok(&[
        "get",
        "cm",
        "-n",
        "shop",
        "-l",
        "tier in (silver),!missing",
        "-o",
        "name",
    ]);
    assert_eq!(none.trim(), "");
    s.ok(&[
        "patch",
        "cm",
        "settings",
        "-n",
        "shop",
        "--type=merge",
        "-p",
        r#"{"data":{"size":"L"}}"#,
    ]);
    s.ok(&[
        "patch",
        "cm",
        "settings",
        "-n",
        "shop",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/data/color","value":"red"}]"#,
    ]);
    s.ok(&[
        "patch",
        "deploy",
        "web",
        "-n",
        "shop",
        "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"busybox:1.37"}]}}}}"#,
    ]);
    let d: serde_json::Value =
        serde_json::from_str(&s.ok(&["get", "deploy", "web", "-n", "shop", "-o", "json"])).unwrap();
    let c = &d["spec"]["template"]["spec"]["containers"];
    assert_eq!(
        c.as_array().unwrap().len(),
        1,
        "strategic merge keeps one container: {c}"
    );
    assert_eq!(c[0]["image"], "busybox:1.37");
    assert_eq!(
        c[0]["env"].as_array().unwrap().len(),
        2,
        "env preserved by the strategic merge"
    );
    assert_eq!(
        d["metadata"]["generation"], 2,
        "spec change bumps generation"
    );
    let cm = s.ok(&[
        "get",
        "cm",
        "settings",
        "-n",
        "shop",
        "-o",
        "jsonpath={.data.color}/{.data.size}",
    ]);
    assert_eq!(cm, "red/L");
    s.ok(&["scale", "deploy", "web", "-n", "shop", "--replicas=5"]);
    assert_eq!(
        s.ok(&[
            "get",
            "deploy",
            "web",
            "-n",
            "shop",
            "-o",
            "jsonpath={.spec.replicas}"
        ]),
        "5"
    );
    // edit, non-interactively: the editor is a sed script.
    let editor = "sed -i -e 's/color: red/color: green/'";
    let out = std::process::Command::new(common::kubectl_path())
        .args(["--kubeconfig"])
        .arg(s.kubeconfig())
        .args(["edit", "cm", "settings", "-n", "shop"])
        .env("KUBE_EDITOR", editor)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "edit: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        s.ok(&[
            "get",
            "cm",
            "settings",
            "-n",
            "shop",
            "-o",
            "jsonpath={.data.color}"
        ]),
        "green"
    );
}

#[test]
fn delete_records_propagation() {
    let s = Server::start_with(&["--disable-controllers"]);
    s.ok_stdin(&["create", "-f", "-"], MANIFEST);
    s.ok(&[
        "delete",
        "deploy",
        "web",
        "-n",
        "shop",
        "--cascade=foreground",
        "--wait=false",
    ]);
    let d: serde_json::Value =
        serde_json::from_str(&s.ok(&["get", "deploy", "web", "-n", "shop", "-o", "json"])).unwrap();
    assert!(d["metadata"]["deletionTimestamp"].is_string(), "{d}");
    assert_eq!(
        d["metadata"]["finalizers"],
        serde_json::json!(["foregroundDeletion"])
    );
    s.ok(&[
        "delete",
        "cm",
        "settings",
        "-n",
        "shop",
        "--cascade=orphan",
        "--wait=false",
    ]);
    let cm: serde_json::Value =
        serde_json::from_str(&s.ok(&["get", "cm", "settings", "-n", "shop", "-o", "json"]))
            .unwrap();
    assert_eq!(cm["metadata"]["finalizers"], serde_json::json!(["orphan"]));
    let out = s.ok(&["delete", "svc", "web", "-n", "shop", "--cascade=background"]);
    assert!(out.contains("service \"web\" deleted"), "{out}");
    let err = s.fails(&["get", "svc", "web", "-n", "shop"]);
    assert!(err.contains("services \"web\" not found"), "{err}");
    // The freed cluster IP can be allocated again.
    s.ok(&[
        "create",
        "service",
        "clusterip",
        "again",
        "-n",
        "shop",
        "--tcp=80:80",
    ]);
}

const APP_V1: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: default
spec:
  replicas: 1
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
      - name: api
        image: busybox:1.36
        env:
        - {name: KEEP, value: "1"}
        - {name: DROP, value: "2"}
"#;

const APP_V2: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: default
spec:
  replicas: 1
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
      - name: api
        image: busybox:1.36
        env:
        - {name: KEEP, value: "1"}
      - name: sidecar
        image: busybox:1.36
"#;

#[test]
fn client_side_apply_twice_matches_upstream_merge() {
    // Without controllers: the Deployment's status must not move under the RV comparison.
    let s = Server::start_with(&["--disable-controllers"]);
    let out = s.ok_stdin(&["apply", "-f", "-"], APP_V1);
    assert!(out.contains("deployment.apps/api created"), "{out}");
    // A field set by someone else must survive the second apply (three-way merge).
    s.ok(&[
        "patch",
        "deploy",
        "api",
        "--type=merge",
        "-p",
        r#"{"spec":{"minReadySeconds":7}}"#,
    ]);
    let out = s.ok_stdin(&["apply", "-f", "-"], APP_V2);
    assert!(out.contains("deployment.apps/api configured"), "{out}");
    let d: serde_json::Value =
        serde_json::from_str(&s.ok(&["get", "deploy", "api", "-o", "json"])).unwrap();
    let cs = d["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap();
    let names: Vec<&str> = cs.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["api", "sidecar"], "{d}");
    assert_eq!(
        cs[0]["env"],
        serde_json::json!([{"name": "KEEP", "value": "1"}])
    );
    assert_eq!(
        d["spec"]["minReadySeconds"], 7,
        "three-way merge keeps others' fields"
    );
    assert!(
        d["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
            .is_string()
    );
    // Applying the same file again changes nothing.
    let rv = d["metadata"]["resourceVersion"].clone();
    let out = s.ok_stdin(&["apply", "-f", "-"], APP_V2);
    assert!(out.contains("unchanged"), "{out}");
    let again: serde_json::Value =
        serde_json::from_str(&s.ok(&["get", "deploy", "api", "-o", "json"])).unwrap();
    assert_eq!(again["metadata"]["resourceVersion"], rv);
}

#[test]
fn server_side_apply_conflicts_and_force() {
    let s = Server::start();
    let out = s.ok_stdin(&["apply", "--server-side", "-f", "-"], APP_V1);
    assert!(out.contains("serverside-applied"), "{out}");
    // Another manager takes spec.replicas.
    s.ok(&["scale", "deploy", "api", "--replicas=3"]);
    let changed = APP_V1.replace("replicas: 1", "replicas: 2");
    let out = s.kubectl_with(
        &s.kubeconfig(),
        &["apply", "--server-side", "-f", "-"],
        Some(&changed),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "conflict expected");
    assert!(
        err.contains("conflict") && err.contains(".spec.replicas"),
        "{err}"
    );
    let out = s.ok_stdin(
        &["apply", "--server-side", "--force-conflicts", "-f", "-"],
        &changed,
    );
    assert!(out.contains("serverside-applied"), "{out}");
    assert_eq!(
        s.ok(&["get", "deploy", "api", "-o", "jsonpath={.spec.replicas}"]),
        "2"
    );
    let mf = s.ok(&[
        "get",
        "deploy",
        "api",
        "--show-managed-fields",
        "-o",
        "jsonpath={.metadata.managedFields[*].manager}",
    ]);
    assert!(mf.contains("kubectl"), "{mf}");
}

#[test]
fn watch_prints_later_changes() {
    // Exactly our events: no controllers adding objects (e.g. kube-root-ca.crt).
    let s = Server::start_with(&["--disable-controllers"]);
    s.ok(&["create", "configmap", "watched", "--from-literal=a=1"]);
    let mut child = std::process::Command::new(common::kubectl_path())
        .arg("--kubeconfig")
        .arg(s.kubeconfig())
        .args(["get", "cm", "-w", "--output-watch-events"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    s.ok(&["label", "cm", "watched", "x=y"]);
    s.ok(&["delete", "cm", "watched"]);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["EVENT", "NAME", "DATA", "AGE"],
        "{text}"
    );
    for (line, event) in lines[1..].iter().zip(["ADDED", "MODIFIED", "DELETED"]) {
        assert!(
            line.starts_with(event) && line.contains("watched"),
            "{text}"
        );
    }
    assert_eq!(lines.len(), 4, "{text}");
}

#[test]
fn describe_explain_diff() {
    let s = Server::start();
    s.ok_stdin(&["apply", "-f", "-"], APP_V1);
    let d = s.ok(&["describe", "deploy", "api"]);
    assert!(
        d.contains("Name:")
            && d.contains("api")
            && d.contains("Selector:")
            && d.contains("app=api"),
        "{d}"
    );
    let e = s.ok(&["explain", "deployment.spec.strategy"]);
    assert!(
        e.contains("GROUP:") && e.contains("apps") && e.contains("rollingUpdate"),
        "{e}"
    );
    let out = s.kubectl_with(
        &s.kubeconfig(),
        &["diff", "-f", "-"],
        Some(&APP_V1.replace("busybox:1.36", "busybox:1.37")),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "diff exits 1 when there are changes: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("-        image: busybox:1.36")
            && text.contains("+        image: busybox:1.37"),
        "{text}"
    );
    let same = s.kubectl_with(&s.kubeconfig(), &["diff", "-f", "-"], Some(APP_V1));
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stdout)
    );
}

#[test]
fn typed_client_commands_send_protobuf_and_work() {
    let s = Server::start();
    for args in [
        vec!["create", "namespace", "typed"],
        vec![
            "create",
            "configmap",
            "c",
            "-n",
            "typed",
            "--from-literal=a=b",
        ],
        vec![
            "create",
            "secret",
            "generic",
            "s",
            "-n",
            "typed",
            "--from-literal=p=q",
        ],
        vec![
            "create",
            "deployment",
            "d",
            "-n",
            "typed",
            "--image=busybox",
            "--replicas=0",
        ],
        vec![
            "create",
            "service",
            "nodeport",
            "np",
            "-n",
            "typed",
            "--tcp=80:8080",
        ],
        vec!["create", "job", "j", "-n", "typed", "--image=busybox"],
        vec![
            "create",
            "cronjob",
            "cj",
            "-n",
            "typed",
            "--image=busybox",
            "--schedule=*/5 * * * *",
        ],
        vec!["create", "serviceaccount", "sa", "-n", "typed"],
        vec![
            "create",
            "role",
            "r",
            "-n",
            "typed",
            "--verb=get",
            "--resource=pods",
        ],
        vec![
            "create",
            "rolebinding",
            "rb",
            "-n",
            "typed",
            "--role=r",
            "--user=zed",
        ],
        vec![
            "create",
            "clusterrole",
            "cr",
            "--verb=list",
            "--resource=nodes",
        ],
        vec!["create", "quota", "q", "-n", "typed", "--hard=pods=10"],
        vec!["create", "priorityclass", "high", "--value=1000"],
        vec![
            "create",
            "poddisruptionbudget",
            "pdb",
            "-n",
            "typed",
            "--selector=app=x",
            "--min-available=1",
        ],
        vec![
            "create",
            "ingress",
            "ing",
            "-n",
            "typed",
            "--rule=example.com/=np:80",
        ],
        vec![
            "run",
            "pod1",
            "-n",
            "typed",
            "--image=busybox",
            "--",
            "sleep",
            "1",
        ],
        vec![
            "expose",
            "deployment",
            "d",
            "-n",
            "typed",
            "--port=80",
            "--name=exposed",
        ],
    ] {
        s.ok(&args);
    }
    let d: serde_json::Value =
        serde_json::from_str(&s.ok(&["get", "deploy", "d", "-n", "typed", "-o", "json"])).unwrap();
    assert_eq!(
        d["spec"]["replicas"], 0,
        "an explicit zero survives the protobuf decoding"
    );
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["terminationMessagePath"],
        "/dev/termination-log"
    );
    let np = s.ok(&[
        "get",
        "svc",
        "np",
        "-n",
        "typed",
        "-o",
        "jsonpath={.spec.ports[0].nodePort}",
    ]);
    assert!(
        (30000..=32767).contains(&np.parse::<u32>().unwrap()),
        "{np}"
    );
    assert_eq!(
        s.ok(&[
            "get",
            "secret",
            "s",
            "-n",
            "typed",
            "-o",
            "jsonpath={.data.p}"
        ]),
        "cQ=="
    );
    assert_eq!(
        s.ok(&[
            "get",
            "job",
            "j",
            "-n",
            "typed",
            "-o",
            "jsonpath={.spec.template.metadata.labels.job-name}"
        ]),
        "j"
    );
    assert_eq!(
        s.ok(&["auth", "can-i", "create", "deployments"]).trim(),
        "yes"
    );
    let out = s.kubectl(&["auth", "can-i", "get", "pods", "-n", "typed", "--as", "zed"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "yes");
    let out = s.kubectl(&[
        "auth", "can-i", "delete", "pods", "-n", "typed", "--as", "zed",
    ]);
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        ),
        (Some(1), "no".to_string())
    );
    let who = s.ok(&["auth", "whoami"]);
    assert!(
        who.contains("kubernetes-admin") && who.contains("system:masters"),
        "{who}"
    );
    let list = s.ok(&["auth", "can-i", "--list", "-n", "typed", "--as", "zed"]);
    assert!(
        list.lines()
            .any(|l| l.starts_with("pods ") && l.contains("[get]")),
        "{list}"
    );
}
