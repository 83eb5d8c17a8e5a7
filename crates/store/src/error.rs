pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A unique constraint refused the write; the name says which (e.g. `user_email`).
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// A row the write depends on does not exist (e.g. the bot of a new contact).
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl Error {
    /// The statement carried text the database cannot hold (a NUL character, on
    /// PostgreSQL): the caller's input, not the database's failure.
    pub fn is_unstorable_text(&self) -> bool {
        matches!(self, Error::Database(sqlx::Error::Database(db))
            if db.code().is_some_and(|code| UNSTORABLE_TEXT_CODES.contains(&code.as_ref())))
    }

    /// The database did not answer: it is down or unreachable, a connection broke, or no
    /// connection came free within the pool's wait. Unlike a refused statement, the same
    /// request may well succeed in a moment.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Error::Database(e) => unreachable_database(e),
            _ => false,
        }
    }
}

/// PostgreSQL refuses text it cannot hold: the NUL character (22021), or bytes outside the
/// database's encoding (22P05). SQLite stores them.
const UNSTORABLE_TEXT_CODES: [&str; 2] = ["22021", "22P05"];

/// SQLSTATE classes and codes that mean "not now" rather than "not this": connection
/// exceptions (class 08), the server shutting down or starting (57P01–57P03), and SQLite's
/// busy codes once its own wait has run out.
const UNAVAILABLE_CODES: [&str; 6] = ["57P01", "57P02", "57P03", "5", "261", "517"];

fn unreachable_database(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            db.code().is_some_and(|code| code.starts_with("08") || UNAVAILABLE_CODES.contains(&code.as_ref()))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_connection_is_unavailable_and_a_refused_statement_is_not() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(Error::Database(sqlx::Error::Io(refused)).is_unavailable());
        assert!(Error::Database(sqlx::Error::PoolTimedOut).is_unavailable());
        assert!(!Error::Database(sqlx::Error::RowNotFound).is_unavailable());
        assert!(!Error::Conflict("user_email").is_unavailable());
        assert!(!Error::Corrupt("0: bad json".into()).is_unavailable());
    }
}
