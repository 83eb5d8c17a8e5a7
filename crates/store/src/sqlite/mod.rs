//! The embedded backend: one SQLite file in WAL mode.
//!
//! Every write goes through a pool of exactly one connection, so writes queue up in the
//! process instead of fighting over SQLite's file lock, and concurrent callers of
//! `upsert_contact` or `default_workspace` are serialised for free. Reads go through a
//! separate pool of read-only connections and run alongside the writer (WAL). Each method
//! in the area files says which pool it uses by the pool it passes on. A connection of its
//! own copies the WAL back into the database file (checkpoints), so the writer does not
//! stop for it.

mod accounts;
mod attempts;
mod bots;
mod contacts;
mod conversations;
mod knowledge;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection};
use tokio::sync::watch;

use crate::Result;

const READERS: u32 = 4;

/// Write transactions start with `BEGIN IMMEDIATE`: they take the file's write lock up
/// front, so another process writing the same file makes them wait (busy_timeout) instead
/// of failing when a read would turn into a write.
const BEGIN: &str = "BEGIN IMMEDIATE";

/// No row locks: the single writer connection already runs `open_session` and
/// `add_message` alone.
const ROW_LOCK: &str = "";

/// No row locks: the single writer connection runs every write alone.
const ARTICLE_LOCK: &str = "";

/// How often the checkpointer copies what the WAL holds into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);
/// WAL pages after which the writer checkpoints itself (SQLite's default is 1,000). Passive
/// checkpoints copy pages but cannot start the WAL over while the writer keeps appending;
/// the writer's own checkpoint does, when the WAL reaches this size. Fewer of them made
/// session starts 1.2× faster and their p99 under saturation 3× longer (docs/benchmarks.md).
const WRITER_CHECKPOINT_PAGES: &str = "10000";

#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The only connection that writes.
    writer: SqlitePool,
    reader: SqlitePool,
    checkpointer: Arc<Checkpointer>,
}

/// Stops the checkpoint task when the store is closed, or when its last copy is dropped
/// (with `stop`, which the task hears as its channel closing).
#[derive(Debug)]
struct Checkpointer {
    stop: watch::Sender<bool>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Checkpointer {
    fn spawn(connection: SqliteConnection) -> Self {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(checkpoint_until_stopped(connection, stopped));
        Self { stop, task: Mutex::new(Some(task)) }
    }

    async fn stop(&self) {
        let _ = self.stop.send(true);
        let task = self.task.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

/// Passive checkpoints: they copy what no reader still needs and never wait for the writer
/// nor make it wait.
async fn checkpoint_until_stopped(mut connection: SqliteConnection, mut stopped: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            changed = stopped.changed() => if changed.is_err() || *stopped.borrow() { break },
            _ = every.tick() => {}
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&mut connection).await {
            tracing::warn!(error = %e, "a SQLite checkpoint failed; the writer checkpoints instead");
        }
    }
    let _ = connection.close().await;
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

        let writer_options = options.clone().create_if_missing(true).journal_mode(SqliteJournalMode::Wal);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(writer_options.pragma("wal_autocheckpoint", WRITER_CHECKPOINT_PAGES))
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&writer).await?;

        // WAL is a property of the file, set above by the writer.
        let reader =
            SqlitePoolOptions::new().max_connections(READERS).connect_with(options.clone().read_only(true)).await?;
        let checkpointer = Arc::new(Checkpointer::spawn(options.connect().await?));
        Ok(Self { writer, reader, checkpointer })
    }

    pub async fn close(&self) {
        self.checkpointer.stop().await;
        self.reader.close().await;
        self.writer.close().await;
    }
}
