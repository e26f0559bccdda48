//! `kubehci image ...`: images in a node's containerd (issue #4).

use std::path::PathBuf;

#[derive(clap::Subcommand)]
pub enum ImageCommand {
    /// Import an OCI or Docker image archive into the node's containerd (`k8s.io` namespace).
    Load {
        /// The image archive (`docker save` / OCI layout tar).
        file: PathBuf,
    },
}

pub async fn run(_cmd: ImageCommand) -> anyhow::Result<()> {
    anyhow::bail!("`kubehci image` is not built yet")
}
