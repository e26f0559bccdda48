//! `kubehci up` / `kubehci down`: a single-host cluster (issue #4).

use std::path::PathBuf;

#[derive(clap::Args)]
pub struct UpArgs {
    /// Where the cluster's state lives.
    #[arg(long, default_value = "/var/lib/kubehci")]
    pub data_dir: PathBuf,
}

#[derive(clap::Args)]
pub struct DownArgs {
    /// The data directory given to `kubehci up`.
    #[arg(long, default_value = "/var/lib/kubehci")]
    pub data_dir: PathBuf,
}

pub async fn up(_args: UpArgs) -> anyhow::Result<()> {
    anyhow::bail!("`kubehci up` is not built yet")
}

pub async fn down(_args: DownArgs) -> anyhow::Result<()> {
    anyhow::bail!("`kubehci down` is not built yet")
}
