//! Fake nodes (like kwok): register N nodes with a chosen capacity, renew their Leases,
//! and move pods bound to them to Running/Ready (Jobs' pods to Succeeded). A test and
//! benchmark aid beside the real node agent, never a replacement for it.
//!
//! Nothing is contacted at the nodes' or pods' addresses: they are bookkeeping only.
//! Nodes are `<prefix>-<i>`, InternalIP `10.255.x.y`, pod subnet `10.244.x.0/24`.
//!
//! Pods run as follows (see [`pods`]):
//! - a pod bound to one of these nodes becomes Running/Ready at once (pods/status);
//! - a pod owned by a Job, or one with `restartPolicy` Never/OnFailure and the annotation
//!   [`RUN_SECONDS_ANNOTATION`], ends after the run time: Succeeded (exit 0, `Completed`),
//!   or Failed when `restartPolicy` is Never and [`EXIT_CODE_ANNOTATION`] is non-zero;
//! - a pod being deleted (deletionTimestamp) is removed with grace period 0, as a
//!   kubelet does once its containers are gone.
//!
//! The default run time of Jobs' pods is 1 s; the environment variable
//! [`RUN_SECONDS_ENV`] changes it (fractions allowed).
//!
//! On exit nothing is deregistered (like kwok): the Leases simply stop being renewed and
//! the node lifecycle controller marks the nodes unreachable.

mod ipam;
mod node;
mod pods;
mod podstatus;

use std::sync::Arc;
use std::time::Duration;

use kubehci_api::quantity::Quantity;

pub use node::{LEASE_DURATION_SECONDS, LEASE_RENEW_INTERVAL};

/// Pod annotation: seconds a run-to-completion pod runs before it ends.
pub const RUN_SECONDS_ANNOTATION: &str = "kubehci.io/fake-run-seconds";
/// Pod annotation: the exit code of a run-to-completion pod (default 0).
pub const EXIT_CODE_ANNOTATION: &str = "kubehci.io/fake-exit-code";
/// Environment variable: default run time of Jobs' pods, in seconds (default 1).
pub const RUN_SECONDS_ENV: &str = "KUBEHCI_FAKE_RUN_SECONDS";
/// The label every fake node carries.
pub const FAKE_NODE_LABEL: &str = "kubehci.io/fake-node";

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
    /// A call to the API server failed.
    #[error("API: {0}")]
    Kube(#[from] kube::Error),
    /// `--cpu` or `--memory` is not a Kubernetes quantity.
    #[error("invalid {flag} {value:?}: {source}")]
    Quantity {
        flag: &'static str,
        value: String,
        source: kubehci_api::quantity::QuantityError,
    },
    /// An object we built did not decode (a bug).
    #[error("building {what}: {source}")]
    Build {
        what: String,
        source: serde_json::Error,
    },
    /// A background loop ended although it should run forever.
    #[error("{0} stopped")]
    Stopped(&'static str),
}

/// Capacity and identity shared by all nodes of one run.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub cpu: String,
    pub memory: String,
    pub max_pods: u32,
    pub prefix: String,
    pub count: u32,
    /// Run time of Jobs' pods.
    pub job_run: Duration,
}

fn canonical(flag: &'static str, value: &str) -> Result<String, Error> {
    Quantity::parse(value.trim())
        .map(|q| q.canonical())
        .map_err(|source| Error::Quantity {
            flag,
            value: value.to_string(),
            source,
        })
}

fn job_run_from_env() -> Duration {
    std::env::var(RUN_SECONDS_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(Duration::from_secs(1))
}

/// Runs fake nodes until the process ends: registers them, renews their Leases and runs
/// the pods bound to them.
pub async fn run(client: kube::Client, options: Options) -> Result<(), Error> {
    let settings = Arc::new(Settings {
        cpu: canonical("--cpu", &options.cpu)?,
        memory: canonical("--memory", &options.memory)?,
        max_pods: options.max_pods,
        prefix: options.prefix.clone(),
        count: options.count,
        job_run: job_run_from_env(),
    });
    let nodes = node::NodeSet::new(&settings);
    nodes.register_all(&client, &settings).await?;
    tracing::info!(count = options.count, prefix = %options.prefix, "fake nodes registered");
    let nodes = Arc::new(nodes);

    let leases = tokio::spawn(node::renew_leases(client.clone(), nodes.clone()));
    let statuses = tokio::spawn(node::keep_status(
        client.clone(),
        nodes.clone(),
        settings.clone(),
    ));
    let runner = tokio::spawn(pods::run(client, nodes, settings));
    tokio::select! {
        r = leases => flatten(r, "lease renewal"),
        r = statuses => flatten(r, "node status"),
        r = runner => flatten(r, "pod runner"),
    }
}

fn flatten(
    r: Result<Result<(), Error>, tokio::task::JoinError>,
    what: &'static str,
) -> Result<(), Error> {
    match r {
        Ok(Ok(())) => Err(Error::Stopped(what)),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(Error::Stopped(what)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_canonical() {
        assert_eq!(canonical("--memory", "4096Mi").unwrap(), "4Gi");
        assert_eq!(canonical("--cpu", "2").unwrap(), "2");
        assert_eq!(canonical("--cpu", "0.5").unwrap(), "500m");
        assert!(canonical("--cpu", "two").is_err());
    }
}
