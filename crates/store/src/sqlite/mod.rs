//! The embedded backend: one SQLite file in WAL mode.
//!
//! Every write goes through a pool of exactly one connection, so writes queue up in the
//! process instead of fighting over SQLite's file lock, and concurrent callers of
//! `upsert_contact` or `default_workspace` are serialised for free. Reads go through a
//! separate pool of read-only connections and run alongside the writer (WAL). Each method
//! in the area files says which pool it uses by the pool it passes on.

mod accounts;
mod attempts;
mod bots;
mod contacts;
mod conversations;
mod knowledge;

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::Result;

const READERS: u32 = 4;

/// Write transactions start with `BEGIN IMMEDIATE`: they take the file's write lock up
/// front, so another process writing the same file makes them wait (busy_timeout) instead
/// of failing when a read would turn into a write.
const BEGIN: &str = "BEGIN IMMEDIATE";

/// No row locks: the single writer connection already runs `open_session` and
/// `add_message` alone.
const ROW_LOCK: &str = "";

#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The only connection that writes.
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStore {
    /// Opens the database at `path`, creating it and its directory if needed, and migrates it.
    pub async fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .synchronous(SqliteSynchronous::Normal)
            // A multi-row statement inside a transaction keeps a journal of its own (to undo
            // it alone); in memory, not in a temporary file opened and closed for it.
            .pragma("temp_store", "memory")
            // Reads of pages already in the OS's cache without a copy per read.
            .pragma("mmap_size", "268435456");

        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone().create_if_missing(true).journal_mode(SqliteJournalMode::Wal))
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&writer).await?;

        // WAL is a property of the file, set above by the writer.
        let reader = SqlitePoolOptions::new().max_connections(READERS).connect_with(options.read_only(true)).await?;
        Ok(Self { writer, reader })
    }

    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}
