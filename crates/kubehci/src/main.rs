//! `kubehci`: the one binary. Every front end turns into one command handled here.

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
    /// Run the Kubernetes API server on the embedded store.
    Server {
        /// Where the store, certificates and admin.kubeconfig live.
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
    match cli.command {
        Command::Server {
            data_dir,
            listen,
            service_cidr,
            node_port_range,
        } => rt.block_on(async move {
            let mut config = kubehci_apiserver::ServerConfig::new(data_dir);
            config.listen = listen;
            config.service_cidr = service_cidr;
            config.node_port_range = parse_port_range(&node_port_range)?;
            let handle = kubehci_apiserver::start(config)
                .await
                .map_err(|e| anyhow::anyhow!("cannot start the API server: {e}"))?;
            println!("kubehci API server listening on https://{}", handle.addr);
            println!(
                "Point kubectl at it:\n  export KUBECONFIG={}\n  kubectl get namespaces",
                handle.kubeconfig.display()
            );
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate() => {}
            }
            handle.stop();
            Ok(())
        }),
    }
}

async fn terminate() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut s) => {
            s.recv().await;
        }
        Err(_) => std::future::pending::<()>().await,
    }
}
