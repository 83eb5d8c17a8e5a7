//! What the server writes on a widget socket: the frames of docs/widget-protocol.md §3, the
//! backlog, and the end of a socket whose session may not go on.

use axum::extract::ws::{CloseFrame, Message as Frame, Utf8Bytes, WebSocket};
use futures::stream::SplitSink;
use futures::SinkExt;
use serde_json::json;

use crate::http::dto::MessageDto;
use concierge_core::{Error, Services};
use concierge_domain::{Handler, Priority};

pub(super) type Sink = SplitSink<WebSocket, Frame>;

const CLOSE_UNAUTHORIZED: u16 = 4401;
/// RFC 6455: the server met a condition that kept it from fulfilling the request.
const CLOSE_INTERNAL_ERROR: u16 = 1011;

pub(super) fn text(value: serde_json::Value) -> Frame {
    Frame::Text(Utf8Bytes::from(value.to_string()))
}

pub(super) fn message_frame(m: concierge_store::Message) -> Frame {
    text(json!({"type": "message", "message": MessageDto::from(m)}))
}

pub(super) fn handler_frame(handled_by: Handler, agent_name: Option<&str>, priority: Priority) -> Frame {
    text(json!({"type": "handler", "handled_by": handled_by, "agent_name": agent_name, "priority": priority}))
}

pub(super) fn error_frame(code: &str, message: &str) -> Frame {
    text(json!({"type": "error", "code": code, "message": message}))
}

/// Sends the messages after `last`; the newest id sent. A backlog that cannot be read is
/// the inner error: the socket must end rather than look caught up.
pub(super) async fn send_backlog(
    s: &Services,
    session: &concierge_store::Session,
    tx: &mut Sink,
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
pub(super) async fn refuse(tx: &mut Sink, e: Error) -> Result<(), axum::Error> {
    tx.send(error_frame(&e.code(), &e.public_message())).await?;
    let (code, reason) = match e {
        Error::Unauthorized | Error::OriginNotAllowed | Error::AuthFailed { .. } => {
            (CLOSE_UNAUTHORIZED, "unauthorized")
        }
        _ => (CLOSE_INTERNAL_ERROR, "internal error"),
    };
    tx.send(Frame::Close(Some(CloseFrame { code, reason: Utf8Bytes::from_static(reason) }))).await?;
    tx.close().await
}
