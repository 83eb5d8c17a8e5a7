//! Admin API: the inbox — conversations, agent replies, take over / hand back, and a live
//! event stream for the dashboard.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::Json;
use futures::Stream;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use utoipa::ToSchema;

use super::dto::{trimmed_text, MessageDto};
use super::error::ApiError;
use super::extract::{admin_principal, Admin, ApiJson, ApiPath, ApiQuery};
use super::responses::{AdminErrors, JsonErrors, LookupErrors};
use concierge_core::bus::{Event, Topic};
use concierge_core::{rfc3339, Services};
use concierge_domain::{Author, Handler, Priority};

type ApiResult<T> = Result<T, ApiError>;

/// How often a live event stream checks that its caller may still see it.
const RECHECK_EVERY: Duration = Duration::from_secs(15);

#[derive(Serialize, ToSchema)]
pub struct InboxItemDto {
    pub conversation_id: String,
    pub contact_id: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
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

#[derive(Serialize, ToSchema)]
pub struct InboxDto {
    pub items: Vec<InboxItemDto>,
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    #[schema(schema_with = trimmed_text::<{ concierge_domain::MAX_MESSAGE_CHARS }>)]
    pub text: String,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AfterQuery {
    /// Only messages after this id.
    pub after: Option<i64>,
}

/// A bot's conversations that have messages: those waiting for an agent first (high
/// priority before normal), then the rest, each group most recently active first.
#[utoipa::path(get, path = "/api/admin/v1/bots/{id}/conversations", tag = "inbox", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = InboxDto), AdminErrors, LookupErrors))]
pub async fn inbox(
    State(s): State<Services>,
    Admin(who): Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<InboxDto>> {
    let items = s
        .inbox(&who, &id)
        .await?
        .into_iter()
        .map(|i| InboxItemDto {
            conversation_id: i.id,
            contact_id: i.contact_id,
            contact_name: i.contact_name,
            contact_email: i.contact_email,
            handled_by: i.handled_by,
            priority: i.priority,
            agent_name: i.agent_name,
            last_author: i.last_author,
            last_text: i.last_text,
            last_message_id: i.last_seq,
            updated_at: rfc3339(i.updated_at),
        })
        .collect();
    Ok(Json(InboxDto { items }))
}

/// A conversation's messages, oldest first.
#[utoipa::path(get, path = "/api/admin/v1/conversations/{id}/messages", tag = "inbox", security(("bearer" = [])),
    params(("id" = String, Path), AfterQuery),
    responses((status = 200, body = ConversationMessagesDto), AdminErrors, LookupErrors))]
pub async fn messages(
    State(s): State<Services>,
    Admin(who): Admin,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<AfterQuery>,
) -> ApiResult<Json<ConversationMessagesDto>> {
    let items = s.conversation_messages(&who, &id, q.after.unwrap_or(0).max(0)).await?;
    Ok(Json(ConversationMessagesDto { items: items.into_iter().map(Into::into).collect() }))
}

/// Answer as an agent; the widget shows it at once, and the bot stops answering.
#[utoipa::path(post, path = "/api/admin/v1/conversations/{id}/messages", tag = "inbox", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ReplyBody,
    responses((status = 201, body = MessageDto), AdminErrors, LookupErrors, JsonErrors))]
pub async fn reply(
    State(s): State<Services>,
    Admin(who): Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ReplyBody>,
) -> ApiResult<(StatusCode, Json<MessageDto>)> {
    let message = s.agent_reply(&who, &id, &body.text).await?;
    Ok((StatusCode::CREATED, Json(message.into())))
}

/// Take the conversation over from the bot: the bot stays silent until it is handed back.
#[utoipa::path(post, path = "/api/admin/v1/conversations/{id}/takeover", tag = "inbox", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = ConversationDto), AdminErrors, LookupErrors))]
pub async fn take_over(
    State(s): State<Services>,
    Admin(who): Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ConversationDto>> {
    Ok(Json(s.set_handler(&who, &id, Handler::Agent).await?.into()))
}

/// Resolve the conversation: it goes back to the bot, at normal priority.
#[utoipa::path(post, path = "/api/admin/v1/conversations/{id}/handback", tag = "inbox", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = ConversationDto), AdminErrors, LookupErrors))]
pub async fn hand_back(
    State(s): State<Services>,
    Admin(who): Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ConversationDto>> {
    Ok(Json(s.set_handler(&who, &id, Handler::Bot).await?.into()))
}

/// Live events of a bot's conversations (Server-Sent Events): `message` and `handler`,
/// each a JSON object with `conversation_id`.
#[utoipa::path(get, path = "/api/admin/v1/bots/{id}/events", tag = "inbox", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "Server-Sent Events: `message`, `handler`, `merged` (a visitor's messages joined a contact's conversation) and `resync`", content_type = "text/event-stream"), AdminErrors, LookupErrors))]
pub async fn events(
    State(s): State<Services>,
    Admin(who): Admin,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    s.bot_for(&who, &id).await?;
    let receiver = s.bus.subscribe(&Topic::Bot(id.clone()));
    let mut recheck = tokio::time::interval(RECHECK_EVERY);
    recheck.tick().await;
    let state = (receiver, recheck, s, headers, id);
    let stream = futures::stream::unfold(state, |(mut receiver, mut recheck, s, headers, id)| async move {
        loop {
            let received = tokio::select! {
                received = receiver.recv() => received,
                _ = recheck.tick() => {
                    // Signed out, expired or revoked since the stream began: it ends here.
                    let still = match admin_principal(&s, &headers, true).await {
                        Ok(who) => s.bot_for(&who, &id).await.is_ok(),
                        Err(_) => false,
                    };
                    if !still {
                        return None;
                    }
                    continue;
                }
            };
            let event = match received {
                Ok(Event::Message(m)) => SseEvent::default().event("message").data(
                    json!({"conversation_id": m.conversation_id.clone(), "message": MessageDto::from(m)}).to_string(),
                ),
                Ok(Event::Handler { conversation_id, handled_by, agent_name, priority }) => {
                    SseEvent::default().event("handler").data(
                        json!({"conversation_id": conversation_id, "handled_by": handled_by, "agent_name": agent_name, "priority": priority})
                            .to_string(),
                    )
                }
                Ok(Event::Merged { from, into, messages }) => {
                    let messages: Vec<MessageDto> = messages.into_iter().map(MessageDto::from).collect();
                    SseEvent::default()
                        .event("merged")
                        .data(json!({"from": from, "into": into, "messages": messages}).to_string())
                }
                Ok(Event::Typing { .. } | Event::Delta { .. } | Event::StreamEnd { .. }) => continue,
                // Fell behind: tell the page to reload its view rather than miss something.
                Err(RecvError::Lagged(_)) => SseEvent::default().event("resync").data("{}"),
                Err(RecvError::Closed) => return None,
            };
            return Some((Ok(event), (receiver, recheck, s, headers, id)));
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
