#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Services come alive: the endpoints and EndpointSlice controllers follow pod IPs,
//! readiness and named ports; the serviceaccount controller and root-CA publisher fill new
//! namespaces. Pods get their IPs and readiness through `pods/status` here, as a node
//! agent would set them.

mod common;

use std::process::{Command, Stdio};

use common::Server;
use serde_json::Value;

const NODE: &str = r#"{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"}}"#;

const SERVICE: &str = r#"
apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {tier: frontend}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http}
"#;

/// A pod on node-1 labelled `app: web` whose container port 8080 is named `port_name`.
fn pod(name: &str, port_name: &str) -> String {
    format!(
        r#"{{"apiVersion": "v1", "kind": "Pod",
            "metadata": {{"name": "{name}", "labels": {{"app": "web"}}}},
            "spec": {{"nodeName": "node-1", "containers": [{{"name": "c", "image": "busybox",
                "ports": [{{"name": "{port_name}", "containerPort": 8080}}]}}]}}}}"#
    )
}

/// Sets the pod's IP and Ready condition as a kubelet would (with the transition time).
fn set_status(s: &Server, name: &str, ip: &str, ready: bool) {
    let ready = if ready { "True" } else { "False" };
    let now = k8s_openapi::jiff::Timestamp::now()
        .round(k8s_openapi::jiff::Unit::Second)
        .unwrap();
    let patch = format!(
        r#"{{"status": {{"phase": "Running", "podIP": "{ip}", "podIPs": [{{"ip": "{ip}"}}],
            "conditions": [{{"type": "Ready", "status": "{ready}",
                "lastTransitionTime": "{now}"}}]}}}}"#
    );
    s.ok(&[
        "patch",
        "pod",
        name,
        "--subresource=status",
        "--type=merge",
        "-p",
        patch.as_str(),
    ]);
}

fn json(s: &Server, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["-o", "json"]);
    serde_json::from_str(&s.ok(&all)).expect("json")
}

/// (ready IPs, not-ready IPs, ports) of Endpoints `name`, or None while it does not exist.
fn endpoints(s: &Server, name: &str) -> Option<(Vec<String>, Vec<String>, Vec<i64>)> {
    let out = s.kubectl(&["get", "endpoints", name, "-o", "json"]);
    if !out.status.success() {
        return None;
    }
    let ep: Value = serde_json::from_slice(&out.stdout).ok()?;
    let (mut ready, mut not_ready, mut ports) = (vec![], vec![], vec![]);
    for subset in ep["subsets"].as_array().into_iter().flatten() {
        for (list, out) in [
            ("addresses", &mut ready),
            ("notReadyAddresses", &mut not_ready),
        ] {
            for a in subset[list].as_array().into_iter().flatten() {
                out.push(a["ip"].as_str().unwrap_or("").to_string());
            }
        }
        for p in subset["ports"].as_array().into_iter().flatten() {
            ports.push(p["port"].as_i64().unwrap_or(0));
        }
    }
    Some((ready, not_ready, ports))
}

fn ips(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn endpoints_follow_pods_readiness_and_named_ports() {
    let s = Server::start();
    s.ok_stdin(&["apply", "-f", "-"], NODE);
    s.ok_stdin(&["apply", "-f", "-"], SERVICE);
    for (name, port) in [("web-1", "http"), ("web-2", "http"), ("web-3", "metrics")] {
        s.ok_stdin(&["apply", "-f", "-"], &pod(name, port));
    }
    set_status(&s, "web-1", "10.244.0.11", true);
    set_status(&s, "web-2", "10.244.0.12", false);
    // web-3 is ready but has no port named `http`: it is left out.
    set_status(&s, "web-3", "10.244.0.13", true);
    let want = (ips(&["10.244.0.11"]), ips(&["10.244.0.12"]), vec![8080]);
    s.eventually(30, "endpoints of web", || {
        endpoints(&s, "web") == Some(want.clone())
    });

    let table = s.ok(&["get", "endpoints", "web"]);
    assert!(table.contains("10.244.0.11:8080"), "{table}");
    let ep = json(&s, &["get", "endpoints", "web"]);
    assert_eq!(ep["metadata"]["labels"]["tier"], "frontend");
    let trigger =
        &ep["metadata"]["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"];
    assert!(trigger.as_str().is_some_and(|t| t.ends_with('Z')), "{ep}");
    let address = &ep["subsets"][0]["addresses"][0];
    assert_eq!(address["nodeName"], "node-1");
    assert_eq!(address["targetRef"]["kind"], "Pod");
    assert_eq!(address["targetRef"]["name"], "web-1");
    assert_eq!(address["targetRef"]["namespace"], "default");
    assert!(
        address["targetRef"]["uid"]
            .as_str()
            .is_some_and(|u| !u.is_empty())
    );
    assert_eq!(ep["subsets"][0]["ports"][0]["name"], "http");
    assert_eq!(ep["subsets"][0]["ports"][0]["protocol"], "TCP");

    // Readiness and deletion move addresses.
    set_status(&s, "web-2", "10.244.0.12", true);
    let both = (ips(&["10.244.0.11", "10.244.0.12"]), vec![], vec![8080]);
    s.eventually(30, "web-2 ready", || {
        endpoints(&s, "web") == Some(both.clone())
    });
    s.ok(&["delete", "pod", "web-1", "--wait=false"]);
    let one = (ips(&["10.244.0.12"]), vec![], vec![8080]);
    s.eventually(30, "web-1 gone", || {
        endpoints(&s, "web") == Some(one.clone())
    });

    let describe = s.ok(&["describe", "svc", "web"]);
    assert!(
        describe
            .lines()
            .any(|l| l.starts_with("Endpoints:") && l.contains("10.244.0.12:8080")),
        "{describe}"
    );

    // The Service goes, and its Endpoints and slices with it.
    s.ok(&["delete", "svc", "web"]);
    s.eventually(30, "endpoints deleted", || endpoints(&s, "web").is_none());
    s.eventually(30, "slices deleted", || {
        let list = json(
            &s,
            &[
                "get",
                "endpointslices",
                "-l",
                "kubernetes.io/service-name=web",
            ],
        );
        list["items"].as_array().is_some_and(Vec::is_empty)
    });
}

#[test]
fn endpoint_slices_list_pods_with_conditions() {
    let s = Server::start();
    s.ok_stdin(&["apply", "-f", "-"], NODE);
    s.ok_stdin(&["apply", "-f", "-"], SERVICE);
    // Before any pod: one empty placeholder slice.
    let selector = "kubernetes.io/service-name=web";
    s.eventually(30, "placeholder slice", || {
        let list = json(&s, &["get", "endpointslices", "-l", selector]);
        list["items"].as_array().is_some_and(|i| i.len() == 1)
    });
    s.ok_stdin(&["apply", "-f", "-"], &pod("web-1", "http"));
    s.ok_stdin(&["apply", "-f", "-"], &pod("web-2", "http"));
    set_status(&s, "web-1", "10.244.1.11", true);
    set_status(&s, "web-2", "10.244.1.12", false);
    let endpoints_of = |s: &Server| -> Vec<Value> {
        let list = json(s, &["get", "endpointslices", "-l", selector]);
        let items = list["items"].as_array().cloned().unwrap_or_default();
        items
            .iter()
            .flat_map(|i| i["endpoints"].as_array().cloned().unwrap_or_default())
            .collect()
    };
    s.eventually(30, "two endpoints", || endpoints_of(&s).len() == 2);

    let list = json(&s, &["get", "endpointslices", "-l", selector]);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    let slice = &items[0];
    let name = slice["metadata"]["name"].as_str().unwrap();
    assert!(name.starts_with("web-") && name.len() > 4, "{name}");
    assert_eq!(slice["addressType"], "IPv4");
    let labels = &slice["metadata"]["labels"];
    assert_eq!(
        labels["endpointslice.kubernetes.io/managed-by"],
        "endpointslice-controller.k8s.io"
    );
    assert_eq!(labels["tier"], "frontend");
    let owner = &slice["metadata"]["ownerReferences"][0];
    assert_eq!(
        (owner["kind"].as_str(), owner["name"].as_str()),
        (Some("Service"), Some("web"))
    );
    assert_eq!(owner["controller"], true);
    assert_eq!(slice["ports"][0]["port"], 8080);
    assert_eq!(slice["ports"][0]["name"], "http");
    let by_ip = |ip: &str| {
        endpoints_of(&s)
            .into_iter()
            .find(|e| e["addresses"][0] == ip)
            .unwrap_or_else(|| panic!("no endpoint {ip}"))
    };
    let ready = by_ip("10.244.1.11");
    assert_eq!(ready["conditions"]["ready"], true);
    assert_eq!(ready["conditions"]["serving"], true);
    assert_eq!(ready["conditions"]["terminating"], false);
    assert_eq!(ready["nodeName"], "node-1");
    assert_eq!(ready["targetRef"]["name"], "web-1");
    assert_eq!(by_ip("10.244.1.12")["conditions"]["ready"], false);

    let table = s.ok(&["get", "endpointslices", "-l", selector]);
    assert!(table.contains("IPv4") && table.contains("8080"), "{table}");
    assert!(table.contains("10.244.1.11"), "{table}");
}

#[test]
fn apiserver_and_selectorless_endpoints_are_left_alone() {
    let s = Server::start();
    // The kubernetes Service's slice mirrors its hand-kept Endpoints.
    s.eventually(30, "kubernetes slice", || {
        s.kubectl(&["get", "endpointslice", "kubernetes"])
            .status
            .success()
    });
    let slice = json(&s, &["get", "endpointslice", "kubernetes"]);
    let ep = json(&s, &["get", "endpoints", "kubernetes"]);
    assert_eq!(
        slice["metadata"]["labels"]["kubernetes.io/service-name"],
        "kubernetes"
    );
    assert_eq!(
        slice["endpoints"][0]["addresses"][0],
        ep["subsets"][0]["addresses"][0]["ip"]
    );
    assert_eq!(slice["endpoints"][0]["conditions"]["ready"], true);
    assert_eq!(
        slice["ports"][0]["port"],
        ep["subsets"][0]["ports"][0]["port"]
    );

    // A Service without selector keeps the Endpoints written for it.
    let manual = r#"
apiVersion: v1
kind: Service
metadata: {name: external}
spec:
  ports: [{port: 5432}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: external}
subsets:
- addresses: [{ip: 192.0.2.10}]
  ports: [{port: 5432}]
"#;
    s.ok_stdin(&["apply", "-f", "-"], manual);
    // Let the controllers act on something else, then look again.
    s.ok_stdin(&["apply", "-f", "-"], SERVICE);
    s.eventually(30, "endpoints of web", || endpoints(&s, "web").is_some());
    assert_eq!(
        endpoints(&s, "external"),
        Some((ips(&["192.0.2.10"]), vec![], vec![5432]))
    );
    assert_eq!(
        s.ok(&[
            "get",
            "endpoints",
            "kubernetes",
            "-o",
            "jsonpath={.metadata.labels}"
        ]),
        r#"{"endpointslice.kubernetes.io/skip-mirror":"true"}"#
    );
}

#[test]
fn namespaces_get_a_default_service_account_and_the_root_ca() {
    // The controllers run as their own process here, told where the cluster CA is.
    let s = Server::start_with(&["--disable-controllers"]);
    let ca_file = s.dir.join("pki/ca.crt");
    let mut cm = Command::new(env!("CARGO_BIN_EXE_kubehci"))
        .args(["controller-manager", "--kubeconfig"])
        .arg(s.dir.join("controller-manager.kubeconfig"))
        .env("KUBEHCI_ROOT_CA_FILE", &ca_file)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("controller-manager");
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        s.ok(&["create", "namespace", "team-a"]);
        s.eventually(30, "default service account", || {
            s.kubectl(&["get", "serviceaccount", "default", "-n", "team-a"])
                .status
                .success()
        });
        let ca = std::fs::read_to_string(&ca_file).unwrap();
        s.eventually(30, "kube-root-ca.crt", || {
            let out = s.kubectl(&[
                "get",
                "cm",
                "kube-root-ca.crt",
                "-n",
                "team-a",
                "-o",
                "json",
            ]);
            out.status.success()
                && serde_json::from_slice::<Value>(&out.stdout).unwrap()["data"]["ca.crt"]
                    == ca.as_str()
        });
        let cm = json(&s, &["get", "cm", "kube-root-ca.crt", "-n", "team-a"]);
        let description = cm["metadata"]["annotations"]["kubernetes.io/description"].as_str();
        assert!(
            description.is_some_and(|d| d.starts_with("Contains a CA bundle")),
            "{cm}"
        );
        // The existing namespaces have them too.
        for ns in ["default", "kube-system", "kube-public"] {
            s.eventually(30, "system namespaces", || {
                s.kubectl(&["get", "sa", "default", "-n", ns])
                    .status
                    .success()
                    && s.kubectl(&["get", "cm", "kube-root-ca.crt", "-n", ns])
                        .status
                        .success()
            });
        }
        // Deleted, they come back.
        let uid = |s: &Server| {
            s.ok(&[
                "get",
                "sa",
                "default",
                "-n",
                "team-a",
                "-o",
                "jsonpath={.metadata.uid}",
            ])
        };
        let old = uid(&s);
        s.ok(&["delete", "sa", "default", "-n", "team-a"]);
        s.eventually(30, "default re-created", || {
            s.kubectl(&["get", "sa", "default", "-n", "team-a"])
                .status
                .success()
                && uid(&s) != old
        });
        s.ok(&["delete", "cm", "kube-root-ca.crt", "-n", "team-a"]);
        s.eventually(30, "kube-root-ca.crt re-created", || {
            s.kubectl(&["get", "cm", "kube-root-ca.crt", "-n", "team-a"])
                .status
                .success()
        });
        // A tampered CA is put back.
        s.ok(&[
            "patch",
            "cm",
            "kube-root-ca.crt",
            "-n",
            "team-a",
            "--type=merge",
            "-p",
            r#"{"data": {"ca.crt": "junk"}}"#,
        ]);
        s.eventually(30, "CA restored", || {
            json(&s, &["get", "cm", "kube-root-ca.crt", "-n", "team-a"])["data"]["ca.crt"]
                == ca.as_str()
        });
    }));
    let _ = cm.kill();
    let _ = cm.wait();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}
