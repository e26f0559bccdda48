//! Revisioned storage with etcd semantics: the [`Backend`] trait, an in-memory backend
//! for tests and a durable SQLite backend (the embedded default).

pub mod backend;

pub use backend::{Backend, Event, KeyValue, ListResult, Result, StoreError, WatchStream};
