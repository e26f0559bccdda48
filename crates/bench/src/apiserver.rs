//! `kubehci-bench apiserver`: one run against a fresh `kubehci server`.
//!
//! Phases, in order, each bounded by its operation count and a deadline:
//! idle memory -> sequential creates -> concurrent creates -> memory with all objects ->
//! GETs (sequential, concurrent) -> LISTs (full raw, full typed, paginated) -> watch fan-out.
//!
//! ConfigMaps `cm-NNNNNN` are spread over two namespaces, `bench-0` and `bench-1` (by index
//! parity), so each holds `objects / 2` of them: that is the LIST size.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use futures::StreamExt as _;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{
    Api, ListParams, ObjectMeta, Patch, PatchParams, PostParams, WatchEvent, WatchParams,
};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

use crate::server::ServerProcess;
use crate::stats::{Errors, Metrics, Unit, ms, percentile};

/// What one run does; the defaults match the brief.
#[derive(Clone, Debug)]
pub struct Plan {
    pub objects: usize,
    pub seq_creates: usize,
    pub concurrency: usize,
    pub gets: usize,
    pub list_runs: usize,
    pub page_limit: usize,
    pub watchers: usize,
    pub watch_updates: usize,
    pub payload_bytes: usize,
}

/// What a run found besides its numbers: request errors and server log lines.
#[derive(Default, Debug)]
pub struct Findings {
    /// (phase, errors) for every phase that saw at least one failed request.
    pub errors: Vec<(String, Errors)>,
    pub server_log: Vec<String>,
    pub notes: Vec<String>,
}

const NAMESPACES: [&str; 2] = ["bench-0", "bench-1"];
const WATCH_NS: &str = "bench-watch";

fn name_of(i: usize) -> String {
    format!("cm-{i:06}")
}

fn ns_of(i: usize) -> &'static str {
    NAMESPACES[i % 2]
}

fn configmap(i: usize, payload: &str) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name_of(i)),
            namespace: Some(ns_of(i).to_string()),
            labels: Some(BTreeMap::from([
                ("app".to_string(), "kubehci-bench".to_string()),
                ("shard".to_string(), (i % 16).to_string()),
            ])),
            ..Default::default()
        },
        data: Some(BTreeMap::from([
            ("index".to_string(), i.to_string()),
            ("payload".to_string(), payload.to_string()),
        ])),
        ..Default::default()
    }
}

/// A tiny deterministic PRNG (xorshift64*), so GET targets are random but reproducible.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
    }
}

async fn client_config(kubeconfig: &Path, read_timeout: Duration) -> anyhow::Result<Config> {
    let kc = Kubeconfig::read_from(kubeconfig).context("cannot read the admin kubeconfig")?;
    let mut cfg = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .context("cannot load the admin kubeconfig")?;
    cfg.connect_timeout = Some(Duration::from_secs(10));
    cfg.read_timeout = Some(read_timeout);
    cfg.write_timeout = Some(Duration::from_secs(30));
    Ok(cfg)
}

fn new_client(cfg: &Config) -> anyhow::Result<Client> {
    Client::try_from(cfg.clone()).context("cannot build a kube client")
}

fn check_alive(server: &mut ServerProcess, phase: &str) -> anyhow::Result<()> {
    if !server.alive() {
        bail!(
            "the server exited during {phase}; its log ends with:\n{}",
            server.log_tail(20)
        );
    }
    Ok(())
}

fn note_errors(findings: &mut Findings, phase: &str, errors: Errors) {
    if errors.count > 0 {
        findings.errors.push((phase.to_string(), errors));
    }
}

fn push_latencies(m: &mut Metrics, group: &'static str, prefix: &str, lat_ms: &[f64]) {
    m.push(
        group,
        format!("{prefix} p50"),
        Unit::Millis,
        percentile(lat_ms, 50.0),
    );
    m.push(
        group,
        format!("{prefix} p99"),
        Unit::Millis,
        percentile(lat_ms, 99.0),
    );
}

fn cpu(server: &ServerProcess) -> f64 {
    server.cpu_seconds().unwrap_or(f64::NAN)
}

/// Server CPU time per operation since `since` (seconds of CPU as read by [`cpu`]).
fn push_cpu(
    m: &mut Metrics,
    server: &ServerProcess,
    group: &'static str,
    what: &str,
    since: f64,
    ops: usize,
) {
    let micros = (cpu(server) - since) * 1e6 / ops.max(1) as f64;
    let name = format!("server CPU per {what}");
    if micros >= 10_000.0 {
        m.push(group, name, Unit::Millis, micros / 1000.0);
    } else {
        m.push(group, name, Unit::Micros, micros);
    }
}

fn push_memory(m: &mut Metrics, server: &ServerProcess, name: &str) -> anyhow::Result<u64> {
    let (rss, _) = server.memory_kib()?;
    m.push("memory", name, Unit::MiB, rss as f64 / 1024.0);
    Ok(rss)
}

/// One full run against a fresh server; the server is gone when this returns.
pub async fn run(
    binary: &Path,
    plan: &Plan,
    m: &mut Metrics,
    findings: &mut Findings,
) -> anyhow::Result<()> {
    let mut server = ServerProcess::start(binary, Duration::from_secs(60))?;
    let result = run_phases(&mut server, plan, m, findings).await;
    findings.server_log = server.log_problems();
    if result.is_err() {
        findings
            .notes
            .push(format!("server log tail:\n{}", server.log_tail(20)));
    }
    drop(server);
    result
}

async fn run_phases(
    server: &mut ServerProcess,
    plan: &Plan,
    m: &mut Metrics,
    findings: &mut Findings,
) -> anyhow::Result<()> {
    m.push(
        "server",
        "startup (spawn -> listening)",
        Unit::Millis,
        ms(server.startup),
    );
    let cfg = client_config(&server.kubeconfig(), Duration::from_secs(60)).await?;
    let client = new_client(&cfg)?;

    // Idle memory: right after start, once the bootstrap writes have settled.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_idle = push_memory(m, server, "RSS idle (after start)")?;

    let ns_api: Api<Namespace> = Api::all(client.clone());
    for ns in NAMESPACES.iter().chain([&WATCH_NS]) {
        let obj = Namespace {
            metadata: ObjectMeta {
                name: Some((*ns).to_string()),
                ..Default::default()
            },
            ..Default::default()
        };
        ns_api
            .create(&PostParams::default(), &obj)
            .await
            .with_context(|| format!("cannot create namespace {ns}"))?;
    }
    let payload: Arc<str> = "x".repeat(plan.payload_bytes).into();
    m.push(
        "create",
        "ConfigMap JSON size",
        Unit::Bytes,
        serde_json::to_vec(&configmap(0, &payload))?.len() as f64,
    );

    // 1a. Sequential creates on one client.
    let seq = plan.seq_creates.min(plan.objects);
    let mut errors = Errors::default();
    let mut lat = Vec::with_capacity(seq);
    let apis: Vec<Api<ConfigMap>> = NAMESPACES
        .iter()
        .map(|ns| Api::namespaced(client.clone(), ns))
        .collect();
    let cpu0 = cpu(server);
    let began = Instant::now();
    for i in 0..seq {
        let t = Instant::now();
        match apis[i % 2]
            .create(&PostParams::default(), &configmap(i, &payload))
            .await
        {
            Ok(_) => lat.push(ms(t.elapsed())),
            Err(e) => errors.record(e),
        }
    }
    let wall = began.elapsed();
    m.push(
        "create",
        "sequential creates/s",
        Unit::PerSec,
        lat.len() as f64 / wall.as_secs_f64(),
    );
    push_latencies(m, "create", "sequential create", &lat);
    push_cpu(m, server, "create", "sequential create", cpu0, seq);
    note_errors(findings, "sequential create", errors);
    check_alive(server, "sequential creates")?;

    // 1b. Concurrent creates: `concurrency` workers, one client each.
    let next = Arc::new(AtomicUsize::new(seq));
    let end = plan.objects;
    let cpu0 = cpu(server);
    let began = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..plan.concurrency {
        let c = new_client(&cfg)?;
        let api0: Api<ConfigMap> = Api::namespaced(c.clone(), NAMESPACES[0]);
        let api1: Api<ConfigMap> = Api::namespaced(c, NAMESPACES[1]);
        let next = next.clone();
        let payload = payload.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = Errors::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= end {
                    break;
                }
                let api = if i.is_multiple_of(2) { &api0 } else { &api1 };
                let t = Instant::now();
                match api
                    .create(&PostParams::default(), &configmap(i, &payload))
                    .await
                {
                    Ok(_) => lat.push(ms(t.elapsed())),
                    Err(e) => errors.record(e),
                }
            }
            (lat, errors)
        }));
    }
    let (lat, errors) = join_latencies(tasks).await?;
    let wall = began.elapsed();
    m.push(
        "create",
        format!("concurrent creates/s ({} clients)", plan.concurrency),
        Unit::PerSec,
        lat.len() as f64 / wall.as_secs_f64(),
    );
    push_latencies(m, "create", "concurrent create", &lat);
    push_cpu(m, server, "create", "concurrent create", cpu0, end - seq);
    note_errors(findings, "concurrent create", errors);
    check_alive(server, "concurrent creates")?;

    // 5b. Memory with all objects stored.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_full = push_memory(m, server, &format!("RSS after {} objects", plan.objects))?;
    m.push(
        "memory",
        "RSS growth per object",
        Unit::Bytes,
        (rss_full as f64 - rss_idle as f64) * 1024.0 / plan.objects.max(1) as f64,
    );
    m.push(
        "memory",
        "data dir on disk",
        Unit::MiB,
        server.data_bytes() as f64 / (1024.0 * 1024.0),
    );

    // 2a. Sequential GETs of random existing objects.
    let mut rng = Rng::new(42);
    let mut lat = Vec::with_capacity(plan.gets);
    let mut errors = Errors::default();
    let cpu0 = cpu(server);
    let began = Instant::now();
    for _ in 0..plan.gets {
        let i = rng.below(plan.objects);
        let t = Instant::now();
        match apis[i % 2].get(&name_of(i)).await {
            Ok(_) => lat.push(ms(t.elapsed())),
            Err(e) => errors.record(e),
        }
    }
    let wall = began.elapsed();
    m.push(
        "get",
        "sequential GETs/s",
        Unit::PerSec,
        lat.len() as f64 / wall.as_secs_f64(),
    );
    push_latencies(m, "get", "sequential GET", &lat);
    push_cpu(m, server, "get", "sequential GET", cpu0, plan.gets);
    note_errors(findings, "sequential get", errors);
    check_alive(server, "sequential GETs")?;

    // 2b. Concurrent GETs.
    let cpu0 = cpu(server);
    let began = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..plan.concurrency {
        let share = plan.gets / plan.concurrency + usize::from(w < plan.gets % plan.concurrency);
        let c = new_client(&cfg)?;
        let api0: Api<ConfigMap> = Api::namespaced(c.clone(), NAMESPACES[0]);
        let api1: Api<ConfigMap> = Api::namespaced(c, NAMESPACES[1]);
        let objects = plan.objects;
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng::new(1000 + w as u64);
            let mut lat = Vec::with_capacity(share);
            let mut errors = Errors::default();
            for _ in 0..share {
                let i = rng.below(objects);
                let api = if i.is_multiple_of(2) { &api0 } else { &api1 };
                let t = Instant::now();
                match api.get(&name_of(i)).await {
                    Ok(_) => lat.push(ms(t.elapsed())),
                    Err(e) => errors.record(e),
                }
            }
            (lat, errors)
        }));
    }
    let (lat, errors) = join_latencies(tasks).await?;
    let wall = began.elapsed();
    m.push(
        "get",
        format!("concurrent GETs/s ({} clients)", plan.concurrency),
        Unit::PerSec,
        lat.len() as f64 / wall.as_secs_f64(),
    );
    push_latencies(m, "get", "concurrent GET", &lat);
    push_cpu(m, server, "get", "concurrent GET", cpu0, plan.gets);
    note_errors(findings, "concurrent get", errors);
    check_alive(server, "concurrent GETs")?;

    // 3. LISTs of one namespace (objects / 2 ConfigMaps).
    let (rss_before, hwm_before) = server.memory_kib()?;
    list_phase(server, &client, plan, m, findings).await?;
    check_alive(server, "LISTs")?;
    let (rss_after, hwm_after) = server.memory_kib()?;
    m.push(
        "memory",
        "RSS before the LIST phase",
        Unit::MiB,
        rss_before as f64 / 1024.0,
    );
    m.push(
        "memory",
        "peak RSS before the LIST phase (VmHWM)",
        Unit::MiB,
        hwm_before as f64 / 1024.0,
    );
    m.push(
        "memory",
        "RSS after the LIST phase",
        Unit::MiB,
        rss_after as f64 / 1024.0,
    );
    m.push(
        "memory",
        "peak RSS after the LIST phase (VmHWM)",
        Unit::MiB,
        hwm_after as f64 / 1024.0,
    );

    // 4. Watch fan-out.
    watch_phase(server, plan, m, findings).await?;
    check_alive(server, "watches")?;

    let (rss_end, hwm) = server.memory_kib()?;
    m.push("memory", "RSS at end", Unit::MiB, rss_end as f64 / 1024.0);
    m.push("memory", "peak RSS (VmHWM)", Unit::MiB, hwm as f64 / 1024.0);
    Ok(())
}

type WorkerResult = (Vec<f64>, Errors);

async fn join_latencies(
    tasks: Vec<tokio::task::JoinHandle<WorkerResult>>,
) -> anyhow::Result<WorkerResult> {
    let mut all = Vec::new();
    let mut errors = Errors::default();
    for t in tasks {
        let (lat, e) = t.await.context("a benchmark worker panicked")?;
        all.extend(lat);
        errors.merge(e);
    }
    Ok((all, errors))
}

async fn list_phase(
    server: &ServerProcess,
    client: &Client,
    plan: &Plan,
    m: &mut Metrics,
    findings: &mut Findings,
) -> anyhow::Result<()> {
    let expected = plan.objects.div_ceil(2);
    let ns = NAMESPACES[0];
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    let mut errors = Errors::default();

    // One untimed LIST first, so no measurement pays for a cold path.
    if let Err(e) = api.list(&ListParams::default()).await {
        errors.record(e);
    }

    // Full list, raw JSON body (server + TLS + transfer; no client-side decoding).
    let mut lat = Vec::new();
    let mut bytes = 0usize;
    let cpu0 = cpu(server);
    for run in 0..plan.list_runs {
        let req = http::Request::get(format!("/api/v1/namespaces/{ns}/configmaps"))
            .header(http::header::ACCEPT, "application/json")
            .body(Vec::new())?;
        let t = Instant::now();
        match client.request_text(req).await {
            Ok(body) => {
                lat.push(ms(t.elapsed()));
                bytes = body.len();
                if run == 0 {
                    let v: serde_json::Value = serde_json::from_str(&body)?;
                    let n = v["items"].as_array().map_or(0, Vec::len);
                    if n != expected {
                        findings.notes.push(format!(
                            "LIST of {ns} returned {n} items, expected {expected}"
                        ));
                    }
                    m.push("list", "items per LIST", Unit::Count, n as f64);
                }
            }
            Err(e) => errors.record(e),
        }
    }
    m.push(
        "list",
        "LIST response size",
        Unit::MiB,
        bytes as f64 / (1024.0 * 1024.0),
    );
    push_latencies(m, "list", "full LIST, raw JSON", &lat);
    push_cpu(m, server, "list", "full LIST", cpu0, plan.list_runs);

    // Full list decoded into k8s-openapi types (what a kube-rs caller waits for).
    let mut lat = Vec::new();
    let cpu0 = cpu(server);
    for _ in 0..plan.list_runs {
        let t = Instant::now();
        match api.list(&ListParams::default()).await {
            Ok(_) => lat.push(ms(t.elapsed())),
            Err(e) => errors.record(e),
        }
    }
    push_latencies(m, "list", "full LIST, typed", &lat);
    push_cpu(
        m,
        server,
        "list",
        "full LIST (typed run)",
        cpu0,
        plan.list_runs,
    );

    // Paginated with limit=page_limit, typed; one sample = all pages.
    let mut lat = Vec::new();
    let mut page_lat = Vec::new();
    let mut pages_seen = 0usize;
    let max_pages = expected / plan.page_limit.max(1) + 2;
    let cpu0 = cpu(server);
    for _ in 0..plan.list_runs {
        let t = Instant::now();
        let mut token: Option<String> = None;
        let mut items = 0usize;
        let mut pages = 0usize;
        let mut failed = false;
        while pages < max_pages {
            let mut lp = ListParams::default().limit(plan.page_limit as u32);
            if let Some(tok) = &token {
                lp = lp.continue_token(tok);
            }
            let tp = Instant::now();
            match api.list(&lp).await {
                Ok(list) => {
                    page_lat.push(ms(tp.elapsed()));
                    pages += 1;
                    items += list.items.len();
                    token = list.metadata.continue_.filter(|c| !c.is_empty());
                    if token.is_none() {
                        break;
                    }
                }
                Err(e) => {
                    errors.record(e);
                    failed = true;
                    break;
                }
            }
        }
        if !failed {
            lat.push(ms(t.elapsed()));
            pages_seen = pages;
            if items != expected {
                findings.notes.push(format!(
                    "paginated LIST of {ns} returned {items} items in {pages} pages, expected {expected}"
                ));
            }
        }
    }
    m.push(
        "list",
        format!("pages per paginated LIST (limit={})", plan.page_limit),
        Unit::Count,
        pages_seen as f64,
    );
    push_latencies(m, "list", "paginated LIST, all pages", &lat);
    push_cpu(
        m,
        server,
        "list",
        "paginated LIST (all pages)",
        cpu0,
        plan.list_runs,
    );
    push_latencies(m, "list", "paginated LIST, one page", &page_lat);
    note_errors(findings, "list", errors);
    Ok(())
}

async fn watch_phase(
    server: &ServerProcess,
    plan: &Plan,
    m: &mut Metrics,
    findings: &mut Findings,
) -> anyhow::Result<()> {
    let n = plan.watchers;
    let updates = plan.watch_updates;
    // Watches idle between setup and the updates; give reads room.
    let wcfg = client_config(&server.kubeconfig(), Duration::from_secs(120)).await?;
    let client = new_client(&wcfg)?;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), WATCH_NS);
    let mut obj = configmap(0, "");
    obj.metadata.name = Some("watched".to_string());
    obj.metadata.namespace = Some(WATCH_NS.to_string());
    obj.data = Some(BTreeMap::from([("seq".to_string(), "init".to_string())]));
    let created = api.create(&PostParams::default(), &obj).await?;
    let rv = created
        .metadata
        .resource_version
        .clone()
        .context("created object has no resourceVersion")?;

    let base = Instant::now();
    let phase_deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let ready = Arc::new(AtomicUsize::new(0));
    let warmed = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        // One client (one connection) per watcher.
        let api: Api<ConfigMap> = Api::namespaced(new_client(&wcfg)?, WATCH_NS);
        let rv = rv.clone();
        let (ready, warmed, finished) = (ready.clone(), warmed.clone(), finished.clone());
        let mut stop_rx = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            let wp = WatchParams::default().timeout(150);
            let stream = api.watch(&wp, &rv).await?;
            ready.fetch_add(1, Ordering::SeqCst);
            futures::pin_mut!(stream);
            let mut got: Vec<(usize, Duration)> = Vec::with_capacity(updates);
            let mut saw_warm = false;
            loop {
                let ev = tokio::select! {
                    ev = tokio::time::timeout_at(phase_deadline, stream.next()) => ev,
                    _ = stop_rx.wait_for(|s| *s) => break,
                };
                let at = base.elapsed();
                let ev = match ev {
                    Err(_) | Ok(None) => break,
                    Ok(Some(Err(e))) => return Err(anyhow::Error::from(e)),
                    Ok(Some(Ok(ev))) => ev,
                };
                let WatchEvent::Modified(cm) = ev else {
                    continue;
                };
                let seq = cm.data.as_ref().and_then(|d| d.get("seq")).cloned();
                match seq.as_deref() {
                    Some("warm") if !saw_warm => {
                        saw_warm = true;
                        warmed.fetch_add(1, Ordering::SeqCst);
                    }
                    Some(s) => {
                        if let Ok(i) = s.parse::<usize>() {
                            got.push((i, at));
                            if i + 1 == updates {
                                break;
                            }
                        }
                    }
                    None => {}
                }
            }
            finished.fetch_add(1, Ordering::SeqCst);
            Ok::<_, anyhow::Error>(got)
        }));
    }

    // Wait for every watch to be open, then for one warm-up event to reach all of them.
    let wait_for = |counter: Arc<AtomicUsize>, limit: Duration| async move {
        let until = Instant::now() + limit;
        while counter.load(Ordering::SeqCst) < n && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        counter.load(Ordering::SeqCst)
    };
    let t = Instant::now();
    let open = wait_for(ready.clone(), Duration::from_secs(60)).await;
    m.push(
        "watch",
        format!("open {n} watches"),
        Unit::Millis,
        ms(t.elapsed()),
    );
    if open < n {
        findings
            .notes
            .push(format!("only {open} of {n} watches opened within 60 s"));
    }
    let patch = |v: &str| Patch::Merge(serde_json::json!({ "data": { "seq": v } }));
    api.patch("watched", &PatchParams::default(), &patch("warm"))
        .await
        .context("warm-up update failed")?;
    let warm = wait_for(warmed.clone(), Duration::from_secs(20)).await;
    if warm < n {
        findings.notes.push(format!(
            "only {warm} of {n} watchers saw the warm-up event within 20 s"
        ));
    }

    // Measured updates, back to back on one client; each waits for its acknowledgement.
    let mut sent: Vec<Option<(Duration, Duration)>> = vec![None; updates];
    let mut errors = Errors::default();
    let mut upd_lat = Vec::with_capacity(updates);
    let cpu0 = cpu(server);
    for (i, slot) in sent.iter_mut().enumerate() {
        let t0 = base.elapsed();
        match api
            .patch("watched", &PatchParams::default(), &patch(&i.to_string()))
            .await
        {
            Ok(_) => {
                let t1 = base.elapsed();
                *slot = Some((t0, t1));
                upd_lat.push(ms(t1 - t0));
            }
            Err(e) => errors.record(e),
        }
    }
    // Give deliveries up to 15 s to drain, then stop the watchers that are still waiting.
    let drained = wait_for(finished.clone(), Duration::from_secs(15)).await;
    let _ = stop_tx.send(true);
    push_cpu(
        m,
        server,
        "watch",
        &format!("update delivered to {n} watchers"),
        cpu0,
        updates,
    );
    if drained < n {
        findings.notes.push(format!(
            "{} watchers had not seen the last update 15 s after it was acknowledged",
            n - drained
        ));
    }
    let mut from_start = Vec::new();
    let mut from_ack = Vec::new();
    let mut per_update: Vec<Vec<f64>> = vec![Vec::new(); updates];
    let mut watch_errors = Errors::default();
    for t in tasks {
        match tokio::time::timeout(Duration::from_secs(10), t).await {
            Ok(Ok(Ok(got))) => {
                for (i, at) in got {
                    if let Some(Some((t0, t1))) = sent.get(i) {
                        from_start.push(ms(at.saturating_sub(*t0)));
                        from_ack.push(ms(at) - ms(*t1));
                        per_update[i].push(ms(at));
                    }
                }
            }
            Ok(Ok(Err(e))) => watch_errors.record(e),
            Ok(Err(e)) => watch_errors.record(format!("watcher task failed: {e}")),
            Err(_) => watch_errors.record("watcher did not stop within 10 s"),
        }
    }
    let acked = sent.iter().filter(|s| s.is_some()).count();
    let expected = acked * n;
    let before_ack = from_ack.iter().filter(|v| **v < 0.0).count();
    let spread: Vec<f64> = per_update
        .iter()
        .filter(|v| !v.is_empty())
        .map(|v| {
            let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            hi - lo
        })
        .collect();
    push_latencies(m, "watch", "update (merge patch) ack", &upd_lat);
    m.push("watch", "deliveries", Unit::Count, from_start.len() as f64);
    m.push(
        "watch",
        "missing deliveries",
        Unit::Count,
        expected.saturating_sub(from_start.len()) as f64,
    );
    push_latencies(
        m,
        "watch",
        "delivery from update request start",
        &from_start,
    );
    push_latencies(m, "watch", "delivery from update ack", &from_ack);
    m.push(
        "watch",
        "deliveries seen before the ack",
        Unit::Count,
        before_ack as f64,
    );
    push_latencies(
        m,
        "watch",
        "fan-out spread (first to last watcher)",
        &spread,
    );
    note_errors(findings, "watch updates", errors);
    note_errors(findings, "watchers", watch_errors);
    Ok(())
}
