//! The real kubectl 1.33 (and 1.27) against our API server, which proxies `logs`, `exec`,
//! `attach` and `port-forward` to the node streaming server (`kubehci_streaming::serve`)
//! backed by a real containerd through CRI. Runs as root (containerd).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, Result};
use common::Instances;
use common::cluster::{CgroupGuard, container, running};
use common::kubectl::{KUBECTL, KUBECTL_OLD, kubectl, kubectl_with, ok};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kubectl_logs_exec_and_port_forward_reach_containerd() -> Result<()> {
    let cgroup_parent = format!("kubehci-st-{}", std::process::id());
    let _cgroups = CgroupGuard(cgroup_parent.clone());
    let common::cluster::Fixture {
        cluster,
        dir,
        kc,
        ca,
        cri,
        streams,
        sandbox,
        sandbox_config,
        http_port,
        main,
        att,
        crashy,
    } = common::cluster::start(&cgroup_parent).await?;

    // Logs and upstream's errors.
    assert_eq!(ok(&kc, &["logs", "t", "-c", "main"]).await?, "hi\nsecond\n");
    assert_eq!(
        ok(&kc, &["logs", "t", "-c", "main", "--tail=1"]).await?,
        "second\n"
    );
    let ts = ok(&kc, &["logs", "t", "-c", "main", "--timestamps"]).await?;
    let lines: Vec<&str> = ts.lines().collect();
    assert_eq!(lines.len(), 2, "{ts}");
    for (line, text) in lines.iter().zip(["hi", "second"]) {
        let (t, rest) = line.split_once(' ').unwrap();
        assert_eq!(rest, text);
        assert!(chrono::DateTime::parse_from_rfc3339(t).is_ok(), "{line}");
    }
    assert_eq!(
        ok(&kc, &["logs", "t", "-c", "main", "--since=1h"]).await?,
        "hi\nsecond\n"
    );
    assert_eq!(
        ok(&kc, &["logs", "t", "-c", "main", "--limit-bytes=4"]).await?,
        "hi\ns"
    );
    assert_eq!(
        ok(&kc, &["logs", "t", "-c", "crashy", "--previous"]).await?,
        "previous-run\n"
    );
    assert_eq!(
        ok(&kc, &["logs", "t", "-c", "crashy"]).await?,
        "current-run\n"
    );
    // kubectl picks a default container itself; the server's error shows through --raw.
    let o = kubectl(&kc, &["logs", "t"]).await?;
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "hi\nsecond\n"),
        "{}",
        o.stderr
    );
    let e = kubectl(
        &kc,
        &["get", "--raw", "/api/v1/namespaces/default/pods/t/log"],
    )
    .await?;
    assert_eq!(
        e.stderr.trim(),
        "Error from server (BadRequest): a container name must be specified for pod t, choose one of: [main short crashy att]"
    );
    let e = kubectl(
        &kc,
        &[
            "get",
            "--raw",
            "/api/v1/namespaces/default/pods/t/log?container=nope",
        ],
    )
    .await?;
    assert_eq!(
        e.stderr.trim(),
        "Error from server (BadRequest): container nope is not valid for pod t"
    );
    let e = kubectl(&kc, &["logs", "t", "-c", "short"]).await?;
    assert_eq!(
        e.stderr.trim(),
        "Error from server (BadRequest): container \"short\" in pod \"t\" is waiting to start: ContainerCreating"
    );
    let e = kubectl(&kc, &["logs", "t", "-c", "main", "--previous"]).await?;
    assert_eq!(
        e.stderr.trim(),
        "Error from server (BadRequest): previous terminated container \"main\" in pod \"t\" not found"
    );

    // Follow: a container that prints, waits and exits; kubectl ends after its last line.
    let short = container(
        &cri,
        &sandbox,
        &sandbox_config,
        "short",
        0,
        "echo a; sleep 2; echo b",
    )
    .await?;
    streams.containers.lock().insert(
        ("default".into(), "t".into(), "short".into()),
        Instances {
            current: short.clone(),
            previous: None,
        },
    );
    let short_status = serde_json::json!({"status": {"containerStatuses": [
        running("main", &main), running("short", &short), running("crashy", &crashy), running("att", &att)]}});
    ok(
        &kc,
        &[
            "patch",
            "pod",
            "t",
            "--subresource=status",
            "--type=merge",
            "-p",
            &short_status.to_string(),
        ],
    )
    .await?;
    assert_eq!(
        ok(&kc, &["logs", "-f", "t", "-c", "short"]).await?,
        "a\nb\n"
    );

    // Exec: exit codes, stdin, and an older kubectl.
    let v = kubectl(
        &kc,
        &[
            "exec", "t", "-c", "main", "-v=6", "--", "sh", "-c", "exit 3",
        ],
    )
    .await?;
    assert_eq!(v.code, 3, "{}", v.stderr);
    // kubectl 1.33 stays on the WebSocket (v5.channel.k8s.io) path: no fallback to SPDY.
    assert!(
        v.stderr.contains(r#"verb="GET""#) && v.stderr.contains("101 Switching Protocols"),
        "{}",
        v.stderr
    );
    assert!(!v.stderr.contains("fallback"), "{}", v.stderr);
    // Nothing kubectl does not expect (it logs "Unknown stream id 255" for a server CLOSE).
    assert!(!v.stderr.contains("Unknown stream"), "{}", v.stderr);
    assert_eq!(
        ok(&kc, &["exec", "t", "-c", "main", "--", "id", "-u"]).await?,
        "0\n"
    );
    let o = kubectl_with(
        KUBECTL,
        &kc,
        &["exec", "-i", "t", "-c", "main", "--", "cat"],
        Some("hello\nworld\n"),
    )
    .await?;
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "hello\nworld\n"),
        "{}",
        o.stderr
    );
    let o = kubectl_with(
        KUBECTL_OLD,
        &kc,
        &[
            "exec",
            "t",
            "-c",
            "main",
            "--",
            "sh",
            "-c",
            "echo old; exit 4",
        ],
        None,
    )
    .await?;
    assert_eq!((o.code, o.stdout.as_str()), (4, "old\n"), "{}", o.stderr);
    let e = kubectl(&kc, &["exec", "t", "-c", "nope", "--", "true"]).await?;
    assert_eq!(e.code, 1);
    assert!(
        e.stderr.contains("container nope is not valid for pod t"),
        "{}",
        e.stderr
    );

    // Attach to a container reading its stdin (stdinOnce: our EOF ends it).
    let o = kubectl_with(
        KUBECTL,
        &kc,
        &["attach", "-i", "t", "-c", "att"],
        Some("x\ny\n"),
    )
    .await?;
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("got x\ngot y\n"), "{}", o.stdout);

    // RBAC as upstream: reading logs needs `get pods/log`, exec needs `create pods/exec`.
    let viewer = dir.path().join("viewer.kubeconfig");
    let kcfg = kubehci_auth::pki::Kubeconfig {
        cluster_name: "kubehci".into(),
        server: format!("https://{}", cluster.api.addr),
        ca_pem: ca.cert_pem().to_string(),
        user_name: "viewer".into(),
        client: Some(ca.issue_client("viewer", &[])?),
        ..Default::default()
    };
    std::fs::write(&viewer, kubehci_auth::pki::kubeconfig_yaml(&kcfg)?)?;
    ok(
        &kc,
        &[
            "create",
            "role",
            "logs",
            "--verb=get",
            "--resource=pods,pods/log",
        ],
    )
    .await?;
    ok(
        &kc,
        &[
            "create",
            "rolebinding",
            "logs",
            "--role=logs",
            "--user=viewer",
        ],
    )
    .await?;
    assert_eq!(
        ok(&viewer, &["logs", "t", "-c", "main"]).await?,
        "hi\nsecond\n"
    );
    let e = kubectl(&viewer, &["exec", "t", "-c", "main", "--", "true"]).await?;
    assert_eq!(e.code, 1);
    assert!(
        e.stderr.contains(
            r#"User "viewer" cannot create resource "pods/exec" in API group "" in the namespace "default""#
        ),
        "{}",
        e.stderr
    );

    // Port-forward to the busybox httpd: 1.33 through the WebSocket tunnel
    // (SPDY/3.1+portforward.k8s.io), 1.27 with plain SPDY.
    let (page, log) = port_forward_get(KUBECTL, &kc, http_port).await?;
    assert!(
        page.starts_with("HTTP/1.") && page.ends_with("page\n"),
        "{page}"
    );
    assert!(
        log.contains(r#"verb="GET""#) && log.contains("101 Switching Protocols"),
        "{log}"
    );
    assert!(!log.to_lowercase().contains("fallback"), "{log}");
    let (page, log) = port_forward_get(KUBECTL_OLD, &kc, http_port).await?;
    assert!(
        page.starts_with("HTTP/1.") && page.ends_with("page\n"),
        "{page}"
    );
    assert!(
        log.contains("POST") && log.contains("101 Switching Protocols"),
        "{log}"
    );

    // A megabyte of output through the translated stream arrives whole.
    let o = kubectl(
        &kc,
        &[
            "exec",
            "t",
            "-c",
            "main",
            "--",
            "sh",
            "-c",
            "head -c 1000000 /dev/zero | tr '\\0' a",
        ],
    )
    .await?;
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout.len(), 1_000_000);
    assert!(o.stdout.bytes().all(|b| b == b'a'));

    // An interactive shell with a terminal (kubectl needs one on its stdin: `script` makes it).
    let o = tokio::process::Command::new("script")
        .args(["-qec"])
        .arg(format!(
            "{KUBECTL} --kubeconfig {} exec -it t -c main -- sh -c 'tty; stty size; exit 5'",
            kc.display()
        ))
        .arg("/dev/null")
        .stdin(Stdio::piped())
        .output()
        .await?;
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(5), "{out}");
    assert!(out.contains("/dev/pts/"), "{out}");

    cluster.teardown().await
}

/// Runs `kubectl port-forward -v=6 pod/t :PORT`, fetches `/index.html` through it and
/// returns the HTTP response and kubectl's log.
async fn port_forward_get(bin: &str, kc: &std::path::Path, port: u16) -> Result<(String, String)> {
    let mut pf = tokio::process::Command::new(bin)
        .arg("--kubeconfig")
        .arg(kc)
        .args(["port-forward", "-v=6", "pod/t", &format!(":{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut lines = tokio::io::BufReader::new(pf.stdout.take().context("stdout")?).lines();
    let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await??
        .context("port-forward printed nothing")?;
    // "Forwarding from 127.0.0.1:LOCAL -> REMOTE"
    let local: u16 = first
        .split_once("127.0.0.1:")
        .and_then(|(_, r)| r.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .with_context(|| format!("unexpected: {first}"))?;
    let mut page = String::new();
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", local)).await?;
    conn.write_all(b"GET /index.html HTTP/1.0\r\nHost: x\r\n\r\n")
        .await?;
    tokio::time::timeout(Duration::from_secs(60), conn.read_to_string(&mut page)).await??;
    pf.kill().await?;
    let mut log = String::new();
    pf.stderr
        .take()
        .context("stderr")?
        .read_to_string(&mut log)
        .await?;
    Ok((page, log))
}
