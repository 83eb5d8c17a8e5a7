//! Admin API: the inbox — conversations, agent replies, take over / hand back, and a live
//! event stream for the dashboard.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::Json;
use futures::{Stream, StreamExt};
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::dto::{
    ConversationDto, ConversationMessagesDto, InboxAfterQuery, InboxDto, InboxItemDto, InboxPageQuery, MessageDto,
    ReplyBody,
};
use super::error::ApiResult;
use super::extract::{admin_principal, AdminBot, AdminPath, ApiJson, ApiQuery};
use super::responses::{AdminErrors, JsonErrors, LookupErrors, StateErrors};
use concierge_core::bus::{Event, Topic};
use concierge_core::Services;
use concierge_domain::Handler;
use concierge_store::{InboxItem, Posted};

/// How often a live event stream checks that its caller may still see it.
const RECHECK_EVERY: Duration = Duration::from_secs(15);

/// A bot's conversations that have messages: those waiting for an agent first (high
/// priority before normal), then the rest, each group most recently active first; 100 at a
/// time.
#[utoipa::path(get, path = "/api/admin/v1/bots/{id}/conversations", tag = "inbox", security(("bearer" = [])),
    params(("id" = String, Path), InboxPageQuery), responses((status = 200, body = InboxDto), AdminErrors, LookupErrors))]
pub async fn inbox(
    State(s): State<Services>,
    AdminPath { who, id }: AdminPath,
    ApiQuery(q): ApiQuery<InboxPageQuery>,
) -> ApiResult<Json<InboxDto>> {
    let page = s.inbox(&who, &id, q.before.as_deref().filter(|b| !b.is_empty())).await?;
    Ok(Json(InboxDto { items: page.items.into_iter().map(Into::into).collect(), next_cursor: page.next_cursor }))
}

/// A conversation's messages, oldest first.
#[utoipa::path(get, path = "/api/admin/v1/conversations/{id}/messages", tag = "inbox", security(("bearer" = [])),
    params(("id" = String, Path), InboxAfterQuery),
    responses((status = 200, body = ConversationMessagesDto), AdminErrors, LookupErrors))]
pub async fn messages(
    State(s): State<Services>,
    AdminPath { who, id }: AdminPath,
    ApiQuery(q): ApiQuery<InboxAfterQuery>,
) -> ApiResult<Json<ConversationMessagesDto>> {
    let items = s.conversation_messages(&who, &id, q.after.unwrap_or(0).max(0), q.before).await?;
    Ok(Json(ConversationMessagesDto { items: items.into_iter().map(Into::into).collect() }))
}

/// Answer as an agent; the widget shows it at once, and the bot stops answering.
#[utoipa::path(post, path = "/api/admin/v1/conversations/{id}/messages", tag = "inbox", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ReplyBody,
    responses((status = 201, body = MessageDto), AdminErrors, LookupErrors, JsonErrors))]
pub async fn reply(
    State(s): State<Services>,
    AdminPath { who, id }: AdminPath,
    ApiJson(body): ApiJson<ReplyBody>,
) -> ApiResult<(StatusCode, Json<MessageDto>)> {
    let message = s.agent_reply(&who, &id, &body.text).await?;
    Ok((StatusCode::CREATED, Json(message.into())))
}

/// Take the conversation over from the bot, or from the queue: the bot stays silent until
/// it is handed back. Taking over a conversation that is already yours changes nothing; one
/// a colleague answers is refused (`409 conversation_taken`, naming them): replying takes
/// it over from them.
#[utoipa::path(post, path = "/api/admin/v1/conversations/{id}/takeover", tag = "inbox", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ConversationDto), AdminErrors, LookupErrors, StateErrors))]
pub async fn take_over(
    State(s): State<Services>,
    AdminPath { who, id }: AdminPath,
) -> ApiResult<Json<ConversationDto>> {
    Ok(Json(s.take_over(&who, &id).await?.into()))
}

/// Resolve the conversation: it goes back to the bot, at normal priority.
#[utoipa::path(post, path = "/api/admin/v1/conversations/{id}/handback", tag = "inbox", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = ConversationDto), AdminErrors, LookupErrors))]
pub async fn hand_back(
    State(s): State<Services>,
    AdminPath { who, id }: AdminPath,
) -> ApiResult<Json<ConversationDto>> {
    Ok(Json(s.set_handler(&who, &id, Handler::Bot).await?.into()))
}

/// Live events of a bot's conversations (Server-Sent Events): `message`, `handler` and
/// `merged`, each a JSON object naming its conversation, and `conversation`: a
/// conversation as the inbox lists it (an item of the inbox's list), after each change.
#[utoipa::path(get, path = "/api/admin/v1/bots/{id}/events", tag = "inbox", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "Server-Sent Events: `message`, `handler`, `merged` (a visitor's messages joined a contact's conversation), `conversation` (a changed conversation as the inbox lists it, after each of those) and `resync`", content_type = "text/event-stream"), AdminErrors, LookupErrors))]
pub async fn events(
    State(s): State<Services>,
    headers: HeaderMap,
    AdminBot(bot): AdminBot,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let id = bot.id;
    let receiver = s.bus.subscribe(&Topic::Bot(id.as_str().into()));
    // A stopping server ends the stream; the page's EventSource reconnects (to another
    // instance, or to this one restarted) and reads what it missed.
    let stopping = s.stopping();
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
            let events = match received {
                Ok(event) => inbox_events(event),
                // Fell behind: tell the page to reload its view rather than miss something.
                Err(RecvError::Lagged(_)) => vec![SseEvent::default().event("resync").data("{}")],
                Err(RecvError::Closed) => return None,
            };
            if !events.is_empty() {
                return Some((events, (receiver, recheck, s, headers, id)));
            }
        }
    });
    let stream = stream.take_until(stopping).flat_map(|events| futures::stream::iter(events.into_iter().map(Ok)));
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// What the inbox is told of an event of the bot's conversations: a message also changes
/// how its conversation is listed, which the event carries, so no tab reads it.
fn inbox_events(event: Event) -> Vec<SseEvent> {
    let json = |kind: &str, data: serde_json::Value| SseEvent::default().event(kind).data(data.to_string());
    let listed = |item: InboxItem| json("conversation", json!(InboxItemDto::from(item)));
    match event {
        Event::Message(Posted { message: m, inbox, .. }) => vec![
            json("message", json!({"conversation_id": m.conversation_id.clone(), "message": MessageDto::from(m)})),
            listed(inbox),
        ],
        Event::Handler { conversation_id, handled_by, agent_name, priority } => vec![json(
            "handler",
            json!({"conversation_id": conversation_id, "handled_by": handled_by, "agent_name": agent_name, "priority": priority}),
        )],
        Event::Merged { from, into, messages } => {
            let messages: Vec<MessageDto> = messages.into_iter().map(MessageDto::from).collect();
            vec![json("merged", json!({"from": from, "into": into, "messages": messages}))]
        }
        Event::Listed(item) => vec![listed(item)],
        Event::Typing { .. }
        | Event::Delta { .. }
        | Event::StreamEnd { .. }
        | Event::SessionsEnded { .. }
        | Event::AllowedOrigins { .. } => Vec::new(),
        // The bus between instances was down: reload rather than miss something.
        Event::Resync => vec![SseEvent::default().event("resync").data("{}")],
    }
}
