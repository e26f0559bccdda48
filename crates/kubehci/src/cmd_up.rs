//! `kubehci up` / `kubehci down`: a single-host cluster (issue #4).
//!
//! `up` installs what is missing, starts a detached supervisor (`kubehci up --supervise`)
//! that runs the control plane, the node's containerd and the node agent, and waits until the
//! node is Ready. `down` stops the supervisor (which tears everything down) and removes the
//! data directory and what the pod network made outside it.

mod down;
mod install;
mod layout;
mod node_certs;
mod procs;
mod supervisor;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use k8s_openapi::api::core::v1::Node;

use layout::Layout;
use procs::{last_error, running_pid, spawn_logged};

#[derive(clap::Args)]
pub struct UpArgs {
    /// Where the cluster's state lives.
    #[arg(long, default_value = "/var/lib/kubehci")]
    pub data_dir: PathBuf,
    /// Where the API server listens.
    #[arg(long, default_value = "127.0.0.1:6443")]
    pub listen: SocketAddr,
    /// The node's InternalIP (default: the address of the default route's interface).
    #[arg(long)]
    pub node_ip: Option<IpAddr>,
    /// The node's pod CIDR.
    #[arg(long, default_value = "10.244.0.0/24")]
    pub pod_cidr: String,
    /// How long to wait for the node to be Ready, in seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
    /// Run as the cluster's supervisor (what `up` starts in the background).
    #[arg(long, hide = true)]
    pub supervise: bool,
}

#[derive(clap::Args)]
pub struct DownArgs {
    /// The data directory given to `kubehci up`.
    #[arg(long, default_value = "/var/lib/kubehci")]
    pub data_dir: PathBuf,
}

fn ensure_root(what: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        rustix::process::geteuid().is_root(),
        "`kubehci {what}` must run as root (it runs containerd and sets up the pod network); run it with sudo"
    );
    Ok(())
}

fn spinner() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

pub async fn up(args: UpArgs) -> anyhow::Result<()> {
    ensure_root("up")?;
    let layout = Layout::new(&args.data_dir);
    let node_name = node_certs::node_name();
    if args.supervise {
        let opts = supervisor::Options {
            listen: args.listen,
            node_name,
            node_ip: args.node_ip.unwrap_or_else(node_certs::node_ip),
            pod_cidr: args.pod_cidr,
        };
        return supervisor::supervise(layout, opts).await;
    }
    if let Some(pid) = running_pid(&layout.pid_file("supervisor")) {
        println!(
            "kubehci is already running (supervisor pid {pid}, data in {}).",
            layout.data_dir.display()
        );
    } else {
        let installed = install::ensure_installed()?;
        if !installed.is_empty() {
            println!("Installed {}.", installed.join(", "));
        }
        for dir in [layout.run_dir(), layout.logs_dir(), layout.node()] {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let _ = std::fs::remove_file(layout.phase_file());
        let mut cmd =
            Command::new(std::env::current_exe().context("cannot find the kubehci binary")?);
        cmd.arg("up")
            .arg("--supervise")
            .arg("--data-dir")
            .arg(&layout.data_dir)
            .arg("--listen")
            .arg(args.listen.to_string())
            .arg("--pod-cidr")
            .arg(&args.pod_cidr);
        if let Some(ip) = args.node_ip {
            cmd.arg("--node-ip").arg(ip.to_string());
        }
        // The child is not waited for: it runs on after this command returns.
        spawn_logged(
            cmd,
            &layout.log_file("supervisor"),
            &layout.pid_file("supervisor"),
        )?;
    }
    wait_node_ready(&layout, &node_name, Duration::from_secs(args.timeout)).await?;
    let kc = layout.admin_kubeconfig();
    println!("kubehci is up: node {node_name} is Ready.");
    println!("Point kubectl at it:");
    println!("  export KUBECONFIG={}", kc.display());
    println!("  kubectl get nodes");
    println!(
        "  kubectl run hello --image={} -- sh -c 'echo hi; sleep 3600'",
        kubehci_runtime::images::BUSYBOX_IMAGE
    );
    println!(
        "Import more images with `kubehci image load FILE.tar`; stop and remove everything with `kubehci down`."
    );
    Ok(())
}

/// Follows the supervisor's phase until the node reports Ready.
async fn wait_node_ready(
    layout: &Layout,
    node_name: &str,
    timeout: Duration,
) -> anyhow::Result<()> {
    let bar = spinner();
    let deadline = Instant::now() + timeout;
    let result = async {
        loop {
            // The pid first: the supervisor writes its last phase before removing its pid file.
            let supervisor_gone = running_pid(&layout.pid_file("supervisor")).is_none();
            let phase = std::fs::read_to_string(layout.phase_file()).unwrap_or_default().trim().to_string();
            if let Some(why) = phase.strip_prefix("failed: ") {
                anyhow::bail!(
                    "the cluster did not start: {why}\nlogs are in {}; `kubehci down` removes what was made",
                    layout.logs_dir().display()
                );
            }
            if supervisor_gone {
                anyhow::bail!(
                    "the kubehci supervisor exited: {}; see {}",
                    last_error(&layout.log_file("supervisor")),
                    layout.log_file("supervisor").display(),
                );
            }
            if phase == "running" {
                bar.set_message(format!("waiting for node {node_name} to be Ready"));
                if node_ready(layout, node_name).await {
                    return Ok(());
                }
            } else if !phase.is_empty() {
                bar.set_message(phase);
            }
            if Instant::now() > deadline {
                anyhow::bail!(
                    "node {node_name} was not Ready within {}s; see {} and {}; the cluster is left running (`kubehci down` removes it)",
                    timeout.as_secs(),
                    layout.log_file("node").display(),
                    layout.log_file("supervisor").display()
                );
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    .await;
    bar.finish_and_clear();
    result
}

async fn node_ready(layout: &Layout, node_name: &str) -> bool {
    let Ok(client) = crate::components::client(&layout.admin_kubeconfig()).await else {
        return false;
    };
    let nodes: kube::Api<Node> = kube::Api::all(client);
    let Ok(Some(node)) = nodes.get_opt(node_name).await else {
        return false;
    };
    node.status
        .and_then(|s| s.conditions)
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

pub async fn down(args: DownArgs) -> anyhow::Result<()> {
    ensure_root("down")?;
    let layout = Layout::new(&args.data_dir);
    let bar = spinner();
    let progress = |m: &str| bar.set_message(m.to_string());
    let result = down::down(&layout, &progress).await;
    bar.finish_and_clear();
    if result? {
        println!(
            "kubehci is down: stopped the cluster and removed {}.",
            layout.data_dir.display()
        );
    } else {
        println!(
            "Nothing to do: {} does not exist.",
            layout.data_dir.display()
        );
    }
    Ok(())
}
