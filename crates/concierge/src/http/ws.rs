//! The widget's WebSocket (docs/widget-protocol.md §3): the session token arrives in the
//! first frame, then the backlog after the client's last message id, then live events.

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message as Frame, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::json;

use super::dto::{styles, HandlerDto, MessageDto, WidgetContactDto};
use super::error::{error_response, ErrorBody};
use super::extract::origin;
use concierge_core::bus::{Event, RecvError, Topic};
use concierge_core::{Error, Services};
use concierge_domain::{origin_allowed, Handler, Priority};

const CLOSE_UNAUTHORIZED: u16 = 4401;
/// RFC 6455: the server met a condition that kept it from fulfilling the request.
const CLOSE_INTERNAL_ERROR: u16 = 1011;
const MAX_FRAME_BYTES: usize = 64 * 1024;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientFrame {
    Hello { token: String, after: Option<i64> },
    Send { text: String },
}

/// Realtime messages for the widget (a WebSocket; see docs/widget-protocol.md). The
/// session token arrives in the first frame, not in a header.
#[utoipa::path(get, path = "/api/widget/v1/ws", tag = "widget",
    params(
        // What the server checks of a handshake (RFC 6455 §4.2.1), as patterns: token lists,
        // compared without regard to case.
        ("connection" = String, Header, pattern = "^([^,]*,)*[ \\t]*[Uu][Pp][Gg][Rr][Aa][Dd][Ee][ \\t]*(,[^,]*)*$",
            description = "Includes `Upgrade`"),
        ("upgrade" = String, Header, pattern = "^[Ww][Ee][Bb][Ss][Oo][Cc][Kk][Ee][Tt]$", description = "`websocket`"),
        ("sec-websocket-version" = String, Header, pattern = "^13$", description = "`13`"),
        ("sec-websocket-key" = String, Header, description = "16 random bytes in base64 (RFC 6455)"),
    ),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol of docs/widget-protocol.md"),
        (status = 400, body = ErrorBody, description = "Not a WebSocket handshake (`websocket_upgrade_required`)."),
        (status = 426, body = ErrorBody, description = "The connection cannot be upgraded (`websocket_upgrade_required`)."),
    ))]
pub async fn ws(
    State(s): State<Services>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => {
            let message = "This endpoint speaks WebSocket only: send a WebSocket handshake (docs/widget-protocol.md).";
            return error_response(rejection.status(), "websocket_upgrade_required", message);
        }
    };
    let origin = origin(&headers).map(str::to_owned);
    upgrade.max_message_size(MAX_FRAME_BYTES).on_upgrade(move |socket| async move {
        let _open = OpenSocket::count();
        if let Err(e) = serve(s, socket, origin).await {
            tracing::debug!(error = %e, "widget socket ended");
        }
    })
}

/// `concierge_widget_sockets`: the widget sockets open on this instance. Behind a balancer
/// it shows how the sockets are spread, and which instance a widget is talking to.
struct OpenSocket;

impl OpenSocket {
    fn count() -> Self {
        metrics::gauge!("concierge_widget_sockets").increment(1.0);
        Self
    }
}

impl Drop for OpenSocket {
    fn drop(&mut self) {
        metrics::gauge!("concierge_widget_sockets").decrement(1.0);
    }
}

fn text(value: serde_json::Value) -> Frame {
    Frame::Text(Utf8Bytes::from(value.to_string()))
}

fn message_frame(m: concierge_store::Message) -> Frame {
    text(json!({"type": "message", "message": MessageDto::from(m)}))
}

fn handler_frame(handled_by: Handler, agent_name: Option<&str>, priority: Priority) -> Frame {
    text(json!({"type": "handler", "handled_by": handled_by, "agent_name": agent_name, "priority": priority}))
}

fn error_frame(code: &str, message: &str) -> Frame {
    text(json!({"type": "error", "code": code, "message": message}))
}

async fn serve(s: Services, socket: WebSocket, origin: Option<String>) -> Result<(), axum::Error> {
    let (mut tx, mut rx) = socket.split();
    let hello = match tokio::time::timeout(s.settings.socket_hello_within, rx.next()).await {
        Ok(Some(Ok(Frame::Text(t)))) => serde_json::from_str::<ClientFrame>(&t).ok(),
        _ => None,
    };
    let Some(ClientFrame::Hello { token, after }) = hello else {
        tx.send(error_frame("invalid_frame", "The first frame must be {\"type\":\"hello\",\"token\":…}.")).await?;
        return tx.close().await;
    };
    // Subscribed before the session is checked, so that nothing written in between is
    // missed: a message (the id check below drops what both the backlog and the bus
    // deliver), a logout, or a change of the pages allowed to use the bot.
    let (mut events, mut widgets) = match s.find_widget_session(Some(&token)).await {
        Ok(found) => (
            s.bus.subscribe(&Topic::Conversation(found.conversation_id.as_str().into())),
            s.bus.subscribe(&Topic::Widgets(found.bot_id.as_str().into())),
        ),
        Err(e) => return refuse(&mut tx, e).await,
    };
    let access = match s.widget_session(Some(&token), origin.as_deref()).await {
        Ok(session) => Access { session, token, origin },
        Err(e) => return refuse(&mut tx, e).await,
    };
    let session = &access.session;
    // The verified contact and its greeting, so a widget that reuses a stored session can
    // still greet by name, and who answers the conversation.
    let state = match s.widget_state(session).await {
        Ok(state) => state,
        Err(e) => return refuse(&mut tx, e).await,
    };
    let contact = state.contact.map(WidgetContactDto::from);
    let conversation = HandlerDto::from(&state.conversation);
    let mut ready =
        json!({"type": "ready", "contact": contact, "greeting": state.greeting.text, "conversation": conversation});
    if let Some(styles) = styles(state.greeting.styles) {
        ready["greeting_styles"] = json!(styles);
    }
    tx.send(text(ready)).await?;
    let mut last = after.unwrap_or(0).max(0);
    last = match send_backlog(&s, session, &mut tx, last).await? {
        Ok(last) => last,
        Err(e) => return refuse(&mut tx, e).await,
    };

    // Keeps proxies from closing an idle socket, and ends it when its session expires.
    let mut ping = tokio::time::interval(s.settings.socket_check_every);
    ping.tick().await;
    loop {
        // Events first: a logout announced before a visitor's frame arrived ends the
        // socket before that frame could write.
        tokio::select! {
            biased;
            event = events.recv() => match event {
                Ok(Event::SessionsEnded { sessions }) if sessions.includes(session) => {
                    return refuse(&mut tx, Error::Unauthorized).await;
                }
                // A message that overtook one stored before it (two writers racing to
                // announce, on this instance or two): what is stored is sent instead, in
                // order, so that the widget never resumes after a message it skipped.
                Ok(Event::Message(posted)) if posted.message.seq > last && posted.prev_seq > last => {
                    last = match send_backlog(&s, session, &mut tx, last).await? {
                        Ok(last) => last,
                        Err(e) => return refuse(&mut tx, e).await,
                    };
                }
                Ok(Event::Message(posted)) if posted.message.seq > last => {
                    last = posted.message.seq;
                    tx.send(message_frame(posted.message)).await?;
                }
                Ok(Event::Message(_) | Event::SessionsEnded { .. } | Event::AllowedOrigins { .. }) => {}
                Ok(Event::Typing { author }) => tx.send(text(json!({"type": "typing", "author": author}))).await?,
                Ok(Event::Handler { handled_by, agent_name, priority, .. }) => {
                    tx.send(handler_frame(handled_by, agent_name.as_deref(), priority)).await?;
                }
                Ok(Event::Delta { stream, text: piece }) => {
                    tx.send(text(json!({"type": "delta", "stream": stream, "text": piece}))).await?;
                }
                Ok(Event::StreamEnd { stream }) => tx.send(text(json!({"type": "stream_end", "stream": stream}))).await?,
                Ok(Event::Merged { messages, .. }) => {
                    for m in messages {
                        last = last.max(m.seq);
                        tx.send(message_frame(m)).await?;
                    }
                }
                Err(RecvError::Lagged(_)) | Ok(Event::Resync) => {
                    // Fell behind: what was missed is re-read, the session, messages and who
                    // answers; pieces of an answer being written are not (its message follows).
                    if let Some(e) = access.recheck(&s).await {
                        return refuse(&mut tx, e).await;
                    }
                    last = match send_backlog(&s, session, &mut tx, last).await? {
                        Ok(last) => last,
                        Err(e) => return refuse(&mut tx, e).await,
                    };
                    if let Ok(c) = s.widget_conversation(session).await {
                        tx.send(handler_frame(c.handled_by, c.agent_name.as_deref(), c.priority)).await?;
                    }
                }
                Err(RecvError::Closed) => break,
            },
            change = widgets.recv() => match change {
                Ok(Event::AllowedOrigins { origins }) if !origin_allowed(&origins, access.origin.as_deref()) => {
                    return refuse(&mut tx, Error::OriginNotAllowed).await;
                }
                // The conversation's own channel brings the bus's resyncs.
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => {
                    if let Some(e) = access.recheck(&s).await {
                        return refuse(&mut tx, e).await;
                    }
                }
                Err(RecvError::Closed) => break,
            },
            frame = rx.next() => match frame {
                Some(Ok(Frame::Text(t))) => match serde_json::from_str::<ClientFrame>(&t) {
                    Ok(ClientFrame::Send { text: body }) => {
                        // A session that expired since the last check may not write.
                        if access.expired() {
                            return refuse(&mut tx, Error::Unauthorized).await;
                        }
                        if let Err(e) = s.send_visitor_message(session, &body).await {
                            tx.send(error_frame(&e.code(), &e.public_message())).await?;
                        }
                    }
                    _ => tx.send(error_frame("invalid_frame", "Expected {\"type\":\"send\",\"text\":…}.")).await?,
                },
                Some(Ok(Frame::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                if access.expired() {
                    return refuse(&mut tx, Error::Unauthorized).await;
                }
                // Without the bus between instances, a logout on another instance is not
                // heard: the database is asked instead, until the bus is back.
                if s.bus.shared() == Some(false) {
                    if let Some(e) = access.recheck(&s).await {
                        return refuse(&mut tx, e).await;
                    }
                }
                tx.send(Frame::Ping(Default::default())).await?;
            }
        }
    }
    Ok(())
}

/// What an open socket knows of its session, so that a ping or a frame checks it in memory
/// (docs/widget-protocol.md §3): its expiry here, its end (a logout, a sign-in) and the
/// pages allowed to use the bot from the bus.
struct Access {
    session: concierge_store::Session,
    token: String,
    origin: Option<String>,
}

impl Access {
    fn expired(&self) -> bool {
        concierge_core::now_ms() >= self.session.expires_at
    }

    /// The session read again, for a socket that may have missed the event that ended it
    /// (it fell behind, or the bus between instances was down): the error that must end
    /// the socket, if any. A database that does not answer is no such error: the session
    /// was valid, and stays so until proven otherwise.
    async fn recheck(&self, s: &Services) -> Option<Error> {
        match s.widget_session(Some(&self.token), self.origin.as_deref()).await {
            Err(e @ (Error::Unauthorized | Error::OriginNotAllowed)) => Some(e),
            _ => None,
        }
    }
}

/// Sends the messages after `last`; the newest id sent. A backlog that cannot be read is
/// the inner error: the socket must end rather than look caught up.
async fn send_backlog(
    s: &Services,
    session: &concierge_store::Session,
    tx: &mut futures::stream::SplitSink<WebSocket, Frame>,
    mut last: i64,
) -> Result<Result<i64, Error>, axum::Error> {
    loop {
        let page = match s.messages_after(session, last).await {
            Ok(page) => page,
            Err(e) => return Ok(Err(e)),
        };
        let full = page.len() >= 200;
        for m in page {
            last = last.max(m.seq);
            tx.send(message_frame(m)).await?;
        }
        if !full {
            return Ok(Ok(last));
        }
    }
}

/// Ends the socket with the error's frame. A session that is gone or not allowed here
/// closes with 4401 (the widget starts a new session); anything else is the server's
/// failure, 1011, after which the widget reconnects with backoff.
async fn refuse(tx: &mut futures::stream::SplitSink<WebSocket, Frame>, e: Error) -> Result<(), axum::Error> {
    tx.send(error_frame(&e.code(), &e.public_message())).await?;
    let (code, reason) = match e {
        Error::Unauthorized | Error::OriginNotAllowed => (CLOSE_UNAUTHORIZED, "unauthorized"),
        _ => (CLOSE_INTERNAL_ERROR, "internal error"),
    };
    tx.send(Frame::Close(Some(CloseFrame { code, reason: Utf8Bytes::from_static(reason) }))).await?;
    tx.close().await
}
