//! The server side of the widget: the realtime socket of docs/widget-protocol.md (the
//! script and the bot's appearance: `widget_script`).

use axum::response::IntoResponse;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as Frame;

use crate::both_backends;
use crate::inbox::send_as_visitor;
use crate::utils::{Customer, TestApp, DEADLINE};

pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn connect(app: &TestApp, token: &str, after: i64) -> Socket {
    connect_ready(app, token, after).await.0
}

/// A socket past its hello, and the `ready` frame that answered it.
pub async fn connect_ready(app: &TestApp, token: &str, after: i64) -> (Socket, Value) {
    let (mut socket, _) =
        tokio_tungstenite::connect_async(format!("ws://{}/api/widget/v1/ws", app.addr)).await.unwrap();
    socket.send(Frame::text(json!({"type": "hello", "token": token, "after": after}).to_string())).await.unwrap();
    let ready = next(&mut socket).await;
    assert_eq!(ready["type"], "ready");
    (socket, ready)
}

/// The next JSON frame, skipping pings.
pub async fn next(socket: &mut Socket) -> Value {
    let frame = async {
        loop {
            match socket.next().await.expect("open").expect("frame") {
                Frame::Text(t) => return serde_json::from_str(&t).unwrap(),
                Frame::Close(c) => return json!({"type": "closed", "code": c.map(|c| u16::from(c.code))}),
                _ => {}
            }
        }
    };
    tokio::time::timeout(DEADLINE, frame).await.expect("a frame in time")
}

/// The next `message` frame, skipping typing indicators, streaming pieces and changes of
/// who answers.
pub async fn next_message(socket: &mut Socket) -> Value {
    loop {
        let f = next(socket).await;
        if f["type"] == "message" {
            return f["message"].clone();
        }
        assert!(["typing", "handler", "delta", "stream_end"].contains(&f["type"].as_str().unwrap_or("")), "{f}");
    }
}

async fn realtime_both_ways_with_resume(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = app.bot_with_auth(&customer.url, json!({})).await;
    let (_, s) = app.start_session(json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    let token = s["session_token"].as_str().unwrap();
    let (mut a, ready) = connect_ready(&app, token, 0).await;
    assert_eq!(ready["contact"]["name"], "Alice Liddell", "a reused session learns who it is");
    let mut b = connect(&app, token, 0).await; // the same user in a second tab

    a.send(Frame::text(r#"{"type":"send","text":"Hello <b>there</b>"}"#)).await.unwrap();
    let mine = next_message(&mut a).await;
    assert_eq!((mine["author"].as_str(), mine["text"].as_str()), (Some("visitor"), Some("Hello <b>there</b>")));
    assert_eq!(next(&mut b).await["message"]["id"], mine["id"], "the other tab gets it live");
    let typing = next(&mut a).await;
    assert_eq!(typing, json!({"type": "typing", "author": "bot"}));
    let reply = next_message(&mut a).await;
    assert_eq!((reply["author"].as_str(), reply["author_name"].as_str()), (Some("bot"), Some("Support")));
    // An empty knowledge base: the bot is not sure and hands the conversation to the team.
    assert!(reply["text"].as_str().unwrap().starts_with("I'm not sure"), "{reply}");
    assert!(reply["id"].as_i64() > mine["id"].as_i64());

    // A message sent over HTTP (the polling fallback) reaches sockets too.
    let http = app
        .http
        .post(app.url("/api/widget/v1/messages"))
        .bearer_auth(token)
        .json(&json!({"text": "by polling"}))
        .send()
        .await
        .unwrap();
    assert_eq!(http.status(), 201);
    assert_eq!(next_message(&mut a).await["text"], "by polling");

    // Reconnecting after the first message resumes exactly after it: nothing lost, nothing twice.
    drop(b);
    let mut again = connect(&app, token, mine["id"].as_i64().unwrap()).await;
    let mut texts = Vec::new();
    for _ in 0..2 {
        texts.push(next_message(&mut again).await["text"].as_str().unwrap().to_owned());
    }
    assert_eq!(texts, [reply["text"].as_str().unwrap(), "by polling"]);
    let (_, s2) = app.start_session(json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    assert_eq!(s2["conversation"]["messages"].as_array().unwrap().len(), 3, "history on another device");
    assert_eq!(s2["conversation"]["handled_by"], "waiting", "the bot stays silent until a person answers");
}
both_backends!(realtime_both_ways_with_resume, super::realtime_both_ways_with_resume);

/// Two messages of one conversation commit in order but are announced in the other (two
/// requests, or two instances, racing to publish): the widget still gets both, in order,
/// once each, so that it never resumes after a message it skipped.
async fn a_message_announced_before_the_one_stored_before_it_is_not_skipped(app: TestApp) {
    let bot = app.bot().await;
    let (_, s) = app.start_session(json!({"bot_id": bot})).await;
    let token = s["session_token"].as_str().unwrap();
    let conversation = s["conversation"]["id"].as_str().unwrap();
    let mut socket = connect(&app, token, 0).await;
    let store = |text: &'static str| {
        let new = concierge_store::NewMessage {
            conversation_id: conversation,
            author: concierge_domain::Author::Agent,
            author_name: Some("Sam"),
            text,
            styles: None,
            only_while: None,
            now: 1,
        };
        app.services.store.add_message(new)
    };
    let first = store("first").await.unwrap();
    let second = store("second").await.unwrap();
    assert_eq!(second.prev_seq, first.message.seq);
    let announce = |posted: concierge_store::Posted| {
        let event = concierge_core::bus::Event::Message(posted);
        app.services.bus.publish_conversation(&bot.as_str().into(), &conversation.into(), event);
    };
    announce(second);
    announce(first);
    assert_eq!(next_message(&mut socket).await["text"], "first");
    assert_eq!(next_message(&mut socket).await["text"], "second");
    send_as_visitor(&app, token, "third").await;
    assert_eq!(next_message(&mut socket).await["text"], "third", "and nothing twice");
}
both_backends!(
    a_message_announced_before_the_one_stored_before_it_is_not_skipped,
    super::a_message_announced_before_the_one_stored_before_it_is_not_skipped
);

/// A backlog the server cannot read is an error the widget hears, not an empty history:
/// before, the socket said `ready`, sent nothing and stayed open as if caught up.
async fn a_socket_whose_backlog_cannot_be_read_fails_loudly(app: TestApp) {
    let bot = app.bot().await;
    let (_, s) = app.start_session(json!({"bot_id": bot})).await;
    let token = s["session_token"].as_str().unwrap();
    let (status, _) = app
        .http
        .post(app.url("/api/widget/v1/messages"))
        .bearer_auth(token)
        .json(&json!({"text": "Is anyone there?"}))
        .send()
        .await
        .map(|r| (r.status(), ()))
        .unwrap();
    assert_eq!(status, 201);
    app.bot_done_with(1).await;
    app.sabotage("ALTER TABLE messages RENAME TO messages_away").await;
    let (mut socket, _) = connect_ready(&app, token, 0).await;
    let error = next(&mut socket).await;
    assert_eq!((error["type"].as_str(), error["code"].as_str()), (Some("error"), Some("internal_error")), "{error}");
    assert_eq!(error["message"], "Something went wrong on our side.", "nothing of the cause");
    // 1011, not 4401: the session is fine, the widget reconnects instead of starting anew.
    assert_eq!(next(&mut socket).await, json!({"type": "closed", "code": 1011}));
}
both_backends!(
    a_socket_whose_backlog_cannot_be_read_fails_loudly,
    super::a_socket_whose_backlog_cannot_be_read_fails_loudly
);

async fn sockets_refuse_bad_hellos_expired_sessions_and_foreign_origins(app: TestApp) {
    let url = format!("ws://{}/api/widget/v1/ws", app.addr);
    let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    socket.send(Frame::text(r#"{"type":"hello","token":"cst_nope"}"#)).await.unwrap();
    assert_eq!(next(&mut socket).await["code"], "unauthorized");
    assert_eq!(next(&mut socket).await, json!({"type": "closed", "code": 4401}));

    let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    socket.send(Frame::text("hello?")).await.unwrap();
    assert_eq!(next(&mut socket).await["code"], "invalid_frame");

    let bot = app.bot().await;
    let (status, saved) =
        app.put(&format!("/bots/{bot}/custom-auth"), json!({"allowed_origins": ["https://shop.example"]})).await;
    assert_eq!(status, 200, "{saved}");
    let (_, start) = app.start_session_on(Some("https://shop.example"), json!({"bot_id": bot})).await;
    let token = start["session_token"].as_str().unwrap().to_owned();
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url.as_str()).unwrap();
    request.headers_mut().insert("origin", "https://evil.example".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket.send(Frame::text(json!({"type": "hello", "token": token}).to_string())).await.unwrap();
    assert_eq!(next(&mut socket).await["code"], "origin_not_allowed");
    let polled = app
        .http
        .get(app.url("/api/widget/v1/messages"))
        .bearer_auth(&token)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(polled.status(), 403);
}
both_backends!(
    sockets_refuse_bad_hellos_expired_sessions_and_foreign_origins,
    super::sockets_refuse_bad_hellos_expired_sessions_and_foreign_origins
);

/// The contact's metadata is context for the bot and the team, never for the page: not in
/// the session's answer, its history, the socket's `ready` frame and backlog, or the polling
/// answer.
async fn metadata_never_reaches_the_widget(app: TestApp) {
    const NOTE: &str = "churn-risk-7f3a";
    let customer = Customer::start(|_| async {
        let data = json!({"id": "u-9", "name": "Dana", "email": "dana@example.com", "metadata": {"note": NOTE}});
        axum::Json(json!({ "data": data })).into_response()
    })
    .await;
    let bot = app.bot_with_auth(&customer.url, json!({})).await;
    let (status, first) = app.start_session(json!({"bot_id": bot, "access_token": "t"})).await;
    assert_eq!((status, first["authenticated"].as_bool()), (201, Some(true)), "{first}");
    let mut keys: Vec<&String> = first["contact"].as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["email", "external_id", "id", "name", "phone_number"], "{first}");
    let token = first["session_token"].as_str().unwrap();
    crate::inbox::send_as_visitor(&app, token, "Hello").await;
    app.bot_done_with(1).await;

    let (_, again) = app.start_session(json!({"bot_id": bot, "access_token": "t"})).await;
    assert_eq!(again["conversation"]["messages"].as_array().unwrap().len(), 2, "with its history: {again}");
    let (mut socket, ready) = connect_ready(&app, token, 0).await;
    let backlog = [next(&mut socket).await, next(&mut socket).await];
    let polled = app.http.get(app.url("/api/widget/v1/messages?after=0")).bearer_auth(token).send().await.unwrap();
    let polled: Value = polled.json().await.unwrap();
    assert_eq!(polled["items"].as_array().unwrap().len(), 2, "{polled}");
    for shown in [&first, &again, &ready, &backlog[0], &backlog[1], &polled] {
        let shown = shown.to_string();
        assert!(!shown.contains(NOTE) && !shown.contains("metadata"), "the widget was shown metadata: {shown}");
    }
    assert_eq!(app.contacts(&bot).await[0]["metadata"]["note"], NOTE, "it is kept for the bot and the team");
}
both_backends!(metadata_never_reaches_the_widget, super::metadata_never_reaches_the_widget);

/// A visitor's socket, open, whose session the widget has just ended (its logout); and the
/// session's answer.
pub async fn socket_after_logout(app: &TestApp) -> (Socket, Value) {
    let bot = app.bot().await;
    let (_, s) = app.start_session(json!({"bot_id": bot})).await;
    let token = s["session_token"].as_str().unwrap();
    let socket = connect(app, token, 0).await;
    let bye = app.http.delete(app.url("/api/widget/v1/session")).bearer_auth(token).send().await.unwrap();
    assert_eq!(bye.status(), 204);
    (socket, s)
}

/// A frame that follows the logout is not written: the socket hears of the logout first,
/// and ends. The frame may meet a socket the server has closed already (the client's
/// read then fails), or one that is closing.
#[tokio::test]
async fn a_socket_cannot_write_after_its_session_ended() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let (mut socket, s) = socket_after_logout(&app).await;
    let _ = socket.send(Frame::text(r#"{"type":"send","text":"still here?"}"#)).await;
    let ended = async {
        while let Some(Ok(frame)) = socket.next().await {
            if let Frame::Text(t) = frame {
                let f: Value = serde_json::from_str(&t).unwrap();
                assert_eq!(f["code"], "unauthorized", "{f}");
            }
        }
    };
    tokio::time::timeout(DEADLINE, ended).await.expect("the socket ends");
    let stored = app.services.store.latest_messages(s["conversation"]["id"].as_str().unwrap(), 10).await.unwrap();
    assert!(stored.is_empty(), "nothing was written after logout");
}

/// The socket reads a little at a time (its buffer is sized for idle widgets), yet the
/// longest message a visitor may write arrives whole; a frame over 64 KiB ends the socket
/// instead of being buffered.
#[tokio::test]
async fn the_longest_message_passes_the_socket_and_a_larger_frame_ends_it() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let bot = app.bot().await;
    let (_, s) = app.start_session(json!({"bot_id": bot})).await;
    let token = s["session_token"].as_str().unwrap();
    let mut socket = connect(&app, token, 0).await;
    let longest = "€".repeat(4000);
    socket.send(Frame::text(json!({"type": "send", "text": longest}).to_string())).await.unwrap();
    assert_eq!(next_message(&mut socket).await["text"], longest);

    let larger = json!({"type": "send", "text": "a".repeat(65 * 1024)}).to_string();
    let _ = socket.send(Frame::text(larger)).await;
    let ended = async {
        while let Some(Ok(frame)) = socket.next().await {
            assert!(!matches!(&frame, Frame::Text(t) if t.contains("\"visitor\"")), "{frame:?}");
        }
    };
    tokio::time::timeout(DEADLINE, ended).await.expect("the socket ends");
}

/// The widget gives each message an id of its own and sends it again with every retry: a
/// retry whose first answer was lost (stored, but the response never came) is the same
/// message, stored once and answered once. A malformed id is refused.
async fn a_message_retried_with_its_client_id_is_stored_and_answered_once(app: TestApp) {
    let bot = app.bot().await;
    let (_, started) = app.start_session(json!({"bot_id": bot})).await;
    let token = started["session_token"].as_str().unwrap();
    let send = |body: Value| app.http.post(app.url("/api/widget/v1/messages")).bearer_auth(token).json(&body).send();
    let body = json!({"text": "Hello, anyone there?", "client_id": "4f1c2a9e-7b3d-4e11-9c0a-2d5e8f6a1b3c"});

    let first = send(body.clone()).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send(body).await.unwrap();
    assert_eq!(again.status(), 200, "the same message again");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first);
    let long = "x".repeat(65);
    for bad in ["", "two words", long.as_str(), "ümlaut"] {
        let refused = send(json!({"text": "Hi", "client_id": bad})).await.unwrap();
        assert_eq!(refused.status(), 422, "{bad:?}");
        let refused: Value = refused.json().await.unwrap();
        assert_eq!(refused["error"]["fields"][0]["field"], "client_id", "{refused}");
    }

    app.bot_done_with(1).await;
    let listed = app.http.get(app.url("/api/widget/v1/messages?after=0")).bearer_auth(token).send().await.unwrap();
    let listed: Value = listed.json().await.unwrap();
    let authors: Vec<&str> =
        listed["items"].as_array().unwrap().iter().map(|m| m["author"].as_str().unwrap()).collect();
    assert_eq!(authors, ["visitor", "bot"], "stored once, answered once: {listed}");
    assert_eq!(*app.services.bot_turns().borrow(), 1, "one turn of the bot's");
}
both_backends!(
    a_message_retried_with_its_client_id_is_stored_and_answered_once,
    super::a_message_retried_with_its_client_id_is_stored_and_answered_once
);
