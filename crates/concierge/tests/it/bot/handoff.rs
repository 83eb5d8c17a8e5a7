//! Rules on the contact's verified data, and handing the conversation to a person and back.

use serde_json::{json, Value};

use super::*;
use crate::both_backends;
use crate::utils::Customer;

async fn rules_on_metadata_choose_answers_and_handoffs(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = bot_with_articles(&app, Some(&customer.url)).await;
    let rules = json!([
        {"name": "Enterprise goes to a person", "when": [{"path": "contact.metadata.plan", "op": "equals", "value": "Enterprise"}],
         "then": {"action": "handoff", "priority": "high", "text": "Connecting you with your account team, {{ contact.name }}."}},
        {"name": "Refunds for free plans", "when": [
            {"path": "message", "op": "contains", "value": "refund"},
            {"path": "contact.metadata.plan", "op": "exists"}],
         "then": {"action": "answer", "text": "Free plans have nothing to refund, {{ contact.name }}."}}
    ]);
    let (status, b) = app.admin(reqwest::Method::PATCH, &format!("/bots/{bot}"), Some(json!({"rules": rules}))).await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["rules"], rules);

    let (bob, _) = session(&app, json!({"bot_id": bot, "access_token": "tok-bob"})).await;
    assert_eq!(ask(&app, &bob, "Can I get a refund?").await["text"], "Free plans have nothing to refund, Bob.");
    let (carol, _) = session(&app, json!({"bot_id": bot, "access_token": "tok-carol"})).await;
    assert!(ask(&app, &carol, "Can I get a refund?").await["text"]
        .as_str()
        .unwrap()
        .starts_with("We refund unused months"));

    let (alice, _) = session(&app, json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    let answer = ask(&app, &alice, "How do I reset my password?").await;
    assert_eq!(answer["text"], "Connecting you with your account team, Alice Liddell.");
    assert_eq!(handled_by(&app, &alice).await["handled_by"], "waiting");
    let (_, inbox) = app.get(&format!("/bots/{bot}/conversations")).await;
    let first = &inbox["items"][0];
    assert_eq!((first["contact_name"].as_str(), first["priority"].as_str()), (Some("Alice Liddell"), Some("high")));

    // Rules are checked before they are saved, each problem named.
    let (status, e) = app
        .admin(
            reqwest::Method::PATCH,
            &format!("/bots/{bot}"),
            Some(json!({"rules": [{"name": "x", "when": [{"path": "contact.password", "op": "exists"}], "then": {"action": "answer", "text": "{% if %}"}}]})),
        )
        .await;
    assert_eq!((status, e["error"]["code"].as_str()), (422, Some("validation_failed")), "{e}");
    let fields: Vec<&str> =
        e["error"]["fields"].as_array().unwrap().iter().filter_map(|f| f["field"].as_str()).collect();
    assert!(fields.contains(&"rules[0].when[0].path") && fields.contains(&"rules[0].then.text"), "{fields:?}");
}
both_backends!(rules_on_metadata_choose_answers_and_handoffs, super::rules_on_metadata_choose_answers_and_handoffs);

async fn asking_for_a_person_hands_off_until_resolved(app: TestApp) {
    let bot = bot_with_articles(&app, None).await;
    let store = app.services.store.as_ref();
    concierge_core::create_user(store, "sam@example.com", Some("Sam Jones"), "a long password", None).await.unwrap();
    let sam = concierge_core::create_api_token(store, "sam@example.com", "t").await.unwrap();
    let (token, _) = session(&app, json!({"bot_id": bot})).await;
    let conversation = handled_by(&app, &token).await["id"].as_str().unwrap().to_owned();
    let mut socket = listen(&app, &token).await;

    send(&app, &token, "Can I talk to a human please").await;
    let (frames, answer) = until_bot_message(&mut socket).await;
    assert!(answer["text"].as_str().unwrap().starts_with("I'm bringing in a person"), "{answer}");
    assert!(frames.iter().any(|f| f["type"] == "handler" && f["handled_by"] == "waiting"), "{frames:?}");

    // Sam answers: the widget shows Sam's name, and the bot stays out of it.
    let (status, m) = app
        .admin_as(
            &sam,
            reqwest::Method::POST,
            &format!("/conversations/{conversation}/messages"),
            Some(json!({"text": "Hi, Sam here."})),
        )
        .await;
    assert_eq!((status, m["author_name"].as_str()), (201, Some("Sam Jones")), "{m}");
    let mut seen = Vec::new();
    while !seen.iter().any(|f: &Value| f["type"] == "message") {
        seen.push(next(&mut socket).await);
    }
    assert!(seen
        .iter()
        .any(|f| f["type"] == "handler" && f["handled_by"] == "agent" && f["agent_name"] == "Sam Jones"));
    assert_eq!(seen.last().unwrap()["message"]["author_name"], "Sam Jones");
    send(&app, &token, "How do I reset my password?").await;
    assert_eq!(next(&mut socket).await["message"]["author"], "visitor");
    bot_stayed_silent(&app, &mut socket, &conversation, 2, &sam).await;

    // Resolved: back to the bot, which answers again.
    let (status, c) = app
        .admin_as(&sam, reqwest::Method::POST, &format!("/conversations/{conversation}/handback"), Some(json!({})))
        .await;
    assert_eq!((status, c["handled_by"].as_str(), c["agent_name"].as_str()), (200, Some("bot"), None), "{c}");
    assert_eq!(next(&mut socket).await["handled_by"], "bot");
    let answer = ask(&app, &token, "How do I reset my password?").await;
    assert!(answer["text"].as_str().unwrap().starts_with("You can reset your password"), "{answer}");
}
both_backends!(asking_for_a_person_hands_off_until_resolved, super::asking_for_a_person_hands_off_until_resolved);

/// Two colleagues click "Take over" on one waiting conversation at once: one gets it, the
/// other is told who has it, and the visitor sees one person join, not two.
async fn of_two_agents_taking_over_at_once_one_gets_it(app: TestApp) {
    let bot = bot_with_articles(&app, None).await;
    let store = app.services.store.as_ref();
    let mut agents = Vec::new();
    for (email, name) in [("bea@example.com", "Bea Ortiz"), ("sam@example.com", "Sam Jones")] {
        concierge_core::create_user(store, email, Some(name), "a long password", None).await.unwrap();
        agents.push(concierge_core::create_api_token(store, email, "t").await.unwrap());
    }
    let (token, _) = session(&app, json!({"bot_id": bot})).await;
    let conversation = handled_by(&app, &token).await["id"].as_str().unwrap().to_owned();
    let mut socket = listen(&app, &token).await;
    send(&app, &token, "Can I talk to a human please").await;
    until_bot_message(&mut socket).await;

    let take = |agent: &str| {
        let path = format!("/conversations/{conversation}/takeover");
        let agent = agent.to_owned();
        let app = &app;
        async move { app.admin_as(&agent, reqwest::Method::POST, &path, None).await }
    };
    let (a, b) = tokio::join!(take(&agents[0]), take(&agents[1]));
    let (won, lost) = if a.0 == 200 { (a, b) } else { (b, a) };
    assert_eq!(won.0, 200, "{won:?}");
    let winner = won.1["agent_name"].as_str().unwrap().to_owned();
    assert_eq!((lost.0, lost.1["error"]["code"].as_str()), (409, Some("conversation_taken")), "{lost:?}");
    let told = lost.1["error"]["message"].as_str().unwrap();
    assert!(told.starts_with(&format!("{winner} is answering")), "the loser learns who has it: {told}");
    let handler = || async { app.get(&format!("/bots/{bot}/conversations")).await.1["items"][0]["agent_name"].clone() };
    assert_eq!(handler().await, winner.as_str());

    // The winner clicking again changes nothing; the visitor saw one person join.
    let winner_token = if winner == "Bea Ortiz" { &agents[0] } else { &agents[1] };
    let (status, again) = take(winner_token).await;
    assert_eq!((status, again["agent_name"].as_str()), (200, Some(winner.as_str())), "{again}");
    send(&app, &token, "hello?").await;
    let mut joined = Vec::new();
    loop {
        let frame = next(&mut socket).await;
        if frame["type"] == "message" {
            assert_eq!(frame["message"]["text"], "hello?");
            break;
        }
        joined.push(frame);
    }
    assert_eq!(joined.len(), 1, "one person joined: {joined:?}");
    assert_eq!((joined[0]["type"].as_str(), joined[0]["agent_name"].as_str()), (Some("handler"), Some(&*winner)));
    let reply = bot_stayed_silent(&app, &mut socket, &conversation, 2, winner_token).await;
    assert_eq!(reply["author_name"].as_str(), Some(winner.as_str()));
    assert_eq!(handler().await, winner.as_str(), "the loser took nothing");
    // Another colleague of the same name is another person all the same.
    let twin_email = "twin@example.com";
    concierge_core::create_user(store, twin_email, Some(&winner), "a long password", None).await.unwrap();
    let twin = concierge_core::create_api_token(store, twin_email, "t").await.unwrap();
    let (status, e) = take(&twin).await;
    assert_eq!((status, e["error"]["code"].as_str()), (409, Some("conversation_taken")), "{e}");

    // Replying is deliberate: the other agent's reply takes the conversation over.
    let loser_token = if winner == "Bea Ortiz" { &agents[1] } else { &agents[0] };
    let path = format!("/conversations/{conversation}/messages");
    let (status, m) =
        app.admin_as(loser_token, reqwest::Method::POST, &path, Some(json!({"text": "I'll take this one."}))).await;
    assert_eq!(status, 201, "{m}");
    assert_eq!(handler().await, m["author_name"]);
}
both_backends!(of_two_agents_taking_over_at_once_one_gets_it, super::of_two_agents_taking_over_at_once_one_gets_it);
