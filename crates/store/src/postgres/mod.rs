//! The scale-out backend: PostgreSQL, shared by any number of Concierge instances.
//!
//! Nothing here relies on running alone: uniqueness is enforced by constraints, the
//! multi-statement methods run in transactions under READ COMMITTED, and migrations take
//! sqlx's advisory lock so instances starting together migrate once.

mod articles;
mod attempts;
mod bots;
mod contacts;
mod conversations;
mod inbox;
mod llm;
mod logins;
mod workspaces;

use async_trait::async_trait;
use sqlx::postgres::{PgPool, PgPoolOptions};

use crate::{
    ApiToken, ApiTokenOwner, Article, Attempt, AttemptCount, AttemptFilter, Bot, BotUpdate, Contact, ContactUpsert,
    Conversation, CustomAuthRecord, HandlerChange, InboxItem, LlmRecord, Message, NewApiToken, NewArticle, NewAttempt,
    NewLogin, NewMessage, NewUser, OpenSession, OpenedSession, Page, Result, Session, SigningSecrets, Store,
    UpsertedContact, User, Workspace,
};

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
        let pool = PgPoolOptions::new().max_connections(max_connections).connect(url).await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[async_trait]
impl Store for PostgresStore {
    #[tracing::instrument(skip_all)]
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn default_workspace(&self) -> Result<Workspace> {
        workspaces::default_workspace(&self.pool).await
    }

    #[tracing::instrument(skip_all)]
    async fn create_workspace(&self, name: &str) -> Result<Workspace> {
        workspaces::create_workspace(&self.pool, name).await
    }

    #[tracing::instrument(skip_all)]
    async fn find_workspace_by_name(&self, name: &str) -> Result<Option<Workspace>> {
        workspaces::find_workspace_by_name(&self.pool, name).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id = %user.workspace_id))]
    async fn create_user(&self, user: NewUser<'_>) -> Result<User> {
        workspaces::create_user(&self.pool, &user).await
    }

    #[tracing::instrument(skip_all)]
    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        workspaces::find_user_by_email(&self.pool, email).await
    }

    #[tracing::instrument(skip_all, fields(user_id = %token.user_id))]
    async fn create_api_token(&self, token: NewApiToken<'_>) -> Result<ApiToken> {
        workspaces::create_api_token(&self.pool, &token).await
    }

    #[tracing::instrument(skip_all)]
    async fn find_api_token(&self, token_hash: &str) -> Result<Option<ApiTokenOwner>> {
        workspaces::find_api_token(&self.pool, token_hash).await
    }

    #[tracing::instrument(skip_all)]
    async fn has_users(&self) -> Result<bool> {
        logins::has_users(&self.pool).await
    }

    #[tracing::instrument(skip_all)]
    async fn get_user(&self, user_id: &str) -> Result<Option<User>> {
        logins::get_user(&self.pool, user_id).await
    }

    #[tracing::instrument(skip_all)]
    async fn create_login(&self, login: NewLogin<'_>) -> Result<()> {
        logins::create_login(&self.pool, &login).await
    }

    #[tracing::instrument(skip_all)]
    async fn find_login(&self, token_hash: &str, now: i64) -> Result<Option<User>> {
        logins::find_login(&self.pool, token_hash, now).await
    }

    #[tracing::instrument(skip_all)]
    async fn delete_login(&self, token_hash: &str) -> Result<bool> {
        logins::delete_login(&self.pool, token_hash).await
    }

    #[tracing::instrument(skip_all)]
    async fn create_setup_token(&self, token_hash: &str, expires_at: i64, now: i64) -> Result<()> {
        logins::create_setup_token(&self.pool, token_hash, expires_at, now).await
    }

    #[tracing::instrument(skip_all)]
    async fn setup_token_valid(&self, token_hash: &str, now: i64) -> Result<bool> {
        logins::setup_token_valid(&self.pool, token_hash, now).await
    }

    #[tracing::instrument(skip_all)]
    async fn claim_setup(&self, token_hash: &str, user: NewUser<'_>) -> Result<Option<User>> {
        logins::claim_setup(&self.pool, token_hash, &user).await
    }

    #[tracing::instrument(skip_all)]
    async fn set_user_name(&self, user_id: &str, name: Option<&str>) -> Result<bool> {
        workspaces::set_user_name(&self.pool, user_id, name).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id = %workspace_id))]
    async fn create_bot(&self, workspace_id: &str, name: &str, now: i64) -> Result<Bot> {
        bots::create_bot(&self.pool, workspace_id, name, now).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn get_bot(&self, bot_id: &str) -> Result<Option<Bot>> {
        bots::get_bot(&self.pool, bot_id).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id = %workspace_id))]
    async fn list_bots(&self, workspace_id: &str) -> Result<Vec<Bot>> {
        bots::list_bots(&self.pool, workspace_id).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn update_bot(&self, bot_id: &str, update: &BotUpdate<'_>, now: i64) -> Result<Option<Bot>> {
        bots::update_bot(&self.pool, bot_id, update, now).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn get_custom_auth(&self, bot_id: &str) -> Result<Option<CustomAuthRecord>> {
        bots::get_custom_auth(&self.pool, bot_id).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %record.bot_id))]
    async fn put_custom_auth(&self, record: &CustomAuthRecord) -> Result<()> {
        bots::put_custom_auth(&self.pool, record).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %upsert.bot_id))]
    async fn upsert_contact(&self, upsert: ContactUpsert<'_>) -> Result<UpsertedContact> {
        contacts::upsert_contact(&self.pool, &upsert).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn find_contact(&self, bot_id: &str, identify_method: &str, identifier: &str) -> Result<Option<Contact>> {
        contacts::find_contact(&self.pool, bot_id, identify_method, identifier).await
    }

    #[tracing::instrument(skip_all, fields(contact_id = %contact_id))]
    async fn get_contact(&self, contact_id: &str) -> Result<Option<Contact>> {
        contacts::get_contact(&self.pool, contact_id).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn list_contacts(&self, bot_id: &str, page: Page<'_>) -> Result<Vec<Contact>> {
        contacts::list_contacts(&self.pool, bot_id, page).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %open.bot_id))]
    async fn open_session(&self, open: OpenSession<'_>) -> Result<OpenedSession> {
        conversations::open_session(&self.pool, &open).await
    }

    #[tracing::instrument(skip_all)]
    async fn find_session(&self, token_hash: &str, now: i64) -> Result<Option<Session>> {
        conversations::find_session(&self.pool, token_hash, now).await
    }

    #[tracing::instrument(skip_all, fields(conversation_id = %message.conversation_id))]
    async fn add_message(&self, message: NewMessage<'_>) -> Result<Message> {
        conversations::add_message(&self.pool, &message).await
    }

    #[tracing::instrument(skip_all, fields(conversation_id = %conversation_id))]
    async fn list_messages(&self, conversation_id: &str, after: i64, limit: u32) -> Result<Vec<Message>> {
        conversations::list_messages(&self.pool, conversation_id, after, limit).await
    }

    #[tracing::instrument(skip_all)]
    async fn contact_conversations(&self, contact_id: &str) -> Result<Vec<Conversation>> {
        conversations::contact_conversations(&self.pool, contact_id).await
    }

    #[tracing::instrument(skip_all)]
    async fn count_attempts(&self, bot_id: &str, since: i64, bucket_ms: i64) -> Result<Vec<AttemptCount>> {
        attempts::count_attempts(&self.pool, bot_id, since, bucket_ms).await
    }

    #[tracing::instrument(skip_all)]
    async fn list_inbox(&self, bot_id: &str, limit: u32) -> Result<Vec<InboxItem>> {
        inbox::list_inbox(&self.pool, bot_id, limit).await
    }

    #[tracing::instrument(skip_all)]
    async fn get_conversation(&self, conversation_id: &str) -> Result<Option<Conversation>> {
        inbox::get_conversation(&self.pool, conversation_id).await
    }

    #[tracing::instrument(skip_all, fields(conversation_id = %conversation_id, handled_by = %change.handled_by))]
    async fn set_conversation_handler(
        &self,
        conversation_id: &str,
        change: &HandlerChange<'_>,
    ) -> Result<Option<Conversation>> {
        inbox::set_conversation_handler(&self.pool, conversation_id, change).await
    }

    #[tracing::instrument(skip_all)]
    async fn latest_messages(&self, conversation_id: &str, limit: u32) -> Result<Vec<Message>> {
        conversations::latest_messages(&self.pool, conversation_id, limit).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn set_signing_secrets(&self, bot_id: &str, secrets: SigningSecrets<'_>) -> Result<bool> {
        bots::set_signing_secrets(&self.pool, bot_id, &secrets).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn get_llm(&self, bot_id: &str) -> Result<Option<LlmRecord>> {
        llm::get_llm(&self.pool, bot_id).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %record.bot_id))]
    async fn put_llm(&self, record: &LlmRecord, keep_key: bool) -> Result<()> {
        llm::put_llm(&self.pool, record, keep_key).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %article.bot_id))]
    async fn create_article(&self, article: NewArticle<'_>) -> Result<Article> {
        articles::create_article(&self.pool, &article).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn list_articles(&self, bot_id: &str) -> Result<Vec<Article>> {
        articles::list_articles(&self.pool, bot_id).await
    }

    #[tracing::instrument(skip_all, fields(article_id = %article_id))]
    async fn get_article(&self, article_id: &str) -> Result<Option<Article>> {
        articles::get_article(&self.pool, article_id).await
    }

    #[tracing::instrument(skip_all, fields(article_id = %article_id))]
    async fn update_article(&self, article_id: &str, title: &str, body: &str, now: i64) -> Result<Option<Article>> {
        articles::update_article(&self.pool, article_id, title, body, now).await
    }

    #[tracing::instrument(skip_all, fields(article_id = %article_id))]
    async fn delete_article(&self, article_id: &str) -> Result<bool> {
        articles::delete_article(&self.pool, article_id).await
    }

    #[tracing::instrument(skip_all)]
    async fn delete_session(&self, token_hash: &str) -> Result<bool> {
        conversations::delete_session(&self.pool, token_hash).await
    }

    #[tracing::instrument(skip_all)]
    async fn purge_sessions(&self, now: i64) -> Result<u64> {
        conversations::purge_sessions(&self.pool, now).await
    }

    #[tracing::instrument(skip_all)]
    async fn purge_abandoned_conversations(&self) -> Result<u64> {
        conversations::purge_abandoned_conversations(&self.pool).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %attempt.bot_id, outcome = %attempt.outcome))]
    async fn record_attempt(&self, attempt: NewAttempt<'_>) -> Result<()> {
        attempts::record_attempt(&self.pool, &attempt).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn list_attempts(&self, bot_id: &str, filter: AttemptFilter<'_>) -> Result<Vec<Attempt>> {
        attempts::list_attempts(&self.pool, bot_id, filter).await
    }

    #[tracing::instrument(skip_all)]
    async fn purge_attempts(&self, before: i64) -> Result<u64> {
        attempts::purge_attempts(&self.pool, before).await
    }
}
