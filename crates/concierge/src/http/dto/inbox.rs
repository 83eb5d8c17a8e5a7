//! The admin API's inbox: conversations, their messages and agent replies.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::MessageDto;
use concierge_core::rfc3339;
use concierge_domain::{Author, Handler, Priority};

#[derive(Serialize, ToSchema)]
pub struct InboxItemDto {
    pub conversation_id: String,
    pub contact_id: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    /// What the contact was identified by (its id, email or phone number, as the bot's
    /// identify method says): it names a contact without a name or email.
    pub contact_identifier: Option<String>,
    /// `bot`, `waiting` (handed to the team, nobody joined yet) or `agent`.
    pub handled_by: Handler,
    /// `normal` or `high` (set by a handoff rule).
    pub priority: Priority,
    /// The person answering, when `handled_by` is `agent`.
    pub agent_name: Option<String>,
    pub last_author: Author,
    pub last_text: String,
    pub last_message_id: i64,
    pub updated_at: String,
}

impl From<concierge_store::InboxItem> for InboxItemDto {
    fn from(i: concierge_store::InboxItem) -> Self {
        Self {
            conversation_id: i.id,
            contact_id: i.contact_id,
            contact_name: i.contact_name,
            contact_email: i.contact_email,
            contact_identifier: i.contact_identifier,
            handled_by: i.handled_by,
            priority: i.priority,
            agent_name: i.agent_name,
            last_author: i.last_author,
            last_text: i.last_text,
            last_message_id: i.last_seq,
            updated_at: rfc3339(i.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct InboxDto {
    pub items: Vec<InboxItemDto>,
    /// Where the next page starts (`?before=`), while there may be more.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InboxPageQuery {
    /// The page after the one that gave this `next_cursor`; empty: the first page.
    #[param(pattern = r"^([0-2]\.-?[0-9]{1,18}\..+)?$")]
    pub before: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ConversationDto {
    pub id: String,
    pub bot_id: String,
    pub contact_id: Option<String>,
    /// `bot`, `waiting` or `agent`.
    pub handled_by: Handler,
    /// `normal` or `high`.
    pub priority: Priority,
    pub agent_name: Option<String>,
    pub updated_at: String,
}

impl From<concierge_store::Conversation> for ConversationDto {
    fn from(c: concierge_store::Conversation) -> Self {
        Self {
            id: c.id,
            bot_id: c.bot_id,
            contact_id: c.contact_id,
            handled_by: c.handled_by,
            priority: c.priority,
            agent_name: c.agent_name,
            updated_at: rfc3339(c.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ConversationMessagesDto {
    pub items: Vec<MessageDto>,
}

message_body!(ReplyBody);

/// Not the widget's [`super::AfterQuery`]: the inbox reads an `after` below 0 as 0.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InboxAfterQuery {
    /// Only messages after this id.
    pub after: Option<i64>,
    /// Only the newest 200 messages before this id: the page above those shown.
    pub before: Option<i64>,
}
