//! The questions the bot handed to the team for want of an article, as the operator
//! reviews them: which ones, in whose conversation, what the bot had, and whether the
//! article written since answers them.

use reqwest::Method;
use serde_json::{json, Value};

use super::*;
use crate::both_backends;
use crate::utils::Customer;

const TAXES: &str = "Can your product help me file my taxes in Portugal?";
const GIFT_CARDS: &str = "Do you sell gift cards?";

async fn unanswered(app: &TestApp, bot: &str, query: &str) -> Value {
    let (status, page) = app.get(&format!("/bots/{bot}/unanswered{query}")).await;
    assert_eq!(status, 200, "{page}");
    page
}

fn texts(page: &Value) -> Vec<&str> {
    page["items"].as_array().unwrap().iter().map(|q| q["text"].as_str().unwrap()).collect()
}

async fn the_team_reviews_what_the_bot_could_not_answer(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = bot_with_articles(&app, Some(&customer.url)).await;

    // An anonymous visitor: one question answered, one handed over, then a message the
    // bot leaves to the team it waits for.
    let (anonymous, _) = session(&app, json!({"bot_id": bot})).await;
    assert!(ask(&app, &anonymous, "How do I reset my password?").await["text"]
        .as_str()
        .unwrap()
        .starts_with("You can"));
    assert!(ask(&app, &anonymous, TAXES).await["text"].as_str().unwrap().starts_with("I'm not sure"));
    send(&app, &anonymous, "hello? anyone there about my taxes in Portugal?").await;
    // A visitor who asks for a person, or whom a rule hands over, is no gap in the articles.
    let (asks_for_a_person, _) = session(&app, json!({"bot_id": bot})).await;
    ask(&app, &asks_for_a_person, "I want to talk to a human").await;
    let lawyers = json!([{"name": "Legal goes to a person", "when": [{"path": "message", "op": "contains", "value": "lawyer"}],
        "then": {"action": "handoff", "priority": "high"}}]);
    assert_eq!(app.admin(Method::PATCH, &format!("/bots/{bot}"), Some(json!({"rules": lawyers}))).await.0, 200);
    let (legal, _) = session(&app, json!({"bot_id": bot})).await;
    ask(&app, &legal, "My lawyer has a question about your terms").await;
    // A signed-in visitor on a phone.
    let (alice, started) = session(&app, json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    assert!(ask(&app, &alice, GIFT_CARDS).await["text"].as_str().unwrap().starts_with("I'm not sure"));
    // Try a question is the operator, not a visitor.
    let (status, tried) =
        app.post(&format!("/bots/{bot}/ask"), json!({"text": "Do you sell gift cards in Portugal?"})).await;
    assert_eq!((status, tried["action"].as_str()), (200, Some("handoff")), "{tried}");
    app.bot_done_with(6).await;

    let page = unanswered(&app, &bot, "").await;
    assert_eq!(
        texts(&page),
        [GIFT_CARDS, TAXES],
        "newest first, and only what went to a person for want of an article"
    );
    let gift = &page["items"][0];
    assert_eq!(gift["conversation_id"], started["conversation"]["id"], "{gift}");
    assert_eq!(gift["contact_id"], started["contact"]["id"], "{gift}");
    assert_eq!(page["items"][1]["contact_id"], Value::Null);
    assert_eq!(gift["now"]["answered"], false);
    assert!(gift["asked_at"].as_str().unwrap().ends_with('Z'), "{gift}");
    let taxes = &page["items"][1];
    assert_eq!(taxes["now"]["answered"], false);
    assert_eq!(page["next_cursor"], Value::Null);

    // A page at a time.
    let first = unanswered(&app, &bot, "?limit=1").await;
    assert_eq!(texts(&first), [GIFT_CARDS]);
    let cursor = first["next_cursor"].as_str().expect("a next page").to_owned();
    let last = unanswered(&app, &bot, &format!("?limit=1&before={cursor}")).await;
    assert_eq!(texts(&last), [TAXES]);
    assert_eq!(last["next_cursor"], Value::Null, "a full page that ends the list says so: {last}");
    for cursor in ["yesterday", "-1", "", "9007199254740992"] {
        let (status, e) = app.get(&format!("/bots/{bot}/unanswered?before={cursor}")).await;
        assert_eq!((status, e["error"]["code"].as_str()), (400, Some("invalid_query")), "{cursor}: {e}");
    }

    // Decided again as whoever asked: a rule for Alice's plan answers her question now,
    // and no one else's.
    let gifts = json!([{"name": "Enterprise gifts", "when": [{"path": "contact.metadata.plan", "op": "equals", "value": "enterprise"},
        {"path": "message", "op": "contains", "value": "gift"}], "then": {"action": "answer", "text": "Ask your account team."}}]);
    assert_eq!(app.admin(Method::PATCH, &format!("/bots/{bot}"), Some(json!({"rules": gifts}))).await.0, 200);
    let now = unanswered(&app, &bot, "").await["items"][0]["now"].clone();
    assert_eq!((now["answered"].as_bool(), now["rule"].as_str()), (Some(true), Some("Enterprise gifts")), "{now}");
    let (status, tried) = app.post(&format!("/bots/{bot}/ask"), json!({"text": GIFT_CARDS})).await;
    assert_eq!(
        (status, tried["action"].as_str()),
        (200, Some("handoff")),
        "an anonymous visitor is not answered: {tried}"
    );
    assert_eq!(app.admin(Method::PATCH, &format!("/bots/{bot}"), Some(json!({"rules": []}))).await.0, 200);

    // The operator writes the missing article: the question now shows it answered, and a
    // visitor asking it again is answered.
    let article = json!({"title": "Gift cards", "body": "We sell **gift cards** from 10 to 200 euros in our shop."});
    let (status, written) = app.post(&format!("/bots/{bot}/articles"), article).await;
    assert_eq!(status, 201, "{written}");
    let page = unanswered(&app, &bot, "").await;
    let now = &page["items"][0]["now"];
    assert_eq!(
        (now["answered"].as_bool(), now["article"]["id"].as_str()),
        (Some(true), written["id"].as_str()),
        "{now}"
    );
    assert!(now["article"]["confidence"].as_u64().unwrap() >= 35, "{now}");
    assert_eq!(page["items"][1]["now"]["answered"], false, "taxes still need an article");
    // (Not Alice: her conversation waits for a person, on every device of hers.)
    let (bob, _) = session(&app, json!({"bot_id": bot, "access_token": "tok-bob"})).await;
    assert!(ask(&app, &bob, GIFT_CARDS).await["text"].as_str().unwrap().starts_with("We sell gift cards"));
    app.bot_done_with(7).await;
    assert_eq!(unanswered(&app, &bot, "").await["items"].as_array().unwrap().len(), 2, "answered: not recorded");

    // Dismissed once, by id, and only through its own bot.
    let id = page["items"][0]["id"].as_i64().unwrap();
    let other_bot = app.bot().await;
    let (status, e) = app.admin(Method::DELETE, &format!("/bots/{other_bot}/unanswered/{id}"), None).await;
    assert_eq!((status, e["error"]["code"].as_str()), (404, Some("question_not_found")), "{e}");
    assert_eq!(unanswered(&app, &bot, "").await["items"].as_array().unwrap().len(), 2);
    let path = format!("/bots/{bot}/unanswered/{id}");
    assert_eq!(app.admin(Method::DELETE, &path, None).await.0, 204);
    let (status, e) = app.admin(Method::DELETE, &path, None).await;
    assert_eq!((status, e["error"]["code"].as_str()), (404, Some("question_not_found")), "{e}");
    let (status, e) = app.admin(Method::DELETE, &format!("/bots/{bot}/unanswered/gift"), None).await;
    assert_eq!((status, e["error"]["code"].as_str()), (404, Some("question_not_found")), "{e}");
    assert_eq!(texts(&unanswered(&app, &bot, "").await), [TAXES]);
}
both_backends!(the_team_reviews_what_the_bot_could_not_answer, super::the_team_reviews_what_the_bot_could_not_answer);
