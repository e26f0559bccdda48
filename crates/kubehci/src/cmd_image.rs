//! `kubehci image ...`: images in a node's containerd (issue #4).

use std::path::{Path, PathBuf};

use kubehci_runtime::RuntimeError;
use kubehci_runtime::containerd::ContainerdConfig;

#[derive(clap::Subcommand)]
pub enum ImageCommand {
    /// Import an OCI or Docker image archive into the node's containerd (`k8s.io` namespace).
    Load {
        /// The image archive (`docker save` / OCI layout tar).
        file: PathBuf,
        /// The data directory given to `kubehci up` (its node's containerd is used).
        #[arg(long, default_value = "/var/lib/kubehci")]
        data_dir: PathBuf,
        /// containerd's socket, when not the one of the node under --data-dir.
        #[arg(long)]
        containerd_socket: Option<PathBuf>,
    },
}

/// Where `kubehci up` runs the node's containerd under `data_dir`.
pub fn node_containerd_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("node/containerd")
}

pub async fn run(cmd: ImageCommand) -> anyhow::Result<()> {
    match cmd {
        ImageCommand::Load {
            file,
            data_dir,
            containerd_socket,
        } => {
            let socket = containerd_socket
                .unwrap_or_else(|| ContainerdConfig::new(node_containerd_dir(&data_dir)).socket());
            for name in load(&socket, &file).await? {
                println!("Loaded image: {name}");
            }
            Ok(())
        }
    }
}

/// Imports `file` into the containerd at `socket`; errors say the cause and what to do.
pub async fn load(socket: &Path, file: &Path) -> anyhow::Result<Vec<String>> {
    if !file.is_file() {
        anyhow::bail!(
            "{}: no such file; give the path of an image archive made by `docker save` or an OCI layout tar",
            file.display()
        );
    }
    if std::os::unix::net::UnixStream::connect(socket).is_err() {
        anyhow::bail!(
            "no containerd answers at {}; start the cluster with `kubehci up` (or pass the socket with --containerd-socket)",
            socket.display()
        );
    }
    match kubehci_runtime::images::import(socket, file).await {
        Ok(names) => Ok(names),
        Err(RuntimeError::Import { message, .. }) => anyhow::bail!(
            "{} could not be imported: {message}; check that it is a `docker save` or OCI image archive",
            file.display()
        ),
        Err(e) => anyhow::bail!("{e}"),
    }
}
