//! Signing in never hides a person's history: the anonymous conversation a page opened
//! before the sign-in joins the contact's, on every device and in the inbox.

use std::time::Duration;

use futures::StreamExt;
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::inbox::{bot_events, send_as_visitor};
use crate::utils::{Customer, TestApp};
use crate::widget::{connect, next_message};

/// A bot behind Custom Authentication that acknowledges every message.
async fn acknowledging_bot(app: &TestApp, customer: &Customer) -> String {
    let bot = app.bot_with_auth(&customer.url, json!({})).await;
    let rules = json!([{"name": "Acknowledge", "when": [], "then": {"action": "answer", "text": "Noted."}}]);
    let (status, body) = app.admin(Method::PATCH, &format!("/bots/{bot}"), Some(json!({"rules": rules}))).await;
    assert_eq!(status, 200, "{body}");
    bot
}

async fn history(app: &TestApp, token: &str) -> Vec<(String, String)> {
    let resp = app.http.get(app.url("/api/widget/v1/messages?after=0")).bearer_auth(token).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    let items = body["items"].as_array().unwrap();
    items.iter().map(|m| (m["author"].as_str().unwrap().to_owned(), m["text"].as_str().unwrap().to_owned())).collect()
}

/// Sends as the visitor and waits for the bot's acknowledgement, so that what follows
/// does not race the answer.
async fn say(app: &TestApp, token: &str, text: &str) {
    let before = history(app, token).await.len();
    send_as_visitor(app, token, text).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while history(app, token).await.len() < before + 2 {
        assert!(tokio::time::Instant::now() < deadline, "the bot acknowledges {text:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn texts(messages: &Value) -> Vec<(String, String)> {
    let items = messages.as_array().unwrap();
    items.iter().map(|m| (m["author"].as_str().unwrap().to_owned(), m["text"].as_str().unwrap().to_owned())).collect()
}

fn said(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(a, t)| ((*a).to_owned(), (*t).to_owned())).collect()
}

async fn sign_in_on_a_page_that_loaded_first(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = acknowledging_bot(&app, &customer).await;

    // Device 1: Alice signs in and writes twice.
    let (_, laptop) = app.start_session(json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    let laptop_token = laptop["session_token"].as_str().unwrap().to_owned();
    let conversation = laptop["conversation"]["id"].clone();
    say(&app, &laptop_token, "Where is my order?").await;
    say(&app, &laptop_token, "It was due Monday").await;
    let two = said(&[
        ("visitor", "Where is my order?"),
        ("bot", "Noted."),
        ("visitor", "It was due Monday"),
        ("bot", "Noted."),
    ]);

    // Device 3: the page loads (anonymous), then Alice signs in there.
    let (_, phone_page) = app.start_session(json!({"bot_id": bot})).await;
    assert_eq!(phone_page["authenticated"], false);
    let (status, phone) = app
        .start_session(json!({"bot_id": bot, "access_token": "tok-alice",
            "visitor_token": phone_page["session_token"]}))
        .await;
    assert_eq!(status, 201, "{phone}");
    assert_eq!(phone["conversation"]["id"], conversation, "the phone shows Alice's conversation");
    assert_eq!(texts(&phone["conversation"]["messages"]), two);

    // Device 1 reloads: nothing hidden.
    let (_, reloaded) = app.start_session(json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    assert_eq!(reloaded["conversation"]["id"], conversation);
    assert_eq!(texts(&reloaded["conversation"]["messages"]), two);

    // The empty page conversation is gone: the inbox lists Alice's conversation only.
    let (_, inbox) = app.get(&format!("/bots/{bot}/conversations")).await;
    let listed: Vec<_> = inbox["items"].as_array().unwrap().iter().map(|i| i["conversation_id"].clone()).collect();
    assert_eq!(listed, [conversation]);
}
both_backends!(sign_in_on_a_page_that_loaded_first, super::sign_in_on_a_page_that_loaded_first);

async fn what_a_visitor_wrote_before_signing_in_joins_the_history_everywhere(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = acknowledging_bot(&app, &customer).await;
    let (_, laptop) = app.start_session(json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    let laptop_token = laptop["session_token"].as_str().unwrap().to_owned();
    let conversation = laptop["conversation"]["id"].as_str().unwrap().to_owned();
    say(&app, &laptop_token, "Where is my order?").await;

    // The laptop stays open; the dashboard watches the bot.
    let mut laptop_socket = connect(&app, &laptop_token, 1_000_000).await;
    let mut events = std::pin::pin!(bot_events(&app, &bot).await);

    // On the phone, before signing in, Alice asks something as an anonymous visitor.
    let (_, phone_page) = app.start_session(json!({"bot_id": bot})).await;
    let phone_page_token = phone_page["session_token"].as_str().unwrap().to_owned();
    let anonymous = phone_page["conversation"]["id"].as_str().unwrap().to_owned();
    say(&app, &phone_page_token, "Can I change the address?").await;

    let (_, phone) =
        app.start_session(json!({"bot_id": bot, "access_token": "tok-alice", "visitor_token": phone_page_token})).await;
    let all = said(&[
        ("visitor", "Where is my order?"),
        ("bot", "Noted."),
        ("visitor", "Can I change the address?"),
        ("bot", "Noted."),
    ]);
    assert_eq!(phone["conversation"]["id"], conversation.as_str());
    assert_eq!(texts(&phone["conversation"]["messages"]), all);

    // The open laptop gets the phone's messages live, though it had read past them.
    let first = next_message(&mut laptop_socket).await;
    let second = next_message(&mut laptop_socket).await;
    assert_eq!((first["text"].as_str(), second["text"].as_str()), (Some("Can I change the address?"), Some("Noted.")));

    // The dashboard hears where the anonymous conversation went.
    let mut seen = String::new();
    while !seen.contains("event: merged") || !seen.contains(&conversation) {
        let chunk = tokio::time::timeout(Duration::from_secs(5), events.next()).await.unwrap().unwrap().unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains(&anonymous), "{seen}");

    // Every device, and the agents, see the one conversation.
    let (_, reloaded) = app.start_session(json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    assert_eq!(texts(&reloaded["conversation"]["messages"]), all);
    assert_eq!(history(&app, &laptop_token).await, all);
    let (_, agents) = app.get(&format!("/conversations/{conversation}/messages")).await;
    assert_eq!(texts(&agents["items"]), all);
    let (status, gone) = app.get(&format!("/conversations/{anonymous}/messages")).await;
    assert_eq!((status, gone["error"]["code"].as_str()), (404, Some("conversation_not_found")));
    let old = app.http.get(app.url("/api/widget/v1/messages")).bearer_auth(&phone_page_token).send().await.unwrap();
    assert_eq!(old.status(), 401, "the anonymous session is spent");
}
both_backends!(
    what_a_visitor_wrote_before_signing_in_joins_the_history_everywhere,
    super::what_a_visitor_wrote_before_signing_in_joins_the_history_everywhere
);

async fn a_refused_token_keeps_the_visitor_chatting_and_proves_nothing(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = acknowledging_bot(&app, &customer).await;
    let (_, page) = app.start_session(json!({"bot_id": bot})).await;
    let visitor = page["session_token"].as_str().unwrap().to_owned();
    say(&app, &visitor, "Hello?").await;

    // An expired site token: still an anonymous visitor, still in the same conversation.
    let (status, refused) =
        app.start_session(json!({"bot_id": bot, "access_token": "expired", "visitor_token": visitor})).await;
    assert_eq!(status, 201, "{refused}");
    assert_eq!(refused["auth_error"]["code"], "invalid_token");
    assert_eq!(refused["conversation"]["id"], page["conversation"]["id"]);
    let refused_token = refused["session_token"].as_str().unwrap().to_owned();

    // Someone signing in with the refused session as proof gets nothing of it.
    let (_, bob) =
        app.start_session(json!({"bot_id": bot, "access_token": "tok-bob", "visitor_token": refused_token})).await;
    assert_eq!(bob["authenticated"], true);
    assert_ne!(bob["conversation"]["id"], page["conversation"]["id"]);
    assert_eq!(texts(&bob["conversation"]["messages"]), []);

    // The retry with a fresh token and the live visitor session takes the conversation along.
    let (_, alice) =
        app.start_session(json!({"bot_id": bot, "access_token": "tok-alice", "visitor_token": visitor})).await;
    assert_eq!(alice["authenticated"], true);
    assert_eq!(texts(&alice["conversation"]["messages"]), said(&[("visitor", "Hello?"), ("bot", "Noted.")]));
    for spent in [&visitor, &refused_token] {
        let resp = app.http.get(app.url("/api/widget/v1/messages")).bearer_auth(spent).send().await.unwrap();
        assert_eq!(resp.status(), 401, "an anonymous session no longer reads Alice's conversation");
    }
}
both_backends!(
    a_refused_token_keeps_the_visitor_chatting_and_proves_nothing,
    super::a_refused_token_keeps_the_visitor_chatting_and_proves_nothing
);

/// A phone that had read further than what a laptop wrote before signing in still gets it
/// when it catches up, by a read or on its socket: asleep at the sign-in, it heard nothing
/// live. What joined comes after what the phone had, as the newest messages.
async fn a_device_asleep_at_the_sign_in_catches_up_with_what_joined(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = acknowledging_bot(&app, &customer).await;
    let (_, phone) = app.start_session(json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    let phone_token = phone["session_token"].as_str().unwrap().to_owned();
    say(&app, &phone_token, "Asked on the phone").await;
    let (_, laptop_page) = app.start_session(json!({"bot_id": bot})).await;
    let laptop_page_token = laptop_page["session_token"].as_str().unwrap().to_owned();
    say(&app, &laptop_page_token, "Asked on the laptop before signing in").await;
    say(&app, &phone_token, "Asked on the phone again").await;
    let resp = app.http.get(app.url("/api/widget/v1/messages?after=0")).bearer_auth(&phone_token).send().await.unwrap();
    let read: Value = resp.json().await.unwrap();
    let read_up_to = read["items"].as_array().unwrap().iter().filter_map(|m| m["id"].as_i64()).max().unwrap();

    let (_, laptop) = app
        .start_session(json!({"bot_id": bot, "access_token": "tok-alice", "visitor_token": laptop_page_token}))
        .await;
    assert_eq!(laptop["conversation"]["id"], phone["conversation"]["id"]);

    let url = app.url(&format!("/api/widget/v1/messages?after={read_up_to}"));
    let caught: Value = app.http.get(url).bearer_auth(&phone_token).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        texts(&caught["items"]),
        said(&[("visitor", "Asked on the laptop before signing in"), ("bot", "Noted.")]),
        "a read after what the phone had"
    );
    let mut socket = connect(&app, &phone_token, read_up_to).await;
    assert_eq!(next_message(&mut socket).await["text"], "Asked on the laptop before signing in", "on its socket");
    assert_eq!(next_message(&mut socket).await["text"], "Noted.");
    // What came after the sign-in is read as ever, and what joined is not read again.
    let newest = caught["items"].as_array().unwrap().iter().filter_map(|m| m["id"].as_i64()).max().unwrap();
    say(&app, &phone_token, "Thanks").await;
    let url = app.url(&format!("/api/widget/v1/messages?after={newest}"));
    let later: Value = app.http.get(url).bearer_auth(&phone_token).send().await.unwrap().json().await.unwrap();
    assert_eq!(texts(&later["items"]), said(&[("visitor", "Thanks"), ("bot", "Noted.")]), "{later}");
}
both_backends!(
    a_device_asleep_at_the_sign_in_catches_up_with_what_joined,
    super::a_device_asleep_at_the_sign_in_catches_up_with_what_joined
);
