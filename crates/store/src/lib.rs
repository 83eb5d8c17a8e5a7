//! Concierge's storage port: the [`Store`] trait, made of one trait per area, and its two
//! implementations, SQLite (embedded, the default) and PostgreSQL (scale-out). Both pass the
//! same story suite (`tests/stories.rs`). The statements they share are written once, in
//! `sql/`.
//!
//! Times are Unix milliseconds (`i64`) on both backends so that the two behave
//! identically; secrets arrive already hashed or sealed and are stored as given.

mod error;
mod model;
mod port;
pub mod postgres;
mod sql;
pub mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::{Error, Result};
pub use model::*;
pub use port::{Accounts, Attempts, Bots, Contacts, Conversations, Knowledge, Store};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// The store and its area traits: `use concierge_store::prelude::*;` where a concrete
/// store's methods are called (a `dyn Store` reaches them without).
pub mod prelude {
    pub use crate::{Accounts, Attempts, Bots, Contacts, Conversations, Knowledge, Store};
}

/// The name of the workspace [`Accounts::default_workspace`] creates.
pub const DEFAULT_WORKSPACE_NAME: &str = "Default";

/// The greeting of a new bot, a Jinja template: the contact's name, else "there".
pub const DEFAULT_GREETING: &str = r#"Hi {{ contact.name | default("there") }}! How can we help?"#;

/// How many articles [`Knowledge::list_articles`] returns at most.
const MAX_ARTICLES: i64 = 2000;

/// A new row id: a UUIDv7 string, so ids sort in creation order (`ORDER BY id DESC` is
/// newest first and pagination cursors are plain ids).
fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The page size actually used: 1 to 200, and 50 when the caller asks for 0.
fn clamp_limit(limit: u32) -> i64 {
    match limit {
        0 => 50,
        n => i64::from(n.min(200)),
    }
}

/// The application clock, for the few writes whose caller gives no `now`.
fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Turns constraint violations into the errors the trait promises; chained right after the
/// statement that can violate them.
trait ResultExt<T> {
    /// A unique violation becomes `Error::Conflict(name)`.
    fn on_unique(self, name: &'static str) -> Result<T>;
    /// A foreign key violation becomes `Error::NotFound(name)`.
    fn on_foreign_key(self, name: &'static str) -> Result<T>;
}

impl<T, E: Into<Error>> ResultExt<T> for Result<T, E> {
    fn on_unique(self, name: &'static str) -> Result<T> {
        self.map_err(|err| match err.into() {
            Error::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => Error::Conflict(name),
            other => other,
        })
    }

    fn on_foreign_key(self, name: &'static str) -> Result<T> {
        self.map_err(|err| match err.into() {
            Error::Database(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => Error::NotFound(name),
            other => other,
        })
    }
}

/// `%text%` for a case-insensitive `LIKE`, with the pattern characters of `text` escaped.
fn like_pattern(text: &str) -> String {
    let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// Turns a row into a model; a column that does not decode (malformed JSON, say) is
/// corrupt data rather than a database failure.
fn decode_row<'r, T, R>(row: &'r R) -> Result<T>
where
    R: sqlx::Row,
    T: sqlx::FromRow<'r, R>,
{
    T::from_row(row).map_err(|err| match err {
        sqlx::Error::ColumnDecode { index, source } => Error::Corrupt(format!("{index}: {source}")),
        other => Error::Database(other),
    })
}
