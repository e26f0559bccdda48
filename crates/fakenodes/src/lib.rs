//! Fake nodes (like kwok): register N nodes with a chosen capacity, renew their Leases,
//! and move pods bound to them to Running/Ready (Jobs' pods to Succeeded). A test and
//! benchmark aid beside the real node agent, never a replacement for it.

/// Fake node settings (`kubehci fake-nodes` flags).
#[derive(Debug, Clone)]
pub struct Options {
    pub count: u32,
    pub cpu: String,
    pub memory: String,
    pub max_pods: u32,
    /// Node names are `<prefix>-<i>`.
    pub prefix: String,
}

/// Errors of the fake node runner.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("API: {0}")]
    Kube(#[from] kube::Error),
}

/// Runs fake nodes until the process ends (not written yet).
pub async fn run(_client: kube::Client, _options: Options) -> Result<(), Error> {
    std::future::pending::<()>().await;
    Ok(())
}
