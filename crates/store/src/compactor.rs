//! Background compaction: keeps history bounded, like the API server's etcd compactor.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::backend::{Backend, Result};

/// Compacts `backend` once so that the last `keep_revisions` revisions stay watchable:
/// the target is `current - keep_revisions`. Returns the revision compacted to, or `None`
/// when there was nothing new to drop.
pub async fn compact_keeping(backend: &dyn Backend, keep_revisions: i64) -> Result<Option<i64>> {
    let current = backend.current_revision().await?;
    let target = current - keep_revisions.max(0);
    if target <= backend.compacted_revision().await? {
        return Ok(None);
    }
    backend.compact(target).await?;
    Ok(Some(target))
}

/// Starts a tokio task that, every `interval`, compacts `backend` down to the last
/// `keep_revisions` revisions (see [`compact_keeping`]). Watchers and reads older than
/// that window get `Compacted` and must re-list, as with etcd.
///
/// The first pass runs one `interval` after the start. Errors are logged and retried on
/// the next tick. Abort the returned handle to stop it; it also stops by itself when the
/// runtime shuts down. Must be called from within a tokio runtime.
pub fn spawn_compactor(
    backend: Arc<dyn Backend>,
    interval: Duration,
    keep_revisions: i64,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick of a tokio interval completes immediately.
        ticker.tick().await;
        loop {
            ticker.tick().await;
            match compact_keeping(backend.as_ref(), keep_revisions).await {
                Ok(Some(revision)) => tracing::info!(revision, "store compacted"),
                Ok(None) => tracing::trace!("store compaction: nothing to do"),
                Err(err) => tracing::warn!(error = %err, "store compaction failed"),
            }
        }
    })
}
