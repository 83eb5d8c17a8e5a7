//! One `serve` per SQLite database. Instances share their realtime events through memory
//! unless Redis carries them, and Redis needs PostgreSQL; two processes on one SQLite file
//! would both run, and silently never see each other's messages.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::config::{Database, StorageConfig};

/// This process's hold on its SQLite database. The kernel releases it with the file, so
/// a crashed or killed instance never leaves the database claimed.
#[derive(Debug)]
pub struct ServeLock {
    _file: File,
}

/// Claims the SQLite database for this process, or says which instance already serves it
/// and what to run instead. PostgreSQL needs no claim: instances on it share everything.
pub fn claim(storage: &StorageConfig) -> anyhow::Result<Option<ServeLock>> {
    let Database::Sqlite(database) = &storage.database else { return Ok(None) };
    let path = lock_path(database);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {
            // The holder's pid, for the message a second instance prints.
            file.set_len(0).and_then(|()| writeln!(file, "{}", std::process::id())).ok();
            Ok(Some(ServeLock { _file: file }))
        }
        Err(TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&path).unwrap_or_default();
            let holder = holder.trim();
            let which = if holder.is_empty() { String::new() } else { format!(" (pid {holder})") };
            anyhow::bail!(
                "another Concierge instance{which} already serves the SQLite database {}. Instances on one \
                 SQLite database would not see each other's messages. Run one instance per data dir, or run \
                 several on PostgreSQL and Redis: --database-url postgres://… --redis-url redis://… (see \
                 docs/deploy.md)",
                database.display()
            )
        }
        Err(TryLockError::Error(e)) => Err(e).with_context(|| format!("cannot lock {}", path.display())),
    }
}

fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.file_name().unwrap_or_default().to_os_string();
    name.push(".serve-lock");
    database.with_file_name(name)
}
