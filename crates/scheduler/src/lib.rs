//! The scheduler: places Pending pods on nodes (filters, scores, preemption) and binds
//! them through `pods/binding`; explains with upstream's words when no node fits.

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
}

/// Runs the scheduler until the process ends (not written yet: schedules nothing).
pub async fn run(_client: kube::Client, _options: Options) -> Result<(), Error> {
    std::future::pending::<()>().await;
    Ok(())
}
