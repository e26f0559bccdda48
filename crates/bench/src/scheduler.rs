//! `kubehci-bench scheduler`: one run of the scheduling benchmark.
//!
//! A fresh `kubehci server` without its in-process controllers and scheduler, plus three
//! separate processes so that each one's memory can be read: `kubehci controller-manager`,
//! `kubehci scheduler` and `kubehci fake-nodes` (kwok-like nodes that move bound pods to
//! Running). Phases: nodes Ready -> idle memory -> `pods` bare pods created by concurrent
//! clients while a watch records when each pod is first seen bound and first seen Running ->
//! memory -> a Deployment scaled to `deployment_replicas` (controllers at work) -> memory.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use futures::StreamExt as _;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Node, Pod};
use kube::api::{Api, ListParams, PostParams, WatchEvent, WatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::json;

use crate::server::{Component, ServerProcess, memory_kib};
use crate::stats::{Metrics, Unit, ms, percentile};

/// What one run does.
#[derive(Clone, Debug)]
pub struct Plan {
    pub nodes: usize,
    pub pods: usize,
    pub concurrency: usize,
    pub deployment_replicas: usize,
    /// Passed to `kubehci controller-manager --controllers` (upstream syntax; `*` = all).
    pub controllers: String,
}

const NS: &str = "sched-bench";

/// First-seen times per pod name, shared by the watch task and the reader.
#[derive(Default)]
pub struct Times {
    pub inner: Mutex<HashMap<String, Instant>>,
}

impl Times {
    pub fn first(&self, name: &str, at: Instant) {
        if let Ok(mut m) = self.inner.lock() {
            m.entry(name.to_string()).or_insert(at);
        }
    }
    pub fn len(&self) -> usize {
        self.inner.lock().map(|m| m.len()).unwrap_or(0)
    }
    pub fn snapshot(&self) -> HashMap<String, Instant> {
        self.inner.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

async fn client(kubeconfig: &Path) -> anyhow::Result<Client> {
    let kc = Kubeconfig::read_from(kubeconfig).context("cannot read the admin kubeconfig")?;
    let mut cfg = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .context("cannot load the admin kubeconfig")?;
    cfg.read_timeout = Some(Duration::from_secs(330));
    Client::try_from(cfg).context("cannot build a kube client")
}

fn pod(i: usize) -> anyhow::Result<Pod> {
    serde_json::from_value(json!({
        "metadata": {"name": format!("p-{i:05}"), "namespace": NS, "labels": {"app": "bench"}},
        "spec": {"containers": [{"name": "c", "image": "kubehci.local/busybox:1.35",
            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}
    }))
    .context("pod literal")
}

fn rss_mib(pid: u32) -> f64 {
    memory_kib(pid).map_or(f64::NAN, |(rss, _)| rss as f64 / 1024.0)
}

async fn until(
    what: &str,
    timeout: Duration,
    mut f: impl AsyncFnMut() -> bool,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    while !f().await {
        if Instant::now() > deadline {
            bail!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

/// One run; pushes its numbers into `m`.
pub async fn run(binary: &Path, plan: &Plan, m: &mut Metrics) -> anyhow::Result<()> {
    let server = ServerProcess::start_with(
        binary,
        Duration::from_secs(60),
        &["--disable-controllers", "--disable-scheduler"],
    )?;
    let dir = server.data_dir.clone();
    let logs = dir.parent().unwrap_or(&dir).to_path_buf();
    let arg = |s: &'static str| OsStr::new(s);
    let cm_kc = dir.join("controller-manager.kubeconfig");
    let sched_kc = dir.join("scheduler.kubeconfig");
    let admin_kc = server.kubeconfig();
    let mut cm = Component::start(
        binary,
        "controller-manager",
        &[
            arg("controller-manager"),
            arg("--kubeconfig"),
            cm_kc.as_os_str(),
            arg("--controllers"),
            OsStr::new(&plan.controllers),
        ],
        &logs.join("controller-manager.log"),
    )?;
    let mut sched = Component::start(
        binary,
        "scheduler",
        &[arg("scheduler"), arg("--kubeconfig"), sched_kc.as_os_str()],
        &logs.join("scheduler.log"),
    )?;
    let count = plan.nodes.to_string();
    let mut fake = Component::start(
        binary,
        "fake-nodes",
        &[
            arg("fake-nodes"),
            arg("--kubeconfig"),
            admin_kc.as_os_str(),
            arg("--count"),
            OsStr::new(&count),
            arg("--cpu"),
            arg("8"),
            arg("--memory"),
            arg("32Gi"),
            arg("--max-pods"),
            arg("110"),
            arg("--prefix"),
            arg("bench-node"),
        ],
        &logs.join("fake-nodes.log"),
    )?;
    let c = client(&admin_kc).await?;
    let nodes: Api<Node> = Api::all(c.clone());
    let want = plan.nodes;
    until("all nodes Ready", Duration::from_secs(120), async || {
        nodes.list(&ListParams::default()).await.is_ok_and(|l| {
            l.items
                .iter()
                .filter(|n| {
                    n.status
                        .as_ref()
                        .and_then(|s| s.conditions.as_ref())
                        .is_some_and(|cs| {
                            cs.iter().any(|c| c.type_ == "Ready" && c.status == "True")
                        })
                })
                .count()
                >= want
        })
    })
    .await?;
    let nss: Api<Namespace> = Api::all(c.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": NS}}))?;
    nss.create(&PostParams::default(), &ns).await?;
    // Let the controllers' caches settle before reading idle memory.
    tokio::time::sleep(Duration::from_secs(2)).await;
    m.push(
        "memory",
        "controller-manager RSS idle",
        Unit::MiB,
        rss_mib(cm.pid),
    );
    m.push(
        "memory",
        "scheduler RSS idle",
        Unit::MiB,
        rss_mib(sched.pid),
    );
    m.push(
        "memory",
        "API server RSS idle",
        Unit::MiB,
        rss_mib(server.pid),
    );

    // The watch starts before the first create, so every transition is seen.
    let pods: Api<Pod> = Api::namespaced(c.clone(), NS);
    let bound = Arc::new(Times::default());
    let running = Arc::new(Times::default());
    let watch = {
        let (pods, bound, running) = (pods.clone(), bound.clone(), running.clone());
        tokio::spawn(async move {
            let mut rv = String::from("0");
            loop {
                let wp = WatchParams::default().timeout(290);
                let Ok(stream) = pods.watch(&wp, &rv).await else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                let mut stream = std::pin::pin!(stream);
                while let Some(ev) = stream.next().await {
                    let now = Instant::now();
                    let p = match ev {
                        Ok(WatchEvent::Added(p) | WatchEvent::Modified(p)) => p,
                        Ok(WatchEvent::Bookmark(b)) => {
                            rv = b.metadata.resource_version;
                            continue;
                        }
                        _ => continue,
                    };
                    if let Some(v) = &p.metadata.resource_version {
                        rv.clone_from(v);
                    }
                    let name = p.metadata.name.clone().unwrap_or_default();
                    if p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some() {
                        bound.first(&name, now);
                    }
                    if p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running") {
                        running.first(&name, now);
                    }
                }
            }
        })
    };

    let began = Instant::now();
    let created = crate::create::pods_concurrently(&pods, plan.pods, plan.concurrency, pod).await?;
    let create_secs = began.elapsed().as_secs_f64();
    let total = plan.pods;
    until("all pods Running", Duration::from_secs(600), async || {
        running.len() >= total
    })
    .await?;
    watch.abort();
    for comp in [&mut cm, &mut sched, &mut fake] {
        ensure!(comp.alive(), "{} exited during the run", comp.name);
    }

    let bound = bound.snapshot();
    let running = running.snapshot();
    let last_bound = bound.values().max().copied().unwrap_or(began);
    let sched_secs = last_bound.duration_since(began).as_secs_f64();
    let lat = |seen: &HashMap<String, Instant>| -> Vec<f64> {
        created
            .iter()
            .filter_map(|(n, t)| seen.get(n).map(|s| ms(s.saturating_duration_since(*t))))
            .collect()
    };
    let to_bound = lat(&bound);
    let to_running = lat(&running);
    m.push(
        "pods",
        "pods created/s (clients)",
        Unit::PerSec,
        total as f64 / create_secs,
    );
    m.push(
        "pods",
        "pods scheduled/s (first create -> last bound)",
        Unit::PerSec,
        total as f64 / sched_secs,
    );
    m.push(
        "pods",
        "created -> bound p50",
        Unit::Millis,
        percentile(&to_bound, 50.0),
    );
    m.push(
        "pods",
        "created -> bound p99",
        Unit::Millis,
        percentile(&to_bound, 99.0),
    );
    m.push(
        "pods",
        "created -> Running p50",
        Unit::Millis,
        percentile(&to_running, 50.0),
    );
    m.push(
        "pods",
        "created -> Running p99",
        Unit::Millis,
        percentile(&to_running, 99.0),
    );
    m.push(
        "memory",
        format!("controller-manager RSS with {total} pods"),
        Unit::MiB,
        rss_mib(cm.pid),
    );
    m.push(
        "memory",
        format!("scheduler RSS with {total} pods"),
        Unit::MiB,
        rss_mib(sched.pid),
    );
    m.push(
        "memory",
        format!("API server RSS with {total} pods"),
        Unit::MiB,
        rss_mib(server.pid),
    );
    m.push(
        "memory",
        format!("fake-nodes RSS ({} nodes, {total} pods)", plan.nodes),
        Unit::MiB,
        rss_mib(fake.pid),
    );

    if plan.deployment_replicas > 0 {
        let deps: Api<Deployment> = Api::namespaced(c.clone(), NS);
        let d: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": NS},
            "spec": {"replicas": plan.deployment_replicas,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "c", "image": "kubehci.local/busybox:1.35",
                        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}}}
        }))?;
        let t = Instant::now();
        deps.create(&PostParams::default(), &d).await?;
        let want = i32::try_from(plan.deployment_replicas).unwrap_or(i32::MAX);
        until(
            "the Deployment available",
            Duration::from_secs(600),
            async || {
                deps.get("web")
                    .await
                    .is_ok_and(|d| d.status.and_then(|s| s.available_replicas).unwrap_or(0) >= want)
            },
        )
        .await?;
        m.push(
            "deployment",
            format!(
                "Deployment of {} replicas: create -> all available",
                plan.deployment_replicas
            ),
            Unit::Millis,
            ms(t.elapsed()),
        );
        m.push(
            "memory",
            format!(
                "controller-manager RSS after the Deployment ({} pods)",
                total + plan.deployment_replicas
            ),
            Unit::MiB,
            rss_mib(cm.pid),
        );
        m.push(
            "memory",
            format!(
                "scheduler RSS after the Deployment ({} pods)",
                total + plan.deployment_replicas
            ),
            Unit::MiB,
            rss_mib(sched.pid),
        );
    }
    drop(fake);
    drop(sched);
    drop(cm);
    drop(server);
    Ok(())
}
