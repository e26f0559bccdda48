//! The background process `kubehci up` leaves running: it starts the control plane, the
//! node's containerd (with the built-in images) and the node agent, restarts the agent or
//! the server when they die, and tears everything down on SIGTERM (what `kubehci down` sends).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use kubehci_runtime::containerd::Containerd;
use tokio::signal::unix::{SignalKind, signal};

use super::layout::Layout;
use super::node_certs;
use super::procs::{last_error, spawn_logged, stop_child};

/// What the supervisor runs with (from `kubehci up`'s flags).
#[derive(Debug, Clone)]
pub struct Options {
    pub listen: SocketAddr,
    pub node_name: String,
    pub node_ip: IpAddr,
    pub pod_cidr: String,
}

/// The parts started so far.
#[derive(Default)]
struct Cluster {
    server: Option<Child>,
    containerd: Option<Containerd>,
    node: Option<Child>,
    node_args: Vec<std::ffi::OsString>,
}

pub fn set_phase(layout: &Layout, phase: &str) {
    tracing::info!(phase, "kubehci up");
    // Atomically: `kubehci up` polls this file.
    let tmp = layout.phase_file().with_extension("tmp");
    if std::fs::write(&tmp, format!("{phase}\n")).is_ok() {
        let _ = std::fs::rename(&tmp, layout.phase_file());
    }
}

/// Runs until SIGTERM/SIGINT; then stops the node agent, tears containerd down (all pods
/// removed) and stops the server.
pub async fn supervise(layout: Layout, opts: Options) -> anyhow::Result<()> {
    // Own session: the terminal `kubehci up` ran in can close without taking us along.
    let _ = rustix::process::setsid();
    let mut term = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    std::fs::write(
        layout.pid_file("supervisor"),
        format!("{}\n", std::process::id()),
    )?;
    let mut cluster = Cluster::default();
    let started = tokio::select! {
        r = start(&layout, &opts, &mut cluster) => r,
        _ = term.recv() => Err(anyhow::anyhow!("stopped while starting")),
        _ = int.recv() => Err(anyhow::anyhow!("stopped while starting")),
    };
    let outcome = match started {
        Ok(()) => {
            set_phase(&layout, "running");
            tokio::select! {
                r = watch(&layout, &opts, &mut cluster) => r,
                _ = term.recv() => Ok(()),
                _ = int.recv() => Ok(()),
            }
        }
        Err(e) => Err(e),
    };
    if let Err(e) = &outcome {
        set_phase(&layout, &format!("failed: {e:#}"));
    }
    shutdown(&layout, &mut cluster).await;
    match &outcome {
        Ok(()) => set_phase(&layout, "stopped"),
        // Last word for `kubehci up`, which reads it after this process exits.
        Err(e) => set_phase(&layout, &format!("failed: {e:#}")),
    }
    // Last: `kubehci up` takes a missing pid file for "the supervisor is gone".
    let _ = std::fs::remove_file(layout.pid_file("supervisor"));
    outcome
}

async fn start(layout: &Layout, opts: &Options, cluster: &mut Cluster) -> anyhow::Result<()> {
    set_phase(layout, "starting the control plane");
    cluster.server = Some(start_server(layout, opts)?);
    wait_server_ready(layout, cluster).await?;
    std::fs::copy(layout.server_admin_kubeconfig(), layout.admin_kubeconfig())
        .with_context(|| format!("cannot write {}", layout.admin_kubeconfig().display()))?;

    set_phase(layout, "starting containerd");
    let cfg = layout.containerd();
    if let Ok(stale) = Containerd::adopt(cfg.clone()) {
        tracing::warn!(
            pid = stale.pid(),
            "a containerd of an earlier run is still up; tearing it down"
        );
        stale.teardown().await?;
    }
    let containerd = Containerd::start(cfg).await?;
    let socket = containerd.socket().to_path_buf();
    cluster.containerd = Some(containerd);

    set_phase(layout, "importing the built-in images");
    kubehci_runtime::images::ensure_builtin(&socket, &layout.image_cache()).await?;

    set_phase(layout, "starting the node agent");
    let creds = node_certs::issue(layout, &opts.node_name, opts.node_ip)?;
    std::fs::create_dir_all(layout.node_root())?;
    let args: Vec<std::ffi::OsString> = vec![
        "node".into(),
        "--kubeconfig".into(),
        creds.kubeconfig.into(),
        "--node-name".into(),
        opts.node_name.clone().into(),
        "--containerd-socket".into(),
        socket.into(),
        "--root-dir".into(),
        layout.node_root().into(),
        "--node-ip".into(),
        opts.node_ip.to_string().into(),
        "--tls-cert".into(),
        creds.tls_cert.into(),
        "--tls-key".into(),
        creds.tls_key.into(),
        "--client-ca".into(),
        creds.client_ca.into(),
        "--pod-cidr".into(),
        opts.pod_cidr.clone().into(),
        "--cni-conf-dir".into(),
        layout.containerd().cni_conf_dir.into(),
    ];
    cluster.node_args = args;
    cluster.node = Some(start_node(layout, &cluster.node_args)?);
    Ok(())
}

fn exe() -> anyhow::Result<PathBuf> {
    std::env::current_exe().context("cannot find the kubehci binary")
}

fn start_server(layout: &Layout, opts: &Options) -> anyhow::Result<Child> {
    let mut cmd = Command::new(exe()?);
    cmd.arg("server")
        .arg("--data-dir")
        .arg(layout.control_plane())
        .arg("--listen")
        .arg(opts.listen.to_string());
    spawn_logged(cmd, &layout.log_file("server"), &layout.pid_file("server"))
}

fn start_node(layout: &Layout, args: &[std::ffi::OsString]) -> anyhow::Result<Child> {
    let mut cmd = Command::new(exe()?);
    cmd.args(args);
    spawn_logged(cmd, &layout.log_file("node"), &layout.pid_file("node"))
}

/// Waits until the server wrote its admin kubeconfig and answers `/readyz` with `ok`.
async fn wait_server_ready(layout: &Layout, cluster: &mut Cluster) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(server) = cluster.server.as_mut()
            && let Ok(Some(status)) = server.try_wait()
        {
            anyhow::bail!(
                "the API server exited ({status}): {}; see {}",
                last_error(&layout.log_file("server")),
                layout.log_file("server").display(),
            );
        }
        if layout.server_admin_kubeconfig().exists() && readyz(layout).await {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the API server did not become ready; see {}",
            layout.log_file("server").display()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn readyz(layout: &Layout) -> bool {
    let Ok(client) = crate::components::client(&layout.server_admin_kubeconfig()).await else {
        return false;
    };
    let Ok(req) = http::Request::get("/readyz").body(Vec::new()) else {
        return false;
    };
    client
        .request_text(req)
        .await
        .is_ok_and(|t| t.trim() == "ok")
}

/// Restarts the node agent or the server when one dies (like a service manager would).
async fn watch(layout: &Layout, opts: &Options, cluster: &mut Cluster) -> anyhow::Result<()> {
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if let Some(node) = cluster.node.as_mut()
            && let Ok(Some(status)) = node.try_wait()
        {
            tracing::warn!(%status, "the node agent exited; restarting it in 2s");
            tokio::time::sleep(Duration::from_secs(2)).await;
            cluster.node = Some(start_node(layout, &cluster.node_args)?);
        }
        if let Some(server) = cluster.server.as_mut()
            && let Ok(Some(status)) = server.try_wait()
        {
            tracing::warn!(%status, "the API server exited; restarting it in 2s");
            tokio::time::sleep(Duration::from_secs(2)).await;
            cluster.server = Some(start_server(layout, opts)?);
        }
    }
}

async fn shutdown(layout: &Layout, cluster: &mut Cluster) {
    set_phase(layout, "stopping");
    if let Some(mut node) = cluster.node.take() {
        stop_child(&mut node, Duration::from_secs(15)).await;
    }
    if let Some(containerd) = cluster.containerd.take()
        && let Err(e) = containerd.teardown().await
    {
        tracing::error!("containerd teardown: {e}");
    }
    if let Some(mut server) = cluster.server.take() {
        stop_child(&mut server, Duration::from_secs(15)).await;
    }
    for c in ["node", "server"] {
        let _ = std::fs::remove_file(layout.pid_file(c));
    }
}
