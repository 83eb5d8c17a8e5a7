//! What an open socket does with each thing it hears: an event of its conversation, a change
//! of its bot, a frame of its widget, and its own ping.

use axum::extract::ws::{Message as Frame, Utf8Bytes};
use futures::SinkExt;
use serde_json::json;

use super::frames::{error_frame, handler_frame, message_frame, refuse, send_backlog, text, Sink};
use super::{Access, ClientFrame};
use concierge_core::bus::{Event, RecvError};
use concierge_core::{Error, Services};
use concierge_domain::origin_allowed;

/// Whether the socket goes on.
pub(super) enum Flow {
    Continue,
    /// The socket is closed, or ended by the server with its reason.
    End,
}

type Handled = Result<Flow, axum::Error>;

/// One of the handlers below, running.
pub(super) type Handling<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Handled> + Send + 'a>>;

/// Ends the socket with the error's frame and close code.
async fn end(tx: &mut Sink, e: Error) -> Handled {
    refuse(tx, e).await.map(|()| Flow::End)
}

/// An event of the conversation; `last` is the newest message id the widget has.
pub(super) async fn event(
    s: &Services,
    tx: &mut Sink,
    access: &Access,
    last: &mut i64,
    event: Result<Event, RecvError>,
) -> Handled {
    match event {
        Ok(Event::SessionsEnded { sessions }) if sessions.includes(&access.session) => {
            return end(tx, Error::Unauthorized).await
        }
        // A message that overtook one stored before it (two writers racing to announce, on
        // this instance or two): what is stored is sent instead, in order, so that the
        // widget never resumes after a message it skipped.
        Ok(Event::Message(posted)) if posted.message.seq > *last && posted.prev_seq > *last => {
            match Box::pin(send_backlog(s, &access.session, tx, *last)).await? {
                Ok(newest) => *last = newest,
                Err(e) => return end(tx, e).await,
            }
        }
        Ok(Event::Message(posted)) if posted.message.seq > *last => {
            *last = posted.message.seq;
            tx.send(message_frame(posted.message)).await?;
        }
        Ok(Event::Message(_) | Event::Listed(_) | Event::SessionsEnded { .. } | Event::AllowedOrigins { .. }) => {}
        Ok(Event::Typing { author }) => tx.send(text(json!({"type": "typing", "author": author}))).await?,
        Ok(Event::Handler { handled_by, agent_name, priority, .. }) => {
            tx.send(handler_frame(handled_by, agent_name.as_deref(), priority)).await?;
        }
        Ok(Event::Delta { stream, text: piece, at }) => {
            let mut frame = json!({"type": "delta", "stream": stream, "text": piece});
            if let Some(at) = at {
                frame["at"] = at.into();
            }
            tx.send(text(frame)).await?;
        }
        Ok(Event::StreamEnd { stream }) => tx.send(text(json!({"type": "stream_end", "stream": stream}))).await?,
        Ok(Event::Merged { messages, .. }) => {
            for m in messages {
                *last = (*last).max(m.seq);
                tx.send(message_frame(m)).await?;
            }
        }
        // Fell behind: what was missed is re-read, the session, messages and who answers;
        // pieces of an answer being written are not (its message follows).
        Err(RecvError::Lagged(_)) | Ok(Event::Resync) => {
            if let Some(e) = access.recheck(s).await {
                return end(tx, e).await;
            }
            match Box::pin(send_backlog(s, &access.session, tx, *last)).await? {
                Ok(newest) => *last = newest,
                Err(e) => return end(tx, e).await,
            }
            if let Ok(c) = s.widget_conversation(&access.session).await {
                tx.send(handler_frame(c.handled_by, c.agent_name.as_deref(), c.priority)).await?;
            }
        }
        Err(RecvError::Closed) => return Ok(Flow::End),
    }
    Ok(Flow::Continue)
}

/// A change of the bot that concerns its widgets.
pub(super) async fn change(s: &Services, tx: &mut Sink, access: &Access, change: Result<Event, RecvError>) -> Handled {
    match change {
        Ok(Event::AllowedOrigins { origins }) if !origin_allowed(&origins, access.origin.as_deref()) => {
            end(tx, Error::OriginNotAllowed).await
        }
        // The conversation's own channel brings the bus's resyncs.
        Ok(_) => Ok(Flow::Continue),
        Err(RecvError::Lagged(_)) => match access.recheck(s).await {
            Some(e) => end(tx, e).await,
            None => Ok(Flow::Continue),
        },
        Err(RecvError::Closed) => Ok(Flow::End),
    }
}

/// A frame from the widget.
pub(super) async fn frame(
    s: &Services,
    tx: &mut Sink,
    access: &Access,
    frame: Option<Result<Frame, axum::Error>>,
) -> Handled {
    let t: Utf8Bytes = match frame {
        Some(Ok(Frame::Text(t))) => t,
        Some(Ok(Frame::Close(_))) | None | Some(Err(_)) => return Ok(Flow::End),
        Some(Ok(_)) => return Ok(Flow::Continue),
    };
    let Ok(ClientFrame::Send { text: body }) = serde_json::from_str::<ClientFrame>(&t) else {
        tx.send(error_frame("invalid_frame", "Expected {\"type\":\"send\",\"text\":…}.")).await?;
        return Ok(Flow::Continue);
    };
    // A session that expired since the last ping may not write, nor one the bot stopped
    // letting chat (it requires sign-in now), as over HTTP.
    if access.expired() {
        return end(tx, Error::Unauthorized).await;
    }
    if let Some(e) = access.recheck(s).await {
        return end(tx, e).await;
    }
    if let Err(e) = s.send_visitor_message(&access.session, &body, None).await {
        tx.send(error_frame(&e.code(), &e.public_message())).await?;
    }
    Ok(Flow::Continue)
}

/// The socket's own keep-alive, which also ends it once its session expired.
pub(super) async fn ping(s: &Services, tx: &mut Sink, access: &Access) -> Handled {
    if access.expired() {
        return end(tx, Error::Unauthorized).await;
    }
    // Without the bus between instances, a logout on another instance is not heard: the
    // database is asked instead, until the bus is back.
    if s.bus.shared() == Some(false) {
        if let Some(e) = access.recheck(s).await {
            return end(tx, e).await;
        }
    }
    tx.send(Frame::Ping(Default::default())).await?;
    Ok(Flow::Continue)
}
