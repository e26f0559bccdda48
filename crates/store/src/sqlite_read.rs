//! SQLite reads: a small pool of read connections and the read queries.
//!
//! Every read runs on a blocking thread (`spawn_blocking`) inside one deferred
//! transaction, so the `meta` revisions and the rows come from the same WAL snapshot.
//! Latest reads use the `current` table; reads at an older revision use the `log`.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::{Mutex, MutexGuard};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Transaction, params_from_iter};

use crate::backend::{Event, KeyValue, ListResult, Result, StoreError, resolve_read_revision};
use crate::keyrange::KeyRange;
use crate::sqlite_schema::{key_from_blob, kv_from_row, open_reader, read_meta, sql_err};

/// Read connections, each behind its own lock.
pub(crate) struct ReadPool {
    conns: Vec<Mutex<Connection>>,
    next: AtomicUsize,
}

impl ReadPool {
    pub(crate) fn open(path: &Path, size: usize) -> Result<Self> {
        let conns = (0..size.max(1))
            .map(|_| open_reader(path).map(Mutex::new))
            .collect::<Result<Vec<_>>>()?;
        Ok(ReadPool {
            conns,
            next: AtomicUsize::new(0),
        })
    }

    /// A free connection if there is one, else waits for one in turn.
    fn acquire(&self) -> MutexGuard<'_, Connection> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.conns.len();
        for i in 0..n {
            if let Some(guard) = self.conns[(start + i) % n].try_lock() {
                return guard;
            }
        }
        self.conns[start % n].lock()
    }

    /// Runs `f` in a read transaction on a blocking thread.
    pub(crate) async fn run<T, F>(self: &Arc<Self>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.acquire();
            let tx = conn.transaction().map_err(sql_err)?;
            let out = f(&tx)?;
            tx.commit().map_err(sql_err)?;
            Ok(out)
        })
        .await
        .map_err(|e| StoreError::Io(format!("sqlite read task failed: {e}")))?
    }
}

/// `(current, compacted)` revisions of the snapshot.
fn snapshot_revisions(tx: &Transaction<'_>) -> Result<(i64, i64)> {
    let current = read_meta(tx, "revision").map_err(sql_err)?;
    let compacted = read_meta(tx, "compacted").map_err(sql_err)?;
    Ok((current, compacted))
}

pub(crate) fn get(
    tx: &Transaction<'_>,
    key: &str,
    revision: Option<i64>,
) -> Result<Option<KeyValue>> {
    let (current, compacted) = snapshot_revisions(tx)?;
    let at = resolve_read_revision(revision, current, compacted)?;
    if at == current {
        return crate::sqlite_schema::current_value(tx, key).map_err(sql_err);
    }
    let row = tx
        .prepare_cached(
            "SELECT key, value, create_revision, revision, deleted FROM log
             WHERE key = ?1 AND revision <= ?2 ORDER BY revision DESC LIMIT 1",
        )
        .map_err(sql_err)?
        .query_row(rusqlite::params![key.as_bytes(), at], |row| {
            Ok((kv_from_row(row, 0)?, row.get::<_, bool>(4)?))
        })
        .optional()
        .map_err(sql_err)?;
    Ok(row.and_then(|(kv, deleted)| (!deleted).then_some(kv)))
}

/// Parameters for a dynamically built query.
fn blobs(values: Vec<Vec<u8>>) -> Vec<Value> {
    values.into_iter().map(Value::Blob).collect()
}

/// Keys in `range` live at `at` (`None` = the `current` table), at most `limit`.
fn query_page(
    tx: &Transaction<'_>,
    range: &KeyRange,
    at: Option<i64>,
    limit: Option<usize>,
) -> Result<Vec<KeyValue>> {
    let sql_limit = limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
    let (sql, mut values) = match at {
        None => {
            let (cond, params) = range.sql_conditions("key");
            let sql = format!(
                "SELECT key, value, create_revision, mod_revision FROM current
                 WHERE {cond} ORDER BY key LIMIT ?"
            );
            (sql, blobs(params))
        }
        Some(at) => {
            let (cond, params) = range.sql_conditions("l.key");
            let sql = format!(
                "SELECT l.key, l.value, l.create_revision, l.revision FROM log AS l
                 WHERE {cond} AND l.revision <= ? AND l.deleted = 0 AND NOT EXISTS (
                     SELECT 1 FROM log AS n WHERE n.key = l.key
                     AND n.revision > l.revision AND n.revision <= ?)
                 ORDER BY l.key LIMIT ?"
            );
            let mut values = blobs(params);
            values.push(Value::Integer(at));
            values.push(Value::Integer(at));
            (sql, values)
        }
    };
    values.push(Value::Integer(sql_limit));
    let mut stmt = tx.prepare_cached(&sql).map_err(sql_err)?;
    let rows = stmt
        .query_map(params_from_iter(values), |row| kv_from_row(row, 0))
        .map_err(sql_err)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql_err)
}

/// Number of keys in `range` live at `at` (`None` = now).
fn count_range(tx: &Transaction<'_>, range: &KeyRange, at: Option<i64>) -> Result<u64> {
    let (sql, values) = match at {
        None => {
            let (cond, params) = range.sql_conditions("key");
            (
                format!("SELECT count(*) FROM current WHERE {cond}"),
                blobs(params),
            )
        }
        Some(at) => {
            let (cond, params) = range.sql_conditions("l.key");
            let sql = format!(
                "SELECT count(*) FROM log AS l
                 WHERE {cond} AND l.revision <= ? AND l.deleted = 0 AND NOT EXISTS (
                     SELECT 1 FROM log AS n WHERE n.key = l.key
                     AND n.revision > l.revision AND n.revision <= ?)"
            );
            let mut values = blobs(params);
            values.push(Value::Integer(at));
            values.push(Value::Integer(at));
            (sql, values)
        }
    };
    let count: i64 = tx
        .prepare_cached(&sql)
        .map_err(sql_err)?
        .query_row(params_from_iter(values), |row| row.get(0))
        .map_err(sql_err)?;
    Ok(u64::try_from(count).unwrap_or(0))
}

pub(crate) fn list(
    tx: &Transaction<'_>,
    prefix: &str,
    start_after: Option<&str>,
    limit: Option<usize>,
    revision: Option<i64>,
) -> Result<ListResult> {
    let (current, compacted) = snapshot_revisions(tx)?;
    let at = resolve_read_revision(revision, current, compacted)?;
    let from_log = (at != current).then_some(at);
    let range = KeyRange::new(prefix, start_after);
    let items = query_page(tx, &range, from_log, limit)?;
    let remaining = match limit {
        Some(limit) if items.len() == limit => {
            let last = items.last().map(|kv| kv.key.as_str()).or(start_after);
            count_range(tx, &KeyRange::new(prefix, last), from_log)?
        }
        _ => 0,
    };
    Ok(ListResult {
        items,
        revision: at,
        remaining,
    })
}

pub(crate) fn count(tx: &Transaction<'_>, prefix: &str) -> Result<u64> {
    count_range(tx, &KeyRange::new(prefix, None), None)
}

/// Up to `page` events in `range` with revision in `(after, upto]`, in revision order.
/// Fails with `Compacted` if compaction has passed `after` since the watch started.
pub(crate) fn replay_page(
    tx: &Transaction<'_>,
    range: &KeyRange,
    after: i64,
    upto: i64,
    page: usize,
) -> Result<Vec<Arc<Event>>> {
    let (_, compacted) = snapshot_revisions(tx)?;
    if after < compacted {
        return Err(StoreError::Compacted {
            requested: after,
            compacted,
        });
    }
    let (cond, params) = range.sql_conditions("l.key");
    let sql = format!(
        "SELECT l.revision, l.key, l.value, l.create_revision, l.prev_revision, l.deleted,
                p.value, p.create_revision
         FROM log AS l LEFT JOIN log AS p ON p.revision = l.prev_revision
         WHERE l.revision > ? AND l.revision <= ? AND {cond}
         ORDER BY l.revision LIMIT ?"
    );
    let mut values = vec![Value::Integer(after), Value::Integer(upto)];
    values.extend(blobs(params));
    values.push(Value::Integer(i64::try_from(page).unwrap_or(i64::MAX)));
    let mut stmt = tx.prepare_cached(&sql).map_err(sql_err)?;
    let rows = stmt
        .query_map(params_from_iter(values), |row| {
            let revision: i64 = row.get(0)?;
            let key = key_from_blob(row.get(1)?)?;
            let prev_revision: i64 = row.get(4)?;
            let prev_value: Option<Vec<u8>> = row.get(6)?;
            let prev = match prev_value {
                Some(value) => Some(KeyValue {
                    key: key.clone(),
                    value,
                    create_revision: row.get(7)?,
                    mod_revision: prev_revision,
                }),
                None => None,
            };
            Ok(LogRow {
                revision,
                key,
                value: row.get(2)?,
                create_revision: row.get(3)?,
                prev_revision,
                deleted: row.get(5)?,
                prev,
            })
        })
        .map_err(sql_err)?;
    let mut events = Vec::new();
    for row in rows {
        events.push(Arc::new(row.map_err(sql_err)?.into_event()?));
    }
    Ok(events)
}

/// A `log` row joined with its previous version.
struct LogRow {
    revision: i64,
    key: String,
    value: Vec<u8>,
    create_revision: i64,
    prev_revision: i64,
    deleted: bool,
    prev: Option<KeyValue>,
}

impl LogRow {
    fn into_event(self) -> Result<Event> {
        if self.prev_revision > 0 && self.prev.is_none() {
            return Err(StoreError::Io(format!(
                "sqlite: log row {} of {} points at missing revision {}",
                self.revision, self.key, self.prev_revision
            )));
        }
        if self.deleted {
            let prev = self.prev.ok_or_else(|| {
                StoreError::Io(format!(
                    "sqlite: deletion {} has no previous value",
                    self.revision
                ))
            })?;
            return Ok(Event::Delete {
                prev,
                revision: self.revision,
            });
        }
        Ok(Event::Put {
            kv: KeyValue {
                key: self.key,
                value: self.value,
                create_revision: self.create_revision,
                mod_revision: self.revision,
            },
            prev: self.prev,
        })
    }
}
