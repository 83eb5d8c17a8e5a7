//! The bot in the widget: knowledge-base answers ranked with BM25 and held to a
//! confidence threshold, personalised from the contact's verified data only, rules,
//! handoff to a person and back, and the language-model path with its fallbacks.

mod asked_as;
mod embeddings_api;
mod handoff;
mod knowledge;
mod meaning;
mod model;
mod unanswered;

use serde_json::{json, Value};

use crate::utils::TestApp;
use crate::widget::{connect, next, Socket};

pub(super) use crate::inbox::send_as_visitor as send;

pub(super) const PASSWORD: &str = "You can reset your password from **Settings → Security**: choose *Reset password* \
and follow the link we email you. The link works for 30 minutes.";

/// A knowledge base of a few realistic articles; returns the bot's id.
pub(super) async fn bot_with_articles(app: &TestApp, auth_url: Option<&str>) -> String {
    let bot = match auth_url {
        Some(url) => app.bot_with_auth(url, json!({})).await,
        None => app.bot().await,
    };
    for (title, body) in [
        ("Resetting your password", PASSWORD),
        ("Invoices and billing", "Invoices are in **Billing → Invoices**. They are emailed on the 1st of each month."),
        ("Refunds", "We refund unused months within 14 days of a charge. Write to billing@example.com."),
        ("Shipping times", "Orders ship within 2 business days; delivery takes 3 to 5 days in the EU."),
        (
            "Which plan am I on?",
            "You are on the **{{ contact.metadata.plan | default(\"free\") }}** plan, {{ contact.name | default(\"friend\") }}.",
        ),
    ] {
        let (status, a) = app.post(&format!("/bots/{bot}/articles"), json!({"title": title, "body": body})).await;
        assert_eq!(status, 201, "{a}");
    }
    bot
}

pub(super) async fn session(app: &TestApp, body: Value) -> (String, Value) {
    let (status, s) = app.start_session(body).await;
    assert_eq!(status, 201, "{s}");
    (s["session_token"].as_str().unwrap().to_owned(), s)
}

/// Frames up to and including the next bot message; returns them and that message.
pub(super) async fn until_bot_message(socket: &mut Socket) -> (Vec<Value>, Value) {
    let mut frames = Vec::new();
    loop {
        let f = next(socket).await;
        frames.push(f.clone());
        if f["type"] == "message" && f["message"]["author"] == "bot" {
            return (frames, f["message"].clone());
        }
        assert_ne!(f["type"], "closed", "{frames:?}");
    }
}

/// A widget socket that receives what happens from now on (no backlog).
pub(super) async fn listen(app: &TestApp, token: &str) -> Socket {
    let resp = app.http.get(app.url("/api/widget/v1/messages?after=0")).bearer_auth(token).send().await.unwrap();
    let body: Value = resp.json().await.unwrap();
    let last = body["items"].as_array().unwrap().iter().filter_map(|m| m["id"].as_i64()).max().unwrap_or(0);
    connect(app, token, last).await
}

/// Asks the bot over the widget's socket; the bot's answer.
pub(super) async fn ask(app: &TestApp, token: &str, text: &str) -> Value {
    let mut socket = listen(app, token).await;
    send(app, token, text).await;
    until_bot_message(&mut socket).await.1
}

pub(super) async fn handled_by(app: &TestApp, token: &str) -> Value {
    let resp = app.http.get(app.url("/api/widget/v1/messages?after=0")).bearer_auth(token).send().await.unwrap();
    let body: Value = resp.json().await.unwrap();
    body["conversation"].clone()
}

/// Proves that the bot said nothing about the visitor's last message, the `turn`-th on this
/// server, whose frame `socket` has already shown: once the bot is done with it, nothing of
/// the bot is stored after it, and the widget sees nothing but a later message of the agent
/// (`agent_token`) and the agent taking over: no typing, no piece, no bot message. Returns
/// that agent message.
pub(crate) async fn bot_stayed_silent(
    app: &TestApp,
    socket: &mut Socket,
    conversation: &str,
    turn: u64,
    agent_token: &str,
) -> Value {
    app.bot_done_with(turn).await;
    let newest = app.services.store.latest_messages(conversation, 1).await.unwrap();
    assert_eq!(
        newest[0].author,
        concierge_domain::Author::Visitor,
        "the bot stored nothing after the visitor's message: {newest:?}"
    );
    let (status, later) = app
        .admin_as(
            agent_token,
            reqwest::Method::POST,
            &format!("/conversations/{conversation}/messages"),
            Some(json!({"text": "Anything else I can do?"})),
        )
        .await;
    assert_eq!(status, 201, "{later}");
    loop {
        let frame = next(socket).await;
        if frame["type"] == "message" && frame["message"]["id"] == later["id"] {
            return later;
        }
        let taking_over = frame["type"] == "handler" && frame["handled_by"] == "agent";
        assert!(taking_over, "the bot showed nothing before the agent's message: {frame}");
    }
}
