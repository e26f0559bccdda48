//! `kubehci-bench node`: one run of the node benchmark against a real single-host cluster.
//!
//! `kubehci up` in a fresh directory (the real containerd, runc, CNI and the node agent),
//! then `pods` busybox pods (image present) created by concurrent clients while a watch
//! records when each is first seen Running; memory of the node agent, containerd and the
//! shims; the pods deleted; `kubehci down`. A guard runs `kubehci down` on every exit path.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use futures::StreamExt as _;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, DeleteParams, ListParams, PostParams, WatchEvent, WatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::json;

use crate::server::memory_kib;
use crate::stats::{Metrics, Unit, ms, percentile};

const NS: &str = "node-bench";
const IMAGE: &str = "kubehci.local/busybox:1.35";

#[derive(Clone, Debug)]
pub struct Plan {
    pub pods: usize,
    pub concurrency: usize,
}

/// A cluster made by `kubehci up`; dropping it runs `kubehci down` and removes the directory.
struct Cluster {
    binary: PathBuf,
    dir: PathBuf,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(&self.binary)
            .args(["down", "--data-dir"])
            .arg(&self.dir)
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn pid_in(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn rss_mib(pid: Option<u32>) -> f64 {
    pid.and_then(|p| memory_kib(p).ok())
        .map_or(f64::NAN, |(rss, _)| rss as f64 / 1024.0)
}

/// Summed RSS of the containerd shims serving `socket` (one per pod sandbox).
fn shims_mib(socket: &Path) -> (f64, usize) {
    let want = socket.to_string_lossy().to_string();
    let mut total = 0.0;
    let mut count = 0;
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if cmd.contains("containerd-shim") && cmd.contains(&want) {
            total += rss_mib(Some(pid));
            count += 1;
        }
    }
    (total, count)
}

fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").context("no free loopback port")?;
    Ok(l.local_addr()?.port())
}

fn pod(i: usize) -> anyhow::Result<Pod> {
    serde_json::from_value(json!({
        "metadata": {"name": format!("p-{i:04}"), "namespace": NS},
        "spec": {"terminationGracePeriodSeconds": 1,
            "containers": [{"name": "c", "image": IMAGE, "command": ["sleep", "3600"]}]}
    }))
    .context("pod literal")
}

pub async fn run(binary: &Path, plan: &Plan, m: &mut Metrics) -> anyhow::Result<()> {
    // Short: containerd's sockets live under it (107-byte limit).
    let dir = tempfile::Builder::new()
        .prefix("khb-")
        .tempdir_in("/tmp")?
        .keep();
    let cluster = Cluster {
        binary: binary.to_path_buf(),
        dir: dir.clone(),
    };
    let listen = format!("127.0.0.1:{}", free_port()?);
    let began = Instant::now();
    let out = Command::new(binary)
        .args(["up", "--data-dir"])
        .arg(&dir)
        .args(["--listen", &listen])
        .output()
        .context("cannot run kubehci up")?;
    if !out.status.success() {
        bail!(
            "kubehci up failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    m.push(
        "cluster",
        "kubehci up -> node Ready",
        Unit::Millis,
        ms(began.elapsed()),
    );

    let kc = Kubeconfig::read_from(dir.join("admin.kubeconfig"))?;
    let cfg = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await?;
    let client = kube::Client::try_from(cfg)?;
    let nss: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": NS}}))?;
    nss.create(&PostParams::default(), &ns).await?;
    let node_pid = || pid_in(&dir.join("run/node.pid"));
    let ctrd_pid = || pid_in(&dir.join("node/containerd/containerd.pid"));
    let server_pid = || pid_in(&dir.join("run/server.pid"));
    let socket = dir.join("node/containerd/containerd.sock");
    tokio::time::sleep(Duration::from_secs(2)).await;
    m.push(
        "memory",
        "node agent RSS idle",
        Unit::MiB,
        rss_mib(node_pid()),
    );
    m.push(
        "memory",
        "containerd RSS idle",
        Unit::MiB,
        rss_mib(ctrd_pid()),
    );
    m.push(
        "memory",
        "API server (+controllers, scheduler) RSS idle",
        Unit::MiB,
        rss_mib(server_pid()),
    );

    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let running: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let watch = {
        let (pods, running) = (pods.clone(), running.clone());
        tokio::spawn(async move {
            let Ok(stream) = pods.watch(&WatchParams::default().timeout(290), "0").await else {
                return;
            };
            let mut stream = std::pin::pin!(stream);
            while let Some(ev) = stream.next().await {
                let now = Instant::now();
                if let Ok(WatchEvent::Added(p) | WatchEvent::Modified(p)) = ev
                    && p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
                    && let Ok(mut r) = running.lock()
                {
                    r.entry(p.metadata.name.unwrap_or_default()).or_insert(now);
                }
            }
        })
    };
    let start = Instant::now();
    let created = crate::create::pods_concurrently(&pods, plan.pods, plan.concurrency, pod).await?;
    let deadline = Instant::now() + Duration::from_secs(600);
    while running.lock().map(|r| r.len()).unwrap_or(0) < plan.pods {
        ensure!(
            Instant::now() < deadline,
            "pods did not all reach Running in 600 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    watch.abort();
    let running = running.lock().map(|r| r.clone()).unwrap_or_default();
    let last = running.values().max().copied().unwrap_or(start);
    let lat: Vec<f64> = created
        .iter()
        .filter_map(|(n, t)| running.get(n).map(|r| ms(r.saturating_duration_since(*t))))
        .collect();
    let n = plan.pods;
    m.push(
        "pods",
        "pod startup (create -> Running seen) p50",
        Unit::Millis,
        percentile(&lat, 50.0),
    );
    m.push(
        "pods",
        "pod startup (create -> Running seen) p99",
        Unit::Millis,
        percentile(&lat, 99.0),
    );
    m.push(
        "pods",
        format!("pods/s to Running ({n} pods)"),
        Unit::PerSec,
        n as f64 / last.duration_since(start).as_secs_f64(),
    );
    m.push(
        "memory",
        format!("node agent RSS with {n} pods"),
        Unit::MiB,
        rss_mib(node_pid()),
    );
    m.push(
        "memory",
        format!("containerd RSS with {n} pods"),
        Unit::MiB,
        rss_mib(ctrd_pid()),
    );
    let (shims, count) = shims_mib(&socket);
    m.push(
        "memory",
        format!("containerd shims RSS, summed ({count} shims)"),
        Unit::MiB,
        shims,
    );

    let t = Instant::now();
    pods.delete_collection(&DeleteParams::default(), &ListParams::default())
        .await?;
    let deadline = Instant::now() + Duration::from_secs(600);
    while !pods.list(&ListParams::default()).await?.items.is_empty() {
        ensure!(Instant::now() < deadline, "pods were not all gone in 600 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    m.push(
        "pods",
        format!("delete {n} pods -> all gone"),
        Unit::Millis,
        ms(t.elapsed()),
    );
    let t = Instant::now();
    drop(cluster);
    m.push("cluster", "kubehci down", Unit::Millis, ms(t.elapsed()));
    Ok(())
}
