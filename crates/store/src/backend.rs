//! The revisioned backend trait: etcd semantics over any storage.
//!
//! Invariants every backend keeps:
//! - one global revision, strictly increasing by exactly one per successful write
//!   (create, update, delete); it is the object's `resourceVersion`;
//! - a write is durable once its future resolves `Ok`;
//! - watch events are delivered per key prefix in revision order, with no gaps, starting
//!   strictly after the requested revision.

use async_trait::async_trait;
use futures::stream::BoxStream;

/// A stored value at a revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: Vec<u8>,
    /// Revision at which the key was (last) created.
    pub create_revision: i64,
    /// Revision of the last write to this key.
    pub mod_revision: i64,
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Created (`prev` is `None`) or updated.
    Put {
        kv: KeyValue,
        prev: Option<KeyValue>,
    },
    /// Deleted at `revision`; `prev` is the last value.
    Delete { prev: KeyValue, revision: i64 },
}

impl Event {
    pub fn revision(&self) -> i64 {
        match self {
            Event::Put { kv, .. } => kv.mod_revision,
            Event::Delete { revision, .. } => *revision,
        }
    }

    pub fn key(&self) -> &str {
        match self {
            Event::Put { kv, .. } => &kv.key,
            Event::Delete { prev, .. } => &prev.key,
        }
    }
}

/// A page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListResult {
    pub items: Vec<KeyValue>,
    /// The revision the list was read at.
    pub revision: i64,
    /// How many more keys match after this page (0 when complete).
    pub remaining: u64,
}

/// Store errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Create of a key that exists.
    #[error("key {0} already exists")]
    AlreadyExists(String),
    /// Update/delete of a missing key.
    #[error("key {0} not found")]
    NotFound(String),
    /// Expected revision did not match; carries the current value.
    #[error("revision mismatch on {key}")]
    Conflict { key: String, current: Box<KeyValue> },
    /// Read or watch at a revision older than the compacted one.
    #[error("required revision {requested} has been compacted (compacted at {compacted})")]
    Compacted { requested: i64, compacted: i64 },
    /// Read at a revision newer than the current one.
    #[error("revision {requested} is in the future (current {current})")]
    FutureRevision { requested: i64, current: i64 },
    /// The watcher fell too far behind and was dropped; it must re-list.
    #[error("watcher fell behind and was closed")]
    WatchLagged,
    #[error("storage I/O: {0}")]
    Io(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The revision a read asking for `requested` (latest when `None`) is served at, given the
/// store's `current` and `compacted` revisions.
pub(crate) fn resolve_read_revision(
    requested: Option<i64>,
    current: i64,
    compacted: i64,
) -> Result<i64> {
    match requested {
        None => Ok(current),
        Some(r) if r < compacted => Err(StoreError::Compacted {
            requested: r,
            compacted,
        }),
        Some(r) if r > current => Err(StoreError::FutureRevision {
            requested: r,
            current,
        }),
        Some(r) => Ok(r),
    }
}

/// A stream of watch events; ends with `Err(WatchLagged)` if the watcher cannot keep up.
pub type WatchStream = BoxStream<'static, Result<Event>>;

/// A revisioned key-value store with etcd semantics. Keys are `/`-separated strings such
/// as `/registry/pods/default/web-1`; a prefix list or watch uses the key prefix as is.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// The latest revision (0 for an empty store).
    async fn current_revision(&self) -> Result<i64>;

    /// The revision up to which history has been compacted (0 if never).
    async fn compacted_revision(&self) -> Result<i64>;

    /// Value of `key` at `revision` (latest when `None`). Reads at a revision fail with
    /// `Compacted` below the compacted revision and `FutureRevision` above the current one.
    async fn get(&self, key: &str, revision: Option<i64>) -> Result<Option<KeyValue>>;

    /// Keys starting with `prefix`, in key order, strictly after `start_after` if given,
    /// at most `limit` (all when `None`), read at `revision` (latest when `None`).
    async fn list(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: Option<usize>,
        revision: Option<i64>,
    ) -> Result<ListResult>;

    /// Number of keys under `prefix` now.
    async fn count(&self, prefix: &str) -> Result<u64>;

    /// Creates `key` if absent; returns the new revision.
    async fn create(&self, key: &str, value: Vec<u8>) -> Result<i64>;

    /// Replaces `key` if its mod revision equals `expected`; returns the new revision.
    async fn update(&self, key: &str, value: Vec<u8>, expected: i64) -> Result<i64>;

    /// Deletes `key` (if `expected` is given, only at that mod revision); returns the
    /// deletion revision and the deleted value.
    async fn delete(&self, key: &str, expected: Option<i64>) -> Result<(i64, KeyValue)>;

    /// Events under `prefix` with revision > `after`: first the stored history, then live
    /// events, with no gap and no duplicate. History for revisions > `compacted_revision`
    /// is kept, so this fails with `Compacted` exactly when `after < compacted_revision`.
    /// `after` may be ahead of the current revision; the stream then starts with the first
    /// write past it.
    async fn watch(&self, prefix: &str, after: i64) -> Result<WatchStream>;

    /// Drops history at and below `revision` (the latest value of each live key stays).
    /// Afterwards reads at revisions >= `revision` and watches from `after >= revision`
    /// still work; older ones fail with `Compacted`. A `revision` at or below the
    /// compacted revision is a no-op; one above the current revision fails with
    /// `FutureRevision`.
    async fn compact(&self, revision: i64) -> Result<()>;
}
