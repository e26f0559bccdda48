//! The SQLite writer thread: the only owner of the write connection.
//!
//! Group commit: the thread blocks for one request, then drains whatever else is queued
//! (up to `max_batch`) and applies all the writes in one `BEGIN IMMEDIATE` transaction, so
//! one fsync acknowledges the whole batch. Each successful write takes the next revision;
//! a write whose precondition fails (exists, missing, conflict) takes none and gets its
//! error. Only after the commit returns are the revision counter advanced, the events
//! published (in revision order) and the callers answered, so an `Ok` means durable.
//! If the transaction fails, every write of the batch gets the error.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc;

use rusqlite::{Connection, Transaction, TransactionBehavior, params};
use tokio::sync::{broadcast, oneshot};

use crate::backend::{Event, KeyValue, Result, StoreError};
use crate::sqlite_schema::{current_value, read_meta, sql_err, write_meta};

/// Counters the writer publishes for lock-free reads of the revisions.
#[derive(Debug, Default)]
pub(crate) struct Revisions {
    pub current: AtomicI64,
    pub compacted: AtomicI64,
}

/// One write.
#[derive(Debug)]
pub(crate) enum WriteOp {
    Create {
        key: String,
        value: Vec<u8>,
    },
    Update {
        key: String,
        value: Vec<u8>,
        expected: i64,
    },
    Delete {
        key: String,
        expected: Option<i64>,
    },
}

/// What a successful write returns: its revision and, for a delete, the deleted value.
#[derive(Debug)]
pub(crate) struct WriteDone {
    pub revision: i64,
    pub deleted: Option<KeyValue>,
}

/// A request to the writer thread.
#[derive(Debug)]
pub(crate) enum Request {
    Write {
        op: WriteOp,
        reply: oneshot::Sender<Result<WriteDone>>,
    },
    /// Raises the compacted revision; replies with the lowest revision still in the log
    /// (where row deletion should start), or `None` if `revision` is already compacted.
    SetCompacted {
        revision: i64,
        reply: oneshot::Sender<Result<Option<i64>>>,
    },
    /// Deletes log rows with revision in `(from, to]` not needed for reads at `through`.
    CompactRows {
        from: i64,
        to: i64,
        through: i64,
        reply: oneshot::Sender<Result<usize>>,
    },
}

pub(crate) struct Writer {
    conn: Connection,
    revision: i64,
    revisions: Arc<Revisions>,
    events: broadcast::Sender<Arc<Event>>,
    max_batch: usize,
}

type Pending = Vec<(WriteOp, oneshot::Sender<Result<WriteDone>>)>;

/// A write's result with the event to publish, or its failed precondition.
type Outcome = Result<(WriteDone, Event)>;

impl Writer {
    /// Loads the revisions from the database and publishes them in `revisions`.
    pub(crate) fn new(
        mut conn: Connection,
        revisions: Arc<Revisions>,
        events: broadcast::Sender<Arc<Event>>,
        max_batch: usize,
    ) -> Result<Self> {
        let tx = conn.transaction().map_err(sql_err)?;
        let revision = read_meta(&tx, "revision").map_err(sql_err)?;
        let compacted = read_meta(&tx, "compacted").map_err(sql_err)?;
        tx.commit().map_err(sql_err)?;
        revisions.current.store(revision, Ordering::SeqCst);
        revisions.compacted.store(compacted, Ordering::SeqCst);
        Ok(Writer {
            conn,
            revision,
            revisions,
            events,
            max_batch: max_batch.max(1),
        })
    }

    /// Serves requests until every sender is dropped.
    pub(crate) fn run(mut self, requests: mpsc::Receiver<Request>) {
        while let Ok(first) = requests.recv() {
            let mut batch = vec![first];
            while batch.len() < self.max_batch {
                match requests.try_recv() {
                    Ok(request) => batch.push(request),
                    Err(_) => break,
                }
            }
            let mut pending: Pending = Vec::new();
            for request in batch {
                match request {
                    Request::Write { op, reply } => pending.push((op, reply)),
                    Request::SetCompacted { revision, reply } => {
                        self.commit_writes(std::mem::take(&mut pending));
                        let _ = reply.send(self.set_compacted(revision));
                    }
                    Request::CompactRows {
                        from,
                        to,
                        through,
                        reply,
                    } => {
                        self.commit_writes(std::mem::take(&mut pending));
                        let _ = reply.send(self.compact_rows(from, to, through).map_err(sql_err));
                    }
                }
            }
            self.commit_writes(pending);
        }
        tracing::debug!(revision = self.revision, "sqlite writer stopped");
    }

    /// Applies `pending` in one transaction, then publishes and replies.
    fn commit_writes(&mut self, pending: Pending) {
        if pending.is_empty() {
            return;
        }
        let (ops, replies): (Vec<WriteOp>, Vec<_>) = pending.into_iter().unzip();
        let size = ops.len();
        match self.apply_batch(ops) {
            Ok((revision, outcomes)) => {
                self.revision = revision;
                self.revisions.current.store(revision, Ordering::SeqCst);
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let result = outcome.map(|(done, event)| {
                        // Publish before answering so a caller's own write is already
                        // visible to watchers when its future resolves.
                        let _ = self.events.send(Arc::new(event));
                        done
                    });
                    let _ = reply.send(result);
                }
                tracing::trace!(size, revision, "sqlite batch committed");
            }
            Err(err) => {
                tracing::error!(error = %err, size, "sqlite write batch failed");
                let message = match err {
                    StoreError::Io(message) => message,
                    other => other.to_string(),
                };
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Io(message.clone())));
                }
            }
        }
    }

    /// Runs the batch in one transaction; returns the new revision and, per write, its
    /// outcome. Nothing is visible or acknowledged unless this returns `Ok`.
    fn apply_batch(&mut self, ops: Vec<WriteOp>) -> Result<(i64, Vec<Outcome>)> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_err)?;
        // Cheap guard against a second writer (another process) on the same file.
        let stored = read_meta(&tx, "revision").map_err(sql_err)?;
        if stored != self.revision {
            return Err(StoreError::Io(format!(
                "sqlite: database revision is {stored}, expected {}: \
                 another process is writing the same file",
                self.revision
            )));
        }
        let mut revision = self.revision;
        let mut outcomes = Vec::with_capacity(ops.len());
        for op in ops {
            let outcome = apply_op(&tx, op, revision + 1).map_err(sql_err)?;
            if outcome.is_ok() {
                revision += 1;
            }
            outcomes.push(outcome);
        }
        if revision != self.revision {
            write_meta(&tx, "revision", revision).map_err(sql_err)?;
        }
        tx.commit().map_err(sql_err)?;
        Ok((revision, outcomes))
    }

    fn set_compacted(&mut self, revision: i64) -> Result<Option<i64>> {
        if revision > self.revision {
            return Err(StoreError::FutureRevision {
                requested: revision,
                current: self.revision,
            });
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_err)?;
        if revision <= read_meta(&tx, "compacted").map_err(sql_err)? {
            return Ok(None);
        }
        write_meta(&tx, "compacted", revision).map_err(sql_err)?;
        let lowest: i64 = tx
            .query_row("SELECT coalesce(min(revision), 0) FROM log", [], |row| {
                row.get(0)
            })
            .map_err(sql_err)?;
        tx.commit().map_err(sql_err)?;
        self.revisions.compacted.store(revision, Ordering::SeqCst);
        Ok(Some(lowest))
    }

    /// A row at or below `through` is dropped when it is a deletion or when a newer row of
    /// the same key at or below `through` exists; the version live at `through` stays.
    fn compact_rows(&mut self, from: i64, to: i64, through: i64) -> rusqlite::Result<usize> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let removed = tx.execute(
            "DELETE FROM log WHERE revision > ?1 AND revision <= ?2 AND (deleted = 1 OR EXISTS (
                 SELECT 1 FROM log AS newer WHERE newer.key = log.key
                 AND newer.revision > log.revision AND newer.revision <= ?3))",
            params![from, to, through],
        )?;
        tx.commit()?;
        Ok(removed)
    }
}

/// Applies one write at `revision` inside `tx`. The outer error aborts the batch; the
/// inner one is the write's own failed precondition.
fn apply_op(tx: &Transaction<'_>, op: WriteOp, revision: i64) -> rusqlite::Result<Outcome> {
    let (key, current) = match &op {
        WriteOp::Create { key, .. } | WriteOp::Update { key, .. } | WriteOp::Delete { key, .. } => {
            (key.clone(), current_value(tx, key)?)
        }
    };
    let conflict = |cur: KeyValue| StoreError::Conflict {
        key: key.clone(),
        current: Box::new(cur),
    };
    let mut insert_log = tx.prepare_cached(
        "INSERT INTO log (revision, key, value, create_revision, prev_revision, deleted)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    match (op, current) {
        (WriteOp::Create { .. }, Some(_)) => Ok(Err(StoreError::AlreadyExists(key))),
        (WriteOp::Create { value, .. }, None) => {
            let kv = KeyValue {
                key,
                value,
                create_revision: revision,
                mod_revision: revision,
            };
            insert_log.execute(params![
                revision,
                kv.key.as_bytes(),
                kv.value,
                revision,
                0,
                0
            ])?;
            tx.prepare_cached(
                "INSERT INTO current (key, value, create_revision, mod_revision)
                 VALUES (?1, ?2, ?3, ?3)",
            )?
            .execute(params![kv.key.as_bytes(), kv.value, revision])?;
            let done = WriteDone {
                revision,
                deleted: None,
            };
            Ok(Ok((done, Event::Put { kv, prev: None })))
        }
        (WriteOp::Update { .. } | WriteOp::Delete { .. }, None) => {
            Ok(Err(StoreError::NotFound(key)))
        }
        (WriteOp::Update { expected, .. }, Some(cur)) if cur.mod_revision != expected => {
            Ok(Err(conflict(cur)))
        }
        (
            WriteOp::Delete {
                expected: Some(e), ..
            },
            Some(cur),
        ) if cur.mod_revision != e => Ok(Err(conflict(cur))),
        (WriteOp::Update { value, .. }, Some(cur)) => {
            let kv = KeyValue {
                key,
                value,
                create_revision: cur.create_revision,
                mod_revision: revision,
            };
            let row = params![
                revision,
                kv.key.as_bytes(),
                kv.value,
                kv.create_revision,
                cur.mod_revision,
                0
            ];
            insert_log.execute(row)?;
            tx.prepare_cached("UPDATE current SET value = ?2, mod_revision = ?3 WHERE key = ?1")?
                .execute(params![kv.key.as_bytes(), kv.value, revision])?;
            let done = WriteDone {
                revision,
                deleted: None,
            };
            Ok(Ok((
                done,
                Event::Put {
                    kv,
                    prev: Some(cur),
                },
            )))
        }
        (WriteOp::Delete { .. }, Some(cur)) => {
            let empty: &[u8] = &[];
            let row = params![
                revision,
                key.as_bytes(),
                empty,
                cur.create_revision,
                cur.mod_revision,
                1
            ];
            insert_log.execute(row)?;
            tx.prepare_cached("DELETE FROM current WHERE key = ?1")?
                .execute([key.as_bytes()])?;
            let done = WriteDone {
                revision,
                deleted: Some(cur.clone()),
            };
            Ok(Ok((
                done,
                Event::Delete {
                    prev: cur,
                    revision,
                },
            )))
        }
    }
}
