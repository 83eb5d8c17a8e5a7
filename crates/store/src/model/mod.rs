mod conversations;
mod knowledge;
mod unanswered;

use concierge_domain::{AttemptOutcome, IdentifyMethod, IdentityKind, IdentitySettings};
use serde_json::{Map, Value};

pub use conversations::*;
pub use knowledge::*;
pub use unanswered::*;

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
    /// Bumped by every update of the bot ([`crate::Bots::update_bot`]), in the same
    /// statement: a copy held in memory at an older revision is stale.
    pub revision: i64,
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
    /// Secrets retired before the previous one and still in their grace period, newest
    /// first; written only by [`crate::Bots::set_signing_secrets`].
    #[sqlx(json)]
    pub earlier_secrets: Vec<RetiredSecret>,
    pub updated_at: i64,
    /// Seconds a verified answer is reused for the same token and fields; 0: never.
    pub cache_ttl_secs: i64,
    /// Bumped by every write of the record, by the store (the value given to
    /// [`crate::Bots::put_custom_auth`] is ignored): cached results of an older revision
    /// are stale.
    pub revision: i64,
    /// The identity mode and every mode's settings (no secrets).
    #[sqlx(json)]
    pub identity: IdentitySettings,
    /// The keys of signed user tokens (HS256/384/512), sealed; written only by
    /// [`crate::Bots::set_identity_secrets`].
    #[sqlx(json)]
    pub jwt_keys: Vec<SealedKey>,
    /// The key of identity hashes, sealed; written only by
    /// [`crate::Bots::set_identity_secrets`].
    pub identity_hash_secret_sealed: Option<String>,
    /// The identity hash key before the last rotation, which keeps verifying until
    /// `identity_hash_previous_expires_at`.
    pub identity_hash_previous_sealed: Option<String>,
    pub identity_hash_previous_expires_at: Option<i64>,
    /// Identity hash keys retired before the previous one and still in their grace period,
    /// newest first; written only by [`crate::Bots::set_identity_secrets`].
    #[sqlx(json)]
    pub identity_hash_earlier: Vec<RetiredSecret>,
    /// The client secret of the introspection endpoint, sealed. Written by
    /// [`crate::Bots::put_custom_auth`] only when `Some`: a save without it keeps it.
    pub introspection_secret_sealed: Option<String>,
}

/// A secret retired by a rotation, sealed by the caller, that keeps working until `until`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RetiredSecret {
    pub sealed: String,
    pub until: i64,
}

/// A generated key of a bot, sealed by the caller, named by `kid`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SealedKey {
    pub kid: String,
    pub secret_sealed: String,
    pub created_at: i64,
}

/// A bot's identity secrets after a rotation, sealed by the caller. Written only if the
/// settings are still at `revision` (`false` otherwise: read them again and retry), so two
/// rotations at once cannot lose a key.
pub struct IdentitySecrets<'a> {
    pub jwt_keys: &'a [SealedKey],
    pub identity_hash_secret_sealed: Option<&'a str>,
    pub identity_hash_previous_sealed: Option<&'a str>,
    pub identity_hash_previous_expires_at: Option<i64>,
    /// Keys retired before the previous one, still verifying.
    pub identity_hash_earlier: &'a [RetiredSecret],
    pub revision: i64,
    pub now: i64,
}

pub struct ContactUpsert<'a> {
    pub bot_id: &'a str,
    pub identify_method: IdentifyMethod,
    /// The normalised identifier.
    pub identifier: &'a str,
    pub external_id: Option<&'a str>,
    pub email: Option<&'a str>,
    pub name: Option<&'a str>,
    pub phone_number: Option<&'a str>,
    pub metadata: &'a Map<String, Value>,
    pub now: i64,
}

/// A verified person as [`ContactUpsert`] has it, owned: to be queued.
#[derive(Debug, Clone)]
pub struct ContactProfile {
    pub identify_method: IdentifyMethod,
    /// The normalised identifier.
    pub identifier: String,
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone_number: Option<String>,
    pub metadata: Map<String, Value>,
}

impl ContactProfile {
    pub fn upsert<'a>(&'a self, bot_id: &'a str, now: i64) -> ContactUpsert<'a> {
        ContactUpsert {
            bot_id,
            identify_method: self.identify_method,
            identifier: &self.identifier,
            external_id: self.external_id.as_deref(),
            email: self.email.as_deref(),
            name: self.name.as_deref(),
            phone_number: self.phone_number.as_deref(),
            metadata: &self.metadata,
            now,
        }
    }
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

pub struct NewAttempt<'a> {
    pub bot_id: &'a str,
    pub outcome: AttemptOutcome,
    /// Human-readable reason on failure.
    pub reason: Option<&'a str>,
    pub latency_ms: i64,
    /// The normalised identifier, when the answer carried one.
    pub identifier: Option<&'a str>,
    pub upstream_status: Option<i64>,
    pub client_ip: Option<&'a str>,
    pub is_test: bool,
    /// Answered from the auth result cache, without a call.
    pub cached: bool,
    /// The identity mode that made the attempt.
    pub mode: IdentityKind,
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Attempt {
    pub id: String,
    pub bot_id: String,
    pub outcome: AttemptOutcome,
    pub reason: Option<String>,
    pub latency_ms: i64,
    pub identifier: Option<String>,
    pub upstream_status: Option<i64>,
    pub client_ip: Option<String>,
    pub is_test: bool,
    pub cached: bool,
    pub mode: IdentityKind,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct AttemptFilter<'a> {
    pub outcome: Option<AttemptOutcome>,
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
    pub outcome: AttemptOutcome,
    pub count: i64,
}

/// A bot's signing secrets after a rotation, sealed by the caller.
pub struct SigningSecrets<'a> {
    pub current_sealed: &'a str,
    /// The secret that keeps signing until `previous_expires_at`.
    pub previous_sealed: Option<&'a str>,
    pub previous_expires_at: Option<i64>,
    /// Secrets retired before the previous one, still signing.
    pub earlier: &'a [RetiredSecret],
    /// Written only if the settings are still at this revision (`false` otherwise: read
    /// them again and retry), so two rotations at once cannot lose a secret.
    pub revision: i64,
    pub now: i64,
}
