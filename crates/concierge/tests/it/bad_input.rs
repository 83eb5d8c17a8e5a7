//! Input that is refused with a stable code before anything is forwarded or stored.

use futures::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as Frame;

use crate::both_backends;
use crate::utils::{Customer, TestApp};
use crate::widget::{connect, next};

async fn oversized_tokens_and_fields_are_refused_before_the_call(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = app.bot_with_auth(&customer.url, json!({"additional_fields": ["email"]})).await;

    let (status, e) = app.start_session(json!({"bot_id": bot, "access_token": "x".repeat(250 * 1024)})).await;
    assert_eq!((status, e["error"]["code"].as_str()), (422, Some("validation_failed")), "{e}");
    assert_eq!(e["error"]["fields"][0]["field"], "access_token");
    assert!(e["error"]["message"].as_str().unwrap().contains("8192 bytes"), "{e}");
    let (status, e) =
        app.start_session(json!({"bot_id": bot, "access_token": "tok-alice", "email": "a".repeat(2000)})).await;
    assert_eq!((status, e["error"]["fields"][0]["field"].as_str()), (422, Some("email")), "{e}");
    let (status, e) =
        app.post(&format!("/bots/{bot}/custom-auth/test"), json!({"access_token": "x".repeat(9000)})).await;
    assert_eq!((status, e["error"]["fields"][0]["field"].as_str()), (422, Some("access_token")), "{e}");
    assert!(customer.received().is_empty(), "nothing was forwarded");
    assert!(app.attempts(&bot, "").await.is_empty(), "nothing was called, so nothing is logged");

    // 8 KiB is still a token: it is forwarded whole.
    let (status, s) = app.start_session(json!({"bot_id": bot, "access_token": "y".repeat(8192)})).await;
    assert_eq!(status, 201, "{s}");
    assert_eq!(s["auth_error"]["code"], "invalid_token");
    assert_eq!(customer.received()[0].body["access_token"].as_str().map(str::len), Some(8192));
}
both_backends!(
    oversized_tokens_and_fields_are_refused_before_the_call,
    super::oversized_tokens_and_fields_are_refused_before_the_call
);

async fn messages_with_control_characters_are_refused(app: TestApp) {
    let bot = app.bot().await;
    let (_, s) = app.start_session(json!({"bot_id": bot})).await;
    let token = s["session_token"].as_str().unwrap().to_owned();
    let conversation = s["conversation"]["id"].as_str().unwrap().to_owned();
    let post = |text: &str| {
        app.http.post(app.url("/api/widget/v1/messages")).bearer_auth(&token).json(&json!({"text": text})).send()
    };
    for bad in ["nul\0byte", "escape \u{1b}[2J", "bell\u{7}"] {
        let resp = post(bad).await.unwrap();
        assert_eq!(resp.status(), 422, "{bad:?}");
        let e: Value = resp.json().await.unwrap();
        assert_eq!(
            (e["error"]["code"].as_str(), e["error"]["fields"][0]["field"].as_str()),
            (Some("validation_failed"), Some("text"))
        );
        let (status, e) = app.post(&format!("/conversations/{conversation}/messages"), json!({"text": bad})).await;
        assert_eq!((status, e["error"]["code"].as_str()), (422, Some("validation_failed")), "agent: {bad:?}");
    }
    let mut socket = connect(&app, &token, 0).await;
    socket.send(Frame::text(json!({"type": "send", "text": "over\0the socket"}).to_string())).await.unwrap();
    let refused = next(&mut socket).await;
    assert_eq!(
        (refused["type"].as_str(), refused["code"].as_str()),
        (Some("error"), Some("validation_failed")),
        "{refused}"
    );

    // Line breaks and tabs are text; a Windows line break is stored as one.
    let resp = post("two\r\nlines\tand a tab").await.unwrap();
    assert_eq!(resp.status(), 201);
    let (_, listed) = app.get(&format!("/conversations/{conversation}/messages")).await;
    let texts: Vec<_> = listed["items"].as_array().unwrap().iter().map(|m| m["text"].clone()).collect();
    assert_eq!(texts, [json!("two\nlines\tand a tab")], "only the valid message was stored");
}
both_backends!(messages_with_control_characters_are_refused, super::messages_with_control_characters_are_refused);

#[tokio::test]
async fn a_body_over_the_limit_names_the_real_limit() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let big = "x".repeat(300 * 1024);
    let resp = app.http.post(app.url("/api/widget/v1/sessions")).json(&json!({"bot_id": big})).send().await.unwrap();
    assert_eq!(resp.status(), 413);
    let e: Value = resp.json().await.unwrap();
    assert_eq!(e["error"]["code"], "payload_too_large");
    assert_eq!(e["error"]["message"], "The body is larger than 256 KiB.");
}

/// PostgreSQL cannot hold the NUL character: text with one, in a body, a path or a query,
/// is the caller's mistake, said with a stable code, never a 500, and nothing is written.
#[tokio::test]
async fn the_nul_character_is_refused_as_input_on_postgresql() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Postgres).await else { return };
    let bot = app.bot().await;
    let refused = |(status, e): (u16, Value)| {
        assert_eq!((status, e["error"]["code"].as_str()), (400, Some("invalid_text")), "{e}");
    };
    refused(app.post("/bots", json!({"name": "Shop\u{0}"})).await);
    refused(app.get("/bots/%00").await);
    refused(app.post(&format!("/bots/{bot}/articles"), json!({"title": "Refunds\u{0}", "body": "Five days."})).await);
    refused(app.get(&format!("/bots/{bot}/contacts?search=a%00")).await);
    let (_, bots) = app.get("/bots").await;
    assert_eq!(bots["items"].as_array().map(Vec::len), Some(1), "{bots}");
    let (_, articles) = app.get(&format!("/bots/{bot}/articles")).await;
    assert_eq!(articles["items"], json!([]));
}
