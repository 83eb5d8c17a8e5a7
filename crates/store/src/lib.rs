//! Concierge's storage port: the [`Store`] trait and its two implementations, SQLite
//! (embedded, the default) and PostgreSQL (scale-out). Both pass the same story suite
//! (`tests/stories.rs`).
//!
//! Times are Unix milliseconds (`i64`) on both backends so that the two behave
//! identically; secrets arrive already hashed or sealed and are stored as given.

mod error;
mod model;
pub mod postgres;
pub mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;

use async_trait::async_trait;

pub use error::{Error, Result};
pub use model::*;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// Everything Concierge keeps. Implementations must make every method atomic: a method
/// either fully happens or not at all.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Cheap round trip, for `/readyz`.
    async fn ping(&self) -> Result<()>;

    // Workspaces and people.
    /// The workspace created on first start; created here if missing (idempotent, also
    /// under concurrent callers).
    async fn default_workspace(&self) -> Result<Workspace>;
    /// `Error::Conflict("workspace_name")` when the name is taken.
    async fn create_workspace(&self, name: &str) -> Result<Workspace>;
    async fn find_workspace_by_name(&self, name: &str) -> Result<Option<Workspace>>;
    /// `Error::Conflict("user_email")` when the email is taken (emails are stored lower-case
    /// by the caller).
    async fn create_user(&self, user: NewUser<'_>) -> Result<User>;
    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>>;
    async fn create_api_token(&self, token: NewApiToken<'_>) -> Result<ApiToken>;
    /// The token's owner, if a token with this hash exists.
    async fn find_api_token(&self, token_hash: &str) -> Result<Option<ApiTokenOwner>>;

    // Dashboard sign-in.
    /// Whether any user exists (if not, `serve` offers a one-time setup link).
    async fn has_users(&self) -> Result<bool>;
    async fn get_user(&self, user_id: &str) -> Result<Option<User>>;
    async fn create_login(&self, login: NewLogin<'_>) -> Result<()>;
    /// The signed-in user behind a dashboard cookie, if it exists and has not expired.
    async fn find_login(&self, token_hash: &str, now: i64) -> Result<Option<User>>;
    /// Signs out; whether the login existed.
    async fn delete_login(&self, token_hash: &str) -> Result<bool>;
    async fn create_setup_token(&self, token_hash: &str, expires_at: i64, now: i64) -> Result<()>;
    async fn setup_token_valid(&self, token_hash: &str, now: i64) -> Result<bool>;
    /// In one transaction: spends the setup link `token_hash` (if valid at `user.now`),
    /// revokes every other setup link, and creates the user. `None` when the link is
    /// unknown, expired or already used.
    async fn claim_setup(&self, token_hash: &str, user: NewUser<'_>) -> Result<Option<User>>;
    /// Sets or clears a user's display name; `false` when the user does not exist.
    async fn set_user_name(&self, user_id: &str, name: Option<&str>) -> Result<bool>;

    // Bots and their settings.
    /// A bot with the default settings and the greeting [`DEFAULT_GREETING`].
    async fn create_bot(&self, workspace_id: &str, name: &str, now: i64) -> Result<Bot>;
    async fn get_bot(&self, bot_id: &str) -> Result<Option<Bot>>;
    async fn list_bots(&self, workspace_id: &str) -> Result<Vec<Bot>>;
    /// Changes the fields that are `Some`; `None` when the bot does not exist.
    async fn update_bot(&self, bot_id: &str, update: &BotUpdate<'_>, now: i64) -> Result<Option<Bot>>;
    async fn get_custom_auth(&self, bot_id: &str) -> Result<Option<CustomAuthRecord>>;
    /// Inserts the bot's settings with their signing secrets, or replaces the settings of
    /// an existing record while keeping its secrets: those change only through
    /// [`Store::set_signing_secrets`], so a settings save racing a rotation cannot undo it.
    async fn put_custom_auth(&self, record: &CustomAuthRecord) -> Result<()>;
    /// Replaces a bot's signing secrets (a rotation); `false` when it has no settings yet.
    async fn set_signing_secrets(&self, bot_id: &str, secrets: SigningSecrets<'_>) -> Result<bool>;
    async fn get_llm(&self, bot_id: &str) -> Result<Option<LlmRecord>>;
    /// Inserts or replaces the bot's language model settings. With `keep_key` the stored
    /// API key stays as it is (none for a new record) and `record.api_key_sealed` is
    /// ignored, so a settings save that does not touch the write-only key never forgets
    /// it; without, `record.api_key_sealed` is stored, `None` included.
    /// `Error::NotFound("bot")` when the bot does not exist.
    async fn put_llm(&self, record: &LlmRecord, keep_key: bool) -> Result<()>;

    // The knowledge base. Every write bumps the bot's `knowledge_revision` in the same
    // transaction.
    /// `Error::NotFound("bot")` when the bot does not exist.
    async fn create_article(&self, article: NewArticle<'_>) -> Result<Article>;
    /// Oldest first, all of them up to 2000.
    async fn list_articles(&self, bot_id: &str) -> Result<Vec<Article>>;
    async fn get_article(&self, article_id: &str) -> Result<Option<Article>>;
    /// `None` when the article does not exist.
    async fn update_article(&self, article_id: &str, title: &str, body: &str, now: i64) -> Result<Option<Article>>;
    /// Whether the article existed.
    async fn delete_article(&self, article_id: &str) -> Result<bool>;

    // Contacts.
    /// Finds the contact of `bot_id` with this identify method and normalised value, or
    /// creates it, exactly once even under concurrent callers on several instances (by a
    /// unique constraint, never check-then-insert), and replaces its profile and metadata
    /// with `profile`. `created` tells which happened.
    async fn upsert_contact(&self, upsert: ContactUpsert<'_>) -> Result<UpsertedContact>;
    async fn find_contact(&self, bot_id: &str, identify_method: &str, identifier: &str) -> Result<Option<Contact>>;
    async fn get_contact(&self, contact_id: &str) -> Result<Option<Contact>>;
    /// Newest first; `before` is the id of the last contact of the previous page.
    async fn list_contacts(&self, bot_id: &str, page: Page<'_>) -> Result<Vec<Contact>>;

    // Sessions and conversations.
    /// In one transaction: revokes the visitor session `visitor_token_hash` (when given,
    /// valid at `now` and of the same bot) and, if `contact_id` is set, hands that
    /// visitor's conversation to the contact; picks the conversation of the new session
    /// (the contact's most recent one, else a new one); creates the session.
    async fn open_session(&self, open: OpenSession<'_>) -> Result<OpenedSession>;
    /// The session with this token hash, if it exists and has not expired at `now`.
    async fn find_session(&self, token_hash: &str, now: i64) -> Result<Option<Session>>;
    async fn add_message(&self, message: NewMessage<'_>) -> Result<Message>;
    /// Oldest first, those with a sequence number greater than `after`.
    async fn list_messages(&self, conversation_id: &str, after: i64, limit: u32) -> Result<Vec<Message>>;
    /// A bot's conversations that have messages, each with its contact's name and latest
    /// message: first those waiting for an agent (high priority before normal), then the
    /// others, each group most recently active first.
    async fn list_inbox(&self, bot_id: &str, limit: u32) -> Result<Vec<InboxItem>>;
    async fn get_conversation(&self, conversation_id: &str) -> Result<Option<Conversation>>;
    /// Hands the conversation to whoever `change` names, with its priority and agent name.
    /// `None` when the conversation does not exist or `change.expected` is set and did not
    /// match its handler, leaving it unchanged; a caller that needs to know which re-reads
    /// it.
    async fn set_conversation_handler(
        &self,
        conversation_id: &str,
        change: &HandlerChange<'_>,
    ) -> Result<Option<Conversation>>;
    /// A contact's conversations, most recently active first (at most 100).
    async fn contact_conversations(&self, contact_id: &str) -> Result<Vec<Conversation>>;
    /// Revokes a session (the widget's logout); whether one existed.
    async fn delete_session(&self, token_hash: &str) -> Result<bool>;
    /// The newest `limit` (at most 200) messages of a conversation, oldest first.
    async fn latest_messages(&self, conversation_id: &str, limit: u32) -> Result<Vec<Message>>;
    /// Deletes sessions that expired before `now`; returns how many.
    async fn purge_sessions(&self, now: i64) -> Result<u64>;
    /// Deletes anonymous conversations that nobody wrote in and no session can reach any
    /// more (each page load of a visitor who never chats leaves one); returns how many.
    async fn purge_abandoned_conversations(&self) -> Result<u64>;

    // Authentication attempts.
    async fn record_attempt(&self, attempt: NewAttempt<'_>) -> Result<()>;
    /// Newest first; `outcome` filters on the outcome code (`ok` or an error code),
    /// `since` on the time; `before` is the id of the last attempt of the previous page.
    async fn list_attempts(&self, bot_id: &str, filter: AttemptFilter<'_>) -> Result<Vec<Attempt>>;
    /// Attempts since `since`, counted per outcome in buckets of `bucket_ms` (bucket =
    /// start time), oldest first: the authentication log's chart.
    async fn count_attempts(&self, bot_id: &str, since: i64, bucket_ms: i64) -> Result<Vec<AttemptCount>>;
    /// Deletes attempts older than `before`; returns how many.
    async fn purge_attempts(&self, before: i64) -> Result<u64>;
}

/// The name of the workspace [`Store::default_workspace`] creates.
pub const DEFAULT_WORKSPACE_NAME: &str = "Default";

/// The greeting of a new bot, a Jinja template: the contact's name, else "there".
pub const DEFAULT_GREETING: &str = r#"Hi {{ contact.name | default("there") }}! How can we help?"#;

/// How many articles [`Store::list_articles`] returns at most.
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

fn encode_json<T: serde::Serialize>(column: &str, value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|err| Error::Corrupt(format!("{column}: {err}")))
}
