//! A socket's opening: the hello, the session, `ready` and the backlog. It runs once per
//! socket and awaits more than the rest of a socket's life (the database, the bot's
//! settings), so it runs boxed: an idle socket keeps none of its room.

use axum::extract::ws::{Message as Frame, WebSocket};
use futures::stream::SplitStream;
use futures::{SinkExt, StreamExt};
use serde_json::json;

use super::frames::{error_frame, refuse, send_backlog, text, Sink};
use super::{Access, ClientFrame};
use crate::http::dto::{styles, HandlerDto, WidgetContactDto};
use concierge_core::bus::{Subscription, Topic};
use concierge_core::Services;

/// A socket past its opening: what it needs for the rest of its life.
pub(super) struct Opened {
    pub access: Access,
    /// The conversation's events.
    pub events: Subscription,
    /// The bot's changes that concern its widgets.
    pub widgets: Subscription,
    /// The newest message id the widget has.
    pub last: i64,
}

/// `None` when the socket was refused, and is closed.
pub(super) async fn open(
    s: &Services,
    tx: &mut Sink,
    rx: &mut SplitStream<WebSocket>,
    origin: Option<String>,
) -> Result<Option<Opened>, axum::Error> {
    let hello = match tokio::time::timeout(s.settings.socket_hello_within, rx.next()).await {
        Ok(Some(Ok(Frame::Text(t)))) => serde_json::from_str::<ClientFrame>(&t).ok(),
        _ => None,
    };
    let Some(ClientFrame::Hello { token, after }) = hello else {
        tx.send(error_frame("invalid_frame", "The first frame must be {\"type\":\"hello\",\"token\":…}.")).await?;
        tx.close().await?;
        return Ok(None);
    };
    // Subscribed before the session is checked, so that nothing written in between is
    // missed: a message (the socket drops what both the backlog and the bus deliver), a
    // logout, or a change of the pages allowed to use the bot.
    let (events, widgets) = match s.find_widget_session(Some(&token)).await {
        Ok(found) => (
            s.bus.subscribe(&Topic::Conversation(found.conversation_id.as_str().into())),
            s.bus.subscribe(&Topic::Widgets(found.bot_id.as_str().into())),
        ),
        Err(e) => return refuse(tx, e).await.map(|()| None),
    };
    let access = match s.widget_session(Some(&token), origin.as_deref()).await {
        Ok(session) => Access { session, token, origin },
        Err(e) => return refuse(tx, e).await.map(|()| None),
    };
    // The verified contact and its greeting, so a widget that reuses a stored session can
    // still greet by name, and who answers the conversation.
    let state = match s.widget_state(&access.session).await {
        Ok(state) => state,
        Err(e) => return refuse(tx, e).await.map(|()| None),
    };
    let contact = state.contact.map(WidgetContactDto::from);
    let conversation = HandlerDto::from(&state.conversation);
    let mut ready =
        json!({"type": "ready", "contact": contact, "greeting": state.greeting.text, "conversation": conversation});
    if let Some(styles) = styles(state.greeting.styles) {
        ready["greeting_styles"] = json!(styles);
    }
    tx.send(text(ready)).await?;
    match send_backlog(s, &access.session, tx, after.unwrap_or(0).max(0)).await? {
        Ok(last) => Ok(Some(Opened { access, events, widgets, last })),
        Err(e) => refuse(tx, e).await.map(|()| None),
    }
}
