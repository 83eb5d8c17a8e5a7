//! How widget sessions and sockets end (docs/widget-protocol.md §3–5): the session TTL and
//! the polling `401` after it, a logged-out socket closed with 4401 at its next check, and
//! a socket that never says `hello`. The server's socket timings are shortened here; their
//! defaults (10 s, 20 s) are pinned by the config's unit test.

use std::time::Duration;

use chrono::{DateTime, Utc};
use concierge::cli::ServeArgs;
use concierge::config::Config;
use futures::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as Frame;

use crate::both_backends;
use crate::utils::{eventually, test_args, TestApp};
use crate::widget::{next, socket_after_logout};

fn quick_sockets(config: &mut Config) {
    config.settings.socket_hello_within = Duration::from_millis(300);
    config.settings.socket_check_every = Duration::from_millis(300);
}

async fn a_logged_out_socket_is_closed_at_its_next_check(app: TestApp) {
    let app = app.sibling_tuned(test_args(), quick_sockets).await;
    let (mut socket, _) = socket_after_logout(&app).await;
    // The socket stays idle: only its periodic check can notice.
    assert_eq!(next(&mut socket).await["code"], "unauthorized");
    assert_eq!(next(&mut socket).await, json!({"type": "closed", "code": 4401}));
}
both_backends!(a_logged_out_socket_is_closed_at_its_next_check, super::a_logged_out_socket_is_closed_at_its_next_check);

async fn a_socket_without_a_hello_is_closed(app: TestApp) {
    let app = app.sibling_tuned(test_args(), quick_sockets).await;
    let url = format!("ws://{}/api/widget/v1/ws", app.addr);
    let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    assert_eq!(next(&mut socket).await["code"], "invalid_frame");
    assert_eq!(next(&mut socket).await["type"], "closed");
    // A late hello is not read any more.
    let bot = app.bot().await;
    let (_, s) = app.start_session(json!({"bot_id": bot})).await;
    let hello = json!({"type": "hello", "token": s["session_token"]}).to_string();
    assert!(socket.send(Frame::text(hello)).await.is_err(), "the socket is closed");
}
both_backends!(a_socket_without_a_hello_is_closed, super::a_socket_without_a_hello_is_closed);

fn one_second_sessions() -> ServeArgs {
    ServeArgs { session_ttl_secs: Some(1), ..test_args() }
}

/// Every answer is checked against the session's `expires_at`: `200` only before it, `401`
/// only after it, whatever the machine's speed.
async fn a_session_ends_at_its_ttl_and_polling_then_answers_401(app: TestApp) {
    let bot = app.bot().await;
    let before = Utc::now();
    let (status, s) = app.start_session(json!({"bot_id": bot})).await;
    let after = Utc::now();
    assert_eq!(status, 201, "{s}");
    let expires: DateTime<Utc> = s["expires_at"].as_str().unwrap().parse().unwrap();
    let ttl = chrono::Duration::seconds(1);
    let ms = chrono::Duration::milliseconds(1);
    assert!(before + ttl - ms <= expires && expires <= after + ttl, "{expires} is not 1 s after the start");
    let token = s["session_token"].as_str().unwrap();

    let (get, post) = eventually("the session expires", || async {
        let sent = Utc::now();
        let get = app.http.get(app.url("/api/widget/v1/messages?after=0")).bearer_auth(token).send().await.unwrap();
        let answered = Utc::now();
        match get.status().as_u16() {
            200 => {
                assert!(sent < expires, "the session still worked after it expired");
                None
            }
            401 => {
                assert!(answered >= expires, "the session ended before it expired");
                let post =
                    app.http.post(app.url("/api/widget/v1/messages")).bearer_auth(token).json(&json!({"text": "hi"}));
                Some((get, post.send().await.unwrap()))
            }
            other => panic!("{other}"),
        }
    })
    .await;
    for refused in [get, post] {
        assert_eq!(refused.status(), 401);
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthorized", "{body}");
    }
}
both_backends!(
    a_session_ends_at_its_ttl_and_polling_then_answers_401,
    super::a_session_ends_at_its_ttl_and_polling_then_answers_401,
    super::one_second_sessions
);
