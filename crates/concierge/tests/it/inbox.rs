//! The inbox over HTTP: agent replies reach the widget live, take over keeps the bot
//! silent, hand back lets it answer again, and the dashboard's event stream sees it all.

use axum::response::IntoResponse;
use futures::StreamExt;
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::utils::{Customer, TestApp, DEADLINE};
use crate::widget::{connect, next_message};

/// The dashboard's event stream of a bot, as the inbox page reads it.
pub async fn bot_events(app: &TestApp, bot: &str) -> impl futures::Stream<Item = reqwest::Result<axum::body::Bytes>> {
    let events = app
        .http
        .get(app.url(&format!("/api/admin/v1/bots/{bot}/events")))
        .bearer_auth(crate::utils::ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    events.bytes_stream()
}

/// A bot's event stream, read one Server-Sent Event at a time.
pub struct BotEvents<S> {
    stream: std::pin::Pin<Box<S>>,
    buffer: String,
}

impl<S: futures::Stream<Item = reqwest::Result<axum::body::Bytes>>> BotEvents<S> {
    pub fn new(stream: S) -> Self {
        Self { stream: Box::pin(stream), buffer: String::new() }
    }

    /// The next event's kind and data (keep-alive comments skipped).
    pub async fn next(&mut self) -> (String, Value) {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| block.lines().find_map(|l| l.strip_prefix(name)).map(str::to_owned);
                let (Some(kind), Some(data)) = (field("event: "), field("data: ")) else { continue };
                return (kind, serde_json::from_str(&data).expect("an event's data is JSON"));
            }
            let chunk = tokio::time::timeout(DEADLINE, self.stream.next()).await.expect("an event in time");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk.expect("the stream is open").expect("a chunk")));
        }
    }

    /// Reads events until a `conversation` event equal to `item` arrives; those before it.
    pub async fn until_listed(&mut self, item: &Value) -> Vec<(String, Value)> {
        let mut before = Vec::new();
        loop {
            let (kind, data) = self.next().await;
            if kind == "conversation" && &data == item {
                return before;
            }
            before.push((kind, data));
        }
    }
}

pub async fn send_as_visitor(app: &TestApp, token: &str, text: &str) {
    assert_eq!(post_as_visitor(app, token, text).await.status(), 201);
}

/// A visitor's message as the widget sends it, with whatever the server answered.
pub async fn post_as_visitor(app: &TestApp, token: &str, text: &str) -> reqwest::Response {
    let request = app.http.post(app.url("/api/widget/v1/messages")).bearer_auth(token).json(&json!({"text": text}));
    request.send().await.expect("an answer")
}

async fn agents_answer_live_and_take_over_from_the_bot(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = app.bot_with_auth(&customer.url, json!({})).await;
    let (_, s) = app.start_session(json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    let token = s["session_token"].as_str().unwrap().to_owned();
    let conversation = s["conversation"]["id"].as_str().unwrap().to_owned();
    let mut widget = connect(&app, &token, 0).await;

    // The dashboard listens to the bot's events.
    let mut events = std::pin::pin!(bot_events(&app, &bot).await);

    send_as_visitor(&app, &token, "I need a human").await;
    assert_eq!(next_message(&mut widget).await["text"], "I need a human");
    assert_eq!(next_message(&mut widget).await["author"], "bot", "the bot answers while it handles the conversation");
    let mut seen = String::new();
    while !seen.contains("I need a human") {
        let chunk = tokio::time::timeout(DEADLINE, events.next()).await.unwrap().unwrap().unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("event: message"), "{seen}");

    let (status, inbox) = app.get(&format!("/bots/{bot}/conversations")).await;
    assert_eq!(status, 200);
    assert_eq!(inbox["items"][0]["conversation_id"], conversation);
    assert_eq!(inbox["items"][0]["contact_name"], "Alice Liddell");

    // An agent replies: the widget shows it at once, and the conversation is the agent's now.
    let (status, reply) =
        app.post(&format!("/conversations/{conversation}/messages"), json!({"text": "Hi Alice, I'm Sam."})).await;
    assert_eq!(status, 201, "{reply}");
    let shown = next_message(&mut widget).await;
    assert_eq!((shown["author"].as_str(), shown["text"].as_str()), (Some("agent"), Some("Hi Alice, I'm Sam.")));
    let (_, inbox) = app.get(&format!("/bots/{bot}/conversations")).await;
    assert_eq!(inbox["items"][0]["handled_by"], "agent");

    // While the agent handles it, the bot stays silent.
    send_as_visitor(&app, &token, "thanks Sam").await;
    assert_eq!(next_message(&mut widget).await["text"], "thanks Sam");
    crate::bot::bot_stayed_silent(&app, &mut widget, &conversation, 2, crate::utils::ADMIN_TOKEN).await;

    // Handed back, the bot answers again.
    let (status, c) = app.post(&format!("/conversations/{conversation}/handback"), json!({})).await;
    assert_eq!((status, c["handled_by"].as_str()), (200, Some("bot")));
    send_as_visitor(&app, &token, "one more thing").await;
    assert_eq!(next_message(&mut widget).await["text"], "one more thing");
    assert_eq!(next_message(&mut widget).await["author"], "bot");
    let (status, c) = app.post(&format!("/conversations/{conversation}/takeover"), json!({})).await;
    assert_eq!((status, c["handled_by"].as_str()), (200, Some("agent")));

    let (_, history) = app.get(&format!("/conversations/{conversation}/messages")).await;
    let authors: Vec<_> =
        history["items"].as_array().unwrap().iter().map(|m| m["author"].as_str().unwrap().to_owned()).collect();
    assert_eq!(authors, ["visitor", "bot", "agent", "visitor", "agent", "visitor", "bot"]);

    let (status, e) = app.post(&format!("/conversations/{conversation}/messages"), json!({"text": "  "})).await;
    assert_eq!((status, e["error"]["code"].as_str()), (422, Some("validation_failed")));

    // Another workspace sees none of it.
    let store = app.services.store.as_ref();
    concierge_core::create_workspace(store, "Other").await.unwrap();
    concierge_core::create_user(store, "o@example.com", None, "a long password", Some("Other")).await.unwrap();
    let other = concierge_core::create_api_token(store, "o@example.com", "t").await.unwrap();
    for (method, path) in [
        (Method::GET, format!("/bots/{bot}/conversations")),
        (Method::GET, format!("/bots/{bot}/events")),
        (Method::GET, format!("/conversations/{conversation}/messages")),
        (Method::POST, format!("/conversations/{conversation}/messages")),
        (Method::POST, format!("/conversations/{conversation}/takeover")),
        (Method::POST, format!("/conversations/{conversation}/handback")),
    ] {
        let (status, e): (u16, Value) = app.admin_as(&other, method.clone(), &path, Some(json!({"text": "hi"}))).await;
        assert_eq!(status, 404, "{method} {path}: {e}");
    }
}
both_backends!(agents_answer_live_and_take_over_from_the_bot, super::agents_answer_live_and_take_over_from_the_bot);

/// Each change of a conversation reaches the inbox's event stream as the conversation's item
/// of the inbox's list, exactly as the list would show it at that point: a tab keeps its list
/// up to date from the events alone.
async fn the_event_stream_carries_each_changed_conversation_as_listed(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = app.bot_with_auth(&customer.url, json!({})).await;
    let mut events = BotEvents::new(bot_events(&app, &bot).await);
    let (_, s) = app.start_session(json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    let token = s["session_token"].as_str().unwrap().to_owned();
    let conversation = s["conversation"]["id"].as_str().unwrap().to_owned();
    let listed = || async { app.get(&format!("/bots/{bot}/conversations")).await.1["items"][0].clone() };

    // The visitor writes; the bot is not sure and hands the conversation to the team.
    send_as_visitor(&app, &token, "Can a person help?").await;
    app.bot_done_with(1).await;
    let waiting = listed().await;
    assert_eq!(
        (waiting["conversation_id"].as_str(), waiting["handled_by"].as_str()),
        (Some(&*conversation), Some("waiting"))
    );
    let before = events.until_listed(&waiting).await;
    let kinds: Vec<&str> = before.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(kinds, ["message", "conversation", "handler", "conversation", "message"], "{before:?}");
    assert_eq!(before[1].1["last_text"], "Can a person help?", "the visitor's message, as the list showed it then");
    assert_eq!(
        (before[1].1["contact_name"].as_str(), before[1].1["handled_by"].as_str()),
        (Some("Alice Liddell"), Some("bot"))
    );

    // An agent takes over and answers.
    let (status, _) = app.post(&format!("/conversations/{conversation}/takeover"), json!({})).await;
    assert_eq!(status, 200);
    let taken = listed().await;
    assert_eq!(taken["handled_by"], "agent");
    let before = events.until_listed(&taken).await;
    assert_eq!(before.iter().map(|(kind, _)| kind.as_str()).collect::<Vec<_>>(), ["handler"]);
    let (status, _) = app.post(&format!("/conversations/{conversation}/messages"), json!({"text": "Sam here."})).await;
    assert_eq!(status, 201);
    let answered = listed().await;
    assert_eq!((answered["last_text"].as_str(), answered["last_author"].as_str()), (Some("Sam here."), Some("agent")));
    let before = events.until_listed(&answered).await;
    assert_eq!(before.iter().map(|(kind, _)| kind.as_str()).collect::<Vec<_>>(), ["message"]);
}
both_backends!(
    the_event_stream_carries_each_changed_conversation_as_listed,
    super::the_event_stream_carries_each_changed_conversation_as_listed
);

/// A person the customer's API names by an id alone is listed by it, live and on a read,
/// not taken for an anonymous visitor.
async fn a_contact_known_by_its_id_alone_is_listed_by_it(app: TestApp) {
    let customer =
        Customer::start(|_| async move { axum::Json(json!({"data": {"id": "member-4711"}})).into_response() }).await;
    let bot = app.bot_with_auth(&customer.url, json!({})).await;
    let mut events = BotEvents::new(bot_events(&app, &bot).await);
    let (_, s) = app.start_session(json!({"bot_id": bot, "access_token": "any"})).await;
    assert_eq!(s["authenticated"], true, "{s}");
    send_as_visitor(&app, s["session_token"].as_str().unwrap(), "Where is my order?").await;
    let listed = loop {
        let (kind, data) = events.next().await;
        if kind == "conversation" {
            break data;
        }
    };
    assert_eq!((&listed["contact_name"], &listed["contact_identifier"]), (&json!(null), &json!("member-4711")));
    let (_, inbox) = app.get(&format!("/bots/{bot}/conversations")).await;
    assert_eq!(inbox["items"][0]["contact_identifier"], "member-4711", "{inbox}");
}
both_backends!(a_contact_known_by_its_id_alone_is_listed_by_it, super::a_contact_known_by_its_id_alone_is_listed_by_it);

/// A busy inbox and a long thread, read a page at a time: 100 conversations, then the rest
/// after `next_cursor`; the newest 200 messages, then those before the first shown.
async fn the_inbox_and_a_long_thread_are_read_a_page_at_a_time(app: TestApp) {
    let bot = app.bot().await;
    let mut conversations = Vec::new();
    for i in 0..103 {
        let (_, s) = app.start_session(json!({"bot_id": bot})).await;
        send_as_visitor(&app, s["session_token"].as_str().unwrap(), &format!("question {i}")).await;
        conversations.push(s["conversation"]["id"].as_str().unwrap().to_owned());
    }
    app.bot_done_with(103).await;
    let (status, first) = app.get(&format!("/bots/{bot}/conversations")).await;
    assert_eq!(status, 200, "{first}");
    let cursor = first["next_cursor"].as_str().expect("more to read").to_owned();
    let (_, rest) = app.get(&format!("/bots/{bot}/conversations?before={cursor}")).await;
    assert_eq!(rest["next_cursor"], json!(null), "{rest}");
    let listed: Vec<&str> = [&first, &rest]
        .iter()
        .flat_map(|page| page["items"].as_array().unwrap())
        .map(|item| item["conversation_id"].as_str().unwrap())
        .collect();
    assert_eq!((first["items"].as_array().unwrap().len(), listed.len()), (100, 103));
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 103, "each conversation once");
    let (_, again) = app.get(&format!("/bots/{bot}/conversations?before=")).await;
    assert_eq!(again["items"], first["items"], "an empty cursor is the first page");
    let (status, e) = app.get(&format!("/bots/{bot}/conversations?before=not-a-cursor")).await;
    assert_eq!((status, e["error"]["code"].as_str()), (400, Some("invalid_query")), "{e}");

    let thread = &conversations[0];
    for i in 0..205 {
        let (status, body) =
            app.post(&format!("/conversations/{thread}/messages"), json!({"text": format!("reply {i}")})).await;
        assert_eq!(status, 201, "{body}");
    }
    let (_, newest) = app.get(&format!("/conversations/{thread}/messages")).await;
    let newest = newest["items"].as_array().unwrap().clone();
    assert_eq!((newest.len(), newest[199]["text"].as_str()), (200, Some("reply 204")));
    let first_shown = newest[0]["id"].as_i64().unwrap();
    let (_, earlier) = app.get(&format!("/conversations/{thread}/messages?before={first_shown}")).await;
    let texts: Vec<&str> = earlier["items"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts.len(), 7, "the question, the bot's handoff and the first five replies: {texts:?}");
    assert_eq!((texts[0], texts[6]), ("question 0", "reply 4"));
}
both_backends!(
    the_inbox_and_a_long_thread_are_read_a_page_at_a_time,
    super::the_inbox_and_a_long_thread_are_read_a_page_at_a_time
);
