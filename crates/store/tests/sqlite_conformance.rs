//! The conformance suite against `SqliteBackend` on a temporary file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod conformance;

use std::sync::Arc;

use conformance::Fixture;
use kubehci_store::{SqliteBackend, SqliteOptions};

fn make_backend(watch_capacity: Option<usize>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut options = SqliteOptions::default();
    if let Some(capacity) = watch_capacity {
        options.watch_capacity = capacity;
    }
    let backend = SqliteBackend::open_with(dir.path().join("store.db"), options).unwrap();
    Fixture {
        backend: Arc::new(backend),
        _dir: Some(dir),
    }
}

conformance::conformance_suite!(make_backend);
