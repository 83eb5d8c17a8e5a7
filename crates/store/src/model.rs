use concierge_domain::StyleRange;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Workspace {
    pub id: String,
    pub name: String,
    pub is_default: bool,
    pub created_at: i64,
}

pub struct NewUser<'a> {
    pub workspace_id: &'a str,
    pub email: &'a str,
    /// An argon2 PHC string.
    pub password_hash: &'a str,
    /// The display name agents answer under.
    pub name: Option<&'a str>,
    pub now: i64,
}

#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub id: String,
    pub workspace_id: String,
    pub email: String,
    pub password_hash: String,
    /// The display name agents answer under (shown to visitors next to their messages).
    pub name: Option<String>,
    pub created_at: i64,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("workspace_id", &self.workspace_id)
            .field("email", &self.email)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

pub struct NewApiToken<'a> {
    pub user_id: &'a str,
    pub name: &'a str,
    /// SHA-256 of the token; the token itself is never stored.
    pub token_hash: &'a str,
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiTokenOwner {
    pub token_id: String,
    pub user_id: String,
    pub workspace_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Bot {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    /// `#rrggbb`: the widget's accent colour.
    pub color: String,
    /// The widget's first bubble: a Jinja template, rendered with the signed-in contact as
    /// `contact` (see [`crate::DEFAULT_GREETING`]).
    pub greeting: String,
    /// What the widget shows when the chat requires signing in.
    pub signin_text: String,
    /// Bumped by every write of one of the bot's articles, in the same transaction: a
    /// search index built at an older revision is stale.
    pub knowledge_revision: i64,
    /// The bot's answer rules, a JSON array (`[]` for a new bot) that the bot interprets
    /// and the store keeps as given.
    #[sqlx(json)]
    pub rules: Value,
    /// Percent, 0 to 100: below this confidence the bot does not answer from the knowledge
    /// base (35 for a new bot).
    pub confidence_threshold: i64,
    /// What the bot says when it is not sure and asks a person to join.
    pub not_sure_text: String,
    /// What the bot says when it hands the conversation to a person.
    pub handoff_text: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Fields of a bot to change; `None` keeps the stored value.
#[derive(Debug, Clone, Copy, Default)]
pub struct BotUpdate<'a> {
    pub name: Option<&'a str>,
    pub color: Option<&'a str>,
    pub greeting: Option<&'a str>,
    pub signin_text: Option<&'a str>,
    pub rules: Option<&'a Value>,
    pub confidence_threshold: Option<i64>,
    pub not_sure_text: Option<&'a str>,
    pub handoff_text: Option<&'a str>,
}

/// An article of a bot's knowledge base.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Article {
    pub id: String,
    pub bot_id: String,
    pub title: String,
    pub body: String,
    pub created_at: i64,
    pub updated_at: i64,
}

pub struct NewArticle<'a> {
    pub bot_id: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub now: i64,
}

/// A bot's language model settings as stored. The API key is sealed by the caller before
/// it gets here, and never shown again: `Debug` only tells whether there is one.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LlmRecord {
    pub bot_id: String,
    pub enabled: bool,
    pub base_url: String,
    pub model: String,
    pub api_key_sealed: Option<String>,
    pub timeout_ms: i64,
    /// What the bot tells the model about how to answer.
    pub instructions: String,
    pub updated_at: i64,
}

impl std::fmt::Debug for LlmRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmRecord")
            .field("bot_id", &self.bot_id)
            .field("enabled", &self.enabled)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("has_api_key", &self.api_key_sealed.is_some())
            .field("timeout_ms", &self.timeout_ms)
            .field("instructions", &self.instructions)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// A bot's Custom Authentication settings as stored. Secret values (signing secrets,
/// static header values) are sealed by the caller before they get here.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CustomAuthRecord {
    pub bot_id: String,
    pub enabled: bool,
    pub url: Option<String>,
    /// Wire names (`user_id`, `email`, …).
    #[sqlx(json)]
    pub additional_fields: Vec<String>,
    pub identify_method: String,
    pub timeout_ms: i64,
    pub on_failure: String,
    /// Header name and sealed value, in order.
    #[sqlx(json)]
    pub headers: Vec<(String, String)>,
    #[sqlx(json)]
    pub allowed_origins: Vec<String>,
    pub signing_secret_sealed: String,
    /// The secret before the last rotation, which keeps signing until `previous_secret_expires_at`.
    pub previous_secret_sealed: Option<String>,
    pub previous_secret_expires_at: Option<i64>,
    pub updated_at: i64,
}

pub struct ContactUpsert<'a> {
    pub bot_id: &'a str,
    pub identify_method: &'a str,
    /// The normalised identifier.
    pub identifier: &'a str,
    pub external_id: Option<&'a str>,
    pub email: Option<&'a str>,
    pub name: Option<&'a str>,
    pub phone_number: Option<&'a str>,
    pub metadata: &'a Map<String, Value>,
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Contact {
    pub id: String,
    pub bot_id: String,
    pub identify_method: String,
    pub identifier: String,
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone_number: Option<String>,
    #[sqlx(json)]
    pub metadata: Map<String, Value>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_authenticated_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UpsertedContact {
    pub contact: Contact,
    pub created: bool,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Page<'a> {
    pub before: Option<&'a str>,
    pub limit: u32,
    /// Case-insensitive substring of the name, email, phone number, identifier or external id.
    pub search: Option<&'a str>,
}

pub struct OpenSession<'a> {
    pub bot_id: &'a str,
    pub contact_id: Option<&'a str>,
    /// SHA-256 of the new session token.
    pub token_hash: &'a str,
    /// The hash of the browser's previous visitor session token, if it sent one.
    pub visitor_token_hash: Option<&'a str>,
    /// The session was asked for with an access token that was refused. It stays
    /// anonymous and continues the visitor's conversation without revoking the visitor
    /// session, and it never proves that conversation later: a refused token may belong to
    /// somebody else than the next person to sign in.
    pub refused: bool,
    pub expires_at: i64,
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Session {
    pub id: String,
    pub bot_id: String,
    pub contact_id: Option<String>,
    pub conversation_id: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Conversation {
    pub id: String,
    pub bot_id: String,
    pub contact_id: Option<String>,
    /// `bot` (the bot answers), `waiting` (handed off, waiting for an agent; the bot stays
    /// silent) or `agent` (a person took over; the bot stays silent).
    pub handled_by: String,
    /// `normal` or `high`; the inbox lists waiting conversations of high priority first.
    pub priority: String,
    /// The person answering, shown in the widget.
    pub agent_name: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Who handles a conversation after a visitor's conversation joined it.
pub(crate) struct MergedHandler {
    pub handled_by: String,
    pub priority: String,
    pub agent_name: Option<String>,
    /// Any of the three differs from what the conversation had.
    pub changed: bool,
}

impl Conversation {
    /// Who handles this conversation once `visitor`'s messages joined it: the more engaged
    /// of the two (a person answering, then waiting for one, then the bot) with its agent,
    /// at the higher of the two priorities.
    pub(crate) fn merged_handler(&self, visitor: &Conversation) -> MergedHandler {
        let rank = |handled_by: &str| match handled_by {
            "agent" => 2,
            "waiting" => 1,
            _ => 0,
        };
        let lead = if rank(&visitor.handled_by) > rank(&self.handled_by) { visitor } else { self };
        let priority = if self.priority == "high" || visitor.priority == "high" { "high" } else { "normal" };
        let changed =
            lead.handled_by != self.handled_by || lead.agent_name != self.agent_name || priority != self.priority;
        MergedHandler {
            handled_by: lead.handled_by.clone(),
            priority: priority.to_owned(),
            agent_name: lead.agent_name.clone(),
            changed,
        }
    }
}

/// Who handles a conversation from now on; see [`Conversation`] for the values.
#[derive(Debug, Clone, Copy)]
pub struct HandlerChange<'a> {
    pub handled_by: &'a str,
    pub priority: &'a str,
    pub agent_name: Option<&'a str>,
    /// Only change a conversation whose handled_by is this (compare-and-set), e.g. the bot
    /// hands off only while it still handles the conversation.
    pub expected: Option<&'a str>,
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedSession {
    pub session: Session,
    pub conversation: Conversation,
    /// What became of the browser's anonymous conversation.
    pub visitor: VisitorOutcome,
}

/// What a session start did with the anonymous conversation that the browser proved with
/// its visitor session token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VisitorOutcome {
    /// No live visitor session of this bot was presented.
    None,
    /// The visitor goes on chatting in it (a reload, or a refused sign-in).
    Continued,
    /// The visitor signed in without having written anything: the conversation is
    /// deleted and the contact's own is used, so an empty chat never hides their history.
    Discarded,
    /// The contact had no conversation yet: this one became theirs.
    HandedOver,
    /// Its messages joined the contact's most recent conversation and it is gone, so the
    /// person sees one continuous conversation on every device.
    Merged {
        from: String,
        /// The moved messages, oldest first.
        messages: Vec<Message>,
        /// Who handles the contact's conversation, or its priority, changed: it took over
        /// the visitor's handler (waiting for a person, or a person answering) or priority.
        handler_changed: bool,
    },
}

pub struct NewMessage<'a> {
    pub conversation_id: &'a str,
    /// `visitor`, `bot` or `agent`.
    pub author: &'a str,
    /// The bot's name for bot messages, the agent's display name for agent messages, `None`
    /// for the visitor.
    pub author_name: Option<&'a str>,
    pub text: &'a str,
    /// The emphasis of a bot message's text; `None` for other messages and plain text.
    pub styles: Option<&'a [StyleRange]>,
    pub now: i64,
}

/// `seq` is the message's id on the wire: increasing in insertion order, across all
/// conversations, so `after=seq` pagination never skips or repeats.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Message {
    pub seq: i64,
    pub conversation_id: String,
    pub author: String,
    /// See [`NewMessage::author_name`].
    pub author_name: Option<String>,
    pub text: String,
    /// See [`NewMessage::styles`].
    #[sqlx(json(nullable))]
    pub styles: Option<Vec<StyleRange>>,
    pub created_at: i64,
}

pub struct NewAttempt<'a> {
    pub bot_id: &'a str,
    /// `ok` or an error code.
    pub outcome: &'a str,
    /// Human-readable reason on failure.
    pub reason: Option<&'a str>,
    pub latency_ms: i64,
    /// The normalised identifier, when the answer carried one.
    pub identifier: Option<&'a str>,
    pub upstream_status: Option<i64>,
    pub client_ip: Option<&'a str>,
    pub is_test: bool,
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Attempt {
    pub id: String,
    pub bot_id: String,
    pub outcome: String,
    pub reason: Option<String>,
    pub latency_ms: i64,
    pub identifier: Option<String>,
    pub upstream_status: Option<i64>,
    pub client_ip: Option<String>,
    pub is_test: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct AttemptFilter<'a> {
    pub outcome: Option<&'a str>,
    pub since: Option<i64>,
    pub before: Option<&'a str>,
    pub limit: u32,
}

/// A dashboard sign-in: the cookie's token, stored as its SHA-256.
pub struct NewLogin<'a> {
    pub user_id: &'a str,
    pub token_hash: &'a str,
    pub expires_at: i64,
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AttemptCount {
    /// Start of the bucket, Unix milliseconds.
    pub bucket: i64,
    pub outcome: String,
    pub count: i64,
}

/// A conversation as the inbox lists it: who it is with and its latest message.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InboxItem {
    pub id: String,
    pub bot_id: String,
    pub contact_id: Option<String>,
    pub handled_by: String,
    pub priority: String,
    pub agent_name: Option<String>,
    pub updated_at: i64,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub last_author: String,
    pub last_text: String,
    pub last_seq: i64,
}

/// A bot's signing secrets after a rotation, sealed by the caller.
pub struct SigningSecrets<'a> {
    pub current_sealed: &'a str,
    /// The secret that keeps signing until `previous_expires_at`.
    pub previous_sealed: Option<&'a str>,
    pub previous_expires_at: Option<i64>,
    pub now: i64,
}
