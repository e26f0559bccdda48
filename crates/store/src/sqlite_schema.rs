//! SQLite schema, connection settings and row decoding for [`crate::SqliteBackend`].
//!
//! Tables:
//! - `log`: one row per write (the history), `revision` is the rowid. A deletion row has
//!   `deleted = 1` and an empty value; `prev_revision` points at the row of the previous
//!   version (0 when the write created the key), which gives each event its `prev`.
//! - `current`: the live value of every key, for latest reads, lists and counts.
//! - `meta`: `revision` (the current revision, updated in each write transaction) and
//!   `compacted` (reads below it fail with `Compacted`).
//!
//! Keys are stored as BLOBs so that prefix ranges compare bytewise (`key >= prefix AND
//! key < upper_bound`) and can use the indexes; `LIKE` is never used.
//!
//! Durability: WAL journal with `synchronous = FULL`, so every commit fsyncs the WAL before
//! the write is acknowledged; group commit in the writer thread amortises that fsync.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Row, Transaction};

use crate::backend::{KeyValue, Result, StoreError};

/// Bumped when the schema changes incompatibly.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS log (
    revision        INTEGER PRIMARY KEY,
    key             BLOB    NOT NULL,
    value           BLOB    NOT NULL,
    create_revision INTEGER NOT NULL,
    prev_revision   INTEGER NOT NULL,
    deleted         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS log_key_revision ON log (key, revision);
CREATE TABLE IF NOT EXISTS current (
    key             BLOB    PRIMARY KEY,
    value           BLOB    NOT NULL,
    create_revision INTEGER NOT NULL,
    mod_revision    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    name  TEXT    PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 0), ('compacted', 0);
";

/// Maps SQLite failures to [`StoreError::Io`].
pub(crate) fn sql_err(err: rusqlite::Error) -> StoreError {
    StoreError::Io(format!("sqlite: {err}"))
}

/// Opens the connection the writer thread owns, creating the schema if needed.
pub(crate) fn open_writer(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(sql_err)?;
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(sql_err)?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(sql_err)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Io(format!(
            "sqlite: {} cannot use WAL journal mode (got {mode})",
            path.display()
        )));
    }
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -16384;
         PRAGMA journal_size_limit = 67108864;",
    )
    .map_err(sql_err)?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(sql_err)?;
    if version != 0 && version != SCHEMA_VERSION {
        return Err(StoreError::Io(format!(
            "sqlite: {} has schema version {version}, this build reads {SCHEMA_VERSION}",
            path.display()
        )));
    }
    conn.execute_batch(SCHEMA).map_err(sql_err)?;
    conn.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(sql_err)?;
    Ok(conn)
}

/// Opens a read connection; the schema must exist (open the writer first).
pub(crate) fn open_reader(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(sql_err)?;
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(sql_err)?;
    conn.execute_batch(
        "PRAGMA query_only = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -8192;",
    )
    .map_err(sql_err)?;
    Ok(conn)
}

/// Reads one `meta` value.
pub(crate) fn read_meta(tx: &Transaction<'_>, name: &str) -> rusqlite::Result<i64> {
    tx.prepare_cached("SELECT value FROM meta WHERE name = ?1")?
        .query_row([name], |row| row.get(0))
}

/// Writes one `meta` value.
pub(crate) fn write_meta(tx: &Transaction<'_>, name: &str, value: i64) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE meta SET value = ?2 WHERE name = ?1")?
        .execute(rusqlite::params![name, value])?;
    Ok(())
}

/// Decodes a stored key.
pub(crate) fn key_from_blob(bytes: Vec<u8>) -> rusqlite::Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Blob, Box::new(e))
    })
}

/// Decodes `key, value, create_revision, mod_revision` starting at column `first`.
pub(crate) fn kv_from_row(row: &Row<'_>, first: usize) -> rusqlite::Result<KeyValue> {
    Ok(KeyValue {
        key: key_from_blob(row.get(first)?)?,
        value: row.get(first + 1)?,
        create_revision: row.get(first + 2)?,
        mod_revision: row.get(first + 3)?,
    })
}

/// The live value of `key` in the `current` table.
pub(crate) fn current_value(tx: &Transaction<'_>, key: &str) -> rusqlite::Result<Option<KeyValue>> {
    tx.prepare_cached(
        "SELECT key, value, create_revision, mod_revision FROM current WHERE key = ?1",
    )?
    .query_row([key.as_bytes()], |row| kv_from_row(row, 0))
    .optional()
}
