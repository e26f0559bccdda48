//! Revisioned storage with etcd semantics: the [`Backend`] trait, an in-memory backend
//! for tests ([`MemoryBackend`]) and a durable SQLite backend, the embedded default
//! ([`SqliteBackend`]). [`spawn_compactor`] keeps history bounded.

pub mod backend;
mod compactor;
mod keyrange;
mod memory;
mod sqlite;
mod sqlite_read;
mod sqlite_schema;
mod sqlite_writer;
mod watch;

pub use backend::{Backend, Event, KeyValue, ListResult, Result, StoreError, WatchStream};
pub use compactor::{compact_keeping, spawn_compactor};
pub use memory::MemoryBackend;
pub use sqlite::{SqliteBackend, SqliteOptions};
pub use watch::DEFAULT_WATCH_CAPACITY;
