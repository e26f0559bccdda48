//! `kubehci`: the one binary. Every front end turns into one command handled here.

mod cmd_image;
mod cmd_node;
mod cmd_up;
mod components;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "kubehci",
    version,
    about = "Kubernetes on one Linux host, AKS-on-HCI style"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the Kubernetes API server on the embedded store, with the controller manager
    /// and the scheduler in the same process (unless disabled).
    Server {
        /// Where the store, certificates and kubeconfigs live.
        #[arg(long, default_value = "/var/lib/kubehci")]
        data_dir: PathBuf,
        /// Address to serve HTTPS on.
        #[arg(long, default_value = "127.0.0.1:6443")]
        listen: SocketAddr,
        /// Service cluster IP range.
        #[arg(long, default_value = "10.96.0.0/12")]
        service_cidr: ipnet::Ipv4Net,
        /// NodePort range, e.g. 30000-32767.
        #[arg(long, default_value = "30000-32767")]
        node_port_range: String,
        /// `tolerationSeconds` of the not-ready NoExecute toleration given to every pod.
        #[arg(long, default_value_t = 300)]
        default_not_ready_toleration_seconds: i64,
        /// `tolerationSeconds` of the unreachable NoExecute toleration given to every pod.
        #[arg(long, default_value_t = 300)]
        default_unreachable_toleration_seconds: i64,
        /// Do not start the controller manager.
        #[arg(long)]
        disable_controllers: bool,
        /// Do not start the scheduler.
        #[arg(long)]
        disable_scheduler: bool,
        #[command(flatten)]
        controller_flags: components::ControllerFlags,
    },
    /// Run the controller manager against an API server.
    ControllerManager {
        #[arg(long)]
        kubeconfig: PathBuf,
        #[command(flatten)]
        controller_flags: components::ControllerFlags,
    },
    /// Run the scheduler against an API server.
    Scheduler {
        #[arg(long)]
        kubeconfig: PathBuf,
    },
    /// Register fake nodes that "run" the pods bound to them (a test and benchmark aid).
    FakeNodes {
        #[arg(long)]
        kubeconfig: PathBuf,
        /// How many nodes.
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// CPU capacity of each node (a Kubernetes quantity).
        #[arg(long, default_value = "2")]
        cpu: String,
        /// Memory capacity of each node (a Kubernetes quantity).
        #[arg(long, default_value = "4Gi")]
        memory: String,
        /// Pod capacity of each node.
        #[arg(long, default_value_t = 110)]
        max_pods: u32,
        /// Node names are PREFIX-0, PREFIX-1, ...
        #[arg(long, default_value = "fake-node")]
        prefix: String,
    },
    /// Run the node agent (our kubelet) against an API server and a containerd.
    Node(cmd_node::NodeArgs),
    /// Start a single-host cluster: control plane, containerd and a node agent.
    Up(cmd_up::UpArgs),
    /// Stop the single-host cluster started by `up` and remove everything it made.
    Down(cmd_up::DownArgs),
    /// Manage images in a node's containerd.
    Image {
        #[command(subcommand)]
        command: cmd_image::ImageCommand,
    },
}

fn parse_port_range(s: &str) -> anyhow::Result<(u16, u16)> {
    let (a, b) = s
        .split_once('-')
        .context("--node-port-range must look like 30000-32767")?;
    let (a, b): (u16, u16) = (a.trim().parse()?, b.trim().parse()?);
    anyhow::ensure!(a <= b, "--node-port-range: {a} is above {b}");
    Ok((a, b))
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        match cli.command {
            Command::Server {
                data_dir,
                listen,
                service_cidr,
                node_port_range,
                default_not_ready_toleration_seconds,
                default_unreachable_toleration_seconds,
                disable_controllers,
                disable_scheduler,
                controller_flags,
            } => {
                let mut config = kubehci_apiserver::ServerConfig::new(data_dir.clone());
                config.listen = listen;
                config.service_cidr = service_cidr;
                config.node_port_range = parse_port_range(&node_port_range)?;
                config.default_not_ready_toleration_seconds = default_not_ready_toleration_seconds;
                config.default_unreachable_toleration_seconds =
                    default_unreachable_toleration_seconds;
                let handle = kubehci_apiserver::start(config)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot start the API server: {e}"))?;
                if !disable_controllers {
                    let kc = data_dir.join("controller-manager.kubeconfig");
                    let mut options = controller_flags.options();
                    options.root_ca_pem = std::fs::read_to_string(data_dir.join("pki/ca.crt")).ok();
                    components::spawn_controllers(kc, options);
                }
                if !disable_scheduler {
                    components::spawn_scheduler(data_dir.join("scheduler.kubeconfig"));
                }
                println!("kubehci API server listening on https://{}", handle.addr);
                println!(
                    "Point kubectl at it:\n  export KUBECONFIG={}\n  kubectl get namespaces",
                    handle.kubeconfig.display()
                );
                components::until_signal().await;
                handle.stop();
                Ok(())
            }
            Command::ControllerManager { kubeconfig, controller_flags } => {
                let client = components::client(&kubeconfig).await?;
                kubehci_controllers::run(client, controller_flags.options())
                    .await
                    .map_err(|e| anyhow::anyhow!("controller manager: {e}"))
            }
            Command::Scheduler { kubeconfig } => {
                let client = components::client(&kubeconfig).await?;
                kubehci_scheduler::run(client, Default::default())
                    .await
                    .map_err(|e| anyhow::anyhow!("scheduler: {e}"))
            }
            Command::FakeNodes { kubeconfig, count, cpu, memory, max_pods, prefix } => {
                let client = components::client(&kubeconfig).await?;
                let opts = kubehci_fakenodes::Options { count, cpu, memory, max_pods, prefix };
                tokio::select! {
                    r = kubehci_fakenodes::run(client, opts) => r.map_err(|e| anyhow::anyhow!("fake nodes: {e}")),
                    _ = components::until_signal() => Ok(()),
                }
            }
            Command::Node(args) => cmd_node::run(args).await,
            Command::Up(args) => cmd_up::up(args).await,
            Command::Down(args) => cmd_up::down(args).await,
            Command::Image { command } => cmd_image::run(command).await,
        }
    })?;
    Ok(())
}
