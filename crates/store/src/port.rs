//! The storage port, one trait per area of what Concierge keeps; [`Store`] is all of them.
//!
//! Implementations must make every method atomic: a method either fully happens or not at
//! all. A `dyn Store` reaches every area's methods without importing the area traits; a
//! concrete store needs them in scope (`use concierge_store::prelude::*`).

use async_trait::async_trait;
use concierge_domain::{BotId, IdentifyMethod, WorkspaceId};

use crate::{
    Added, AnswerWithArticle, AnsweredWith, ApiToken, ApiTokenOwner, Article, ArticleChange, Attempt, AttemptCount,
    AttemptFilter, Bot, BotUpdate, Contact, ContactUpsert, Conversation, CustomAuthRecord, HandlerChange,
    IdentitySecrets, InboxItem, InboxPlace, LlmRecord, Message, NewApiToken, NewArticle, NewAttempt, NewLogin,
    NewMessage, NewStart, NewUnansweredQuestion, NewUser, OpenSession, OpenedSession, Page, Posted, Result, Session,
    SigningSecrets, StartedSession, StoredEmbedding, UnansweredQuestion, UpsertedContact, User, Workspace,
};

/// Everything Concierge keeps.
pub trait Store: Accounts + Bots + Contacts + Conversations + Attempts + Knowledge + Send + Sync {}

impl<T> Store for T where T: Accounts + Bots + Contacts + Conversations + Attempts + Knowledge + Send + Sync {}

/// Workspaces, their users and API tokens, and the dashboard's sign-in.
#[async_trait]
pub trait Accounts: Send + Sync {
    /// Cheap round trip, for `/readyz`.
    async fn ping(&self) -> Result<()>;
    /// The workspace created on first start; created here if missing (idempotent, also
    /// under concurrent callers).
    async fn default_workspace(&self) -> Result<Workspace>;
    /// Up to `limit` of the secrets stored sealed (bots' signing secrets), for an
    /// instance's key to be tried on at start.
    async fn sealed_samples(&self, limit: u32) -> Result<Vec<String>>;
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
}

/// Bots and their settings: Custom Authentication and the language model.
#[async_trait]
pub trait Bots: Send + Sync {
    /// A bot with the default settings and the greeting [`crate::DEFAULT_GREETING`].
    async fn create_bot(&self, workspace_id: &WorkspaceId, name: &str, now: i64) -> Result<Bot>;
    async fn get_bot(&self, bot_id: &str) -> Result<Option<Bot>>;
    async fn list_bots(&self, workspace_id: &str) -> Result<Vec<Bot>>;
    /// Changes the fields that are `Some`; `None` when the bot does not exist.
    async fn update_bot(&self, bot_id: &str, update: &BotUpdate<'_>, now: i64) -> Result<Option<Bot>>;
    async fn get_custom_auth(&self, bot_id: &str) -> Result<Option<CustomAuthRecord>>;
    /// [`Bot::revision`] and [`CustomAuthRecord::revision`] (-1 without settings) in one
    /// cheap read, to tell whether copies of both are current; `None` without such a bot.
    async fn settings_revisions(&self, bot_id: &str) -> Result<Option<(i64, i64)>>;
    /// Inserts the bot's settings with their signing secrets, or replaces the settings of
    /// an existing record while keeping its secrets: those change only through
    /// [`Bots::set_signing_secrets`] and [`Bots::set_identity_secrets`], so a settings save
    /// racing a rotation cannot undo it. The introspection client secret, which the
    /// customer gives with the settings, is replaced when the record carries one.
    async fn put_custom_auth(&self, record: &CustomAuthRecord) -> Result<()>;
    /// Replaces a bot's signing secrets (a rotation); `false` when it has no settings yet.
    async fn set_signing_secrets(&self, bot_id: &str, secrets: SigningSecrets<'_>) -> Result<bool>;
    /// Replaces a bot's identity secrets if its settings are still at `secrets.revision`;
    /// `false` when they are not (or it has none): read them again and retry.
    async fn set_identity_secrets(&self, bot_id: &str, secrets: IdentitySecrets<'_>) -> Result<bool>;
    /// Bumps the settings' revision alone, which retires the bot's cached authentication
    /// results on every instance; `false` when it has no settings yet.
    async fn bump_custom_auth_revision(&self, bot_id: &str) -> Result<bool>;
    async fn get_llm(&self, bot_id: &str) -> Result<Option<LlmRecord>>;
    /// Inserts or replaces the bot's language model settings. With `keep_key` the stored
    /// API key stays as it is (none for a new record) and `record.api_key_sealed` is
    /// ignored, so a settings save that does not touch the write-only key never forgets
    /// it; without, `record.api_key_sealed` is stored, `None` included.
    /// `Error::NotFound("bot")` when the bot does not exist.
    async fn put_llm(&self, record: &LlmRecord, keep_key: bool) -> Result<()>;
}

/// The knowledge base and its articles' embeddings. Every write of an article bumps the
/// bot's `knowledge_revision` in the same transaction.
#[async_trait]
pub trait Knowledge: Send + Sync {
    /// `Error::NotFound("bot")` when the bot does not exist.
    async fn create_article(&self, article: NewArticle<'_>) -> Result<Article>;
    /// Oldest first, all of them up to 2000.
    async fn list_articles(&self, bot_id: &str) -> Result<Vec<Article>>;
    async fn get_article(&self, article_id: &str) -> Result<Option<Article>>;
    /// `None` when the article does not exist.
    async fn update_article(&self, article_id: &str, change: ArticleChange<'_>) -> Result<Option<Article>>;
    /// Whether the article existed.
    async fn delete_article(&self, article_id: &str) -> Result<bool>;
    /// The stored embeddings of `bot_id`'s articles that `model` made (others are left out).
    async fn article_embeddings(&self, bot_id: &str, model: &str) -> Result<Vec<StoredEmbedding>>;
    /// Inserts or replaces the article's embedding (one per article: a new model's replaces the
    /// old one's). `Ok(false)` when the article no longer exists (deleted meanwhile), without
    /// an error. Does not bump the bot's knowledge_revision: the text did not change.
    async fn put_article_embedding(&self, model: &str, embedding: &StoredEmbedding) -> Result<bool>;
    /// Records that the bot handed a visitor's message to the team for want of an article,
    /// once per message: `Ok(true)` when it is recorded (by this call or an earlier one),
    /// `Ok(false)` when the message no longer exists (its conversation was deleted). A
    /// closest article deleted meanwhile is left out.
    async fn record_unanswered(&self, question: NewUnansweredQuestion<'_>) -> Result<bool>;
    /// The bot's unanswered questions, newest first: those recorded before the message
    /// `before` (all when `None`), at most `limit`.
    async fn list_unanswered(&self, bot_id: &str, before: Option<i64>, limit: u32) -> Result<Vec<UnansweredQuestion>>;
    /// How many questions the bot has to review.
    async fn count_unanswered(&self, bot_id: &str) -> Result<i64>;
    /// Whether the bot had that question to dismiss.
    async fn dismiss_unanswered(&self, bot_id: &str, message_seq: i64) -> Result<bool>;
    /// Dismisses the question and adds its words to the ways the article is asked, both or
    /// neither (see [`AnsweredWith`]).
    async fn answer_with_article(&self, answer: AnswerWithArticle<'_>) -> Result<AnsweredWith>;
}

/// The people Custom Authentication identified.
#[async_trait]
pub trait Contacts: Send + Sync {
    /// Finds the contact of `bot_id` with this identify method and normalised value, or
    /// creates it, exactly once even under concurrent callers on several instances (by a
    /// unique constraint, never check-then-insert), and replaces its profile and metadata
    /// with `profile`. `created` tells which happened.
    async fn upsert_contact(&self, upsert: ContactUpsert<'_>) -> Result<UpsertedContact>;
    async fn find_contact(
        &self,
        bot_id: &BotId,
        identify_method: IdentifyMethod,
        identifier: &str,
    ) -> Result<Option<Contact>>;
    async fn get_contact(&self, contact_id: &str) -> Result<Option<Contact>>;
    /// The contacts of `bot_id` among `contact_ids` (at most a page's worth), in no
    /// particular order; an id of another bot's contact or of none is left out.
    async fn get_contacts(&self, bot_id: &str, contact_ids: &[&str]) -> Result<Vec<Contact>>;
    /// Newest first; `before` is the id of the last contact of the previous page.
    async fn list_contacts(&self, bot_id: &str, page: Page<'_>) -> Result<Vec<Contact>>;
}

/// Widget sessions, the conversations they open with their messages, and the inbox.
#[async_trait]
pub trait Conversations: Send + Sync {
    /// In one transaction: revokes the visitor session `visitor_token_hash` (when given,
    /// valid at `now` and of the same bot) and, if `contact_id` is set, hands that
    /// visitor's conversation to the contact; picks the conversation of the new session
    /// (the contact's most recent one, else a new one); creates the session.
    async fn open_session(&self, open: OpenSession<'_>) -> Result<OpenedSession>;
    /// In one transaction, several session starts that present no visitor session, each
    /// as [`Conversations::open_session`] would with the contact first upserted as
    /// [`Contacts::upsert_contact`] does: the contact's most recent conversation, else a new
    /// one, shared by the starts of one contact; with the newest `history` (at most 200)
    /// messages of a conversation continued. All or none; the answers in order.
    async fn start_sessions(&self, starts: &[NewStart], history: u32) -> Result<Vec<StartedSession>>;
    /// The session with this token hash, if it exists and has not expired at `now`.
    async fn find_session(&self, token_hash: &str, now: i64) -> Result<Option<Session>>;
    /// Stores the message as the conversation's newest, which makes the conversation
    /// active at `message.now`; `Error::NotFound("conversation")` when it does not exist.
    async fn add_message(&self, message: NewMessage<'_>) -> Result<Posted>;
    /// [`Conversations::add_message`] once per `client_id` in the conversation: the same id
    /// again (a retry whose first answer was lost) gives the message stored then, and
    /// writes nothing.
    async fn add_message_once(&self, message: NewMessage<'_>, client_id: &str) -> Result<Added>;
    /// Oldest first, those with a sequence number greater than `after`.
    async fn list_messages(&self, conversation_id: &str, after: i64, limit: u32) -> Result<Vec<Message>>;
    /// A bot's conversations that have messages, each with its contact's name and latest
    /// message: first those waiting for an agent (high priority before normal), then the
    /// others, each group most recently active first.
    /// With `after`, the conversations that come after that place in this order (the next
    /// page).
    async fn list_inbox(&self, bot_id: &str, after: Option<&InboxPlace>, limit: u32) -> Result<Vec<InboxItem>>;
    /// One conversation as [`Conversations::list_inbox`] would list it; `None` when it does
    /// not exist or has no messages.
    async fn inbox_item(&self, conversation_id: &str) -> Result<Option<InboxItem>>;
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
    /// A contact's conversations, most recently active first (at most 100), each with its
    /// newest `per_conversation` (at most 200) messages, oldest first.
    async fn contact_history(
        &self,
        contact_id: &str,
        per_conversation: u32,
    ) -> Result<Vec<(Conversation, Vec<Message>)>>;
    /// Revokes a session (the widget's logout); the session it was, if one existed.
    async fn delete_session(&self, token_hash: &str) -> Result<Option<Session>>;
    /// What the page said about the conversation's visitor (its `data-*` fields, a JSON
    /// object), unverified, if anything.
    async fn page_fields(&self, conversation_id: &str) -> Result<Option<serde_json::Value>>;
    /// Replaces what the page said about the conversation's visitor; `false` without such a
    /// conversation.
    async fn set_page_fields(&self, conversation_id: &str, fields: &serde_json::Value) -> Result<bool>;
    /// The newest `limit` (at most 200) messages of a conversation, oldest first.
    async fn latest_messages(&self, conversation_id: &str, limit: u32) -> Result<Vec<Message>>;
    /// The newest `limit` (at most 200) messages before the one numbered `before`, oldest
    /// first: the page above those shown.
    async fn messages_before(&self, conversation_id: &str, before: i64, limit: u32) -> Result<Vec<Message>>;
    /// Deletes sessions that expired before `now`; returns how many.
    async fn purge_sessions(&self, now: i64) -> Result<u64>;
    /// Deletes anonymous conversations that nobody wrote in and no session can reach any
    /// more (each page load of a visitor who never chats leaves one); returns how many.
    async fn purge_abandoned_conversations(&self) -> Result<u64>;
    /// Up to `limit` conversations the bot handles whose newest message is a visitor's,
    /// written at `written_from` or later and before `written_before`, that have not
    /// changed hands since: a visitor waiting for a bot turn that never ended. Oldest first.
    async fn awaiting_the_bot(&self, written_from: i64, written_before: i64, limit: u32) -> Result<Vec<Conversation>>;
}

/// The log of Custom Authentication attempts.
#[async_trait]
pub trait Attempts: Send + Sync {
    /// Several attempts in one statement; all or none.
    async fn record_attempts(&self, attempts: &[NewAttempt<'_>]) -> Result<()>;
    /// Newest first; `outcome` filters on the outcome code (`ok` or an error code),
    /// `since` on the time; `before` is the id of the last attempt of the previous page.
    async fn list_attempts(&self, bot_id: &str, filter: AttemptFilter<'_>) -> Result<Vec<Attempt>>;
    /// Attempts since `since`, counted per outcome in buckets of `bucket_ms` (bucket =
    /// start time), oldest first: the authentication log's chart.
    async fn count_attempts(&self, bot_id: &str, since: i64, bucket_ms: i64) -> Result<Vec<AttemptCount>>;
    /// Deletes attempts older than `before`; returns how many.
    async fn purge_attempts(&self, before: i64) -> Result<u64>;
}
