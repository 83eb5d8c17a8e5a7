//! What the shared statements need of a sqlx driver, said once. sqlx states what a driver
//! can bind and read type by type, and a generic function would have to repeat those
//! bounds for every type it touches; [`Backend`] gathers them, with blanket impls that
//! both `Sqlite` and `Postgres` meet.

use std::future::Future;
use std::pin::Pin;

use concierge_domain::{IdentitySettings, StyleRange};
use serde_json::{Map, Value};
use sqlx::postgres::PgQueryResult;
use sqlx::query::Query;
use sqlx::sqlite::SqliteQueryResult;
use sqlx::types::Json;
use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Type};

use crate::{
    ApiTokenOwner, Article, Attempt, AttemptCount, Bot, Contact, Conversation, CustomAuthRecord, HeldConversation,
    InboxItem, LlmRecord, Message, Result, RetiredSecret, SealedKey, Session, StoredEmbedding, UnansweredQuestion,
    User, Workspace,
};

/// Boxed, because the compiler cannot yet prove an unboxed generic future `Send` for the
/// async-trait methods that await it (rust-lang/rust#100013).
pub(crate) type Running<'e, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'e>>;

pub(crate) type Statement<'q, DB> = Query<'q, DB, <DB as Database>::Arguments<'q>>;

/// A driver that binds every type the shared statements bind, reads every model, and runs
/// statements on pools and connections alike.
pub(crate) trait Backend:
    Run
    + for<'q> Bind<'q, &'q str>
    + for<'q> Bind<'q, Option<&'q str>>
    + for<'q> Bind<'q, i64>
    + for<'q> Bind<'q, Option<i64>>
    + for<'q> Bind<'q, bool>
    + for<'q> Bind<'q, Option<Json<&'q Value>>>
    + for<'q> Bind<'q, Json<&'q Map<String, Value>>>
    + for<'q> Bind<'q, Json<&'q Vec<String>>>
    + for<'q> Bind<'q, Json<&'q Vec<(String, String)>>>
    + for<'q> Bind<'q, Option<Json<&'q [StyleRange]>>>
    + for<'q> Bind<'q, Json<&'q IdentitySettings>>
    + for<'q> Bind<'q, Json<&'q [SealedKey]>>
    + for<'q> Bind<'q, Json<&'q [RetiredSecret]>>
    + for<'q> Bind<'q, &'q [u8]>
    + Read<Workspace>
    + Read<User>
    + Read<ApiTokenOwner>
    + Read<Bot>
    + Read<CustomAuthRecord>
    + Read<LlmRecord>
    + Read<Article>
    + Read<StoredEmbedding>
    + Read<Contact>
    + Read<Session>
    + Read<Conversation>
    + Read<Message>
    + Read<InboxItem>
    + Read<HeldConversation>
    + Read<Attempt>
    + Read<AttemptCount>
    + Read<UnansweredQuestion>
    + Read<(String,)>
    + Read<(bool,)>
    + Read<(i64,)>
    + Read<(i64, i64)>
{
    /// The `n`th placeholder (from 1) of a statement that binds its values in the order
    /// they appear.
    fn placeholder(n: usize) -> String {
        format!("${n}")
    }
}

// The supertraits hold by the blanket impls below; these say that both drivers meet them.
impl Backend for sqlx::Sqlite {
    /// `?`, not `$n`: SQLite names numbered placeholders, and sqlx looks up each one's name
    /// when it binds, a scan of the statement's names each time: quadratic in a batch of
    /// 128 session starts (1,536 values), 3.5 % of a start's profile.
    fn placeholder(_: usize) -> String {
        "?".to_owned()
    }
}
impl Backend for sqlx::Postgres {}

/// Where a statement runs: a pool, or a connection (of a transaction, say) for one
/// statement.
pub(crate) trait Db<'c, DB: Database>: Executor<'c, Database = DB> {}

impl<'c, DB: Database, E: Executor<'c, Database = DB>> Db<'c, DB> for E {}

/// Binds a `T` to a statement's next placeholder.
pub(crate) trait Bind<'q, T>: Database {
    fn bind(statement: Statement<'q, Self>, value: T) -> Statement<'q, Self>;
}

impl<'q, DB: Database, T: 'q + Encode<'q, DB> + Type<DB>> Bind<'q, T> for DB {
    fn bind(statement: Statement<'q, Self>, value: T) -> Statement<'q, Self> {
        statement.bind(value)
    }
}

/// `.arg(value)`: sqlx's `.bind(value)` for generic code, which cannot state the bounds
/// `.bind` asks for; [`Bind`] carries them.
pub(crate) trait Arg<'q, DB: Database>: Sized {
    fn arg<T>(self, value: T) -> Self
    where
        DB: Bind<'q, T>;
}

impl<'q, DB: Database> Arg<'q, DB> for Statement<'q, DB> {
    fn arg<T>(self, value: T) -> Self
    where
        DB: Bind<'q, T>,
    {
        DB::bind(self, value)
    }
}

/// Reads a `T` from a row, a malformed column being corrupt data (see
/// [`crate::decode_row`]).
pub(crate) trait Read<T>: Database {
    fn read(row: &Self::Row) -> Result<T>;
}

impl<DB: Database, T: for<'r> FromRow<'r, DB::Row>> Read<T> for DB {
    fn read(row: &Self::Row) -> Result<T> {
        crate::decode_row(row)
    }
}

/// Runs statements and reads their rows. The lifetimes are sqlx's own: the executor's
/// (`'c`) and the statement's (`'q`) both outlive the returned future (`'e`).
pub(crate) trait Run: Database {
    /// A connection (of a transaction, say) as an executor, for one statement.
    fn on(connection: &mut Self::Connection) -> impl Executor<'_, Database = Self>;

    fn optional<'e, 'c: 'e, 'q: 'e, T: Send>(
        db: impl Executor<'c, Database = Self> + 'e,
        statement: Statement<'q, Self>,
    ) -> Running<'e, Option<T>>
    where
        Self: Read<T>;

    fn one<'e, 'c: 'e, 'q: 'e, T: Send>(
        db: impl Executor<'c, Database = Self> + 'e,
        statement: Statement<'q, Self>,
    ) -> Running<'e, T>
    where
        Self: Read<T>;

    fn all<'e, 'c: 'e, 'q: 'e, T: Send>(
        db: impl Executor<'c, Database = Self> + 'e,
        statement: Statement<'q, Self>,
    ) -> Running<'e, Vec<T>>
    where
        Self: Read<T>;

    /// How many rows the statement changed.
    fn execute<'e, 'c: 'e, 'q: 'e>(
        db: impl Executor<'c, Database = Self> + 'e,
        statement: Statement<'q, Self>,
    ) -> Running<'e, u64>;
}

impl<DB> Run for DB
where
    DB: Database,
    DB::QueryResult: RowsAffected,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    fn on(connection: &mut Self::Connection) -> impl Executor<'_, Database = Self> {
        connection
    }

    fn optional<'e, 'c: 'e, 'q: 'e, T: Send>(
        db: impl Executor<'c, Database = Self> + 'e,
        statement: Statement<'q, Self>,
    ) -> Running<'e, Option<T>>
    where
        Self: Read<T>,
    {
        Box::pin(async move { statement.fetch_optional(db).await?.map(|row| Self::read(&row)).transpose() })
    }

    fn one<'e, 'c: 'e, 'q: 'e, T: Send>(
        db: impl Executor<'c, Database = Self> + 'e,
        statement: Statement<'q, Self>,
    ) -> Running<'e, T>
    where
        Self: Read<T>,
    {
        Box::pin(async move { Self::read(&statement.fetch_one(db).await?) })
    }

    fn all<'e, 'c: 'e, 'q: 'e, T: Send>(
        db: impl Executor<'c, Database = Self> + 'e,
        statement: Statement<'q, Self>,
    ) -> Running<'e, Vec<T>>
    where
        Self: Read<T>,
    {
        Box::pin(async move { statement.fetch_all(db).await?.iter().map(Self::read).collect() })
    }

    fn execute<'e, 'c: 'e, 'q: 'e>(
        db: impl Executor<'c, Database = Self> + 'e,
        statement: Statement<'q, Self>,
    ) -> Running<'e, u64> {
        Box::pin(async move { Ok(statement.execute(db).await?.rows_affected()) })
    }
}

/// The drivers' results say how many rows changed, each in its own inherent method.
pub(crate) trait RowsAffected {
    fn rows_affected(&self) -> u64;
}

impl RowsAffected for SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        SqliteQueryResult::rows_affected(self)
    }
}

impl RowsAffected for PgQueryResult {
    fn rows_affected(&self) -> u64 {
        PgQueryResult::rows_affected(self)
    }
}
