//! A bot's dashboard pages that configure answers: the knowledge base (with Try a
//! question), the Answers page with its rules, and the AI model page. All are plain forms:
//! these tests post them as a browser would.

use serde_json::Value;

use super::signed::{unescaped, Signed};
use crate::utils::TestApp;

async fn articles(app: &TestApp, bot: &str) -> Vec<Value> {
    let (status, body) = app.get(&format!("/bots/{bot}/articles")).await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn articles_are_written_tried_edited_and_deleted_through_the_forms() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let me = Signed::first_user(&app).await;
    let bot = app.bot().await;
    let (status, page) = me.page(&app, &format!("/bots/{bot}/knowledge")).await;
    assert_eq!(status, 200);
    assert!(page.contains("No articles yet"), "{page}");

    let refunds = [
        ("title", "Refunds"),
        ("body", "You can get a **refund** within 30 days, {{ contact.name | default(\"friend\") }}."),
    ];
    let (status, to) = me.post(&app, &format!("/bots/{bot}/knowledge"), &refunds).await;
    assert_eq!((status, to.as_str()), (303, format!("/bots/{bot}/knowledge?done=created").as_str()));
    let shipping = [("title", "Shipping"), ("body", "Parcels leave our warehouse within two days.")];
    assert_eq!(me.post(&app, &format!("/bots/{bot}/knowledge"), &shipping).await.0, 303);
    let (_, page) = me.page(&app, &format!("/bots/{bot}/knowledge?done=created")).await;
    assert!(page.contains("Article created."));
    assert!(page.contains("You can get a refund within 30 days"), "a one-line excerpt without Markdown: {page}");

    // A template syntax error: the page comes back with the error next to the body, and
    // nothing is written.
    let broken = [("title", "Broken"), ("body", "Hello!\n{% if contact.name %}no end")];
    let (status, page) = me.post(&app, &format!("/bots/{bot}/knowledge"), &broken).await;
    assert_eq!(status, 422);
    let error = page.split("id=\"body-error\"").nth(1).expect("an error next to the body field");
    assert!(error.contains("line 2"), "{error}");
    assert!(page.contains("no end</textarea>"), "what was typed is kept");
    assert_eq!(articles(&app, &bot).await.len(), 2);

    // Try a question: the answer, the action, and the ranking.
    let (status, page) =
        me.page(&app, &format!("/bots/{bot}/knowledge?question=How+do+I+get+a+refund%3F&contact=")).await;
    assert_eq!(status, 200);
    assert!(page.contains("<strong>Answers</strong>"), "{page}");
    assert!(page.contains("You can get a refund within 30 days, friend."), "rendered for an anonymous visitor: {page}");
    let ranking = page.split("class=\"ranking\"").nth(1).expect("a ranking");
    assert!(ranking.contains("Refunds") && ranking.contains("Used"), "{ranking}");
    let (_, page) = me.page(&app, &format!("/bots/{bot}/knowledge?question=")).await;
    assert!(page.contains("id=\"question-error\""), "an empty question is refused next to the field");

    // Edit, then delete.
    let id = articles(&app, &bot).await[0]["id"].as_str().unwrap().to_owned();
    let (status, page) = me.page(&app, &format!("/bots/{bot}/knowledge/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("value=\"Refunds\"") && page.contains("Delete article"));
    let edited = [("title", "Refunds and returns"), ("body", "Returns are free within 30 days.")];
    let (status, to) = me.post(&app, &format!("/bots/{bot}/knowledge/{id}"), &edited).await;
    assert_eq!((status, to.as_str()), (303, format!("/bots/{bot}/knowledge?done=saved").as_str()));
    assert_eq!(articles(&app, &bot).await[0]["title"], "Refunds and returns");
    let (status, _) = me.post(&app, &format!("/bots/{bot}/knowledge/{id}/delete"), &[]).await;
    assert_eq!(status, 303);
    let left = articles(&app, &bot).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["title"], "Shipping");
    assert_eq!(me.page(&app, &format!("/bots/{bot}/knowledge/{id}")).await.0, 404);
}

#[tokio::test]
async fn the_rules_form_adds_rules_that_the_admin_api_sees() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let me = Signed::first_user(&app).await;
    let bot = app.bot().await;
    let add = |name: &'static str, op: &'static str, value: &'static str| {
        vec![
            ("rule_name", name),
            ("path_0", "contact.metadata.seats"),
            ("op_0", op),
            ("value_0", value),
            ("path_1", ""),
            ("op_1", "equals"),
            ("value_1", ""),
            ("action", "handoff"),
            ("priority", "high"),
            ("rule_text", ""),
        ]
    };
    let (status, to) = me.post(&app, &format!("/bots/{bot}/answers/rules"), &add("Big teams", "gte", "50")).await;
    assert_eq!(status, 303, "{to}");
    let (_, body) = app.get(&format!("/bots/{bot}")).await;
    assert_eq!(
        body["rules"],
        serde_json::json!([{"name": "Big teams", "when": [{"path": "contact.metadata.seats", "op": "gte", "value": 50}],
            "then": {"action": "handoff", "priority": "high", "text": null}}]),
        "a number for gte, the blank row left out"
    );
    let (_, page) = me.page(&app, &format!("/bots/{bot}/answers")).await;
    assert!(page.contains("<b>seats</b> is at least <b>50</b>"), "{page}");

    // A refused rule: the error is next to the value, and nothing is written.
    let (status, page) = me.post(&app, &format!("/bots/{bot}/answers/rules"), &add("Odd", "gt", "many")).await;
    assert_eq!(status, 422);
    let error = page.split("id=\"value_0-error\"").nth(1).expect("an error next to the value");
    assert!(error.contains("is not a number"), "{error}");
    assert_eq!(app.get(&format!("/bots/{bot}")).await.1["rules"].as_array().unwrap().len(), 1);

    // A second rule, moved above the first, then the first deleted.
    assert_eq!(me.post(&app, &format!("/bots/{bot}/answers/rules"), &add("Tiny", "lt", "2")).await.0, 303);
    let moved = me.post(&app, &format!("/bots/{bot}/answers/rules/1/move-up"), &[("name", "Tiny")]).await;
    assert_eq!(moved.0, 303);
    let names = |body: Value| body["rules"].as_array().unwrap().iter().map(|r| r["name"].clone()).collect::<Vec<_>>();
    assert_eq!(names(app.get(&format!("/bots/{bot}")).await.1), ["Tiny", "Big teams"]);
    let stale = me.post(&app, &format!("/bots/{bot}/answers/rules/0/delete"), &[("name", "Big teams")]).await;
    assert_eq!(stale.0, 409, "the button was drawn for another rule: nothing is deleted");
    assert_eq!(me.post(&app, &format!("/bots/{bot}/answers/rules/1/delete"), &[("name", "Big teams")]).await.0, 303);
    assert_eq!(names(app.get(&format!("/bots/{bot}")).await.1), ["Tiny"]);

    // The threshold and texts; a template error in a text is shown next to it.
    let texts = [("confidence_threshold", "60"), ("not_sure_text", "Hmm, {{ oops"), ("handoff_text", "One moment.")];
    let (status, page) = me.post(&app, &format!("/bots/{bot}/answers"), &texts).await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"not_sure_text-error\""), "{page}");
    assert_eq!(app.get(&format!("/bots/{bot}")).await.1["confidence_threshold"], 35, "nothing was saved");
    let texts = [("confidence_threshold", "60"), ("not_sure_text", "Not sure."), ("handoff_text", "One moment.")];
    assert_eq!(me.post(&app, &format!("/bots/{bot}/answers"), &texts).await.0, 303);
    let (_, body) = app.get(&format!("/bots/{bot}")).await;
    assert_eq!((body["confidence_threshold"].clone(), body["handoff_text"].clone()), (60.into(), "One moment.".into()));
}

#[tokio::test]
async fn the_model_page_never_shows_the_key_and_keeps_it_when_left_empty() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let me = Signed::first_user(&app).await;
    let bot = app.bot().await;
    const KEY: &str = "sk-test-0123456789abcdef";
    let settings = |key: &'static str| {
        vec![
            ("enabled", "on"),
            ("base_url", "https://llm.example/v1"),
            ("model", "small-model"),
            ("api_key", key),
            ("timeout_ms", "8000"),
            ("instructions", "Be brief."),
        ]
    };
    let (status, to) = me.post(&app, &format!("/bots/{bot}/model"), &settings(KEY)).await;
    assert_eq!((status, to.as_str()), (303, format!("/bots/{bot}/model?saved=1").as_str()));
    let (_, page) = me.page(&app, &format!("/bots/{bot}/model?saved=1")).await;
    assert!(!page.contains(KEY), "the key is write-only");
    assert!(page.contains("A key is stored — leave empty to keep it") && page.contains("Remove the stored key"));
    assert!(page.contains("value=\"small-model\"") && page.contains("Be brief."));

    assert_eq!(me.post(&app, &format!("/bots/{bot}/model"), &settings("")).await.0, 303);
    let (_, llm) = app.get(&format!("/bots/{bot}/llm")).await;
    assert_eq!((llm["api_key_set"].clone(), llm["timeout_ms"].clone()), (true.into(), 8000.into()), "{llm}");

    // A refused form does not echo a key that was typed.
    let mut refused = settings("sk-typed-but-refused");
    refused[4] = ("timeout_ms", "5");
    let (status, page) = me.post(&app, &format!("/bots/{bot}/model"), &refused).await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"timeout_ms-error\"") && !page.contains("sk-typed-but-refused"));

    let mut remove = settings("");
    remove.push(("remove_key", "on"));
    assert_eq!(me.post(&app, &format!("/bots/{bot}/model"), &remove).await.0, 303);
    assert_eq!(app.get(&format!("/bots/{bot}/llm")).await.1["api_key_set"], false);
}

#[tokio::test]
async fn every_new_form_needs_the_csrf_token_and_other_workspaces_see_nothing() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let me = Signed::first_user(&app).await;
    let bot = app.bot().await;
    let (_, article) =
        app.post(&format!("/bots/{bot}/articles"), serde_json::json!({"title": "Refunds", "body": "30 days."})).await;
    let article = article["id"].as_str().unwrap().to_owned();
    let rule = serde_json::json!([{"name": "R", "when": [], "then": {"action": "answer", "text": "Hi"}}]);
    assert_eq!(
        app.admin(reqwest::Method::PATCH, &format!("/bots/{bot}"), Some(serde_json::json!({"rules": rule}))).await.0,
        200
    );
    // Its rule answers everything: another bot has a question it could not answer.
    let gaps = app.bot().await;
    let (_, visitor) = app.start_session(serde_json::json!({"bot_id": gaps})).await;
    crate::inbox::send_as_visitor(&app, visitor["session_token"].as_str().unwrap(), "Do you sell gift cards?").await;
    app.bot_done_with(1).await;
    let unanswered = format!("/bots/{gaps}/unanswered");
    let question = app.get(&unanswered).await.1["items"][0]["id"].as_i64().expect("the question is listed");
    let vouchers = serde_json::json!({"title": "Vouchers", "body": "We sell vouchers."});
    let (_, vouchers) = app.post(&format!("/bots/{gaps}/articles"), vouchers).await;
    let vouchers = vouchers["id"].as_str().unwrap().to_owned();

    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/bots/{bot}/knowledge"), vec![("title", "T"), ("body", "B")]),
        (format!("/bots/{bot}/knowledge/{article}"), vec![("title", "T"), ("body", "B")]),
        (format!("/bots/{bot}/knowledge/{article}/delete"), vec![]),
        (
            format!("/bots/{bot}/answers"),
            vec![("confidence_threshold", "1"), ("not_sure_text", "a"), ("handoff_text", "b")],
        ),
        (format!("/bots/{bot}/answers/rules"), vec![("rule_name", "X"), ("action", "answer"), ("rule_text", "x")]),
        (format!("/bots/{bot}/answers/rules/0/move-up"), vec![("name", "R")]),
        (format!("/bots/{bot}/answers/rules/0/delete"), vec![("name", "R")]),
        (format!("/bots/{bot}/model"), vec![("base_url", ""), ("model", ""), ("api_key", "sk-x"), ("timeout_ms", "")]),
        (format!("/bots/{gaps}/unanswered/{question}/dismiss"), vec![]),
        (
            format!("/bots/{gaps}/unanswered/{question}/answer"),
            vec![("article", vouchers.as_str()), ("asked_as", "Do you sell gift cards?")],
        ),
    ];
    for (path, fields) in &forms {
        let (status, page) = me.post_raw(&app, path, fields).await;
        assert_eq!(status, 403, "{path} without a token");
        assert!(page.contains("Request refused"), "{page}");
        let mut forged = fields.clone();
        forged.push(("csrf", "0000000000000000"));
        assert_eq!(me.post_raw(&app, path, &forged).await.0, 403, "{path} with a wrong token");
    }
    let (_, body) = app.get(&format!("/bots/{bot}")).await;
    assert_eq!((body["rules"].as_array().unwrap().len(), body["confidence_threshold"].clone()), (1, 35.into()));
    assert_eq!(articles(&app, &bot).await[0]["title"], "Refunds");
    assert_eq!(app.get(&format!("/bots/{bot}/llm")).await.1["api_key_set"], false);
    assert_eq!(app.get(&unanswered).await.1["items"][0]["id"], question, "not dismissed");

    // Someone of another workspace: every page and form of this bot is a 404.
    let store = app.services.store.as_ref();
    concierge_core::create_workspace(store, "Other").await.unwrap();
    concierge_core::create_user(store, "else@other.example", None, "a long password", Some("Other")).await.unwrap();
    let other = Signed::sign_in(&app, "else@other.example").await;
    for path in [
        format!("/bots/{bot}/knowledge"),
        format!("/bots/{bot}/knowledge?question=refund"),
        format!("/bots/{bot}/knowledge/new"),
        format!("/bots/{bot}/knowledge/{article}"),
        format!("/bots/{bot}/answers"),
        format!("/bots/{bot}/model"),
        unanswered.clone(),
        format!("{unanswered}/{question}"),
    ] {
        let (status, page) = other.page(&app, &path).await;
        assert_eq!(status, 404, "{path}");
        assert!(!page.contains("Refunds") && !page.contains("gift cards"), "{path} shows nothing of the bot");
    }
    for (path, fields) in &forms {
        assert_eq!(other.post(&app, path, fields).await.0, 404, "{path}");
    }
    assert_eq!(articles(&app, &bot).await.len(), 1);
    assert_eq!(app.get(&format!("/bots/{bot}")).await.1["rules"].as_array().unwrap().len(), 1);
    assert_eq!(app.get(&unanswered).await.1["items"][0]["id"], question, "still not dismissed");
    assert_eq!(app.get(&format!("/bots/{gaps}/articles/{vouchers}")).await.1["asked_as"], serde_json::json!([]));
    // Its owner can answer it with an article, after which it is gone: dismissing it (in
    // another tab) only returns to the list.
    let (status, page) = me.page(&app, &format!("{unanswered}/{question}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Do you sell gift cards?") && page.contains(&format!("value=\"{vouchers}\"")), "{page}");
    // The wording, edited down to the gist; a blank one is refused and changes nothing.
    let path = format!("/bots/{gaps}/unanswered/{question}/answer");
    let (status, page) = me.post(&app, &path, &[("article", vouchers.as_str()), ("asked_as", "  ")]).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("1 to 200 characters"), "{page}");
    let answer = [("article", vouchers.as_str()), ("asked_as", "  do you sell   gift cards ")];
    let (status, location) = me.post(&app, &path, &answer).await;
    assert_eq!((status, location.as_str()), (303, format!("/bots/{gaps}/unanswered?done=answered").as_str()));
    assert_eq!(app.get(&unanswered).await.1["items"], serde_json::json!([]));
    let taught = app.get(&format!("/bots/{gaps}/articles/{vouchers}")).await.1;
    assert_eq!(taught["asked_as"], serde_json::json!(["do you sell gift cards"]));
    let (status, location) = me.post(&app, &format!("/bots/{gaps}/unanswered/{question}/dismiss"), &[]).await;
    assert_eq!((status, location.as_str()), (303, format!("/bots/{gaps}/unanswered?done=dismissed").as_str()));
    let (status, location) = me.post(&app, &path, &answer).await;
    assert_eq!(
        (status, location.as_str()),
        (303, format!("/bots/{gaps}/unanswered?done=gone").as_str()),
        "answered in another tab: the list says so"
    );
    assert_eq!(me.page(&app, &format!("{unanswered}/{question}")).await.0, 404, "answered: no page");
}

#[tokio::test]
async fn the_greeting_is_a_template_whose_mistakes_are_shown_next_to_it() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let me = Signed::first_user(&app).await;
    let bot = app.bot().await;
    let (_, page) = me.page(&app, &format!("/bots/{bot}")).await;
    assert!(page.contains("{{ contact.name | default(\"there\") }}</code>"), "the hint shows the template syntax");
    let form = [
        ("name", "Support"),
        ("color", "#2563eb"),
        ("greeting", "Hi {{ contact.name "),
        ("signin_text", "Please sign in."),
        ("allowed_origins", ""),
    ];
    let (status, page) = me.post(&app, &format!("/bots/{bot}"), &form).await;
    assert_eq!(status, 422);
    let error = page.split("id=\"greeting-error\"").nth(1).expect("an error next to the greeting");
    assert!(error.contains("template"), "{error}");
    assert_ne!(app.get(&format!("/bots/{bot}")).await.1["greeting"], "Hi {{ contact.name ");
}

#[tokio::test]
async fn an_address_or_form_the_dashboard_cannot_read_gets_a_page_that_says_why() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let me = Signed::first_user(&app).await;
    let bot = app.bot().await;
    let resp = me.http.get(app.url(&format!("/bots/{bot}/unanswered?before=abc"))).header("cookie", &me.cookie);
    let resp = resp.send().await.unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(resp.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    let page = unescaped(resp.text().await.unwrap());
    assert!(page.contains("<h1>This request could not be read</h1>"), "{page}");
    assert!(page.contains("before: invalid digit"), "says which part is wrong: {page}");

    // A form sent as something other than a form (a script posting JSON, say).
    let json = serde_json::json!({"title": "Refunds", "body": "Within 30 days.", "csrf": me.csrf});
    let resp = me.http.post(app.url(&format!("/bots/{bot}/knowledge"))).header("cookie", &me.cookie).json(&json);
    let resp = resp.send().await.unwrap();
    assert_eq!(resp.status(), 415);
    let page = unescaped(resp.text().await.unwrap());
    assert!(page.contains("<h1>This request could not be read</h1>"), "{page}");
    assert!(page.contains("application/x-www-form-urlencoded"), "says what it takes: {page}");
    assert!(articles(&app, &bot).await.is_empty(), "nothing was written");
}

#[tokio::test]
async fn a_full_knowledge_base_is_said_on_the_form_which_keeps_the_article() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let me = Signed::first_user(&app).await;
    let bot = app.bot().await;
    app.fill_knowledge_base(&bot).await;
    let typed = [("title", "Gift cards"), ("body", "Gift cards never expire.")];
    let (status, page) = me.post(&app, &format!("/bots/{bot}/knowledge"), &typed).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("A bot has at most 1000 articles"), "{page}");
    assert!(page.contains("value=\"Gift cards\"") && page.contains("Gift cards never expire.</textarea>"), "{page}");
    assert_eq!(articles(&app, &bot).await.len(), 1000);
}
