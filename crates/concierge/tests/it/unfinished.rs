//! A bot turn the process never finished: it was killed after the visitor's message was
//! stored and before the bot answered. The visitor must not wait for ever, unseen.

use concierge_domain::{Author, Handler, Priority};
use concierge_store::HandlerChange;
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::utils::TestApp;

const MINUTE: i64 = 60_000;

/// A visitor's conversation of `bot` in which they wrote `text` `ago` ms ago.
async fn asked(app: &TestApp, bot: &str, text: &str, ago: i64) -> String {
    let (status, started) = app.start_session(json!({"bot_id": bot})).await;
    assert_eq!(status, 201, "{started}");
    let conversation = started["conversation"]["id"].as_str().unwrap().to_owned();
    write(app, &conversation, Author::Visitor, text, ago).await;
    conversation
}

async fn write(app: &TestApp, conversation: &str, author: Author, text: &str, ago: i64) {
    let now = concierge_core::now_ms() - ago;
    let message = concierge_store::NewMessage {
        conversation_id: conversation,
        author,
        author_name: None,
        text,
        styles: None,
        only_while: None,
        now,
    };
    app.services.store.add_message(message).await.unwrap();
}

/// Who handles the conversation, as the inbox lists it, and its messages as (author, text).
async fn state(app: &TestApp, bot: &str, conversation: &str) -> (String, Vec<(String, String)>) {
    let (_, inbox) = app.get(&format!("/bots/{bot}/conversations")).await;
    let listed = inbox["items"].as_array().unwrap().iter().find(|c| c["conversation_id"] == conversation).unwrap();
    let handler = listed["handled_by"].as_str().unwrap().to_owned();
    let (_, listed) = app.get(&format!("/conversations/{conversation}/messages")).await;
    let messages = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m: &Value| (m["author"].as_str().unwrap().to_owned(), m["text"].as_str().unwrap().to_owned()));
    (handler, messages.collect())
}

async fn a_turn_never_finished_goes_to_the_team(app: TestApp) {
    let bot = app.bot().await;
    let (_, settings) = app.get(&format!("/bots/{bot}")).await;
    let handoff = settings["handoff_text"].as_str().unwrap().to_owned();
    let forgotten = asked(&app, &bot, "Is my order shipped?", 6 * MINUTE).await;
    // A turn that may still be under way on another instance; one the bot finished; one a
    // person took over.
    let recent = asked(&app, &bot, "Do you ship to Norway?", MINUTE).await;
    let answered = asked(&app, &bot, "Hello?", 6 * MINUTE).await;
    write(&app, &answered, Author::Bot, "Hi! How can I help?", 6 * MINUTE - 1_000).await;
    let taken = asked(&app, &bot, "I need a person", 6 * MINUTE).await;
    let (status, _) = app.admin(Method::POST, &format!("/conversations/{taken}/takeover"), None).await;
    assert_eq!(status, 200);
    // A person answered, the visitor said thanks, and the person handed it back to the bot:
    // no turn of the bot's was left undone.
    let resolved = asked(&app, &bot, "Can I pay by invoice?", 20 * MINUTE).await;
    let (status, _) = app.admin(Method::POST, &format!("/conversations/{resolved}/takeover"), None).await;
    assert_eq!(status, 200);
    write(&app, &resolved, Author::Agent, "Yes, from 10 seats.", 19 * MINUTE).await;
    write(&app, &resolved, Author::Visitor, "Thanks, that's all!", 18 * MINUTE).await;
    // Handed back 17 minutes ago: inside the window the forgotten turns are looked for in.
    let back = HandlerChange {
        handled_by: Handler::Bot,
        priority: Priority::Normal,
        agent_name: None,
        agent_id: None,
        expected: Some(Handler::Agent),
        now: concierge_core::now_ms() - 17 * MINUTE,
    };
    app.services.store.set_conversation_handler(&resolved, &back).await.unwrap().expect("handed back");

    assert_eq!(app.services.hand_over_unfinished_turns().await.unwrap(), 1);
    let (handler, messages) = state(&app, &bot, &forgotten).await;
    assert_eq!(handler, "waiting", "the team sees it waiting");
    assert_eq!(messages.last().unwrap(), &("bot".to_owned(), handoff), "the visitor is told a person comes");
    assert_eq!(state(&app, &bot, &recent).await.0, "bot");
    assert_eq!(
        state(&app, &bot, &answered).await,
        (
            "bot".to_owned(),
            vec![("visitor".to_owned(), "Hello?".to_owned()), ("bot".to_owned(), "Hi! How can I help?".to_owned()),]
        )
    );
    let (handler, messages) = state(&app, &bot, &taken).await;
    assert_eq!((handler.as_str(), messages.len()), ("agent", 1));
    let (handler, messages) = state(&app, &bot, &resolved).await;
    assert_eq!((handler.as_str(), messages.len()), ("bot", 3), "the resolved conversation is left alone");
    // Once: the next housekeeping (on this or another instance) finds nothing more.
    assert_eq!(app.services.hand_over_unfinished_turns().await.unwrap(), 0);
    assert_eq!(state(&app, &bot, &forgotten).await.1.len(), 2);
}
both_backends!(a_turn_never_finished_goes_to_the_team, super::a_turn_never_finished_goes_to_the_team);
