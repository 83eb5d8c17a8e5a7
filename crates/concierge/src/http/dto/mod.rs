//! The JSON shapes of the API, documented for OpenAPI: the admin API here, the widget's
//! in `widget`.

mod schema;
mod widget;

use schema::{additional_fields, attempt_outcome, identify_method, non_blank_text, on_failure, outcome};
pub use schema::{optional_trimmed_text, trimmed_text};
pub use widget::*;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use concierge_domain::appearance::MAX_BOT_TEXT;
use concierge_domain::AttemptOutcome;

use concierge_core::{rfc3339, BotAuth, MAX_BOT_NAME};

/// What a masked header value looks like; sending it back keeps the stored value.
pub const MASK: &str = "********";

#[derive(Serialize, ToSchema)]
pub struct BotDto {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    /// The widget's accent colour, `#rrggbb`.
    pub color: String,
    /// The text the widget writes on `color`: white, `#111827` or black, whichever reads
    /// at 4.5:1 or better (WCAG 2.1 AA). Dark text on a brand colour is chosen, not a bug.
    pub text_color: String,
    /// The widget's first bubble: a template (docs/bot.md), e.g.
    /// `Hi {{ contact.name | default("there") }}! How can we help?`.
    pub greeting: String,
    /// Shown instead of the chat when it requires signing in.
    pub signin_text: String,
    /// How sure the bot must be of its best article to answer with it, in percent; below,
    /// it says `not_sure_text` and hands the conversation to the team.
    pub confidence_threshold: i64,
    /// Template said when no article is a confident enough match.
    pub not_sure_text: String,
    /// Template said when the conversation is handed to the team.
    pub handoff_text: String,
    /// Rules on the contact's verified data and the message, first match wins (docs/bot.md).
    #[schema(value_type = Vec<concierge_bot::Rule>)]
    pub rules: Value,
    pub created_at: String,
    pub updated_at: String,
}

impl From<concierge_store::Bot> for BotDto {
    fn from(b: concierge_store::Bot) -> Self {
        Self {
            id: b.id,
            workspace_id: b.workspace_id,
            name: b.name,
            text_color: concierge_domain::text_on(&b.color).ink.to_owned(),
            color: b.color,
            greeting: b.greeting,
            signin_text: b.signin_text,
            confidence_threshold: b.confidence_threshold,
            not_sure_text: b.not_sure_text,
            handoff_text: b.handoff_text,
            rules: b.rules,
            created_at: rfc3339(b.created_at),
            updated_at: rfc3339(b.updated_at),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBotBody {
    #[schema(schema_with = trimmed_text::<{ MAX_BOT_NAME }>)]
    pub name: String,
    /// Only the admin token may name a workspace other than its own; default: the
    /// caller's workspace (the default workspace for the admin token).
    pub workspace_id: Option<String>,
}

/// The fields to change. `greeting`, `not_sure_text` and `handoff_text` are templates
/// (docs/bot.md).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchBotBody {
    #[schema(schema_with = optional_trimmed_text::<{ MAX_BOT_NAME }>)]
    pub name: Option<String>,
    /// `#rrggbb` or `#rgb`.
    #[schema(pattern = "^#([0-9a-fA-F]{3}){1,2}$")]
    pub color: Option<String>,
    #[schema(schema_with = optional_trimmed_text::<{ MAX_BOT_TEXT }>)]
    pub greeting: Option<String>,
    #[schema(schema_with = optional_trimmed_text::<{ MAX_BOT_TEXT }>)]
    pub signin_text: Option<String>,
    #[schema(minimum = 0, maximum = 100)]
    pub confidence_threshold: Option<i64>,
    #[schema(schema_with = optional_trimmed_text::<{ MAX_BOT_TEXT }>)]
    pub not_sure_text: Option<String>,
    #[schema(schema_with = optional_trimmed_text::<{ MAX_BOT_TEXT }>)]
    pub handoff_text: Option<String>,
    /// Replaces all of the bot's rules.
    pub rules: Option<Vec<concierge_bot::Rule>>,
}

#[derive(Serialize, ToSchema)]
pub struct BotListDto {
    pub items: Vec<BotDto>,
}

/// A bot's Custom Authentication settings as read. Header values are write-only.
#[derive(Serialize, ToSchema)]
pub struct CustomAuthDto {
    pub enabled: bool,
    pub url: Option<String>,
    /// Which widget fields are forwarded: `user_id`, `email`, `name`, `phone_number`.
    pub additional_fields: Vec<String>,
    /// `id` (default), `email` or `phone_number`.
    pub identify_method: String,
    pub timeout_ms: u32,
    /// `anonymous` (default) or `block`.
    pub on_failure: String,
    /// Static headers; every value reads as `********`.
    pub headers: BTreeMap<String, String>,
    /// Page origins allowed to use the widget; empty = any.
    pub allowed_origins: Vec<String>,
    /// The Standard Webhooks secret that signs every call (`whsec_…`).
    pub signing_secret: String,
    /// While set, the secret before the last rotation also signs, until this time.
    pub previous_secret_expires_at: Option<String>,
}

impl From<&BotAuth> for CustomAuthDto {
    fn from(a: &BotAuth) -> Self {
        let s = &a.settings;
        Self {
            enabled: s.enabled,
            url: s.url.as_ref().map(|u| u.to_string()),
            additional_fields: s.additional_fields.iter().map(|f| f.as_str().to_owned()).collect(),
            identify_method: s.identify_method.as_str().to_owned(),
            timeout_ms: s.timeout_ms,
            on_failure: s.on_failure.as_str().to_owned(),
            headers: s.headers.iter().map(|h| (h.name.clone(), MASK.to_owned())).collect(),
            allowed_origins: s.allowed_origins.clone(),
            signing_secret: a.secret.expose().to_owned(),
            previous_secret_expires_at: a
                .previous
                .as_ref()
                .filter(|(_, until)| *until > concierge_core::now_ms())
                .map(|(_, until)| rfc3339(*until)),
        }
    }
}

/// New settings (PUT: a missing field takes its default). A header whose value is null or
/// `********` keeps its stored value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomAuthBody {
    pub enabled: Option<bool>,
    pub url: Option<String>,
    #[schema(schema_with = additional_fields)]
    pub additional_fields: Option<Vec<String>>,
    #[schema(schema_with = identify_method)]
    pub identify_method: Option<String>,
    #[schema(minimum = 100, maximum = 30_000)]
    pub timeout_ms: Option<i64>,
    #[schema(schema_with = on_failure)]
    pub on_failure: Option<String>,
    pub headers: Option<BTreeMap<String, Option<String>>>,
    pub allowed_origins: Option<Vec<String>>,
    /// Read-only; accepted so that a GET answer can be sent back as it is.
    #[serde(default)]
    #[schema(read_only)]
    pub signing_secret: Option<String>,
    /// Read-only; accepted so that a GET answer can be sent back as it is.
    #[serde(default)]
    #[schema(read_only)]
    pub previous_secret_expires_at: Option<String>,
}

impl From<CustomAuthBody> for concierge_domain::CustomAuthInput {
    fn from(b: CustomAuthBody) -> Self {
        Self {
            enabled: b.enabled,
            url: b.url,
            additional_fields: b.additional_fields,
            identify_method: b.identify_method,
            timeout_ms: b.timeout_ms,
            on_failure: b.on_failure,
            headers: b.headers.map(|h| h.into_iter().map(|(k, v)| (k, v.filter(|v| v != MASK))).collect()),
            allowed_origins: b.allowed_origins,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthTestBody {
    #[schema(schema_with = non_blank_text)]
    pub access_token: String,
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    #[serde(alias = "phone")]
    pub phone_number: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OutcomeDto {
    /// `ok` or an error code.
    pub code: String,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct ContactMatchDto {
    /// `existing` or `new`.
    pub status: String,
    pub contact_id: Option<String>,
}

/// The static headers with their real values. Not `Debug`, so it cannot end up in a log.
#[derive(Serialize, ToSchema)]
pub struct StaticHeadersDto {
    pub headers: Vec<StaticHeaderDto>,
}

#[derive(Serialize, ToSchema)]
pub struct StaticHeaderDto {
    pub name: String,
    pub value: String,
}

#[derive(Serialize, ToSchema)]
pub struct AuthTestDto {
    pub ok: bool,
    pub outcome: OutcomeDto,
    pub identify_method: String,
    /// The normalised identifier the contact is found by.
    pub identifier: Option<String>,
    /// The profile the answer would write.
    #[schema(value_type = Option<Object>)]
    pub profile: Option<concierge_domain::VerifiedProfile>,
    pub contact: Option<ContactMatchDto>,
    pub duration_ms: u64,
    /// The request as sent (static header values masked); absent when none was sent.
    #[schema(value_type = Option<Object>)]
    pub request: Option<concierge_authcall::SentRequest>,
    /// The response as received (body up to 64 KiB); absent when none arrived.
    #[schema(value_type = Option<Object>)]
    pub response: Option<concierge_authcall::ReceivedResponse>,
    /// Reproduces the signed request (valid for five minutes).
    pub curl: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ContactDto {
    pub id: String,
    pub bot_id: String,
    pub identify_method: String,
    /// The normalised value the contact is found by.
    pub identifier: String,
    /// `data.id` of the customer's answer.
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone_number: Option<String>,
    #[schema(value_type = Object)]
    pub metadata: Map<String, Value>,
    /// Always true: a contact's profile comes only from the customer's API.
    pub verified: bool,
    pub created_at: String,
    pub updated_at: String,
    pub last_authenticated_at: String,
}

impl From<concierge_store::Contact> for ContactDto {
    fn from(c: concierge_store::Contact) -> Self {
        Self {
            id: c.id,
            bot_id: c.bot_id,
            identify_method: c.identify_method,
            identifier: c.identifier,
            external_id: c.external_id,
            email: c.email,
            name: c.name,
            phone_number: c.phone_number,
            metadata: c.metadata,
            verified: true,
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
            last_authenticated_at: rfc3339(c.last_authenticated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ContactPageDto {
    pub items: Vec<ContactDto>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// The `next_cursor` of the previous page.
    pub before: Option<String>,
    /// 1..=200 (others are clamped), default 50.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 4294967295.0)]
    pub limit: Option<u32>,
    /// Case-insensitive part of a name, email, phone number or id.
    pub search: Option<String>,
}

#[derive(Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AttemptQuery {
    /// `ok` or an error code.
    #[param(schema_with = attempt_outcome)]
    pub outcome: Option<String>,
    /// RFC 3339 time; only attempts at or after it.
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<String>,
    pub before: Option<String>,
    /// 1..=200 (others are clamped), default 50.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 4294967295.0)]
    pub limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct AttemptDto {
    pub id: String,
    pub bot_id: String,
    /// `ok` or an error code.
    #[schema(schema_with = outcome)]
    pub outcome: AttemptOutcome,
    pub reason: Option<String>,
    pub latency_ms: i64,
    pub identifier: Option<String>,
    pub upstream_status: Option<i64>,
    pub client_ip: Option<String>,
    /// Made by the testing endpoint.
    pub test: bool,
    pub created_at: String,
}

impl From<concierge_store::Attempt> for AttemptDto {
    fn from(a: concierge_store::Attempt) -> Self {
        Self {
            id: a.id,
            bot_id: a.bot_id,
            outcome: a.outcome,
            reason: a.reason,
            latency_ms: a.latency_ms,
            identifier: a.identifier,
            upstream_status: a.upstream_status,
            client_ip: a.client_ip,
            test: a.is_test,
            created_at: rfc3339(a.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AttemptPageDto {
    pub items: Vec<AttemptDto>,
    pub next_cursor: Option<String>,
}
