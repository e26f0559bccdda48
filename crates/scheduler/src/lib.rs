//! The scheduler: places Pending pods on nodes (filters, scores, preemption) and binds
//! them through `pods/binding`; explains with upstream's words when no node fits.
//!
//! Data path: watches (`watch`) -> one loop owning the cache and queue (`runner`) ->
//! PreFilter/Filter/Score over the cache (`framework`, `filters`, `interpod`, `spread`,
//! `scoring`) -> PostFilter (`preemption`) -> API writes off the loop (`actions`).

pub mod actions;
pub mod cache;
pub mod filters;
pub mod framework;
pub mod interpod;
pub mod nodeinfo;
pub mod podinfo;
pub mod preemption;
pub mod queue;
pub mod resources;
pub mod runner;
pub mod scoring;
pub mod selector;
pub mod spread;
pub mod status;
pub mod watch;

#[cfg(test)]
mod tests;

use std::time::Duration;

/// Scheduler settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// `spec.schedulerName` this scheduler serves.
    pub scheduler_name: String,
    /// Holder identity for leader election.
    pub identity: String,
    /// How often unschedulable pods are retried even without cluster changes
    /// (upstream's podMaxInUnschedulablePodsDuration is 5 min).
    pub unschedulable_retry: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            scheduler_name: "default-scheduler".into(),
            identity: format!("kubehci-scheduler-{}", std::process::id()),
            unschedulable_retry: Duration::from_secs(60),
        }
    }
}

/// Scheduler errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("API: {0}")]
    Kube(#[from] kube::Error),
    /// Leader election failed or the lease was lost.
    #[error("leader election: {0}")]
    Leader(#[from] kubehci_controllers::Error),
    /// The watches ended (the client is gone).
    #[error("the watches stopped")]
    WatchesStopped,
}

/// Runs the scheduler until the process ends or leadership is lost: waits for the
/// `kube-scheduler` Lease in `kube-system`, then watches and schedules.
pub async fn run(client: kube::Client, options: Options) -> Result<(), Error> {
    let lease = kubehci_controllers::leader::LeaderElection::new(
        client.clone(),
        "kube-system",
        "kube-scheduler",
        &options.identity,
    );
    lease.wait_until_leader().await?;
    tracing::info!(identity = %options.identity, "became leader; scheduling");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let actions = actions::Actions::new(
        client.clone(),
        &options.identity,
        &options.scheduler_name,
        tx.clone(),
    );
    let watches = watch::start(&client, &tx).await;
    drop(tx);
    let looped = runner::Loop::new(
        &options.scheduler_name,
        options.unschedulable_retry,
        actions,
    );
    let result = tokio::select! {
        r = lease.keep_renewing() => r.map_err(Error::from),
        () = looped.run(rx) => Err(Error::WatchesStopped),
    };
    for w in watches {
        w.abort();
    }
    result
}
