//! `kubehci-bench`: measured numbers for kubehci.
//!
//! `kubehci-bench apiserver` starts fresh `kubehci server` processes (release build) on free
//! loopback ports in temporary directories and measures creates, GETs, LISTs, watch
//! fan-out and memory with kube-rs clients over TLS. See `apiserver.rs` for the phases.

mod apiserver;
mod create;
mod node;
mod report;
mod scheduler;
mod server;
mod stats;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use clap::{Args, Parser, Subcommand};

use crate::stats::{Metrics, Unit};

#[derive(Parser)]
#[command(name = "kubehci-bench", about = "Benchmarks of kubehci")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Benchmark the API server: creates, GETs, LISTs, watch fan-out, memory.
    Apiserver(ApiserverArgs),
    /// Benchmark scheduling: pods scheduled/s and created -> Running latency on fake nodes,
    /// controller-manager and scheduler memory.
    Scheduler(SchedulerArgs),
    /// Benchmark a real node (`kubehci up`): pod startup latency, pods/s, node agent and
    /// containerd memory. Needs root.
    Node(NodeArgs),
}

#[derive(Args, Debug)]
struct NodeArgs {
    /// The `kubehci` binary to benchmark (default: `kubehci` beside this binary, else on PATH).
    #[arg(long)]
    kubehci: Option<PathBuf>,
    /// Pods created per run.
    #[arg(long, default_value_t = 100)]
    pods: usize,
    /// Concurrent creating clients.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Full runs, each on a fresh cluster; the report gives medians over runs.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Write (replace) this benchmark's section of a markdown file, e.g. BENCHMARKS.md.
    #[arg(long)]
    write: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct SchedulerArgs {
    /// The `kubehci` binary to benchmark (default: `kubehci` beside this binary, else on PATH).
    #[arg(long)]
    kubehci: Option<PathBuf>,
    /// Fake nodes (8 CPU, 32 GiB, 110 pods each).
    #[arg(long, default_value_t = 100)]
    nodes: usize,
    /// Bare pods created (10m CPU, 16Mi each).
    #[arg(long, default_value_t = 5_000)]
    pods: usize,
    /// Concurrent creating clients.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Replicas of the Deployment created after the bare pods (0: skip that phase).
    #[arg(long, default_value_t = 1_000)]
    deployment_replicas: usize,
    /// Controllers the controller manager runs (its `--controllers`: `*` for all, `-name`
    /// to leave one out), e.g. to see one controller's memory.
    #[arg(long, default_value = "*")]
    controllers: String,
    /// Full runs, each against fresh processes; the report gives medians over runs.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Upper bound on one run, in seconds.
    #[arg(long, default_value_t = 900)]
    run_timeout: u64,
    /// Write (replace) this benchmark's section of a markdown file, e.g. BENCHMARKS.md.
    #[arg(long)]
    write: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct ApiserverArgs {
    /// The `kubehci` binary to benchmark (default: `kubehci` beside this binary, else on PATH).
    #[arg(long)]
    kubehci: Option<PathBuf>,
    /// ConfigMaps created in total (sequential + concurrent), spread over two namespaces.
    #[arg(long, default_value_t = 10_000)]
    objects: usize,
    /// How many of them are created sequentially on one client.
    #[arg(long, default_value_t = 2_000)]
    seq_creates: usize,
    /// Concurrent clients for the concurrent create and GET phases.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// GETs of random existing objects, in each of the sequential and concurrent phases.
    #[arg(long, default_value_t = 5_000)]
    gets: usize,
    /// Repetitions of each LIST measurement (full raw, full typed, paginated).
    #[arg(long, default_value_t = 20)]
    list_runs: usize,
    /// Page size of the paginated LIST.
    #[arg(long, default_value_t = 500)]
    page_limit: usize,
    /// Concurrent watches on the watched namespace.
    #[arg(long, default_value_t = 100)]
    watchers: usize,
    /// Updates whose delivery to every watcher is timed.
    #[arg(long, default_value_t = 200)]
    watch_updates: usize,
    /// Bytes of filler in each ConfigMap's data.
    #[arg(long, default_value_t = 256)]
    payload_bytes: usize,
    /// Full runs, each against a fresh server; the report gives medians over runs.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Upper bound on one run, in seconds.
    #[arg(long, default_value_t = 300)]
    run_timeout: u64,
    /// Write (replace) this benchmark's section of a markdown file, e.g. BENCHMARKS.md.
    #[arg(long)]
    write: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    match cli.command {
        Command::Apiserver(args) => rt.block_on(async move {
            tokio::select! {
                r = apiserver_bench(args) => r,
                // Dropping the benchmark future kills the server and removes its directory.
                _ = tokio::signal::ctrl_c() => bail!("interrupted"),
            }
        }),
        Command::Node(args) => rt.block_on(async move {
            tokio::select! {
                r = node_bench(args) => r,
                _ = tokio::signal::ctrl_c() => bail!("interrupted"),
            }
        }),
        Command::Scheduler(args) => rt.block_on(async move {
            tokio::select! {
                r = scheduler_bench(args) => r,
                _ = tokio::signal::ctrl_c() => bail!("interrupted"),
            }
        }),
    }
}

fn find_kubehci(explicit: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(p) = explicit {
        ensure!(p.is_file(), "{} is not a file", p.display());
        return Ok(p);
    }
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(PathBuf::from))
    {
        let p = dir.join("kubehci");
        if p.is_file() {
            return Ok(p);
        }
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("kubehci"))
        .find(|p| p.is_file())
        .context("no kubehci binary beside kubehci-bench or on PATH; pass --kubehci")
}

/// Per-run ratios, so that the medians of ratios are not ratios of medians of different runs.
fn add_ratios(m: &mut Metrics, concurrency: usize) {
    let r = |m: &Metrics, a: &str, b: &str| match (m.get(a), m.get(b)) {
        (Some(a), Some(b)) if b != 0.0 => a / b,
        _ => f64::NAN,
    };
    let ratios = [
        (
            "concurrent / sequential creates/s".to_string(),
            r(
                m,
                &format!("concurrent creates/s ({concurrency} clients)"),
                "sequential creates/s",
            ),
        ),
        (
            "concurrent / sequential GETs/s".to_string(),
            r(
                m,
                &format!("concurrent GETs/s ({concurrency} clients)"),
                "sequential GETs/s",
            ),
        ),
        (
            "sequential create p99 / p50".to_string(),
            r(m, "sequential create p99", "sequential create p50"),
        ),
        (
            "sequential GET p99 / p50".to_string(),
            r(m, "sequential GET p99", "sequential GET p50"),
        ),
        (
            "full LIST typed / raw (client decode cost)".to_string(),
            r(m, "full LIST, typed p50", "full LIST, raw JSON p50"),
        ),
        (
            "full LIST raw p50 / sequential GET p50".to_string(),
            r(m, "full LIST, raw JSON p50", "sequential GET p50"),
        ),
        (
            "watch delivery p99 / p50 (from request start)".to_string(),
            r(
                m,
                "delivery from update request start p99",
                "delivery from update request start p50",
            ),
        ),
    ];
    for (name, v) in ratios {
        m.push("ratios", name, Unit::Ratio, v);
    }
    let full = m
        .items
        .iter()
        .find(|x| x.name.starts_with("RSS after "))
        .map(|x| x.value);
    if let (Some(full), Some(idle)) = (full, m.get("RSS idle (after start)")) {
        m.push(
            "ratios",
            "RSS with objects / RSS idle",
            Unit::Ratio,
            full / idle,
        );
    }
}

async fn apiserver_bench(args: ApiserverArgs) -> anyhow::Result<()> {
    ensure!(args.objects >= 2, "--objects must be at least 2");
    ensure!(
        (1..=1000).contains(&args.concurrency),
        "--concurrency must be 1..=1000"
    );
    ensure!(args.page_limit >= 1, "--page-limit must be at least 1");
    ensure!((1..=20).contains(&args.runs), "--runs must be 1..=20");
    ensure!(
        (1..=1000).contains(&args.watchers),
        "--watchers must be 1..=1000"
    );
    ensure!(
        args.watch_updates >= 1,
        "--watch-updates must be at least 1"
    );
    let binary = find_kubehci(args.kubehci.clone())?;
    let binary = std::fs::canonicalize(&binary).unwrap_or(binary);
    let plan = apiserver::Plan {
        objects: args.objects,
        seq_creates: args.seq_creates,
        concurrency: args.concurrency,
        gets: args.gets,
        list_runs: args.list_runs.max(1),
        page_limit: args.page_limit,
        watchers: args.watchers,
        watch_updates: args.watch_updates,
        payload_bytes: args.payload_bytes,
    };
    eprintln!("kubehci-bench: benchmarking {}", binary.display());
    let mut runs = Vec::new();
    let mut findings = Vec::new();
    for r in 1..=args.runs {
        eprintln!("kubehci-bench: run {r}/{} ...", args.runs);
        let mut m = Metrics::default();
        let mut f = apiserver::Findings::default();
        let began = std::time::Instant::now();
        let res = tokio::time::timeout(
            Duration::from_secs(args.run_timeout),
            apiserver::run(&binary, &plan, &mut m, &mut f),
        )
        .await;
        let res = match res {
            Ok(r) => r,
            Err(_) => Err(anyhow::anyhow!(
                "run exceeded --run-timeout {}s",
                args.run_timeout
            )),
        };
        eprintln!(
            "kubehci-bench: run {r} took {:.1}s",
            began.elapsed().as_secs_f64()
        );
        for (phase, e) in &f.errors {
            findings.push(format!(
                "run {r}: {} failed request(s) in {phase}; first: {}",
                e.count,
                e.first.as_deref().unwrap_or("?")
            ));
        }
        for n in &f.notes {
            findings.push(format!("run {r}: {n}"));
        }
        if !f.server_log.is_empty() {
            let shown: Vec<&str> = f.server_log.iter().take(5).map(String::as_str).collect();
            findings.push(format!(
                "run {r}: server logged {} warning/error line(s), first: {}",
                f.server_log.len(),
                shown.join(" | ")
            ));
        }
        match res {
            Ok(()) => {
                add_ratios(&mut m, plan.concurrency);
                runs.push(m);
            }
            Err(e) => {
                eprintln!("kubehci-bench: run {r} failed: {e:#}");
                findings.push(format!("run {r} failed: {e:#}"));
            }
        }
    }
    let about = report::About {
        title: "API server (`kubehci-bench apiserver`)".into(),
        subject: "SQLite store (the default and only store of `kubehci server`), TLS, admin \
                  client certificate"
            .into(),
        notes: vec![
            "clients: kube-rs over HTTPS on 127.0.0.1, one `kube::Client` per worker, in the \
             same process as each other and on the same cores as the server: client-side TLS \
             and JSON decoding are part of every number."
                .into(),
            "watch latency: receipt time at each watcher minus either the start of the update \
             request or the moment its response was received (both shown; the latter can be \
             negative when the event overtakes the response)."
                .into(),
            "reference point: none. Upstream kube-apiserver cannot be installed here, so no \
             comparison is claimed."
                .into(),
        ],
        plan: format!(
            "{} ConfigMaps ({} B payload) over 2 namespaces: {} sequential creates, {} \
             concurrent creates on {} clients; {} GETs each sequential and concurrent; LIST of \
             {} objects x {} (full raw, full typed, paginated limit={}); {} watchers x {} updates",
            plan.objects,
            plan.payload_bytes,
            plan.seq_creates.min(plan.objects),
            plan.objects - plan.seq_creates.min(plan.objects),
            plan.concurrency,
            plan.gets,
            plan.objects.div_ceil(2),
            plan.list_runs,
            plan.page_limit,
            plan.watchers,
            plan.watch_updates
        ),
    };
    report::publish(
        "apiserver",
        about,
        &binary,
        &runs,
        args.runs,
        &findings,
        args.write.as_deref(),
    )
}

async fn scheduler_bench(args: SchedulerArgs) -> anyhow::Result<()> {
    ensure!(args.nodes >= 1, "--nodes must be at least 1");
    ensure!(
        args.pods + args.deployment_replicas <= args.nodes * 110,
        "--pods plus --deployment-replicas must fit {} nodes x 110 pods",
        args.nodes
    );
    ensure!(
        (1..=1000).contains(&args.concurrency),
        "--concurrency must be 1..=1000"
    );
    ensure!((1..=20).contains(&args.runs), "--runs must be 1..=20");
    let binary = find_kubehci(args.kubehci.clone())?;
    let binary = std::fs::canonicalize(&binary).unwrap_or(binary);
    let plan = scheduler::Plan {
        nodes: args.nodes,
        pods: args.pods,
        concurrency: args.concurrency,
        deployment_replicas: args.deployment_replicas,
        controllers: args.controllers.clone(),
    };
    let mut runs = Vec::new();
    let mut findings = Vec::new();
    for r in 1..=args.runs {
        eprintln!("kubehci-bench: scheduler run {r}/{} ...", args.runs);
        let mut m = Metrics::default();
        let res = tokio::time::timeout(
            Duration::from_secs(args.run_timeout),
            scheduler::run(&binary, &plan, &mut m),
        )
        .await
        .unwrap_or_else(|_| {
            Err(anyhow::anyhow!(
                "run exceeded --run-timeout {}s",
                args.run_timeout
            ))
        });
        match res {
            Ok(()) => runs.push(m),
            Err(e) => {
                eprintln!("kubehci-bench: run {r} failed: {e:#}");
                findings.push(format!("run {r} failed: {e:#}"));
            }
        }
    }
    let about = report::About {
        title: "Scheduler and controllers (`kubehci-bench scheduler`)".into(),
        subject: "`kubehci server --disable-controllers --disable-scheduler` plus separate \
                  `kubehci controller-manager`, `kubehci scheduler` and `kubehci fake-nodes` \
                  processes (each one's RSS read from /proc)"
            .into(),
        notes: vec![
            "latency: from the start of each pod's create request to the moment a watch on \
             the namespace (opened before the first create, in the benchmark process) first \
             delivers the pod bound (spec.nodeName set) or Running (phase set by the fake node)."
                .into(),
            "pods scheduled/s: pods divided by the time from the first create request to the \
             last pod seen bound; creation runs concurrently, so this is bounded by the create \
             rate too (both shown)."
                .into(),
            "reference point: none measured here (upstream kube-scheduler and kwok cannot be \
             installed on this machine)."
                .into(),
        ],
        plan: format!(
            "{} fake nodes (8 CPU, 32 GiB, 110 pods); {} bare pods (10m CPU, 16Mi) created by \
             {} concurrent clients; then a Deployment of {} replicas; controllers: `{}`",
            plan.nodes, plan.pods, plan.concurrency, plan.deployment_replicas, plan.controllers
        ),
    };
    report::publish(
        "scheduler",
        about,
        &binary,
        &runs,
        args.runs,
        &findings,
        args.write.as_deref(),
    )
}

async fn node_bench(args: NodeArgs) -> anyhow::Result<()> {
    ensure!((1..=1000).contains(&args.pods), "--pods must be 1..=1000");
    ensure!(
        (1..=100).contains(&args.concurrency),
        "--concurrency must be 1..=100"
    );
    ensure!((1..=20).contains(&args.runs), "--runs must be 1..=20");
    let binary = find_kubehci(args.kubehci.clone())?;
    let binary = std::fs::canonicalize(&binary).unwrap_or(binary);
    let plan = node::Plan {
        pods: args.pods,
        concurrency: args.concurrency,
    };
    let mut runs = Vec::new();
    let mut findings = Vec::new();
    for r in 1..=args.runs {
        eprintln!("kubehci-bench: node run {r}/{} ...", args.runs);
        let mut m = Metrics::default();
        match node::run(&binary, &plan, &mut m).await {
            Ok(()) => runs.push(m),
            Err(e) => {
                eprintln!("kubehci-bench: run {r} failed: {e:#}");
                findings.push(format!("run {r} failed: {e:#}"));
            }
        }
    }
    let about = report::About {
        title: "Node (`kubehci-bench node`)".into(),
        subject: "a single-host cluster from `kubehci up` (API server with controllers and \
                  scheduler, Debian's containerd 1.6 + runc + CNI bridge, the node agent)"
            .into(),
        notes: vec![
            "pod startup: from the start of each pod's create request to the moment a watch \
             (opened before the first create) first delivers it Running; the image \
             (kubehci.local/busybox:1.35) is present, so no pull."
                .into(),
            "pods/s: pods divided by the time from the first create request to the last pod \
             seen Running."
                .into(),
            "memory: RSS from /proc of the node agent and containerd processes; the shims \
             (one containerd-shim-runc-v2 per pod) are summed apart."
                .into(),
            "reference point: none measured here (a kubelet cannot be installed on this \
             machine)."
                .into(),
        ],
        plan: format!(
            "{} pods (busybox `sleep 3600`) created by {} concurrent clients on one node",
            plan.pods, plan.concurrency
        ),
    };
    report::publish(
        "node",
        about,
        &binary,
        &runs,
        args.runs,
        &findings,
        args.write.as_deref(),
    )
}
