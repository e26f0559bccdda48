//! A real containerd per test: side by side, built-in images imported, a host-network pod
//! run through CRI, and teardown (explicit and on drop) leaving nothing behind.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use kubehci_runtime::containerd::{Containerd, ContainerdConfig};
use kubehci_runtime::cri::api;
use kubehci_runtime::images::{BUSYBOX_IMAGE, PAUSE_IMAGE};

async fn image_id(cri: &mut kubehci_runtime::Cri, name: &str) -> anyhow::Result<Option<String>> {
    let status = cri
        .images
        .image_status(api::ImageStatusRequest {
            image: Some(api::ImageSpec {
                image: name.to_string(),
                ..Default::default()
            }),
            verbose: false,
        })
        .await?
        .into_inner();
    Ok(status.image.map(|i| i.id))
}

/// The host pid of a sandbox's pause process (from the verbose status).
async fn sandbox_pid(cri: &mut kubehci_runtime::Cri, id: &str) -> anyhow::Result<u32> {
    let status = cri
        .runtime
        .pod_sandbox_status(api::PodSandboxStatusRequest {
            pod_sandbox_id: id.to_string(),
            verbose: true,
        })
        .await?
        .into_inner();
    let info: serde_json::Value = serde_json::from_str(&status.info["info"])?;
    Ok(u32::try_from(info["pid"].as_u64().unwrap_or(0))?)
}

/// (pid, state) of the processes whose parent is `parent`.
fn children_of(parent: u32) -> Vec<(u32, char)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next().and_then(|s| s.chars().next()).unwrap_or('?');
        if fields.next().and_then(|p| p.parse::<u32>().ok()) == Some(parent) {
            out.push((pid, state));
        }
    }
    out
}

/// `GET /` on loopback, retried until the server listens (a minute at most).
async fn http_get(port: u16) -> anyhow::Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        match tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            Ok(mut s) => {
                s.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
                    .await?;
                let mut page = String::new();
                s.read_to_string(&mut page).await?;
                return Ok(page);
            }
            Err(e) if std::time::Instant::now() > deadline => return Err(e.into()),
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_containerds_side_by_side_with_builtin_images() -> anyhow::Result<()> {
    let (a, b) = (short_tempdir(), short_tempdir());
    let (ca, cb) = tokio::join!(start_with_images(a.path()), start_with_images(b.path()));
    let (ca, cb) = (ca?, cb?);
    assert_ne!(ca.pid(), cb.pid());
    assert_ne!(ca.socket(), cb.socket());
    for ctd in [&ca, &cb] {
        let mut cri = kubehci_runtime::connect(ctd.socket()).await?;
        for name in [PAUSE_IMAGE, BUSYBOX_IMAGE] {
            let id = image_id(&mut cri, name).await?;
            assert!(
                id.as_deref().is_some_and(|i| i.starts_with("sha256:")),
                "{name} missing: {id:?}"
            );
        }
        // What an operator sees with containerd's own tool.
        let out = std::process::Command::new("ctr")
            .arg("--address")
            .arg(ctd.socket())
            .args(["-n", "k8s.io", "images", "ls", "-q"])
            .output()?;
        let listing = String::from_utf8_lossy(&out.stdout);
        assert!(listing.lines().any(|l| l == PAUSE_IMAGE), "{listing}");
        assert!(listing.lines().any(|l| l == BUSYBOX_IMAGE), "{listing}");
    }
    // Same images, same IDs: the archives are reproducible.
    let mut cri_a = kubehci_runtime::connect(ca.socket()).await?;
    let mut cri_b = kubehci_runtime::connect(cb.socket()).await?;
    assert_eq!(
        image_id(&mut cri_a, BUSYBOX_IMAGE).await?,
        image_id(&mut cri_b, BUSYBOX_IMAGE).await?
    );
    let (pa, pb) = (ca.pid(), cb.pid());
    ca.teardown().await?;
    cb.teardown().await?;
    assert!(!alive(pa) && !alive(pb));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_network_pod_runs_and_teardown_leaves_nothing() -> anyhow::Result<()> {
    let dir = short_tempdir();
    let ctd = start_with_images(dir.path()).await?;
    let socket = ctd.socket().to_path_buf();
    let state_dir = dir.path().join("ctd");
    let mut cri = kubehci_runtime::connect(&socket).await?;
    let parent = cgroup_parent("teardown");
    let logs = dir.path().join("pods/p1");
    let (sandbox, sb_config) = run_host_sandbox(&mut cri, "p1", &logs, &parent).await?;
    let container = start_busybox(&mut cri, &sandbox, &sb_config, "hello", "echo hi").await?;
    assert_eq!(wait_exited(&mut cri, &container).await?, 0);
    let log = std::fs::read_to_string(logs.join("hello.log"))?;
    assert!(
        log.lines().any(|l| l.ends_with(" stdout F hi")),
        "container log: {log:?}"
    );
    // Our pause reaps orphans of the pod's PID namespace: the `sleep` this container leaves
    // behind is re-parented to pause, and must not stay a zombie once it exits.
    start_busybox(
        &mut cri,
        &sandbox,
        &sb_config,
        "orphaner",
        "(sleep 2 &); exec sleep 3600",
    )
    .await?;
    let pause = sandbox_pid(&mut cri, &sandbox).await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while children_of(pause).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the orphaned sleep never became a child of pause"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    while !children_of(pause).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "pause left children: {:?}",
            children_of(pause)
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // The busybox image serves a page with `httpd` (host network: reachable on loopback).
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let httpd = format!("exec httpd -f -p 127.0.0.1:{port} -h /var/www");
    start_busybox(&mut cri, &sandbox, &sb_config, "web", &httpd).await?;
    let page = http_get(port).await?;
    assert!(
        page.starts_with("HTTP/1.") && page.contains("Hello from kubehci busybox httpd"),
        "{page}"
    );
    // While the pod exists there is a shim, mounts under the state dir and the pod cgroup.
    assert!(!shims_for(&socket).is_empty());
    assert!(!mounts_under(&state_dir).is_empty());
    assert!(cgroup_dir(&parent).join(&sandbox).is_dir());

    let pid = ctd.pid();
    ctd.teardown().await?;
    assert!(!alive(pid), "containerd still running");
    assert_eq!(shims_for(&socket), Vec::<u32>::new());
    assert_eq!(mounts_under(&state_dir), Vec::<String>::new());
    assert!(!cgroup_dir(&parent).exists(), "cgroup {parent} left behind");

    // A containerd started again on the same state sees no sandbox.
    let again = Containerd::start(ContainerdConfig::new(&state_dir)).await?;
    let mut cri = kubehci_runtime::connect(again.socket()).await?;
    let left = cri
        .runtime
        .list_pod_sandbox(api::ListPodSandboxRequest::default())
        .await?
        .into_inner()
        .items;
    assert!(left.is_empty(), "sandboxes survived teardown: {left:?}");
    again.teardown().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_containerd_while_panicking_cleans_up() -> anyhow::Result<()> {
    let dir = short_tempdir();
    let ctd = start_with_images(dir.path()).await?;
    let socket = ctd.socket().to_path_buf();
    let state_dir = dir.path().join("ctd");
    let pid = ctd.pid();
    let parent = cgroup_parent("drop");
    let logs = dir.path().join("pods/p2");
    let reached = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reached2 = reached.clone();
    let task = tokio::spawn(async move {
        let ctd = ctd;
        let mut cri = kubehci_runtime::connect(ctd.socket())
            .await
            .expect("connect");
        let (sandbox, cfg) = run_host_sandbox(&mut cri, "p2", &logs, &parent)
            .await
            .expect("sandbox");
        start_busybox(&mut cri, &sandbox, &cfg, "sleeper", "sleep 3600")
            .await
            .expect("container");
        assert!(!shims_for(ctd.socket()).is_empty());
        reached2.store(true, std::sync::atomic::Ordering::SeqCst);
        panic!("the test body fails while the containerd is up");
    });
    let err = task.await.expect_err("the task panicked");
    assert!(err.is_panic());
    assert!(
        reached.load(std::sync::atomic::Ordering::SeqCst),
        "the pod did not start: {err:?}"
    );
    assert!(!alive(pid), "containerd still running after drop");
    assert_eq!(shims_for(&socket), Vec::<u32>::new());
    assert_eq!(mounts_under(&state_dir), Vec::<String>::new());
    assert!(!cgroup_dir(&cgroup_parent("drop")).exists());
    Ok(())
}

#[tokio::test]
async fn refuses_a_state_dir_too_long_for_a_socket() {
    let long = std::path::PathBuf::from("/tmp").join("d".repeat(100));
    let err = Containerd::start(ContainerdConfig::new(&long))
        .await
        .expect_err("too long");
    assert!(
        err.to_string().contains("107-byte Unix socket limit"),
        "{err}"
    );
    assert!(!long.exists());
}
