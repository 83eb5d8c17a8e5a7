//! The embedded backend: one SQLite file in WAL mode.
//!
//! Every write goes through a pool of exactly one connection, so writes queue up in the
//! process instead of fighting over SQLite's file lock, and concurrent callers of
//! `upsert_contact` or `default_workspace` are serialised for free. Reads go through a
//! separate pool of read-only connections and run alongside the writer (WAL). Each method
//! below says which pool it uses by the pool it passes on.

mod articles;
mod attempts;
mod bots;
mod contacts;
mod conversations;
mod inbox;
mod llm;
mod logins;
mod workspaces;

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::{
    ApiToken, ApiTokenOwner, Article, Attempt, AttemptCount, AttemptFilter, Bot, BotUpdate, Contact, ContactUpsert,
    Conversation, CustomAuthRecord, HandlerChange, InboxItem, LlmRecord, Message, NewApiToken, NewArticle, NewAttempt,
    NewLogin, NewMessage, NewUser, OpenSession, OpenedSession, Page, Result, Session, SigningSecrets, Store,
    UpsertedContact, User, Workspace,
};

const READERS: u32 = 4;

/// Write transactions start with `BEGIN IMMEDIATE`: they take the file's write lock up
/// front, so another process writing the same file makes them wait (busy_timeout) instead
/// of failing when a read would turn into a write.
const BEGIN: &str = "BEGIN IMMEDIATE";

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
            .synchronous(SqliteSynchronous::Normal);

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

#[async_trait]
impl Store for SqliteStore {
    #[tracing::instrument(skip_all)]
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn default_workspace(&self) -> Result<Workspace> {
        workspaces::default_workspace(&self.writer).await
    }

    #[tracing::instrument(skip_all)]
    async fn create_workspace(&self, name: &str) -> Result<Workspace> {
        workspaces::create_workspace(&self.writer, name).await
    }

    #[tracing::instrument(skip_all)]
    async fn find_workspace_by_name(&self, name: &str) -> Result<Option<Workspace>> {
        workspaces::find_workspace_by_name(&self.reader, name).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id = %user.workspace_id))]
    async fn create_user(&self, user: NewUser<'_>) -> Result<User> {
        workspaces::create_user(&self.writer, &user).await
    }

    #[tracing::instrument(skip_all)]
    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        workspaces::find_user_by_email(&self.reader, email).await
    }

    #[tracing::instrument(skip_all, fields(user_id = %token.user_id))]
    async fn create_api_token(&self, token: NewApiToken<'_>) -> Result<ApiToken> {
        workspaces::create_api_token(&self.writer, &token).await
    }

    #[tracing::instrument(skip_all)]
    async fn find_api_token(&self, token_hash: &str) -> Result<Option<ApiTokenOwner>> {
        workspaces::find_api_token(&self.reader, token_hash).await
    }

    #[tracing::instrument(skip_all)]
    async fn has_users(&self) -> Result<bool> {
        logins::has_users(&self.reader).await
    }

    #[tracing::instrument(skip_all)]
    async fn get_user(&self, user_id: &str) -> Result<Option<User>> {
        logins::get_user(&self.reader, user_id).await
    }

    #[tracing::instrument(skip_all)]
    async fn create_login(&self, login: NewLogin<'_>) -> Result<()> {
        logins::create_login(&self.writer, &login).await
    }

    #[tracing::instrument(skip_all)]
    async fn find_login(&self, token_hash: &str, now: i64) -> Result<Option<User>> {
        logins::find_login(&self.reader, token_hash, now).await
    }

    #[tracing::instrument(skip_all)]
    async fn delete_login(&self, token_hash: &str) -> Result<bool> {
        logins::delete_login(&self.writer, token_hash).await
    }

    #[tracing::instrument(skip_all)]
    async fn create_setup_token(&self, token_hash: &str, expires_at: i64, now: i64) -> Result<()> {
        logins::create_setup_token(&self.writer, token_hash, expires_at, now).await
    }

    #[tracing::instrument(skip_all)]
    async fn setup_token_valid(&self, token_hash: &str, now: i64) -> Result<bool> {
        logins::setup_token_valid(&self.reader, token_hash, now).await
    }

    #[tracing::instrument(skip_all)]
    async fn claim_setup(&self, token_hash: &str, user: NewUser<'_>) -> Result<Option<User>> {
        logins::claim_setup(&self.writer, token_hash, &user).await
    }

    #[tracing::instrument(skip_all)]
    async fn set_user_name(&self, user_id: &str, name: Option<&str>) -> Result<bool> {
        workspaces::set_user_name(&self.writer, user_id, name).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id = %workspace_id))]
    async fn create_bot(&self, workspace_id: &str, name: &str, now: i64) -> Result<Bot> {
        bots::create_bot(&self.writer, workspace_id, name, now).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn get_bot(&self, bot_id: &str) -> Result<Option<Bot>> {
        bots::get_bot(&self.reader, bot_id).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id = %workspace_id))]
    async fn list_bots(&self, workspace_id: &str) -> Result<Vec<Bot>> {
        bots::list_bots(&self.reader, workspace_id).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn update_bot(&self, bot_id: &str, update: &BotUpdate<'_>, now: i64) -> Result<Option<Bot>> {
        bots::update_bot(&self.writer, bot_id, update, now).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn get_custom_auth(&self, bot_id: &str) -> Result<Option<CustomAuthRecord>> {
        bots::get_custom_auth(&self.reader, bot_id).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %record.bot_id))]
    async fn put_custom_auth(&self, record: &CustomAuthRecord) -> Result<()> {
        bots::put_custom_auth(&self.writer, record).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %upsert.bot_id))]
    async fn upsert_contact(&self, upsert: ContactUpsert<'_>) -> Result<UpsertedContact> {
        contacts::upsert_contact(&self.writer, &upsert).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn find_contact(&self, bot_id: &str, identify_method: &str, identifier: &str) -> Result<Option<Contact>> {
        contacts::find_contact(&self.reader, bot_id, identify_method, identifier).await
    }

    #[tracing::instrument(skip_all, fields(contact_id = %contact_id))]
    async fn get_contact(&self, contact_id: &str) -> Result<Option<Contact>> {
        contacts::get_contact(&self.reader, contact_id).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn list_contacts(&self, bot_id: &str, page: Page<'_>) -> Result<Vec<Contact>> {
        contacts::list_contacts(&self.reader, bot_id, page).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %open.bot_id))]
    async fn open_session(&self, open: OpenSession<'_>) -> Result<OpenedSession> {
        conversations::open_session(&self.writer, &open).await
    }

    #[tracing::instrument(skip_all)]
    async fn find_session(&self, token_hash: &str, now: i64) -> Result<Option<Session>> {
        conversations::find_session(&self.reader, token_hash, now).await
    }

    #[tracing::instrument(skip_all, fields(conversation_id = %message.conversation_id))]
    async fn add_message(&self, message: NewMessage<'_>) -> Result<Message> {
        conversations::add_message(&self.writer, &message).await
    }

    #[tracing::instrument(skip_all, fields(conversation_id = %conversation_id))]
    async fn list_messages(&self, conversation_id: &str, after: i64, limit: u32) -> Result<Vec<Message>> {
        conversations::list_messages(&self.reader, conversation_id, after, limit).await
    }

    #[tracing::instrument(skip_all)]
    async fn contact_conversations(&self, contact_id: &str) -> Result<Vec<Conversation>> {
        conversations::contact_conversations(&self.reader, contact_id).await
    }

    #[tracing::instrument(skip_all)]
    async fn count_attempts(&self, bot_id: &str, since: i64, bucket_ms: i64) -> Result<Vec<AttemptCount>> {
        attempts::count_attempts(&self.reader, bot_id, since, bucket_ms).await
    }

    #[tracing::instrument(skip_all)]
    async fn list_inbox(&self, bot_id: &str, limit: u32) -> Result<Vec<InboxItem>> {
        inbox::list_inbox(&self.reader, bot_id, limit).await
    }

    #[tracing::instrument(skip_all)]
    async fn get_conversation(&self, conversation_id: &str) -> Result<Option<Conversation>> {
        inbox::get_conversation(&self.reader, conversation_id).await
    }

    #[tracing::instrument(skip_all, fields(conversation_id = %conversation_id, handled_by = %change.handled_by))]
    async fn set_conversation_handler(
        &self,
        conversation_id: &str,
        change: &HandlerChange<'_>,
    ) -> Result<Option<Conversation>> {
        inbox::set_conversation_handler(&self.writer, conversation_id, change).await
    }

    #[tracing::instrument(skip_all)]
    async fn latest_messages(&self, conversation_id: &str, limit: u32) -> Result<Vec<Message>> {
        conversations::latest_messages(&self.reader, conversation_id, limit).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn set_signing_secrets(&self, bot_id: &str, secrets: SigningSecrets<'_>) -> Result<bool> {
        bots::set_signing_secrets(&self.writer, bot_id, &secrets).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn get_llm(&self, bot_id: &str) -> Result<Option<LlmRecord>> {
        llm::get_llm(&self.reader, bot_id).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %record.bot_id))]
    async fn put_llm(&self, record: &LlmRecord, keep_key: bool) -> Result<()> {
        llm::put_llm(&self.writer, record, keep_key).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %article.bot_id))]
    async fn create_article(&self, article: NewArticle<'_>) -> Result<Article> {
        articles::create_article(&self.writer, &article).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn list_articles(&self, bot_id: &str) -> Result<Vec<Article>> {
        articles::list_articles(&self.reader, bot_id).await
    }

    #[tracing::instrument(skip_all, fields(article_id = %article_id))]
    async fn get_article(&self, article_id: &str) -> Result<Option<Article>> {
        articles::get_article(&self.reader, article_id).await
    }

    #[tracing::instrument(skip_all, fields(article_id = %article_id))]
    async fn update_article(&self, article_id: &str, title: &str, body: &str, now: i64) -> Result<Option<Article>> {
        articles::update_article(&self.writer, article_id, title, body, now).await
    }

    #[tracing::instrument(skip_all, fields(article_id = %article_id))]
    async fn delete_article(&self, article_id: &str) -> Result<bool> {
        articles::delete_article(&self.writer, article_id).await
    }

    #[tracing::instrument(skip_all)]
    async fn delete_session(&self, token_hash: &str) -> Result<bool> {
        conversations::delete_session(&self.writer, token_hash).await
    }

    #[tracing::instrument(skip_all)]
    async fn purge_sessions(&self, now: i64) -> Result<u64> {
        conversations::purge_sessions(&self.writer, now).await
    }

    #[tracing::instrument(skip_all)]
    async fn purge_abandoned_conversations(&self) -> Result<u64> {
        conversations::purge_abandoned_conversations(&self.writer).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %attempt.bot_id, outcome = %attempt.outcome))]
    async fn record_attempt(&self, attempt: NewAttempt<'_>) -> Result<()> {
        attempts::record_attempt(&self.writer, &attempt).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn list_attempts(&self, bot_id: &str, filter: AttemptFilter<'_>) -> Result<Vec<Attempt>> {
        attempts::list_attempts(&self.reader, bot_id, filter).await
    }

    #[tracing::instrument(skip_all)]
    async fn purge_attempts(&self, before: i64) -> Result<u64> {
        attempts::purge_attempts(&self.writer, before).await
    }
}
