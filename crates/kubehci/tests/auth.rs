#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Authentication and RBAC through the real kubectl: a client certificate for a user bound
//! to `view` in one namespace, the same through `--as`, and requests without credentials.

mod common;

use common::Server;
use kubehci_auth::pki::{ClusterCa, Kubeconfig, kubeconfig_yaml};

const POLICY: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: dev}
---
apiVersion: v1
kind: Namespace
metadata: {name: prod}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-view, namespace: dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}
---
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: dev}
stringData: {k: v}
"#;

fn user_kubeconfig(s: &Server, user: Option<&str>) -> std::path::PathBuf {
    let ca = ClusterCa::load(&s.dir.join("pki/ca.crt"), &s.dir.join("pki/ca.key")).unwrap();
    let kc = Kubeconfig {
        cluster_name: "kubehci".into(),
        server: format!("https://{}", s.addr),
        ca_pem: ca.cert_pem().to_string(),
        user_name: user.unwrap_or("nobody").into(),
        client: user.map(|u| ca.issue_client(u, &[]).unwrap()),
        token: None,
        namespace: None,
    };
    let path = s
        .dir
        .join(format!("{}.kubeconfig", user.unwrap_or("anonymous")));
    std::fs::write(&path, kubeconfig_yaml(&kc).unwrap()).unwrap();
    path
}

fn run(s: &Server, kc: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = s.kubectl_with(kc, args, None);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn wait_for_rbac(s: &Server, kc: &std::path::Path) {
    // The RBAC cache follows the store's watch; give it a moment after the binding lands.
    for _ in 0..50 {
        if run(s, kc, &["get", "pods", "-n", "dev"]).0 {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn view_binding_scopes_a_certificate_user() {
    let s = Server::start();
    s.ok_stdin(&["apply", "-f", "-"], POLICY);
    let alice = user_kubeconfig(&s, Some("alice"));
    wait_for_rbac(&s, &alice);
    let (ok, text) = run(&s, &alice, &["get", "pods", "-n", "dev"]);
    assert!(
        ok && text.contains("No resources found in dev namespace."),
        "{text}"
    );
    let (ok, text) = run(&s, &alice, &["get", "secrets", "-n", "dev"]);
    assert!(!ok);
    assert!(
        text.contains(r#"Error from server (Forbidden): secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" in the namespace "dev""#),
        "{text}"
    );
    let (ok, text) = run(&s, &alice, &["get", "pods", "-n", "prod"]);
    assert!(
        !ok && text.contains(
            r#"User "alice" cannot list resource "pods" in API group "" in the namespace "prod""#
        ),
        "{text}"
    );
    let (ok, text) = run(&s, &alice, &["delete", "secret", "s", "-n", "dev"]);
    assert!(
        !ok && text.contains("cannot delete resource \"secrets\""),
        "{text}"
    );
    let (ok, text) = run(&s, &alice, &["get", "pods", "-n", "dev", "--as", "bob"]);
    assert!(
        !ok && text.contains(r#"User "alice" cannot impersonate resource "users" in API group """#),
        "{text}"
    );
}

#[test]
fn impersonation_gives_the_same_answers() {
    let s = Server::start();
    s.ok_stdin(&["apply", "-f", "-"], POLICY);
    let alice = user_kubeconfig(&s, Some("alice"));
    wait_for_rbac(&s, &alice);
    let out = s.ok(&["get", "pods", "-n", "dev", "--as", "alice"]);
    assert!(out.is_empty() || out.contains("No resources"), "{out}");
    let err = s.fails(&["get", "secrets", "-n", "dev", "--as", "alice"]);
    assert!(err.contains(r#"secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" in the namespace "dev""#), "{err}");
    let err = s.fails(&["get", "pods", "-n", "prod", "--as", "alice"]);
    assert!(err.contains("forbidden"), "{err}");
    // A group grant through impersonated groups.
    let out = s.ok(&[
        "get",
        "secrets",
        "-n",
        "prod",
        "--as",
        "carol",
        "--as-group",
        "system:masters",
    ]);
    assert!(out.is_empty() || out.contains("No resources"), "{out}");
}

#[tokio::test]
async fn no_credentials_get_401_but_health_is_public() {
    let s = Server::start();
    let ca = std::fs::read(s.dir.join("pki/ca.crt")).unwrap();
    let mut cfg = kube::Config::new(format!("https://{}", s.addr).parse().unwrap());
    cfg.root_cert =
        Some(kubehci_auth::pki::certs_from_pem(std::str::from_utf8(&ca).unwrap()).unwrap());
    let client = kube::Client::try_from(cfg).unwrap();
    for path in ["/healthz", "/readyz", "/livez", "/version"] {
        let req = http::Request::get(path).body(Vec::new()).unwrap();
        let text = client
            .request_text(req)
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        if path != "/version" {
            assert_eq!(text, "ok");
        } else {
            assert!(text.contains("\"gitVersion\""), "{text}");
        }
    }
    for path in ["/api", "/api/v1/namespaces/default/pods", "/apis/apps/v1"] {
        let req = http::Request::get(path).body(Vec::new()).unwrap();
        match client.request_text(req).await {
            Err(kube::Error::Api(s)) => {
                assert_eq!(s.code, 401, "{path}");
                assert_eq!(s.message, "Unauthorized");
            }
            other => panic!("{path}: expected 401, got {other:?}"),
        }
    }
}

#[test]
fn bearer_tokens_from_the_token_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tokens.csv"),
        "s3cret,dave,u-1,\"devs,ops\"\n",
    )
    .unwrap();
    let s = Server::start_in(dir.path(), "127.0.0.1:0");
    s.ok_stdin(
        &["apply", "-f", "-"],
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: ops-view}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects:\n- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: ops}\n",
    );
    let ca = std::fs::read_to_string(dir.path().join("pki/ca.crt")).unwrap();
    let kc = Kubeconfig {
        cluster_name: "kubehci".into(),
        server: format!("https://{}", s.addr),
        ca_pem: ca,
        user_name: "dave".into(),
        client: None,
        token: Some("s3cret".into()),
        namespace: None,
    };
    let path = dir.path().join("dave.kubeconfig");
    std::fs::write(&path, kubeconfig_yaml(&kc).unwrap()).unwrap();
    let mut who = String::new();
    for _ in 0..50 {
        let (ok, text) = run(&s, &path, &["get", "cm", "-A"]);
        if ok {
            who = run(
                &s,
                &path,
                &[
                    "auth",
                    "whoami",
                    "-o",
                    "jsonpath={.status.userInfo.username}/{.status.userInfo.groups}",
                ],
            )
            .1;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        let _ = text;
    }
    assert_eq!(who, r#"dave/["devs","ops","system:authenticated"]"#);
    let (ok, text) = run(&s, &path, &["create", "cm", "x"]);
    assert!(
        !ok && text.contains(r#"User "dave" cannot create resource "configmaps""#),
        "{text}"
    );
    kc_bad_token(&s, dir.path());
}

fn kc_bad_token(s: &Server, dir: &std::path::Path) {
    let ca = std::fs::read_to_string(dir.join("pki/ca.crt")).unwrap();
    let kc = Kubeconfig {
        cluster_name: "kubehci".into(),
        server: format!("https://{}", s.addr),
        ca_pem: ca,
        user_name: "mallory".into(),
        client: None,
        token: Some("wrong".into()),
        namespace: None,
    };
    let path = dir.join("bad.kubeconfig");
    std::fs::write(&path, kubeconfig_yaml(&kc).unwrap()).unwrap();
    let (ok, text) = run(s, &path, &["get", "pods"]);
    assert!(!ok && text.contains("Unauthorized"), "{text}");
}

fn token_kubeconfig(s: &Server, token: &str) -> std::path::PathBuf {
    let ca = std::fs::read_to_string(s.dir.join("pki/ca.crt")).unwrap();
    let kc = Kubeconfig {
        cluster_name: "kubehci".into(),
        server: format!("https://{}", s.addr),
        ca_pem: ca,
        user_name: "bearer".into(),
        client: None,
        token: Some(token.into()),
        namespace: None,
    };
    let path = s.dir.join("bearer.kubeconfig");
    std::fs::write(&path, kubeconfig_yaml(&kc).unwrap()).unwrap();
    path
}

#[test]
fn service_account_tokens() {
    let s = Server::start();
    s.ok(&["create", "serviceaccount", "robot"]);
    let token = s.ok(&["create", "token", "robot", "--duration=1h"]);
    let token = token.trim();
    assert_eq!(token.split('.').count(), 3, "{token}");
    let kc = token_kubeconfig(&s, token);
    let (ok, who) = run(
        &s,
        &kc,
        &[
            "auth",
            "whoami",
            "-o",
            "jsonpath={.status.userInfo.username}",
        ],
    );
    assert!(ok, "{who}");
    assert_eq!(who, "system:serviceaccount:default:robot");
    let (ok, err) = run(&s, &kc, &["get", "secrets"]);
    assert!(
        !ok && err.contains(
            r#"User "system:serviceaccount:default:robot" cannot list resource "secrets""#
        ),
        "{err}"
    );
    s.ok(&[
        "create",
        "rolebinding",
        "robot-view",
        "--clusterrole=view",
        "--serviceaccount=default:robot",
    ]);
    s.eventually(10, "the binding to take effect", || {
        run(&s, &kc, &["get", "pods"]).0
    });
    let short = s.kubectl(&["create", "token", "robot", "--duration=1m"]);
    assert!(
        String::from_utf8_lossy(&short.stderr)
            .contains("may not specify a duration less than 10 minutes")
    );
    // A deleted account's tokens stop working.
    s.ok(&["delete", "serviceaccount", "robot"]);
    let (ok, err) = run(&s, &kc, &["get", "pods"]);
    assert!(!ok && err.contains("Unauthorized"), "{err}");
}
