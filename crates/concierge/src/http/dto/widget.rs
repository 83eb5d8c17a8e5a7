//! The widget API's JSON shapes (docs/widget-protocol.md).

use concierge_domain::{Author, Handler, StyleRange, StyledText};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::OutcomeDto;
use concierge_core::{rfc3339, SessionStarted, StartSession};

/// What the widget needs to draw a bot.
#[derive(Serialize, ToSchema)]
pub struct PublicBotDto {
    pub id: String,
    pub name: String,
    pub color: String,
    /// The text written on `color` (launcher, header, Send, the visitor's bubbles): white,
    /// `#111827` or black, whichever reads at 4.5:1 or better (WCAG 2.1 AA).
    pub text_color: String,
    pub greeting: String,
    /// The greeting's emphasis, like a message's `styles`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub greeting_styles: Option<Vec<StyleRange>>,
    pub signin_text: String,
    /// Identification (Custom Authentication or another identity mode) is on: the page's
    /// access token or identity hash is verified. A widget whose stored session was made
    /// while it was off, with a token it then ignored, starts a session again.
    pub identifies: bool,
    /// Identification is on and blocks the chat when it fails.
    pub signin_required: bool,
}

impl PublicBotDto {
    pub fn new(public: concierge_core::PublicBot, greeting: StyledText) -> Self {
        let concierge_core::PublicBot { bot, identifies, signin_required } = public;
        Self {
            greeting: greeting.text,
            greeting_styles: styles(greeting.styles),
            id: bot.id,
            name: bot.name,
            text_color: concierge_domain::text_on(&bot.color).ink.to_owned(),
            color: bot.color,
            signin_text: bot.signin_text,
            identifies,
            signin_required,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionBody {
    pub bot_id: String,
    /// The customer's access token (`data-token`).
    pub access_token: Option<String>,
    pub user_id: Option<String>,
    /// The identity hash (`data-user-hash`): hex HMAC-SHA256 of the identifier the bot's
    /// identify method names, for bots in identity hash mode.
    pub user_hash: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    /// Also accepted as `phone` (the seed's example uses `data-phone`).
    #[serde(alias = "phone")]
    pub phone_number: Option<String>,
    /// This browser's previous anonymous session token: its conversation follows the
    /// user into the identified session.
    pub visitor_token: Option<String>,
}

impl From<SessionBody> for StartSession {
    fn from(b: SessionBody) -> Self {
        Self {
            bot_id: b.bot_id,
            access_token: b.access_token,
            user_hash: b.user_hash,
            visitor_token: b.visitor_token,
            fields: widget_fields!(b),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MessageDto {
    pub id: i64,
    /// `visitor`, `bot` or `agent`.
    pub author: Author,
    /// The bot's name on bot messages, the person's name on agent messages.
    pub author_name: Option<String>,
    /// Plain text, never HTML.
    pub text: String,
    /// A bot message's emphasis (Markdown `**strong**` and `*em*` in its source), as ranges
    /// of `text` counted in UTF-16 code units (JavaScript string indices), ordered by
    /// `start`, an outer range before the ranges nested in it; absent when there is none,
    /// and always absent on visitor and agent messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub styles: Option<Vec<StyleRange>>,
    pub created_at: String,
}

/// Emphasis as the wire has it: absent rather than empty.
pub fn styles(styles: Vec<StyleRange>) -> Option<Vec<StyleRange>> {
    (!styles.is_empty()).then_some(styles)
}

impl From<concierge_store::Message> for MessageDto {
    fn from(m: concierge_store::Message) -> Self {
        Self {
            id: m.seq,
            author: m.author,
            author_name: m.author_name,
            text: m.text,
            styles: m.styles,
            created_at: rfc3339(m.created_at),
        }
    }
}

/// Who answers a conversation.
#[derive(Serialize, ToSchema)]
pub struct HandlerDto {
    pub id: String,
    /// `bot`, `waiting` (handed to the team, nobody joined yet) or `agent`.
    pub handled_by: Handler,
    /// The person answering, when `handled_by` is `agent`.
    pub agent_name: Option<String>,
}

impl From<&concierge_store::Conversation> for HandlerDto {
    fn from(c: &concierge_store::Conversation) -> Self {
        Self { id: c.id.clone(), handled_by: c.handled_by, agent_name: c.agent_name.clone() }
    }
}

#[derive(Serialize, ToSchema)]
pub struct WidgetConversationDto {
    pub id: String,
    /// `bot`, `waiting` or `agent`.
    pub handled_by: Handler,
    pub agent_name: Option<String>,
    pub messages: Vec<MessageDto>,
}

/// The contact as the widget sees it: the verified profile, without metadata, which is
/// the customer's context for the bot and the support team, not for the page.
#[derive(Serialize, ToSchema)]
pub struct WidgetContactDto {
    pub id: String,
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone_number: Option<String>,
}

impl From<concierge_store::Contact> for WidgetContactDto {
    fn from(c: concierge_store::Contact) -> Self {
        Self { id: c.id, external_id: c.external_id, email: c.email, name: c.name, phone_number: c.phone_number }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SessionDto {
    /// Opaque; send as `Authorization: Bearer …`. Only its hash is stored.
    pub session_token: String,
    pub expires_at: String,
    pub authenticated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_error: Option<OutcomeDto>,
    pub contact: Option<WidgetContactDto>,
    /// The bot's greeting rendered for the verified contact (anonymous: the defaults).
    pub greeting: String,
    /// The greeting's emphasis, like a message's `styles`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub greeting_styles: Option<Vec<StyleRange>>,
    pub conversation: WidgetConversationDto,
}

impl From<SessionStarted> for SessionDto {
    fn from(started: SessionStarted) -> Self {
        Self {
            session_token: started.token,
            expires_at: rfc3339(started.expires_at),
            authenticated: started.authenticated,
            auth_error: started.auth_error.map(Into::into),
            contact: started.contact.map(Into::into),
            greeting: started.greeting.text,
            greeting_styles: styles(started.greeting.styles),
            conversation: WidgetConversationDto {
                id: started.conversation.id,
                handled_by: started.conversation.handled_by,
                agent_name: started.conversation.agent_name,
                messages: started.messages.into_iter().map(Into::into).collect(),
            },
        }
    }
}

/// A visitor's message.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitorMessageBody {
    #[schema(schema_with = super::schema::message_text)]
    pub text: String,
    /// The widget's own id for the message (1 to 64 letters, digits, `-`, `_`): sent again
    /// with a retry, it makes the retry the same message, not a second one.
    #[schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub client_id: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AfterQuery {
    /// The id of the last message the widget has; 0 or absent for all.
    #[param(minimum = 0)]
    pub after: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct MessageListDto {
    pub items: Vec<MessageDto>,
    /// Who answers the conversation now.
    pub conversation: HandlerDto,
}
