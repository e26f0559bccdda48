//! The backend conformance suite: every case is an async function taking an
//! `Arc<dyn Backend>`, so each backend runs the very same checks. A test file includes
//! this module and calls [`conformance_suite!`] with a factory
//! `fn(watch_capacity: Option<usize>) -> Fixture`, which generates one `#[tokio::test]`
//! per case.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod compaction;
pub mod crud;
pub mod reads;
pub mod watch;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kubehci_store::{Backend, Event, WatchStream};

/// A backend under test plus whatever must outlive it (a temporary directory).
pub struct Fixture {
    pub backend: Arc<dyn Backend>,
    pub _dir: Option<tempfile::TempDir>,
}

/// Watch capacity the `watch_lagged` case expects.
pub const SMALL_WATCH_CAPACITY: usize = 8;

pub fn v(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

/// The next event, failing the test after 5 s.
pub async fn next_event(stream: &mut WatchStream) -> Event {
    match tokio::time::timeout(Duration::from_secs(5), stream.next()).await {
        Ok(Some(Ok(event))) => event,
        Ok(Some(Err(err))) => panic!("watch failed: {err}"),
        Ok(None) => panic!("watch ended"),
        Err(_) => panic!("no watch event within 5s"),
    }
}

/// Asserts nothing arrives for a short while.
pub async fn expect_quiet(stream: &mut WatchStream) {
    if let Ok(item) = tokio::time::timeout(Duration::from_millis(200), stream.next()).await {
        panic!("unexpected watch item: {item:?}");
    }
}

/// `(revision, key)` of each event, for compact assertions.
pub fn summary(events: &[Event]) -> Vec<(i64, String)> {
    events
        .iter()
        .map(|e| (e.revision(), e.key().to_owned()))
        .collect()
}

/// Generates one `#[tokio::test]` per conformance case for the factory `$make`.
macro_rules! conformance_suite {
    ($make:path) => {
        $crate::conformance::conformance_suite!(@cases $make;
            crud::revision_increments,
            crud::create_if_absent,
            crud::update_guarded_by_revision,
            crud::delete_guarded_by_revision,
            crud::concurrent_writers_get_distinct_increasing_revisions,
            reads::get_and_list_at_revisions,
            reads::read_at_future_revision_fails,
            reads::list_pagination,
            reads::prefix_isolation,
            reads::count_live_keys,
            watch::watch_from_past_revision,
            watch::watch_live,
            watch::watch_prefix_filtering,
            watch::watch_after_future_revision,
            watch::watch_during_writes_has_no_gap_or_duplicate,
            watch::many_watchers,
            compaction::compaction_bounds_reads_and_watches,
            compaction::compaction_keeps_state_at_compacted_revision,
            compaction::compact_keeping_and_spawned_compactor,
        );

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn watch_lagged() {
            let fixture = $make(Some($crate::conformance::SMALL_WATCH_CAPACITY));
            $crate::conformance::watch::watch_lagged(fixture.backend.clone()).await;
        }
    };
    (@cases $make:path; $($module:ident :: $case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let fixture = $make(None);
                $crate::conformance::$module::$case(fixture.backend.clone()).await;
            }
        )*
    };
}

pub(crate) use conformance_suite;
