//! The admin API's bots.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::schema::{optional_trimmed_text, trimmed_text};
use concierge_core::{rfc3339, BotPatch, MAX_BOT_NAME};
use concierge_domain::appearance::MAX_BOT_TEXT;

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

impl From<PatchBotBody> for BotPatch {
    fn from(b: PatchBotBody) -> Self {
        // Taken apart whole, so that a field added to the body cannot be left out here.
        let PatchBotBody {
            name,
            color,
            greeting,
            signin_text,
            confidence_threshold,
            not_sure_text,
            handoff_text,
            rules,
        } = b;
        Self { name, color, greeting, signin_text, confidence_threshold, not_sure_text, handoff_text, rules }
    }
}

#[derive(Serialize, ToSchema)]
pub struct BotListDto {
    pub items: Vec<BotDto>,
}
