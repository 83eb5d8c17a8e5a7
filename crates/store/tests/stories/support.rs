//! What every story needs: a fresh database per test on either backend, and fixtures.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use concierge_domain::{IdentifyMethod, WorkspaceId};
use concierge_store::testing::{temp_sqlite, TempDir, TempPostgres};
use concierge_store::{Bot, Contact, ContactUpsert, OpenSession, PostgresStore, SqliteStore, Store};
use serde_json::{Map, Value};

/// A fixed clock: stories pass times explicitly, as the store's callers do.
pub const NOW: i64 = 1_700_000_000_000;
pub const HOUR: i64 = 3_600_000;

/// Connections per PostgreSQL store; enough for the concurrent stories to overlap.
const PG_CONNECTIONS: u32 = 5;

/// One store on a database of its own, plus whatever else the story opened on it.
pub struct Harness {
    pub store: Arc<dyn Store>,
    main: Opened,
    others: Mutex<Vec<Opened>>,
    place: Place,
}

#[derive(Clone)]
enum Opened {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

enum Place {
    Sqlite { path: PathBuf, _dir: TempDir },
    Postgres(TempPostgres),
}

impl Opened {
    fn store(&self) -> Arc<dyn Store> {
        match self {
            Self::Sqlite(store) => Arc::new(store.clone()),
            Self::Postgres(store) => Arc::new(store.clone()),
        }
    }

    async fn close(&self) {
        match self {
            Self::Sqlite(store) => store.close().await,
            Self::Postgres(store) => store.close().await,
        }
    }
}

impl Harness {
    pub async fn sqlite() -> Self {
        let (store, dir) = temp_sqlite().await;
        let path = dir.path().join("concierge.db");
        Self::new(Opened::Sqlite(store), Place::Sqlite { path, _dir: dir })
    }

    /// `None` when `CONCIERGE_TEST_SKIP_POSTGRES=1`: the story is skipped.
    pub async fn postgres() -> Option<Self> {
        let db = TempPostgres::create().await?;
        let store = PostgresStore::connect(&db.url, PG_CONNECTIONS).await.expect("connect to the test database");
        Some(Self::new(Opened::Postgres(store), Place::Postgres(db)))
    }

    fn new(main: Opened, place: Place) -> Self {
        Self { store: main.store(), main, others: Mutex::new(Vec::new()), place }
    }

    /// A second store on the same database, as a second Concierge instance would open it.
    pub async fn another_instance(&self) -> Arc<dyn Store> {
        let opened = match &self.place {
            Place::Sqlite { path, .. } => {
                Opened::Sqlite(SqliteStore::open(path).await.expect("open the SQLite file again"))
            }
            Place::Postgres(db) => Opened::Postgres(
                PostgresStore::connect(&db.url, PG_CONNECTIONS).await.expect("connect to the test database again"),
            ),
        };
        let store = opened.store();
        self.others.lock().expect("others lock").push(opened);
        store
    }

    /// Runs `n` calls of `work(store, i)` at once, alternating between this store and a
    /// second instance on the same database, as two servers behind a balancer would; their
    /// results in call order.
    pub async fn race<T, F, Fut>(&self, n: i64, work: F) -> Vec<T>
    where
        T: Send + 'static,
        F: Fn(Arc<dyn Store>, i64) -> Fut,
        Fut: std::future::Future<Output = T> + Send + 'static,
    {
        let other = self.another_instance().await;
        let running: Vec<_> = (0..n)
            .map(|i| tokio::spawn(work(if i % 2 == 0 { self.store.clone() } else { other.clone() }, i)))
            .collect();
        let mut done = Vec::new();
        for run in running {
            done.push(run.await.expect("join"));
        }
        done
    }

    /// Runs raw SQL behind the store's back, to damage rows on purpose.
    pub async fn execute(&self, sql: &str) {
        concierge_store::testing::execute_behind(&self.database(), sql).await;
    }

    /// The SQLite file's path or the PostgreSQL database's URL.
    pub fn database(&self) -> String {
        match &self.place {
            Place::Sqlite { path, .. } => path.display().to_string(),
            Place::Postgres(db) => db.url.clone(),
        }
    }

    pub async fn finish(self) {
        let others = self.others.into_inner().expect("others lock");
        for opened in others.iter().chain([&self.main]) {
            opened.close().await;
        }
        if let Place::Postgres(db) = self.place {
            db.drop_db().await;
        }
    }
}

/// A name no other story uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::now_v7().simple())
}

/// A bot in a workspace of its own.
pub async fn bot(store: &dyn Store) -> Bot {
    let workspace = store.create_workspace(&unique("workspace")).await.expect("create workspace");
    store.create_bot(&WorkspaceId::new(workspace.id.clone()), "Support", NOW).await.expect("create bot")
}

pub fn metadata(json: Value) -> Map<String, Value> {
    match json {
        Value::Object(map) => map,
        other => panic!("metadata must be an object, not {other}"),
    }
}

/// An upsert by `id` with no profile.
pub fn upsert<'a>(bot_id: &'a str, identifier: &'a str, metadata: &'a Map<String, Value>) -> ContactUpsert<'a> {
    ContactUpsert {
        bot_id,
        identify_method: IdentifyMethod::Id,
        identifier,
        external_id: None,
        email: None,
        name: None,
        phone_number: None,
        metadata,
        now: NOW,
    }
}

pub async fn contact(store: &dyn Store, bot_id: &str, identifier: &str) -> Contact {
    let empty = Map::new();
    store.upsert_contact(upsert(bot_id, identifier, &empty)).await.expect("upsert contact").contact
}

/// A session valid for an hour from `now`.
pub fn session<'a>(
    bot_id: &'a str,
    contact_id: Option<&'a str>,
    token_hash: &'a str,
    visitor_token_hash: Option<&'a str>,
    now: i64,
) -> OpenSession<'a> {
    OpenSession {
        bot_id,
        contact_id,
        token_hash,
        visitor_token_hash,
        refused: false,
        proof_hash: None,
        expires_at: now + HOUR,
        now,
    }
}

/// `author` ("visitor", "bot", "agent") writes `text` in the conversation at `now`.
pub async fn say(
    store: &dyn concierge_store::Store,
    conversation: &concierge_store::Conversation,
    author: &str,
    text: &str,
    now: i64,
) -> concierge_store::Posted {
    let author = author.parse().expect("an author");
    let message = concierge_store::NewMessage {
        conversation_id: &conversation.id,
        author,
        author_name: None,
        text,
        styles: None,
        only_while: None,
        now,
    };
    store.add_message(message).await.expect("add a message")
}
