//! The scale-out backend: PostgreSQL, shared by any number of Concierge instances.
//!
//! Nothing here relies on running alone: uniqueness is enforced by constraints, the
//! multi-statement methods run in transactions under READ COMMITTED, and migrations take
//! sqlx's advisory lock so instances starting together migrate once.

mod accounts;
mod attempts;
mod bots;
mod contacts;
mod conversations;
mod knowledge;

use sqlx::postgres::{PgPool, PgPoolOptions};

use crate::Result;

/// `open_session` locks the contact, which serialises its session starts so that two
/// devices signing in at once cannot each create a conversation (SQLite's single writer
/// does the same), and the visitor's conversation it takes over, so that a message written
/// to it meanwhile waits and is never lost with it. `add_message` locks the conversation
/// before its message gets a seq, so that its messages commit in seq order.
const ROW_LOCK: &str = " FOR UPDATE";

/// The lock on an article while its ways of being asked are read and written: the rows that
/// reference it (embeddings, unanswered questions) may still be written meanwhile.
const ARTICLE_LOCK: &str = " FOR NO KEY UPDATE";

/// How long a request waits for a connection before it is answered "database unavailable".
/// sqlx's default (30 s) outlasts the patience of every client and balancer: while the
/// database is down, a request should hear so in seconds, and then retry.
const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The pool's options hold the connection URL's password.
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to `url` and migrates the database.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        let pool =
            PgPoolOptions::new().max_connections(max_connections).acquire_timeout(ACQUIRE_TIMEOUT).connect(url).await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}
