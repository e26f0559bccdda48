//! `SqliteBackend`: the durable embedded store (one SQLite file, WAL mode).
//!
//! Writes go to a dedicated writer thread that group-commits them (see
//! [`crate::sqlite_writer`]); reads run on a small pool of read connections on tokio's
//! blocking threads (see [`crate::sqlite_read`]); watches replay the `log` table page by
//! page, then follow the live fan-out (see [`crate::watch`]).
//!
//! One process owns a database file at a time: a second process writing the same file
//! would hand out clashing revisions.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use async_trait::async_trait;
use futures::StreamExt;
use tokio::sync::oneshot;

use crate::backend::{Backend, KeyValue, ListResult, Result, StoreError, WatchStream};
use crate::keyrange::KeyRange;
use crate::sqlite_read::{self, ReadPool};
use crate::sqlite_schema::open_writer;
use crate::sqlite_writer::{Request, Revisions, WriteDone, WriteOp, Writer};
use crate::watch::{DEFAULT_WATCH_CAPACITY, Replay, WatchHub, join_replay_and_live};

/// Events read per query while a watch replays history.
const REPLAY_PAGE: usize = 512;
/// Log revisions examined per compaction transaction, so writes interleave with it.
const COMPACT_CHUNK: i64 = 10_000;

/// Tuning for [`SqliteBackend::open_with`].
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// Read connections in the pool (default 4).
    pub read_connections: usize,
    /// Events a watcher may fall behind before it is closed with `WatchLagged`.
    pub watch_capacity: usize,
    /// Most writes committed in one transaction (default 1024).
    pub max_batch: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            read_connections: 4,
            watch_capacity: DEFAULT_WATCH_CAPACITY,
            max_batch: 1024,
        }
    }
}

/// A durable [`Backend`] on one SQLite database file.
pub struct SqliteBackend {
    path: PathBuf,
    /// `None` only while dropping.
    requests: Option<mpsc::Sender<Request>>,
    writer: Option<JoinHandle<()>>,
    reads: Arc<ReadPool>,
    revisions: Arc<Revisions>,
    hub: WatchHub,
}

impl std::fmt::Debug for SqliteBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteBackend")
            .field("path", &self.path)
            .field("revision", &self.revisions.current.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

impl SqliteBackend {
    /// Opens (creating if needed) the database at `path` with default options. This does
    /// blocking file I/O; call it at startup or from a blocking context.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, SqliteOptions::default())
    }

    /// Opens the database at `path` with `options`.
    pub fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let conn = open_writer(&path)?;
        let reads = Arc::new(ReadPool::open(&path, options.read_connections)?);
        let revisions = Arc::new(Revisions::default());
        let hub = WatchHub::new(options.watch_capacity);
        let writer = Writer::new(
            conn,
            Arc::clone(&revisions),
            hub.sender(),
            options.max_batch,
        )?;
        let (requests, receiver) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("kubehci-store-writer".into())
            .spawn(move || writer.run(receiver))
            .map_err(|e| StoreError::Io(format!("cannot start the sqlite writer: {e}")))?;
        tracing::info!(
            path = %path.display(),
            revision = revisions.current.load(Ordering::SeqCst),
            compacted = revisions.compacted.load(Ordering::SeqCst),
            "sqlite store opened"
        );
        Ok(SqliteBackend {
            path,
            requests: Some(requests),
            writer: Some(handle),
            reads,
            revisions,
            hub,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sends a request built around a fresh reply channel and awaits the reply.
    async fn call<T>(
        &self,
        build: impl FnOnce(oneshot::Sender<Result<T>>) -> Request,
    ) -> Result<T> {
        let stopped = || StoreError::Io("sqlite writer has stopped".into());
        let (reply, answer) = oneshot::channel();
        self.requests
            .as_ref()
            .ok_or_else(stopped)?
            .send(build(reply))
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    async fn write(&self, op: WriteOp) -> Result<WriteDone> {
        self.call(|reply| Request::Write { op, reply }).await
    }

    /// History under `range` in `(after, upto]`, fetched lazily page by page.
    fn replay(&self, range: KeyRange, after: i64, upto: i64) -> Replay {
        let reads = Arc::clone(&self.reads);
        let pages = futures::stream::unfold(Some(after), move |cursor| {
            let reads = Arc::clone(&reads);
            let range = range.clone();
            async move {
                let from = cursor.filter(|from| *from < upto)?;
                let page = reads
                    .run(move |tx| sqlite_read::replay_page(tx, &range, from, upto, REPLAY_PAGE))
                    .await;
                Some(match page {
                    Ok(events) => {
                        let next = (events.len() == REPLAY_PAGE)
                            .then(|| events.last().map(|e| e.revision()))
                            .flatten();
                        (events.into_iter().map(Ok).collect::<Vec<_>>(), next)
                    }
                    Err(err) => (vec![Err(err)], None),
                })
            }
        });
        pages.map(futures::stream::iter).flatten().boxed()
    }
}

impl Drop for SqliteBackend {
    fn drop(&mut self) {
        // Closing the queue stops the writer after its current batch; wait so the file is
        // closed when the backend is gone (a reopen then sees everything).
        self.requests.take();
        if let Some(handle) = self.writer.take()
            && handle.join().is_err()
        {
            tracing::error!("sqlite writer thread panicked");
        }
    }
}

#[async_trait]
impl Backend for SqliteBackend {
    async fn current_revision(&self) -> Result<i64> {
        Ok(self.revisions.current.load(Ordering::SeqCst))
    }

    async fn compacted_revision(&self) -> Result<i64> {
        Ok(self.revisions.compacted.load(Ordering::SeqCst))
    }

    async fn get(&self, key: &str, revision: Option<i64>) -> Result<Option<KeyValue>> {
        let key = key.to_owned();
        self.reads
            .run(move |tx| sqlite_read::get(tx, &key, revision))
            .await
    }

    async fn list(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: Option<usize>,
        revision: Option<i64>,
    ) -> Result<ListResult> {
        let prefix = prefix.to_owned();
        let start_after = start_after.map(str::to_owned);
        self.reads
            .run(move |tx| sqlite_read::list(tx, &prefix, start_after.as_deref(), limit, revision))
            .await
    }

    async fn count(&self, prefix: &str) -> Result<u64> {
        let prefix = prefix.to_owned();
        self.reads
            .run(move |tx| sqlite_read::count(tx, &prefix))
            .await
    }

    async fn create(&self, key: &str, value: Vec<u8>) -> Result<i64> {
        let op = WriteOp::Create {
            key: key.to_owned(),
            value,
        };
        Ok(self.write(op).await?.revision)
    }

    async fn update(&self, key: &str, value: Vec<u8>, expected: i64) -> Result<i64> {
        let op = WriteOp::Update {
            key: key.to_owned(),
            value,
            expected,
        };
        Ok(self.write(op).await?.revision)
    }

    async fn delete(&self, key: &str, expected: Option<i64>) -> Result<(i64, KeyValue)> {
        let op = WriteOp::Delete {
            key: key.to_owned(),
            expected,
        };
        let done = self.write(op).await?;
        let prev = done.deleted.ok_or_else(|| {
            StoreError::Io(format!("sqlite writer lost the deleted value of {key}"))
        })?;
        Ok((done.revision, prev))
    }

    async fn watch(&self, prefix: &str, after: i64) -> Result<WatchStream> {
        let compacted = self.revisions.compacted.load(Ordering::SeqCst);
        if after < compacted {
            return Err(StoreError::Compacted {
                requested: after,
                compacted,
            });
        }
        // Subscribe before reading the revision: the writer advances the revision before
        // publishing, so every event above `upto` reaches this receiver (see `watch`).
        let live = self.hub.subscribe();
        let upto = self.revisions.current.load(Ordering::SeqCst);
        let replay = self.replay(KeyRange::new(prefix, None), after, upto);
        Ok(join_replay_and_live(prefix, after, upto, replay, live))
    }

    async fn compact(&self, revision: i64) -> Result<()> {
        let Some(lowest) = self
            .call(|reply| Request::SetCompacted { revision, reply })
            .await?
        else {
            return Ok(());
        };
        let mut from = lowest - 1;
        let mut removed = 0;
        while from < revision {
            let to = revision.min(from.saturating_add(COMPACT_CHUNK));
            removed += self
                .call(|reply| Request::CompactRows {
                    from,
                    to,
                    through: revision,
                    reply,
                })
                .await?;
            from = to;
        }
        tracing::debug!(revision, removed, "sqlite store compacted");
        Ok(())
    }
}
