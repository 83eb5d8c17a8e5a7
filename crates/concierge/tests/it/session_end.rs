//! How widget sessions and sockets end (docs/widget-protocol.md §3–5): the session TTL and
//! the polling `401` after it, a socket closed with 4401 as soon as its session ends (a
//! logout, a sign-in that took its conversation, the page's origin no longer allowed, its
//! expiry, the last one also with the database away), and a socket that never says
//! `hello`. The server's socket timings are shortened here; their defaults (10 s, 20 s)
//! are pinned by the config's unit test.

use std::time::Duration;

use chrono::{DateTime, Utc};
use concierge::cli::ServeArgs;
use concierge::config::Config;
use concierge_core::bus::{Event, Topic};
use concierge_domain::Author;
use futures::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as Frame;

use crate::both_backends;
use crate::inbox::{post_as_visitor, send_as_visitor};
use crate::utils::{eventually, test_args, Customer, TestApp};
use crate::widget::{connect, next, next_message, socket_after_logout, Socket};

fn quick_sockets(config: &mut Config) {
    config.settings.socket_hello_within = Duration::from_millis(300);
    config.settings.socket_check_every = Duration::from_millis(300);
}

/// A socket's periodic check never comes during a test: whatever ends the socket is heard,
/// not polled.
pub fn no_periodic_checks(config: &mut Config) {
    config.settings.socket_check_every = Duration::from_secs(3600);
}

/// The socket ended by the server for its session: `unauthorized` (or `code`), then 4401.
pub async fn assert_ended(socket: &mut Socket, code: &str) {
    let error = loop {
        let frame = next(socket).await;
        if frame["type"] == "error" {
            break frame;
        }
        assert!(["message", "typing", "handler"].contains(&frame["type"].as_str().unwrap_or("")), "{frame}");
    };
    assert_eq!(error["code"], code, "{error}");
    assert_eq!(next(socket).await, json!({"type": "closed", "code": 4401}));
}

/// The logout is announced on the bus: the socket ends at once, not at its next check.
async fn a_logged_out_socket_is_closed_at_once(app: TestApp) {
    let app = app.sibling_tuned(test_args(), no_periodic_checks).await;
    let (mut socket, _) = socket_after_logout(&app).await;
    assert_ended(&mut socket, "unauthorized").await;
}
both_backends!(a_logged_out_socket_is_closed_at_once, super::a_logged_out_socket_is_closed_at_once);

/// A visitor signs in on a page whose other tab still has a socket with the anonymous
/// session: the sign-in revokes that session, and its socket ends at once; the signed-in
/// session's own socket is not affected.
async fn a_sign_in_closes_the_sockets_of_the_visitor_session_it_revoked(app: TestApp) {
    let app = app.sibling_tuned(test_args(), no_periodic_checks).await;
    let customer = Customer::with_users().await;
    let bot = app.bot_with_auth(&customer.url, json!({})).await;
    let (_, visitor) = app.start_session(json!({"bot_id": bot})).await;
    let visitor_token = visitor["session_token"].as_str().unwrap();
    let mut other_tab = connect(&app, visitor_token, 0).await;
    let (status, signed_in) =
        app.start_session(json!({"bot_id": bot, "access_token": "tok-alice", "visitor_token": visitor_token})).await;
    assert_eq!((status, signed_in["authenticated"].as_bool()), (201, Some(true)), "{signed_in}");
    assert_ended(&mut other_tab, "unauthorized").await;

    let token = signed_in["session_token"].as_str().unwrap();
    let mut socket = connect(&app, token, 0).await;
    send_as_visitor(&app, token, "still here").await;
    assert_eq!(next_message(&mut socket).await["text"], "still here");
}
both_backends!(
    a_sign_in_closes_the_sockets_of_the_visitor_session_it_revoked,
    super::a_sign_in_closes_the_sockets_of_the_visitor_session_it_revoked
);

/// A widget socket from `origin`, past its hello.
async fn connect_from(app: &TestApp, token: &str, origin: &str) -> Socket {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{}/api/widget/v1/ws", app.addr).into_client_request().unwrap();
    request.headers_mut().insert("origin", origin.parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket.send(Frame::text(json!({"type": "hello", "token": token}).to_string())).await.unwrap();
    assert_eq!(next(&mut socket).await["type"], "ready");
    socket
}

/// The bot starts requiring sign-in (Custom Authentication on, blocking on failure): a
/// session started anonymously before chats no more, over HTTP or on its socket, and hears
/// why; a signed-in one goes on.
async fn a_bot_that_starts_requiring_sign_in_ends_anonymous_sessions(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = app.bot_with_auth(&customer.url, json!({})).await;
    let (_, visitor) = app.start_session(json!({"bot_id": bot})).await;
    let (_, alice) = app.start_session(json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    let (visitor, alice) = (visitor["session_token"].as_str().unwrap(), alice["session_token"].as_str().unwrap());
    send_as_visitor(&app, visitor, "hello").await;
    let mut socket = connect(&app, visitor, 0).await;

    let block = json!({"enabled": true, "url": customer.url, "on_failure": "block"});
    let (status, saved) = app.put(&format!("/bots/{bot}/custom-auth"), block).await;
    assert_eq!(status, 200, "{saved}");
    let refused = post_as_visitor(&app, visitor, "still there?").await;
    assert_eq!(refused.status(), 401);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["error"]["code"], "token_required", "{refused}");
    socket.send(Frame::text(json!({"type": "send", "text": "and here?"}).to_string())).await.unwrap();
    assert_ended(&mut socket, "token_required").await;
    send_as_visitor(&app, alice, "I am signed in").await;
}
both_backends!(
    a_bot_that_starts_requiring_sign_in_ends_anonymous_sessions,
    super::a_bot_that_starts_requiring_sign_in_ends_anonymous_sessions
);

/// The bot's allowed origins change: a socket from a page no longer allowed ends at once
/// (4401), one from a page still allowed goes on.
async fn sockets_of_pages_no_longer_allowed_are_closed(app: TestApp) {
    let app = app.sibling_tuned(test_args(), no_periodic_checks).await;
    let bot = app.bot().await;
    let (shop, blog) = ("https://shop.example", "https://blog.example");
    let (status, saved) = app.put(&format!("/bots/{bot}/custom-auth"), json!({"allowed_origins": [shop, blog]})).await;
    assert_eq!(status, 200, "{saved}");
    let (_, s) = app.start_session_on(Some(shop), json!({"bot_id": bot})).await;
    let token = s["session_token"].as_str().unwrap();
    let mut on_shop = connect_from(&app, token, shop).await;
    let mut on_blog = connect_from(&app, token, blog).await;

    let (status, saved) = app.put(&format!("/bots/{bot}/custom-auth"), json!({"allowed_origins": [shop]})).await;
    assert_eq!(status, 200, "{saved}");
    assert_ended(&mut on_blog, "origin_not_allowed").await;
    on_shop.send(Frame::text(json!({"type": "send", "text": "still allowed"}).to_string())).await.unwrap();
    assert_eq!(next_message(&mut on_shop).await["text"], "still allowed");
}
both_backends!(sockets_of_pages_no_longer_allowed_are_closed, super::sockets_of_pages_no_longer_allowed_are_closed);

/// A socket knows when its session expires: it ends then with 4401, also while the database
/// is away (its checks read nothing from it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_ends_when_its_session_expires_even_with_the_database_away() {
    let two_second_sessions = || ServeArgs { session_ttl_secs: Some(2), ..test_args() };
    let Some((app, database)) = TestApp::spawn_behind_proxy(two_second_sessions()).await else { return };
    let app = app.sibling_tuned(two_second_sessions(), quick_sockets).await;
    let bot = app.bot().await;
    let (_, s) = app.start_session(json!({"bot_id": bot})).await;
    let mut socket = connect(&app, s["session_token"].as_str().unwrap(), 0).await;
    // Heard once the socket has sent its backlog, the last thing it reads from the database.
    let conversation = s["conversation"]["id"].as_str().unwrap();
    app.services.bus.publish(&Topic::Conversation(conversation.into()), Event::Typing { author: Author::Agent });
    assert_eq!(next(&mut socket).await["type"], "typing");
    database.cut();
    assert_ended(&mut socket, "unauthorized").await;
}

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
