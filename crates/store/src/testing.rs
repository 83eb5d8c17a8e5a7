//! Helpers for tests, here and in downstream crates (feature `testing`): a SQLite store in
//! a temporary directory and a throwaway PostgreSQL database.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::{Connection, Executor, PgConnection};

use crate::SqliteStore;

/// The server [`TempPostgres`] uses unless `CONCIERGE_TEST_POSTGRES_URL` names another.
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Set to `1` to skip the PostgreSQL tests. Without it a missing server fails them, on a
/// developer's machine as on CI: a test that did not run must not look like one that passed.
pub const SKIP_POSTGRES: &str = "CONCIERGE_TEST_SKIP_POSTGRES";

/// Whether the environment variable `name` asks for a skip (`1` or `true`).
pub fn skip_requested(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1" || v == "true")
}

/// A directory under the system's temporary directory, removed with everything in it when
/// dropped.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new() -> std::io::Result<Self> {
        let path = std::env::temp_dir().join(format!("concierge-test-{}", random_hex()));
        std::fs::create_dir_all(&path)?;
        Ok(Self { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Best effort: a leftover directory in /tmp is no reason to fail a test.
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A fresh, migrated SQLite store in its own temporary directory, which lives as long as
/// the returned guard.
pub async fn temp_sqlite() -> (SqliteStore, TempDir) {
    let dir = TempDir::new().expect("create a temporary directory for SQLite");
    let store = SqliteStore::open(&dir.path().join("concierge.db"))
        .await
        .expect("open a SQLite store in a temporary directory");
    (store, dir)
}

/// A database of its own on the test PostgreSQL server, dropped by [`TempPostgres::drop_db`]
/// or, failing that (a test panicked), when this value is dropped.
#[derive(Debug)]
pub struct TempPostgres {
    /// Connects to the new database.
    pub url: String,
    admin_url: String,
    name: String,
    dropped: bool,
}

impl TempPostgres {
    /// Creates `concierge_test_<random hex>` on the server of `CONCIERGE_TEST_POSTGRES_URL`
    /// (default [`DEFAULT_ADMIN_URL`]). `None` only when [`SKIP_POSTGRES`] asks to skip;
    /// an unreachable server panics.
    pub async fn create() -> Option<Self> {
        if skip_requested(SKIP_POSTGRES) {
            eprintln!("skipping a PostgreSQL test: {SKIP_POSTGRES} is set");
            return None;
        }
        let admin_url = std::env::var("CONCIERGE_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned());
        let connecting = PgConnection::connect(&admin_url);
        let mut admin = match tokio::time::timeout(Duration::from_secs(10), connecting).await {
            Ok(Ok(admin)) => admin,
            Ok(Err(err)) => missing_server(&admin_url, &err.to_string()),
            Err(_) => missing_server(&admin_url, "no connection within 10 seconds"),
        };

        let name = format!("concierge_test_{}", random_hex());
        admin.execute(format!(r#"CREATE DATABASE "{name}""#).as_str()).await.expect("create a test database");
        let _ = admin.close().await;

        let mut url = url::Url::parse(&admin_url).expect("CONCIERGE_TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        Some(Self { url: url.into(), admin_url, name, dropped: false })
    }

    /// Drops the database, disconnecting whoever is still connected to it.
    pub async fn drop_db(mut self) {
        self.dropped = true;
        drop_database(&self.admin_url, &self.name).await;
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        // Drop may run inside a runtime (a panicking async test), where blocking on another
        // future is not allowed: a thread with its own runtime does the work.
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let dropping =
            std::thread::spawn(move || match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => runtime.block_on(drop_database(&admin_url, &name)),
                Err(err) => eprintln!("could not drop test database {name}: {err}"),
            });
        let _ = dropping.join();
    }
}

fn missing_server(admin_url: &str, reason: &str) -> ! {
    panic!(
        "PostgreSQL is required: cannot connect to {}: {reason}. Start it, point \
         CONCIERGE_TEST_POSTGRES_URL at a server, or set {SKIP_POSTGRES}=1 to skip these tests.",
        redact(admin_url)
    );
}

async fn drop_database(admin_url: &str, name: &str) {
    let dropped = async {
        let mut admin = PgConnection::connect(admin_url).await?;
        admin.execute(format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#).as_str()).await?;
        admin.close().await
    };
    if let Err(err) = dropped.await {
        eprintln!("could not drop test database {name}: {err}");
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.into()
        }
        Err(_) => "an unparsable URL".to_owned(),
    }
}

/// 32 hex digits, unique per call in this process and unlikely to repeat across processes
/// (a UUIDv7: time, then random bits).
fn random_hex() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// Runs `sql` on a running server's database behind its back, `database` being a
/// `postgres://` URL or the path of a SQLite file: for tests that need the server's next
/// statement on a table to fail (the table renamed away), as a failing disk or a dropped
/// connection would make it.
pub async fn execute_behind(database: &str, sql: &str) {
    if database.starts_with("postgres") {
        let mut db = PgConnection::connect(database).await.expect("connect to the test database");
        db.execute(sql).await.expect("run raw SQL");
        db.close().await.expect("close the raw connection");
    } else {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(database);
        let mut db = sqlx::SqliteConnection::connect_with(&options).await.expect("open the SQLite file");
        db.execute(sql).await.expect("run raw SQL");
        db.close().await.expect("close the raw connection");
    }
}

/// A statement the dashboard runs, and how the database would run it.
#[derive(Debug, Clone)]
pub struct QueryPlan {
    pub name: &'static str,
    /// SQLite's `EXPLAIN QUERY PLAN` (indented by depth) or PostgreSQL's `EXPLAIN (COSTS OFF)`.
    pub plan: String,
}

/// The rows the dashboard's statements are explained for.
#[derive(Debug, Clone, Copy)]
pub struct PlanInputs<'a> {
    pub bot_id: &'a str,
    pub contact_id: &'a str,
    pub conversation_id: &'a str,
    /// The last attempt of a page of the authentication log.
    pub attempt_id: &'a str,
    /// The start of the authentication log's period.
    pub since: i64,
}

/// A value bound to a statement's placeholder.
#[derive(Clone)]
enum Param {
    Text(String),
    Int(i64),
}

/// Every statement the dashboard runs for one bot (its inbox and open conversation, a
/// contact's page, the contacts list and search, the authentication log and its chart),
/// with the values to run it with.
fn dashboard_statements(inputs: &PlanInputs<'_>) -> Vec<(&'static str, String, Vec<Param>)> {
    use crate::sql::{attempts, contacts, conversations};
    use crate::AttemptFilter;
    let text = |value: &str| Param::Text(value.to_owned());
    let bot = || text(inputs.bot_id);
    let (since, page) = (Param::Int(inputs.since), Param::Int(200));
    let log = AttemptFilter { since: Some(inputs.since), limit: 200, ..AttemptFilter::default() };
    let one_outcome = AttemptFilter { outcome: Some(concierge_domain::AttemptOutcome::Ok), ..log };
    let next_page = AttemptFilter { before: Some(inputs.attempt_id), ..log };
    vec![
        ("inbox", conversations::inbox_sql(), vec![bot(), Param::Int(-1), Param::Int(100)]),
        (
            "inbox, next page",
            conversations::inbox_same_rank_sql(),
            vec![bot(), Param::Int(1), Param::Int(inputs.since), text(inputs.conversation_id), Param::Int(100)],
        ),
        ("inbox, the ranks after", conversations::inbox_sql(), vec![bot(), Param::Int(1), Param::Int(100)]),
        ("inbox item", conversations::inbox_item_sql(), vec![text(inputs.conversation_id)]),
        (
            "open conversation",
            conversations::messages_before_sql(),
            vec![text(inputs.conversation_id), Param::Int(i64::MAX), page.clone()],
        ),
        (
            "earlier messages",
            conversations::messages_before_sql(),
            vec![text(inputs.conversation_id), Param::Int(1_000), page],
        ),
        ("contact's conversations", conversations::contact_conversations_sql(), vec![text(inputs.contact_id)]),
        ("contact's messages", conversations::contact_messages_sql(), vec![text(inputs.contact_id), Param::Int(50)]),
        ("contacts", contacts::list_contacts_sql(false, false), vec![bot(), Param::Int(200)]),
        ("contacts search", contacts::list_contacts_sql(false, true), vec![bot(), text("%ann%"), Param::Int(200)]),
        ("auth log", attempts::list_attempts_sql(&log), vec![bot(), since, Param::Int(200)]),
        (
            "auth log, one outcome",
            attempts::list_attempts_sql(&one_outcome),
            vec![bot(), text("ok"), Param::Int(inputs.since), Param::Int(200)],
        ),
        (
            "auth log, next page",
            attempts::list_attempts_sql(&next_page),
            vec![bot(), Param::Int(inputs.since), text(inputs.attempt_id), Param::Int(200)],
        ),
        (
            "auth log chart",
            attempts::COUNT_ATTEMPTS.to_owned(),
            vec![Param::Int(3_600_000), bot(), Param::Int(inputs.since)],
        ),
    ]
}

/// How the database at `database` (as for [`execute_behind`]) would run each statement the
/// dashboard runs for one bot. PostgreSQL plans with sequential and bitmap scans disabled:
/// it reads a small test table whole, or gathers its rows to sort them, whatever its
/// indexes, and the question here is whether an index can serve the statement (in order).
pub async fn dashboard_plans(database: &str, inputs: &PlanInputs<'_>) -> Vec<QueryPlan> {
    let mut plans = Vec::new();
    if database.starts_with("postgres") {
        let mut db = PgConnection::connect(database).await.expect("connect to the test database");
        db.execute("SET enable_seqscan = off; SET enable_bitmapscan = off").await.expect("disable whole-table plans");
        for (name, sql, params) in dashboard_statements(inputs) {
            let explain = format!("EXPLAIN (COSTS OFF) {sql}");
            let mut statement = sqlx::query_scalar::<_, String>(&explain);
            for param in params {
                statement = match param {
                    Param::Text(value) => statement.bind(value),
                    Param::Int(value) => statement.bind(value),
                };
            }
            let lines = statement.fetch_all(&mut db).await.unwrap_or_else(|e| panic!("explain {name}: {e}"));
            plans.push(QueryPlan { name, plan: lines.join("\n") });
        }
        db.close().await.expect("close the raw connection");
    } else {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(database);
        let mut db = sqlx::SqliteConnection::connect_with(&options).await.expect("open the SQLite file");
        for (name, sql, params) in dashboard_statements(inputs) {
            let explain = format!("EXPLAIN QUERY PLAN {sql}");
            let mut statement = sqlx::query_as::<_, (i64, i64, i64, String)>(&explain);
            for param in params {
                statement = match param {
                    Param::Text(value) => statement.bind(value),
                    Param::Int(value) => statement.bind(value),
                };
            }
            let rows = statement.fetch_all(&mut db).await.unwrap_or_else(|e| panic!("explain {name}: {e}"));
            let mut depth = std::collections::HashMap::from([(0, 0)]);
            let lines: Vec<String> = rows
                .into_iter()
                .map(|(id, parent, _, detail)| {
                    let level = depth.get(&parent).copied().unwrap_or(0) + 1;
                    depth.insert(id, level);
                    format!("{}{detail}", "  ".repeat(level - 1))
                })
                .collect();
            plans.push(QueryPlan { name, plan: lines.join("\n") });
        }
        db.close().await.expect("close the raw connection");
    }
    plans
}
