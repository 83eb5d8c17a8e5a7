//! The ways an article is asked: the operator answers an unanswered question with an
//! article, and the bot answers that question, and questions worded like it, from then on.

use reqwest::Method;
use serde_json::{json, Value};

use super::*;
use crate::both_backends;
use crate::utils::Customer;

const STUFF: &str = "My stuff still hasn't turned up";

async fn unanswered(app: &TestApp, bot: &str) -> Vec<Value> {
    let (status, page) = app.get(&format!("/bots/{bot}/unanswered")).await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

async fn shipping(app: &TestApp, bot: &str) -> Value {
    let (status, list) = app.get(&format!("/bots/{bot}/articles")).await;
    assert_eq!(status, 200, "{list}");
    list["items"].as_array().unwrap().iter().find(|a| a["title"] == "Shipping times").unwrap().clone()
}

fn error_code(answer: &(u16, Value)) -> (u16, Option<&str>) {
    (answer.0, answer.1["error"]["code"].as_str())
}

async fn a_question_answered_with_an_article_is_answered_from_then_on(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = bot_with_articles(&app, Some(&customer.url)).await;
    let article = shipping(&app, &bot).await;
    let article_path = format!("/bots/{bot}/articles/{}", article["id"].as_str().unwrap());

    // Alice's words share none with the shipping article: the bot hands her over.
    let (alice, _) = session(&app, json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    assert!(ask(&app, &alice, STUFF).await["text"].as_str().unwrap().starts_with("I'm not sure"));
    app.bot_done_with(1).await;
    let question = unanswered(&app, &bot).await[0].clone();
    assert_eq!(question["text"], STUFF);
    let answer_path = format!("/bots/{bot}/unanswered/{}/answer", question["id"]);

    // Refused, and nothing changes: an article that does not exist or is another bot's,
    // a question that is not this bot's.
    let other_bot = bot_with_articles(&app, None).await;
    let theirs = shipping(&app, &other_bot).await;
    let refused = app.post(&answer_path, json!({"article_id": "no-such-article"})).await;
    assert_eq!(error_code(&refused), (404, Some("article_not_found")), "{refused:?}");
    let refused = app.post(&answer_path, json!({"article_id": theirs["id"]})).await;
    assert_eq!(error_code(&refused), (404, Some("article_not_found")), "{refused:?}");
    let through_theirs = format!("/bots/{other_bot}/unanswered/{}/answer", question["id"]);
    let refused = app.post(&through_theirs, json!({"article_id": theirs["id"]})).await;
    assert_eq!(error_code(&refused), (404, Some("question_not_found")), "{refused:?}");
    assert_eq!(unanswered(&app, &bot).await.len(), 1);
    assert_eq!(app.get(&article_path).await.1["asked_as"], json!([]));

    // Answered with the shipping article: the question is one of the ways it is asked, and
    // leaves the list.
    let (status, taught) = app.post(&answer_path, json!({"article_id": article["id"]})).await;
    assert_eq!(status, 200, "{taught}");
    assert_eq!(taught["asked_as"], json!([STUFF]));
    assert_eq!(app.get(&article_path).await.1["asked_as"], json!([STUFF]));
    assert_eq!(unanswered(&app, &bot).await, Vec::<Value>::new());
    let again = app.post(&answer_path, json!({"article_id": article["id"]})).await;
    assert_eq!(error_code(&again), (404, Some("question_not_found")), "{again:?}");

    // Bob, on his laptop, asks it in other words: answered from the article, and Try a
    // question says which way of asking matched.
    let (bob, _) = session(&app, json!({"bot_id": bot, "access_token": "tok-bob"})).await;
    let answered = ask(&app, &bob, "has my stuff turned up yet?").await;
    assert!(answered["text"].as_str().unwrap().starts_with("Orders ship within 2 business days"), "{answered}");
    let (status, tried) = app.post(&format!("/bots/{bot}/ask"), json!({"text": "my stuff has not turned up"})).await;
    assert_eq!((status, tried["action"].as_str()), (200, Some("answer")), "{tried}");
    assert_eq!(tried["articles"][0]["id"], article["id"]);
    assert_eq!(tried["articles"][0]["asked_as"], STUFF, "{tried}");
    // A question its body answers names no way of asking.
    let (_, tried) = app.post(&format!("/bots/{bot}/ask"), json!({"text": "how long does delivery take"})).await;
    assert_eq!(
        (tried["articles"][0]["id"].clone(), tried["articles"][0]["asked_as"].clone()),
        (article["id"].clone(), Value::Null)
    );

    // A client that does not know the ways keeps them; one that sends them replaces them,
    // each on one line, the first of those that differ in case or spacing kept.
    let text = json!({"title": "Shipping times", "body": "Orders ship within 2 business days; delivery takes 3 to 5 days in the EU."});
    let (status, kept) = app.put(&article_path, text.clone()).await;
    assert_eq!((status, &kept["asked_as"]), (200, &json!([STUFF])), "{kept}");
    let mut replaced = text.clone();
    replaced["asked_as"] = json!([" where is my\n parcel ", "Where is my PARCEL", "parcel not here"]);
    let (status, kept) = app.put(&article_path, replaced).await;
    assert_eq!((status, &kept["asked_as"]), (200, &json!(["where is my parcel", "parcel not here"])), "{kept}");
    let (_, tried) = app.post(&format!("/bots/{bot}/ask"), json!({"text": STUFF})).await;
    assert_eq!(tried["action"], "handoff", "the way it was asked is gone: {tried}");

    // Refused whole, field by field: a blank way, one too long, more than 50.
    for asked_as in
        [json!(["  "]), json!(["x".repeat(201)]), json!((0..51).map(|i| format!("way {i}")).collect::<Vec<_>>())]
    {
        let mut body = text.clone();
        body["asked_as"] = asked_as.clone();
        let refused = app.put(&article_path, body).await;
        assert_eq!(error_code(&refused), (422, Some("validation_failed")), "{asked_as}: {refused:?}");
        assert_eq!(refused.1["error"]["fields"][0]["field"], "asked_as", "{refused:?}");
    }
    assert_eq!(app.get(&article_path).await.1["asked_as"], json!(["where is my parcel", "parcel not here"]));

    // A question too long to be a way of asking, or an article asked in 50 ways already: the
    // question stays on the list.
    let (carol, _) = session(&app, json!({"bot_id": bot, "access_token": "tok-carol"})).await;
    let rambling = format!("Hello, {} so where are my things?", "I ordered a lot of things last month and ".repeat(5));
    ask(&app, &carol, &rambling).await;
    let (visitor, _) = session(&app, json!({"bot_id": bot})).await;
    ask(&app, &visitor, STUFF).await;
    app.bot_done_with(4).await;
    let questions = unanswered(&app, &bot).await;
    assert_eq!(questions.len(), 2, "{questions:?}");
    let rambling_path = format!("/bots/{bot}/unanswered/{}/answer", questions[1]["id"]);
    let too_long = app.post(&rambling_path, json!({"article_id": article["id"]})).await;
    assert_eq!(error_code(&too_long), (409, Some("question_too_long")), "{too_long:?}");
    // Its gist, as the operator words it, is taught instead; a blank wording is refused.
    let blank = app.post(&rambling_path, json!({"article_id": article["id"], "asked_as": " "})).await;
    assert_eq!(error_code(&blank), (422, Some("validation_failed")), "{blank:?}");
    assert_eq!(blank.1["error"]["fields"][0]["field"], "asked_as", "{blank:?}");
    let long = json!({"article_id": article["id"], "asked_as": "x".repeat(201)});
    let refused = app.post(&rambling_path, long).await;
    assert_eq!(error_code(&refused), (422, Some("validation_failed")), "{refused:?}");
    let gist = json!({"article_id": article["id"], "asked_as": "  where are   my things "});
    let (status, taught) = app.post(&rambling_path, gist).await;
    let expected = json!(["where is my parcel", "parcel not here", "where are my things"]);
    assert_eq!((status, &taught["asked_as"]), (200, &expected), "{taught}");
    let questions = unanswered(&app, &bot).await;
    assert_eq!(questions.len(), 1, "{questions:?}");
    let mut full = text.clone();
    full["asked_as"] = json!((0..50).map(|i| format!("way {i}")).collect::<Vec<_>>());
    assert_eq!(app.put(&article_path, full).await.0, 200);
    let stuff_path = format!("/bots/{bot}/unanswered/{}/answer", questions[0]["id"]);
    let refused = app.post(&stuff_path, json!({"article_id": article["id"]})).await;
    assert_eq!(error_code(&refused), (409, Some("article_asked_as_full")), "{refused:?}");
    assert_eq!(unanswered(&app, &bot).await.len(), 1);
    let refused = app.admin(Method::POST, &answer_path, Some(json!({"article": "x"}))).await;
    assert_eq!(error_code(&refused), (422, Some("invalid_body")), "an unknown field is refused: {refused:?}");
}
both_backends!(
    a_question_answered_with_an_article_is_answered_from_then_on,
    super::a_question_answered_with_an_article_is_answered_from_then_on
);
