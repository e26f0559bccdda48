//! The conformance suite against `MemoryBackend`.

mod conformance;

use std::sync::Arc;

use conformance::Fixture;
use kubehci_store::MemoryBackend;

fn make_backend(watch_capacity: Option<usize>) -> Fixture {
    let backend = match watch_capacity {
        Some(capacity) => MemoryBackend::with_watch_capacity(capacity),
        None => MemoryBackend::new(),
    };
    Fixture {
        backend: Arc::new(backend),
        _dir: None,
    }
}

conformance::conformance_suite!(make_backend);
