//! The language-model path: streaming to the widget, what the prompt carries, and the
//! fallbacks when the model is slow, failing, or overtaken by a person.

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::both_backends;
use crate::utils::model::{Behaviour, Model};
use crate::utils::Customer;

async fn configure_model(app: &TestApp, bot: &str, base_url: &str, timeout_ms: u64) {
    let (status, llm) = app
        .put(
            &format!("/bots/{bot}/llm"),
            json!({"enabled": true, "base_url": base_url, "model": "test-model", "api_key": "sk-test-secret-4242",
                   "timeout_ms": timeout_ms, "instructions": "Be brief and friendly."}),
        )
        .await;
    assert_eq!(status, 200, "{llm}");
    assert_eq!(llm["api_key_set"], true);
    assert!(llm.get("api_key").is_none(), "the key is write-only: {llm}");
}

async fn the_model_answer_streams_to_the_widget(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = bot_with_articles(&app, Some(&customer.url)).await;
    let model = Model::start(Behaviour::Stream {
        pieces: vec!["Hi Alice", "! Go to **", "Settings → Security**", " and choose *Reset password*."],
        gap: Duration::from_millis(60),
    })
    .await;
    configure_model(&app, &bot, &model.base_url, 5000).await;
    let (token, _) = session(&app, json!({"bot_id": bot, "access_token": "tok-alice", "name": "Mallory"})).await;
    let mut socket = listen(&app, &token).await;
    send(&app, &token, "How do I reset my password?").await;
    let (frames, answer) = until_bot_message(&mut socket).await;

    let deltas: Vec<&str> = frames.iter().filter(|f| f["type"] == "delta").filter_map(|f| f["text"].as_str()).collect();
    assert_eq!(
        deltas,
        ["Hi Alice", "! Go to **", "Settings → Security**", " and choose *Reset password*."],
        "token by token, as the model writes them"
    );
    let at: Vec<u64> = frames.iter().filter(|f| f["type"] == "delta").filter_map(|f| f["at"].as_u64()).collect();
    assert_eq!(at, [0, 8, 18, 39], "where each piece starts, in UTF-16 code units (→ is one)");
    let end = frames.iter().position(|f| f["type"] == "stream_end").expect("the stream ends");
    assert!(end > frames.iter().rposition(|f| f["type"] == "delta").unwrap());
    assert_eq!(answer["text"], "Hi Alice! Go to Settings → Security and choose Reset password.");
    assert_eq!(
        answer["styles"],
        json!([{"start": 16, "end": 35, "style": "strong"}, {"start": 47, "end": 61, "style": "em"}]),
        "the stored answer keeps the model's emphasis"
    );

    let asked = model.received();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].authorization.as_deref(), Some("Bearer sk-test-secret-4242"));
    assert_eq!((asked[0].body["model"].as_str(), asked[0].body["stream"].as_bool()), (Some("test-model"), Some(true)));
    let prompt = asked[0].prompt();
    for expected in
        ["Resetting your password", "Settings → Security", "enterprise", "Alice Liddell", "Be brief and friendly."]
    {
        assert!(prompt.contains(expected), "the prompt has {expected:?}: {prompt}");
    }
    assert!(!prompt.contains("Mallory"), "the page's claims are not facts: {prompt}");
    assert!(prompt.trim_end().ends_with("How do I reset my password?"), "{prompt}");

    // The key is sealed at rest.
    app.assert_not_stored("sk-test-secret-4242").await;
    let (_, llm) = app.get(&format!("/bots/{bot}/llm")).await;
    assert_eq!((llm["api_key_set"].as_bool(), llm.get("api_key")), (Some(true), None));

    // The model reads articles as this contact would: rendered, never the template source
    // (whose branches for other contacts are not this contact's business).
    ask(&app, &token, "Which plan am I on?").await;
    let prompt = model.received()[1].prompt();
    assert!(prompt.contains("You are on the enterprise plan, Alice Liddell."), "{prompt}");
    assert!(!prompt.contains("{{") && !prompt.contains("{%"), "{prompt}");

    // The stored key only goes where it was entered for.
    let (status, e) = app
        .put(&format!("/bots/{bot}/llm"), json!({"enabled": true, "base_url": "http://127.0.0.1:9/v1", "model": "m"}))
        .await;
    assert_eq!((status, e["error"]["fields"][0]["field"].as_str()), (422, Some("api_key")), "{e}");
}
both_backends!(the_model_answer_streams_to_the_widget, super::the_model_answer_streams_to_the_widget);

async fn a_slow_or_failing_model_falls_back_to_the_knowledge_base(app: TestApp) {
    let bot = bot_with_articles(&app, None).await;
    for behaviour in [Behaviour::Silent, Behaviour::StallAfterFirst("You can"), Behaviour::Fail] {
        let model = Model::start(behaviour.clone()).await;
        configure_model(&app, &bot, &model.base_url, 1000).await;
        let (token, _) = session(&app, json!({"bot_id": bot})).await;
        let answer = ask(&app, &token, "How do I reset my password?").await;
        assert!(
            answer["text"].as_str().unwrap().starts_with("You can reset your password from Settings"),
            "{behaviour:?}: {answer}"
        );
        assert_eq!(model.received().len(), 1, "{behaviour:?}");
    }
}
both_backends!(
    a_slow_or_failing_model_falls_back_to_the_knowledge_base,
    super::a_slow_or_failing_model_falls_back_to_the_knowledge_base
);

async fn a_person_taking_over_stops_the_model_mid_answer(app: TestApp) {
    let bot = bot_with_articles(&app, None).await;
    // The model sends its first piece, and the rest only when the test lets it.
    let model = Model::start(Behaviour::Held(vec!["You can ", "reset it ", "in Settings."])).await;
    configure_model(&app, &bot, &model.base_url, 5000).await;
    let (token, _) = session(&app, json!({"bot_id": bot})).await;
    let conversation = handled_by(&app, &token).await["id"].as_str().unwrap().to_owned();
    let mut socket = listen(&app, &token).await;
    send(&app, &token, "How do I reset my password?").await;
    while next(&mut socket).await["type"] != "delta" {}

    // The answer ends at the takeover, while the model is still writing it.
    let (status, _) = app.post(&format!("/conversations/{conversation}/takeover"), json!({})).await;
    assert_eq!(status, 200);
    let mut after = Vec::new();
    while after.last().is_none_or(|f: &Value| f["type"] != "stream_end") {
        after.push(next(&mut socket).await);
    }
    assert!(after.iter().all(|f| f["type"] != "delta"), "no piece after the takeover: {after:?}");
    // Whatever the model sends now is not passed on, and the bot posts nothing.
    model.release();
    let later = bot_stayed_silent(&app, &mut socket, &conversation, 1, crate::utils::ADMIN_TOKEN).await;
    let (_, history) = app.get(&format!("/conversations/{conversation}/messages")).await;
    let ids: Vec<&Value> = history["items"].as_array().unwrap().iter().map(|m| &m["id"]).collect();
    assert_eq!(ids.len(), 2, "the visitor's message and the agent's: {history}");
    assert_eq!(ids[1], &later["id"]);
    assert_eq!(model.received().len(), 1);
}
both_backends!(a_person_taking_over_stops_the_model_mid_answer, super::a_person_taking_over_stops_the_model_mid_answer);

/// Of a long article, the model reads the section the search found, so that the answer is
/// never cut out of the prompt's budget; and it is the section the bot falls back to.
async fn the_model_reads_the_section_of_a_long_article_that_answers(app: TestApp) {
    use super::meaning::{WATCH, WATCH_TITLE};
    let bot = bot_with_articles(&app, None).await;
    let (status, article) =
        app.post(&format!("/bots/{bot}/articles"), json!({"title": WATCH_TITLE, "body": WATCH})).await;
    assert_eq!(status, 201, "{article}");
    let question = "can I take the watch into a sauna?";
    let model = Model::start(Behaviour::Stream { pieces: vec!["Better not."], gap: Duration::from_millis(10) }).await;
    configure_model(&app, &bot, &model.base_url, 5000).await;
    let (token, _) = session(&app, json!({"bot_id": bot})).await;
    assert_eq!(ask(&app, &token, question).await["text"], "Better not.");
    let prompt = model.received()[0].prompt();
    assert!(prompt.contains(WATCH_TITLE) && prompt.contains("Keep it away from saunas"), "{prompt}");
    assert!(!prompt.contains("six-digit code") && !prompt.contains("Low power mode"), "only the section: {prompt}");

    let failing = Model::start(Behaviour::Fail).await;
    configure_model(&app, &bot, &failing.base_url, 1000).await;
    let text = ask(&app, &token, question).await["text"].as_str().unwrap().to_owned();
    assert!(text.starts_with(&format!("{WATCH_TITLE}\n\nWater and heat\n")), "the section, under its title: {text}");
    assert!(!text.contains("six-digit code"), "{text}");
}
both_backends!(
    the_model_reads_the_section_of_a_long_article_that_answers,
    super::the_model_reads_the_section_of_a_long_article_that_answers
);
