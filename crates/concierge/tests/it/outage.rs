//! PostgreSQL goes away under a running instance and comes back: requests hear so with a
//! stable code, open sockets stay open (their pings and frames need no database), and the
//! instance recovers without a restart.

use std::time::Duration;

use concierge_core::bus::{Event, Topic};
use concierge_domain::Author;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as Frame;

use crate::inbox::{post_as_visitor, send_as_visitor};
use crate::utils::{eventually, test_args, TestApp, DEADLINE};
use crate::widget::{connect, next, next_message};

async fn readyz(app: &TestApp) -> u16 {
    app.http.get(app.url("/readyz")).send().await.expect("readyz").status().as_u16()
}

/// A visitor message, with what the server answered.
async fn try_send(app: &TestApp, token: &str, text: &str) -> (u16, Option<String>, Value) {
    let resp = post_as_visitor(app, token, text).await;
    let status = resp.status().as_u16();
    let retry = resp.headers().get("retry-after").map(|v| v.to_str().unwrap_or_default().to_owned());
    (status, retry, resp.json().await.expect("a JSON body"))
}

fn assert_unavailable(status: u16, body: &Value) {
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "database_unavailable", "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default().to_lowercase();
    assert!(!message.contains("connect") && !message.contains("sqlx") && !message.contains("pool"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_postgresql_is_away_requests_say_so_sockets_stay_open_and_the_instance_recovers() {
    let Some((app, database)) = TestApp::spawn_behind_proxy(test_args()).await else { return };
    let bot = app.bot().await;
    let (_, s) = app.start_session(json!({"bot_id": bot})).await;
    let token = s["session_token"].as_str().expect("a token").to_owned();
    let mut widget = connect(&app, &token, 0).await;
    send_as_visitor(&app, &token, "before").await;
    assert_eq!(next_message(&mut widget).await["text"], "before");
    assert_eq!(next_message(&mut widget).await["author"], "bot");

    database.cut();
    eventually("readiness fails", || async { (readyz(&app).await == 503).then_some(()) }).await;
    let (status, retry, body) = try_send(&app, &token, "during").await;
    assert_unavailable(status, &body);
    assert!(retry.is_some(), "a client is told when to try again");
    let (status, body) = app.get("/bots").await;
    assert_unavailable(status, &body);
    let (status, body) = app.start_session(json!({"bot_id": bot})).await;
    assert_unavailable(status, &body);

    database.restore();
    eventually("the instance is ready again", || async { (readyz(&app).await == 200).then_some(()) }).await;
    let (status, _, body) = try_send(&app, &token, "after").await;
    assert_eq!(status, 201, "{body}");
    // The socket opened before the outage is still the one that hears it.
    assert_eq!(next_message(&mut widget).await["text"], "after");
    let (status, _) = app.get("/bots").await;
    assert_eq!(status, 200);
}

/// A socket's keep-alive pings and the frames it is sent read nothing from the database:
/// with PostgreSQL away, an idle socket is pinged and stays open, events still reach it,
/// and a visitor's message gets a clear error on it instead of ending it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_postgresql_is_away_an_open_socket_is_pinged_and_still_hears_events() {
    let Some((app, database)) = TestApp::spawn_behind_proxy(test_args()).await else { return };
    let app = app.sibling_tuned(test_args(), |c| c.settings.socket_check_every = Duration::from_millis(200)).await;
    let bot = app.bot().await;
    let (_, s) = app.start_session(json!({"bot_id": bot})).await;
    let token = s["session_token"].as_str().expect("a token").to_owned();
    let conversation = s["conversation"]["id"].as_str().expect("a conversation").to_owned();
    let mut widget = connect(&app, &token, 0).await;
    let typing = || {
        let typing = Event::Typing { author: Author::Agent };
        app.services.bus.publish(&Topic::Conversation(conversation.as_str().into()), typing);
    };
    // Heard once the socket has sent its backlog, the last thing it reads from the database.
    typing();
    assert_eq!(next(&mut widget).await, json!({"type": "typing", "author": "agent"}));

    database.cut();
    eventually("readiness fails", || async { (readyz(&app).await == 503).then_some(()) }).await;
    let mut pings = 0;
    while pings < 3 {
        match tokio::time::timeout(DEADLINE, widget.next()).await.expect("a frame in time") {
            Some(Ok(Frame::Ping(_))) => pings += 1,
            other => panic!("the socket was pinged, not sent {other:?}"),
        }
    }
    typing();
    assert_eq!(next(&mut widget).await, json!({"type": "typing", "author": "agent"}));
    widget.send(Frame::text(r#"{"type":"send","text":"anyone?"}"#)).await.expect("sent");
    assert_eq!(next(&mut widget).await["code"], "database_unavailable");

    database.restore();
    eventually("the instance is ready again", || async { (readyz(&app).await == 200).then_some(()) }).await;
    send_as_visitor(&app, &token, "after").await;
    assert_eq!(next_message(&mut widget).await["text"], "after", "the same socket, open throughout");
}
