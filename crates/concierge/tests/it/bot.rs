//! The bot in the widget: knowledge-base answers ranked with BM25 and held to a
//! confidence threshold, personalised from the contact's verified data only, rules,
//! handoff to a person and back, and the language-model path with its fallbacks.

use std::time::Duration;

use axum::response::IntoResponse;
use serde_json::{json, Value};

use crate::both_backends;
use crate::utils::model::{Behaviour, Model};
use crate::utils::{Customer, TestApp};
use crate::widget::{connect, next, Socket};

const PASSWORD: &str = "You can reset your password from **Settings → Security**: choose *Reset password* \
and follow the link we email you. The link works for 30 minutes.";

/// A knowledge base of a few realistic articles; returns the bot's id.
async fn bot_with_articles(app: &TestApp, auth_url: Option<&str>) -> String {
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

async fn session(app: &TestApp, body: Value) -> (String, Value) {
    let (status, s) = app.start_session(body).await;
    assert_eq!(status, 201, "{s}");
    (s["session_token"].as_str().unwrap().to_owned(), s)
}

async fn send(app: &TestApp, token: &str, text: &str) {
    let resp = app
        .http
        .post(app.url("/api/widget/v1/messages"))
        .bearer_auth(token)
        .json(&json!({"text": text}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
}

/// Frames up to and including the next bot message; returns them and that message.
async fn until_bot_message(socket: &mut Socket) -> (Vec<Value>, Value) {
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
async fn listen(app: &TestApp, token: &str) -> Socket {
    let resp = app.http.get(app.url("/api/widget/v1/messages?after=0")).bearer_auth(token).send().await.unwrap();
    let body: Value = resp.json().await.unwrap();
    let last = body["items"].as_array().unwrap().iter().filter_map(|m| m["id"].as_i64()).max().unwrap_or(0);
    connect(app, token, last).await
}

/// Asks the bot over the widget's socket; the bot's answer.
async fn ask(app: &TestApp, token: &str, text: &str) -> Value {
    let mut socket = listen(app, token).await;
    send(app, token, text).await;
    until_bot_message(&mut socket).await.1
}

async fn handled_by(app: &TestApp, token: &str) -> Value {
    let resp = app.http.get(app.url("/api/widget/v1/messages?after=0")).bearer_auth(token).send().await.unwrap();
    let body: Value = resp.json().await.unwrap();
    body["conversation"].clone()
}

async fn quiet(socket: &mut Socket) {
    let more = tokio::time::timeout(Duration::from_millis(1200), next(socket)).await;
    assert!(more.is_err(), "the bot stayed silent: {more:?}");
}

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
    assert_eq!(handled_by(&app, &token).await["handled_by"], "waiting");
    send(&app, &token, "hello?").await;
    assert_eq!(next(&mut socket).await["message"]["text"], "hello?");
    quiet(&mut socket).await;

    let (_, inbox) = app.get(&format!("/bots/{bot}/conversations")).await;
    assert_eq!(inbox["items"][0]["handled_by"], "waiting");
    assert_eq!(inbox["items"][0]["priority"], "normal");
}
both_backends!(
    knowledge_base_answers_and_hands_off_when_unsure,
    super::knowledge_base_answers_and_hands_off_when_unsure
);

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
    concierge::service::create_user(store, "sam@example.com", Some("Sam Jones"), "a long password", None)
        .await
        .unwrap();
    let sam = concierge::service::create_api_token(store, "sam@example.com", "t").await.unwrap();
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
    quiet(&mut socket).await;

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
        pieces: vec!["Hi Alice", "! Go to", " Settings → Security", " and choose Reset password."],
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
        ["Hi Alice", "! Go to", " Settings → Security", " and choose Reset password."],
        "token by token"
    );
    let end = frames.iter().position(|f| f["type"] == "stream_end").expect("the stream ends");
    assert!(end > frames.iter().rposition(|f| f["type"] == "delta").unwrap());
    assert_eq!(answer["text"], "Hi Alice! Go to Settings → Security and choose Reset password.");

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
    if let crate::utils::Backend::Sqlite = app.backend {
        for file in ["concierge.db", "concierge.db-wal"] {
            let bytes = std::fs::read(app.data_dir.join(file)).unwrap_or_default();
            assert!(
                !String::from_utf8_lossy(&bytes).contains("sk-test-secret-4242"),
                "{file} holds the key in plain text"
            );
        }
    }
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
        let started = std::time::Instant::now();
        let answer = ask(&app, &token, "How do I reset my password?").await;
        assert!(
            answer["text"].as_str().unwrap().starts_with("You can reset your password from Settings"),
            "{behaviour:?}: {answer}"
        );
        assert!(started.elapsed() < Duration::from_secs(4), "{behaviour:?} took {:?}", started.elapsed());
        assert_eq!(model.received().len(), 1, "{behaviour:?}");
    }
}
both_backends!(
    a_slow_or_failing_model_falls_back_to_the_knowledge_base,
    super::a_slow_or_failing_model_falls_back_to_the_knowledge_base
);

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

    let (status, _) = app.admin(reqwest::Method::DELETE, &format!("/bots/{bot}/articles/{id}"), None).await;
    assert_eq!(status, 204);
    let (status, preview) = app.post(&format!("/bots/{bot}/ask"), json!({"text": "how long do refunds take"})).await;
    assert_eq!(
        (status, preview["action"].as_str(), preview["reason"].as_str()),
        (200, Some("handoff"), Some("not_sure"))
    );

    // Another bot's article is not found through this bot, and a stranger sees nothing.
    let other = app.bot().await;
    let (status, _) = app.get(&format!("/bots/{other}/articles/{}", items[0]["id"].as_str().unwrap())).await;
    assert_eq!(status, 404);
    let resp = app.http.get(app.url(&format!("/api/admin/v1/bots/{bot}/articles"))).send().await.unwrap();
    assert_eq!(resp.status(), 401);
}
both_backends!(the_knowledge_base_is_managed_through_the_api, super::the_knowledge_base_is_managed_through_the_api);

async fn a_person_taking_over_stops_the_model_mid_answer(app: TestApp) {
    let bot = bot_with_articles(&app, None).await;
    let model = Model::start(Behaviour::Stream {
        pieces: vec!["You can ", "reset it ", "in Settings.", " More", " words", " later."],
        gap: Duration::from_millis(300),
    })
    .await;
    configure_model(&app, &bot, &model.base_url, 5000).await;
    let (token, _) = session(&app, json!({"bot_id": bot})).await;
    let conversation = handled_by(&app, &token).await["id"].as_str().unwrap().to_owned();
    let mut socket = listen(&app, &token).await;
    send(&app, &token, "How do I reset my password?").await;
    while next(&mut socket).await["type"] != "delta" {}

    let (status, _) = app.post(&format!("/conversations/{conversation}/takeover"), json!({})).await;
    assert_eq!(status, 200);
    let mut after = Vec::new();
    while let Ok(frame) = tokio::time::timeout(Duration::from_millis(2500), next(&mut socket)).await {
        after.push(frame);
    }
    let end = after.iter().position(|f| f["type"] == "stream_end").expect("the answer ends");
    assert!(after[end..].iter().all(|f| f["type"] != "delta"), "no piece after the end: {after:?}");
    assert!(!after.iter().any(|f| f["type"] == "message"), "the bot posts nothing once a person answers: {after:?}");
    let (_, history) = app.get(&format!("/conversations/{conversation}/messages")).await;
    assert_eq!(history["items"].as_array().unwrap().len(), 1, "only the visitor's message: {history}");
}
both_backends!(a_person_taking_over_stops_the_model_mid_answer, super::a_person_taking_over_stops_the_model_mid_answer);

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

    let store = app.services.store.as_ref();
    for i in 0..1000 {
        let title = format!("Article {i}");
        let new = concierge_store::NewArticle { bot_id: &bot, title: &title, body: "Some answer.", now: i };
        store.create_article(new).await.unwrap();
    }
    let (status, e) = app.post(&format!("/bots/{bot}/articles"), json!({"title": "One more", "body": "Text."})).await;
    assert_eq!((status, e["error"]["code"].as_str()), (400, Some("knowledge_base_full")), "{e}");
}
