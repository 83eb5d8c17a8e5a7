//! The widget's WebSocket (docs/widget-protocol.md §3): the session token arrives in the
//! first frame, then the backlog after the client's last message id, then live events.

mod frames;
mod heard;
mod opening;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use futures::stream::SplitStream;
use futures::StreamExt;
use serde::Deserialize;

use super::error::{error_response, ErrorBody};
use super::extract::origin;
use concierge_core::{Error, Services};

const MAX_FRAME_BYTES: usize = 64 * 1024;
/// What a socket reads at a time. tungstenite allocates this much for every socket (128 KiB
/// by default, and touches all of it on the first read), while a widget sends a hello and
/// its visitor's messages, a few hundred bytes each; a longer frame is read in more calls,
/// into a buffer sized for it then.
const READ_BUFFER_BYTES: usize = 1024;
/// Past this, a socket whose client does not read fails instead of growing: room for the
/// largest frame, twice.
const MAX_WRITE_BUFFER_BYTES: usize = 2 * MAX_FRAME_BYTES;

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
    let upgrade = upgrade
        .read_buffer_size(READ_BUFFER_BYTES)
        // Each frame goes out at once (a widget's frames are small and few): the socket
        // keeps no buffer for frames yet to be sent.
        .write_buffer_size(0)
        .max_write_buffer_size(MAX_WRITE_BUFFER_BYTES)
        // A frame's header announcing more than this is refused before anything is
        // allocated for it (by default, up to 16 MiB per socket).
        .max_frame_size(MAX_FRAME_BYTES)
        .max_message_size(MAX_FRAME_BYTES);
    // The socket is split here, not in the task: what the task keeps for the socket's
    // whole life is its two halves, not the socket it was made from.
    upgrade.on_upgrade(move |socket| {
        let (tx, rx) = socket.split();
        serve(s, tx, rx, origin)
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

/// A socket's life: its opening, then a loop that waits for the next thing to do. What it
/// does with each (the opening, an event, a frame, a ping) runs boxed, so that an idle
/// socket keeps only the loop's waiting (docs/benchmarks.md: memory per socket).
///
/// Not an `async fn`: one of those keeps its arguments twice (as received, and as moved into
/// its body), this block captures them once.
#[allow(clippy::manual_async_fn)]
fn serve(
    s: Services,
    mut tx: frames::Sink,
    mut rx: SplitStream<WebSocket>,
    origin: Option<String>,
) -> impl std::future::Future<Output = ()> + Send {
    async move {
        let _open = OpenSocket::count();
        if let Err(e) = live(&s, &mut tx, &mut rx, origin).await {
            tracing::debug!(error = %e, "widget socket ended");
        }
    }
}

async fn live(
    s: &Services,
    tx: &mut frames::Sink,
    rx: &mut SplitStream<WebSocket>,
    origin: Option<String>,
) -> Result<(), axum::Error> {
    let Some(mut opened) = Box::pin(opening::open(s, tx, rx, origin)).await? else {
        return Ok(());
    };
    let opening::Opened { access, events, widgets, last } = &mut opened;
    // Keeps proxies from closing an idle socket, and ends it when its session expires.
    let mut ping = tokio::time::interval(s.settings.socket_check_every);
    ping.tick().await;
    loop {
        // Events first: a logout announced before a visitor's frame arrived ends the
        // socket before that frame could write.
        let handling: heard::Handling<'_> = tokio::select! {
            biased;
            event = events.recv() => Box::pin(heard::event(s, tx, access, last, event)),
            change = widgets.recv() => Box::pin(heard::change(s, tx, access, change)),
            frame = rx.next() => Box::pin(heard::frame(s, tx, access, frame)),
            _ = ping.tick() => Box::pin(heard::ping(s, tx, access)),
        };
        if let heard::Flow::End = handling.await? {
            return Ok(());
        }
    }
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
            Err(e @ (Error::Unauthorized | Error::OriginNotAllowed | Error::AuthFailed { .. })) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn future_size<A, B, C, D, F>(_: fn(A, B, C, D) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    /// Every open socket keeps its task's future for as long as it is open: what runs only
    /// now and then (the opening, an event, a frame, a ping) must stay boxed, out of it.
    #[test]
    fn an_idle_socket_keeps_a_small_task() {
        let size = future_size(serve);
        assert!(size <= 1024, "a socket's task is {size} bytes");
    }
}
