//! Answers from the knowledge base, personalised from verified data only, and the
//! knowledge base's own management and limits.

use axum::response::IntoResponse;
use serde_json::{json, Value};

use super::*;
use crate::both_backends;
use crate::utils::Customer;

async fn knowledge_base_answers_and_hands_off_when_unsure(app: TestApp) {
    let bot = bot_with_articles(&app, None).await;
    let (token, _) = session(&app, json!({"bot_id": bot})).await;

    let answer = ask(&app, &token, "How do I reset my password?").await;
    assert_eq!(
        answer["text"],
        "You can reset your password from Settings → Security: choose Reset password and follow the link we \
         email you. The link works for 30 minutes.",
        "the best article, as plain text"
    );
    assert_eq!(answer["author_name"], "Support");
    let typed = ask(&app, &token, "i forgot my pasword").await;
    assert_eq!(typed["text"], answer["text"], "a slip of the finger finds the same article");
    let answer = ask(&app, &token, "when will my order be shipped").await;
    assert!(answer["text"].as_str().unwrap().starts_with("Orders ship within 2 business days"), "{answer}");
    assert_eq!(handled_by(&app, &token).await["handled_by"], "bot");

    // Nothing in the knowledge base is close: the bot says so and brings in a person.
    let mut socket = listen(&app, &token).await;
    send(&app, &token, "Can your product help me file my taxes in Portugal?").await;
    let (frames, answer) = until_bot_message(&mut socket).await;
    assert!(answer["text"].as_str().unwrap().starts_with("I'm not sure I can answer that one"), "{answer}");
    assert!(
        frames.iter().any(|f| f["type"] == "handler" && f["handled_by"] == "waiting"),
        "the widget learns it waits for a person: {frames:?}"
    );
    let conversation = handled_by(&app, &token).await;
    assert_eq!(conversation["handled_by"], "waiting");
    send(&app, &token, "hello?").await;
    assert_eq!(next(&mut socket).await["message"]["text"], "hello?");
    let (_, inbox) = app.get(&format!("/bots/{bot}/conversations")).await;
    assert_eq!(inbox["items"][0]["handled_by"], "waiting");
    assert_eq!(inbox["items"][0]["priority"], "normal");
    bot_stayed_silent(&app, &mut socket, conversation["id"].as_str().unwrap(), 4, crate::utils::ADMIN_TOKEN).await;
}
both_backends!(
    knowledge_base_answers_and_hands_off_when_unsure,
    super::knowledge_base_answers_and_hands_off_when_unsure
);

async fn hello_is_answered_not_echoed_with_the_greeting(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = bot_with_articles(&app, Some(&customer.url)).await;
    let (token, s) = session(&app, json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    let hello = ask(&app, &token, "hello").await;
    assert_ne!(hello["text"], s["greeting"], "the greeting is on screen already");
    assert_eq!(hello["text"], "Hello, Alice Liddell! What can I do for you?");
    let (token, _) = session(&app, json!({"bot_id": bot})).await;
    assert_eq!(ask(&app, &token, "Hi there!").await["text"], "Hello! What can I do for you?");
    assert_eq!(handled_by(&app, &token).await["handled_by"], "bot", "small talk is no reason for a person");
}
both_backends!(hello_is_answered_not_echoed_with_the_greeting, super::hello_is_answered_not_echoed_with_the_greeting);

async fn emphasis_reaches_every_shape_of_a_bot_message(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = bot_with_articles(&app, Some(&customer.url)).await;
    let (token, _) = session(&app, json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    let live = ask(&app, &token, "How do I reset my password?").await;
    // "You can reset your password from **Settings → Security**: choose *Reset password* …"
    let styles = json!([{"start": 33, "end": 52, "style": "strong"}, {"start": 61, "end": 75, "style": "em"}]);
    assert_eq!(live["styles"], styles, "the socket's message frame: {live}");
    assert!(live["text"].as_str().unwrap().starts_with("You can reset your password from Settings → Security: choose"));

    let bot_and_visitor = |items: &Value| {
        let items = items.as_array().unwrap();
        let bot = items.iter().find(|m| m["id"] == live["id"]).cloned().expect("the answer");
        let visitor = items.iter().find(|m| m["author"] == "visitor").cloned().expect("the question");
        (bot, visitor)
    };
    let resp = app.http.get(app.url("/api/widget/v1/messages?after=0")).bearer_auth(&token).send().await.unwrap();
    let (answer, question) = bot_and_visitor(&resp.json::<Value>().await.unwrap()["items"]);
    assert_eq!((&answer["styles"], question.get("styles")), (&styles, None), "GET /messages");
    let (_, again) = session(&app, json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    let (answer, question) = bot_and_visitor(&again["conversation"]["messages"]);
    assert_eq!((&answer["styles"], question.get("styles")), (&styles, None), "the session's history");
    let conversation = again["conversation"]["id"].as_str().unwrap();
    let (_, admin) = app.get(&format!("/conversations/{conversation}/messages")).await;
    let (answer, question) = bot_and_visitor(&admin["items"]);
    assert_eq!((&answer["styles"], question.get("styles")), (&styles, None), "the admin API");

    // Plain answers and agent replies carry no styles at all.
    let plain = ask(&app, &token, "when will my order be shipped").await;
    assert_eq!(plain.get("styles"), None, "{plain}");
    let (status, reply) =
        app.post(&format!("/conversations/{conversation}/messages"), json!({"text": "**Sam** here"})).await;
    assert_eq!((status, reply.get("styles")), (201, None), "{reply}");

    // The greeting is Markdown too: its emphasis goes wherever it is sent.
    assert_eq!(again.get("greeting_styles"), None, "the default greeting has none: {again}");
    let greeting = "**Welcome**, {{ contact.name | default(\"friend\") }}!";
    let (status, _) =
        app.admin(reqwest::Method::PATCH, &format!("/bots/{bot}"), Some(json!({"greeting": greeting}))).await;
    assert_eq!(status, 200);
    let welcome = json!([{"start": 0, "end": 7, "style": "strong"}]);
    let public: Value =
        app.http.get(app.url(&format!("/api/widget/v1/bots/{bot}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!((&public["greeting"], &public["greeting_styles"]), (&json!("Welcome, friend!"), &welcome));
    let (token, s) = session(&app, json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    assert_eq!((&s["greeting"], &s["greeting_styles"]), (&json!("Welcome, Alice Liddell!"), &welcome));
    let (_, ready) = crate::widget::connect_ready(&app, &token, 0).await;
    assert_eq!((&ready["greeting"], &ready["greeting_styles"]), (&json!("Welcome, Alice Liddell!"), &welcome));
}
both_backends!(emphasis_reaches_every_shape_of_a_bot_message, super::emphasis_reaches_every_shape_of_a_bot_message);

async fn answers_are_personal_from_verified_data_only(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = bot_with_articles(&app, Some(&customer.url)).await;

    let mut answers = Vec::new();
    for token in ["tok-alice", "tok-bob", "tok-carol"] {
        let (session_token, s) = session(&app, json!({"bot_id": bot, "access_token": token})).await;
        answers.push((s["greeting"].clone(), ask(&app, &session_token, "which plan am I on?").await["text"].clone()));
    }
    assert_eq!(
        answers,
        [
            (json!("Hi Alice Liddell! How can we help?"), json!("You are on the enterprise plan, Alice Liddell.")),
            (json!("Hi Bob! How can we help?"), json!("You are on the free plan, Bob.")),
            // Carol's profile has no plan: the template's default.
            (json!("Hi Carol! How can we help?"), json!("You are on the free plan, Carol.")),
        ]
    );

    // What the page claims is not a fact: an unverified visitor gets the defaults.
    let (status, s) = app
        .start_session(json!({"bot_id": bot, "access_token": "forged", "name": "Mallory", "email": "m@evil.test"}))
        .await;
    assert_eq!((status, s["authenticated"].as_bool()), (201, Some(false)), "{s}");
    assert_eq!(s["greeting"], "Hi there! How can we help?");
    let token = s["session_token"].as_str().unwrap();
    assert_eq!(ask(&app, token, "which plan am I on?").await["text"], "You are on the free plan, friend.");
    let public: Value =
        app.http.get(app.url(&format!("/api/widget/v1/bots/{bot}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(public["greeting"], "Hi there! How can we help?");
}
both_backends!(answers_are_personal_from_verified_data_only, super::answers_are_personal_from_verified_data_only);

async fn markup_and_template_code_in_metadata_stay_text(app: TestApp) {
    let hostile = "<img src=x onerror=alert(1)> {{ 7*7 }} {% for x in y %}[click](javascript:alert(1)) **bold**";
    let customer = Customer::start(move |_| async move {
        axum::Json(json!({"data": {"id": "u-9", "name": "<b>Eve</b>", "metadata": {"plan": hostile}}})).into_response()
    })
    .await;
    let bot = bot_with_articles(&app, Some(&customer.url)).await;
    let (token, s) = session(&app, json!({"bot_id": bot, "access_token": "any"})).await;
    assert_eq!(s["greeting"], "Hi <b>Eve</b>! How can we help?");
    let answer = ask(&app, &token, "Which plan am I on?").await;
    assert_eq!(answer["text"], format!("You are on the {hostile} plan, <b>Eve</b>."));
}
both_backends!(markup_and_template_code_in_metadata_stay_text, super::markup_and_template_code_in_metadata_stay_text);

async fn the_knowledge_base_is_managed_through_the_api(app: TestApp) {
    let bot = bot_with_articles(&app, None).await;
    let (status, list) = app.get(&format!("/bots/{bot}/articles")).await;
    assert_eq!(status, 200);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    assert_eq!(items[0]["title"], "Resetting your password");
    let id = items[2]["id"].as_str().unwrap().to_owned();

    let (status, e) = app.post(&format!("/bots/{bot}/articles"), json!({"title": " ", "body": "Hi {% if %}"})).await;
    assert_eq!(status, 422, "{e}");
    let fields: Vec<&str> =
        e["error"]["fields"].as_array().unwrap().iter().filter_map(|f| f["field"].as_str()).collect();
    assert_eq!(fields, ["title", "body"]);

    // Edits take effect in the next answer.
    let (status, a) = app
        .put(&format!("/bots/{bot}/articles/{id}"), json!({"title": "Refunds", "body": "Refunds take 5 days now."}))
        .await;
    assert_eq!((status, a["body"].as_str()), (200, Some("Refunds take 5 days now.")), "{a}");
    let (status, preview) = app.post(&format!("/bots/{bot}/ask"), json!({"text": "how long do refunds take"})).await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(
        (preview["action"].as_str(), preview["text"].as_str()),
        (Some("answer"), Some("Refunds take 5 days now."))
    );
    assert_eq!(preview["articles"][0]["title"], "Refunds");
    assert!(
        preview["articles"][0]["confidence"].as_u64().unwrap() >= preview["confidence_threshold"].as_u64().unwrap()
    );

    // The operator sees how the question was read, and which of its words each article has.
    let (status, why) =
        app.post(&format!("/bots/{bot}/ask"), json!({"text": "I want my MONEY BACK, how many days?"})).await;
    assert_eq!(status, 200, "{why}");
    assert_eq!(why["reading"]["text"], "i want my refund, how many days?", "{why}");
    let words: Vec<(&str, u64)> = why["reading"]["words"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["word"].as_str().unwrap(), w["weight"].as_u64().unwrap()))
        .collect();
    assert_eq!(words.iter().map(|(w, _)| *w).collect::<Vec<_>>(), ["refund", "many", "days"], "{why}");
    let refunds = why["articles"].as_array().unwrap().iter().find(|a| a["title"] == "Refunds").expect("ranked");
    assert_eq!(refunds["words_found"], json!(["refund", "days"]), "{why}");
    let share: u64 = words.iter().filter(|(w, _)| *w != "many").map(|(_, weight)| weight).sum();
    assert!(share.abs_diff(refunds["lexical"].as_u64().unwrap()) <= 1, "the words found make its score: {why}");
    // A word the dictionary relates to an article's title counts for most of its weight,
    // beside a word of the article itself; alone, it answers nothing.
    let (_, repay) = app.post(&format!("/bots/{bot}/ask"), json!({"text": "can you repay in 5 days?"})).await;
    assert_eq!((repay["action"].as_str(), &repay["articles"][0]["title"]), (Some("answer"), &json!("Refunds")));
    let best = &repay["articles"][0];
    assert_eq!((&best["words_found"], &best["words_related"]), (&json!(["5", "days"]), &json!(["repay"])), "{repay}");
    let weight = |word: &str| {
        let words = repay["reading"]["words"].as_array().unwrap();
        words.iter().find(|w| w["word"] == word).and_then(|w| w["weight"].as_f64()).unwrap()
    };
    let expected = weight("5") + weight("days") + 0.8 * weight("repay");
    assert!((best["lexical"].as_f64().unwrap() - expected).abs() <= 2.0, "80 % of repay's weight: {repay}");
    let (_, alone) = app.post(&format!("/bots/{bot}/ask"), json!({"text": "will you repay me?"})).await;
    assert_eq!((alone["reason"].as_str(), &alone["articles"]), (Some("not_sure"), &json!([])), "{alone}");
    let (_, asked) = app.post(&format!("/bots/{bot}/ask"), json!({"text": "let me talk to a human"})).await;
    assert_eq!((asked["reason"].as_str(), &asked["reading"]), (Some("asked"), &Value::Null), "not searched: {asked}");

    let (status, _) = app.admin(reqwest::Method::DELETE, &format!("/bots/{bot}/articles/{id}"), None).await;
    assert_eq!(status, 204);
    let (status, preview) = app.post(&format!("/bots/{bot}/ask"), json!({"text": "how long do refunds take"})).await;
    assert_eq!(
        (status, preview["action"].as_str(), preview["reason"].as_str()),
        (200, Some("handoff"), Some("not_sure"))
    );
    assert_eq!(preview["reading"]["text"], "how long do refund take", "searched, nothing found: {preview}");
    let best = &preview["articles"][0];
    assert_eq!((&best["title"], &best["words_found"]), (&json!("Shipping times"), &json!(["take"])), "{preview}");

    // Another bot's article is not found through this bot, and a stranger sees nothing.
    let other = app.bot().await;
    let (status, _) = app.get(&format!("/bots/{other}/articles/{}", items[0]["id"].as_str().unwrap())).await;
    assert_eq!(status, 404);
    let resp = app.http.get(app.url(&format!("/api/admin/v1/bots/{bot}/articles"))).send().await.unwrap();
    assert_eq!(resp.status(), 401);
}
both_backends!(the_knowledge_base_is_managed_through_the_api, super::the_knowledge_base_is_managed_through_the_api);

#[tokio::test]
async fn a_flood_of_messages_is_refused_and_a_full_knowledge_base_says_so() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let bot = app.bot().await;
    let (token, _) = session(&app, json!({"bot_id": bot})).await;
    let mut statuses = Vec::new();
    for i in 0..32 {
        let resp = app
            .http
            .post(app.url("/api/widget/v1/messages"))
            .bearer_auth(&token)
            .json(&json!({"text": format!("message {i}")}))
            .send()
            .await
            .unwrap();
        statuses.push(resp.status().as_u16());
        if resp.status() == 429 {
            assert!(resp.headers().contains_key("retry-after"));
            let e: Value = resp.json().await.unwrap();
            assert_eq!(e["error"]["code"], "rate_limited");
        }
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 30, "{statuses:?}");
    assert_eq!(&statuses[30..], [429, 429]);

    app.fill_knowledge_base(&bot).await;
    let (status, e) = app.post(&format!("/bots/{bot}/articles"), json!({"title": "One more", "body": "Text."})).await;
    assert_eq!((status, e["error"]["code"].as_str()), (400, Some("knowledge_base_full")), "{e}");
}
