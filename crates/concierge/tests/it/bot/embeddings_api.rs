//! An embeddings API serving the bot (issue 15): its outage costs only the meaning, it is
//! behind the outbound guard, and a model whose cosines lie elsewhere than
//! all-MiniLM-L6-v2's is read on its own scale.

use std::sync::Arc;

use concierge::cli::ServeArgs;
use concierge_bot::knowledge::hybrid::Scale;
use concierge_bot::semantic::{article_texts, calibration, cosine};
use concierge_bot::{Embedder, LocalModel};
use serde_json::json;

use super::meaning::{shop, top, try_question, ARTICLES, PARAPHRASE, TAXES, TRACKING};
use super::*;
use crate::utils::cut::Cuttable;
use crate::utils::embeddings::{self, EmbeddingsApi, Warp};
use crate::utils::{test_args, Backend};

const API_KEY: &str = "emb-key-3f9a7c21d4e8b6";
/// As [`PARAPHRASE`], in words not asked before.
const NEW_PARAPHRASE: &str = "the parcel still has not shown up. where is it?";

fn api_args(url: &str) -> ServeArgs {
    ServeArgs {
        embeddings_url: Some(url.to_owned()),
        embeddings_model: Some("all-minilm".to_owned()),
        embeddings_api_key: Some(API_KEY.to_owned()),
        embeddings_timeout_ms: Some(3_000),
        ..test_args()
    }
}

async fn api(model: Arc<LocalModel>) -> (EmbeddingsApi, Cuttable) {
    let api = EmbeddingsApi::start(model, API_KEY).await;
    let upstream = api.url.trim_start_matches("http://").trim_end_matches("/v1").to_owned();
    (api, Cuttable::start(&upstream).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_embeddings_api_serves_the_bot_and_its_outage_costs_only_the_meaning() {
    let Some(model) = embeddings::model() else { return };
    let (api, proxy) = api(model).await;
    let app = TestApp::spawn_with(Backend::Sqlite, api_args(&format!("http://{}/v1", proxy.addr))).await.unwrap();
    let (bot, _) = shop(&app).await;
    let asked = api.received();
    assert!(!asked.is_empty() && asked.iter().all(|b| b["model"] == "all-minilm"), "{asked:?}");

    let answer = try_question(&app, &bot, PARAPHRASE).await;
    assert_eq!(answer["action"], "answer", "{answer}");
    assert_eq!(top(&answer)["title"], TRACKING);

    // The API goes away: questions are judged on their words, and still answered when
    // their words match; a paraphrase not asked before goes to a person rather than to a
    // guess, one asked within the hour is still understood.
    proxy.cut();
    let answer = try_question(&app, &bot, "How do I reset my password?").await;
    assert_eq!(answer["action"], "answer", "{answer}");
    assert_eq!(top(&answer)["title"], "Resetting your password");
    assert!(top(&answer)["semantic"].is_null(), "no meaning without the API: {answer}");
    assert_eq!(try_question(&app, &bot, NEW_PARAPHRASE).await["action"], "handoff");
    assert_eq!(top(&try_question(&app, &bot, PARAPHRASE).await)["title"], TRACKING, "asked before the outage");
    // Written while the API is down: the article is saved and found by its words.
    let (status, _) =
        app.post(&format!("/bots/{bot}/articles"), json!({"title": "Gift cards", "body": "We sell gift cards."})).await;
    assert_eq!(status, 201);
    assert_eq!(top(&try_question(&app, &bot, "do you sell gift cards").await)["title"], "Gift cards");

    // Back: after the short pause that spares questions the wait for a dead API.
    proxy.restore();
    crate::utils::eventually("the meaning is back with the API", || async {
        (try_question(&app, &bot, NEW_PARAPHRASE).await["action"] == "answer").then_some(())
    })
    .await;
    app.assert_not_stored(API_KEY).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_embeddings_api_is_behind_the_outbound_guard() {
    let Some(model) = embeddings::model() else { return };
    let (api, _proxy) = api(model).await;
    let data = concierge_store::testing::TempDir::new().unwrap();
    let storage = concierge::cli::StorageArgs { data_dir: Some(data.path().to_owned()), ..Default::default() };

    // A loopback address written out is refused at start, not at every question.
    let args = ServeArgs { allow_private_upstreams: Some(false), ..api_args(&api.url) };
    let config = concierge::config::load_with_env(None, &[], &storage, &args).unwrap();
    let refused = format!("{:#}", concierge::app::services(config).await.err().expect("the start is refused"));
    assert!(refused.contains("embeddings_url cannot be called"), "{refused}");

    // A name that resolves to loopback is refused when it is looked up: the API is never
    // called, and the bot answers on words.
    let by_name = api.url.replace("127.0.0.1", "localhost");
    let args =
        ServeArgs { allow_private_upstreams: Some(false), allow_http_upstreams: Some(true), ..api_args(&by_name) };
    let app = TestApp::spawn_with(Backend::Sqlite, args).await.unwrap();
    let (bot, _) = shop(&app).await;
    let answer = try_question(&app, &bot, "How do I reset my password?").await;
    assert_eq!(answer["action"], "answer", "words still answer: {answer}");
    assert_eq!(try_question(&app, &bot, PARAPHRASE).await["action"], "handoff");
    assert!(api.received().is_empty(), "a loopback API is not called without --allow-private-upstreams");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_test_models_scale_is_the_reference() {
    let Some(model) = embeddings::model() else { return };
    let (questions, passages) = calibration::texts();
    let vectors: Vec<Vec<f32>> = questions.iter().chain(&passages).map(|text| model.embed(text).unwrap()).collect();
    let embedder = Embedder::local(model);
    let anchors = calibration::anchors(&vectors).expect("anchors");
    let reference = calibration::REFERENCE;
    assert!((anchors.unrelated - reference.unrelated).abs() < 0.002, "{anchors:?} against {reference:?}");
    assert!((anchors.answering - reference.answering).abs() < 0.002, "{anchors:?} against {reference:?}");
    let scale = embedder.scale().await.unwrap().expect("the model tells answers from unrelated texts");
    assert!((scale.floor - Scale::REFERENCE.floor).abs() < 0.01, "{scale:?}");
    assert!((scale.ceiling - Scale::REFERENCE.ceiling).abs() < 0.01, "{scale:?}");
}

/// Models such as bge score every pair of texts higher than all-MiniLM-L6-v2 does; taken
/// on its scale, such a model would make every article look close to every question, and
/// the bot would answer what no article covers. Read on its own scale, it answers as
/// all-MiniLM-L6-v2 does, however narrow the band it squeezes its cosines into.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_model_that_scores_everything_closer_still_invents_nothing() {
    let Some(model) = embeddings::model() else { return };
    for (shift, unrelated_at_least) in [(1.0, 45), (20.0, 99)] {
        let warp = Warp::Shift(shift);
        let api = EmbeddingsApi::warped(model.clone(), API_KEY, warp).await;
        let app = TestApp::spawn_with(Backend::Sqlite, api_args(&api.url)).await.unwrap();
        let (bot, _) = shop(&app).await;

        let answer = try_question(&app, &bot, PARAPHRASE).await;
        assert_eq!((&answer["action"], &answer["meaning"]), (&json!("answer"), &json!("on")), "{answer}");
        assert_eq!(top(&answer)["title"], TRACKING);
        let unrelated = answer["meaning_scale"]["unrelated"].as_u64().expect("the model's scale");
        assert!(unrelated >= unrelated_at_least, "shift {shift}: unrelated texts score high: {answer}");

        let (token, _) = session(&app, json!({"bot_id": bot})).await;
        let answer = ask(&app, &token, TAXES).await;
        assert!(answer["text"].as_str().unwrap().starts_with("I'm not sure I can answer that one"), "{answer}");
        // What the model says of it: on all-MiniLM-L6-v2's scale, some article would be
        // close enough to be the answer.
        let question = embeddings::warped(TAXES, model.embed(TAXES).unwrap(), warp);
        let closest = ARTICLES
            .iter()
            .flat_map(|(title, body)| article_texts(title, body))
            .map(|text| cosine(&question, &embeddings::warped(&text, model.embed(&text).unwrap(), warp)).unwrap())
            .fold(f32::MIN, f32::max);
        let threshold = answer["confidence_threshold"].as_u64().map_or(0.35, |t| t as f32 / 100.0);
        assert!(Scale::REFERENCE.blend(0.0, Some(closest)) >= threshold, "shift {shift}: cosine {closest}");
    }
}

/// A model that finds the text that answers a question no better than an unrelated one (a
/// misconfigured endpoint, a model that is not a sentence-embedding model) has no say:
/// the bot judges questions on their words, as without a model, and says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_model_that_cannot_tell_answers_apart_has_no_say() {
    let Some(model) = embeddings::model() else { return };
    let api = EmbeddingsApi::warped(model, API_KEY, Warp::Noise(20.0)).await;
    let app = TestApp::spawn_with(Backend::Sqlite, api_args(&api.url)).await.unwrap();
    let (bot, _) = shop(&app).await;

    let answer = try_question(&app, &bot, "How do I reset my password?").await;
    assert_eq!((&answer["action"], &answer["meaning"]), (&json!("answer"), &json!("unusable")), "{answer}");
    assert!(top(&answer)["semantic"].is_null(), "{answer}");
    assert!(answer["meaning_scale"].is_null(), "{answer}");
    assert_eq!(try_question(&app, &bot, PARAPHRASE).await["action"], "handoff");
    let (token, _) = session(&app, json!({"bot_id": bot})).await;
    let answer = ask(&app, &token, TAXES).await;
    assert!(answer["text"].as_str().unwrap().starts_with("I'm not sure I can answer that one"), "{answer}");
    // It was measured, and what it will not be used for is not sent to it.
    let probe = &calibration::texts().0[0];
    assert_eq!(api.inputs().iter().filter(|text| *text == probe).count(), 1, "measured once");
    let before = api.inputs().len();
    let (status, _) =
        app.post(&format!("/bots/{bot}/articles"), json!({"title": "Gift cards", "body": "We sell gift cards."})).await;
    assert_eq!(status, 201);
    assert_eq!(try_question(&app, &bot, "do you sell gift cards").await["action"], "answer");
    assert_eq!(api.inputs().len(), before, "nothing more is sent to a model that is not used");
}

/// An embeddings API that is down when the server starts: questions are judged on their
/// words, and the meaning is back soon after the API is, without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_api_down_at_the_start_is_measured_when_it_is_back() {
    let Some(model) = embeddings::model() else { return };
    let (_api, proxy) = api(model).await;
    proxy.cut();
    let app = TestApp::spawn_with(Backend::Sqlite, api_args(&format!("http://{}/v1", proxy.addr))).await.unwrap();
    let (bot, _) = shop(&app).await;
    let answer = try_question(&app, &bot, "How do I reset my password?").await;
    assert_eq!((&answer["action"], &answer["meaning"]), (&json!("answer"), &json!("unmeasured")), "{answer}");
    assert_eq!(try_question(&app, &bot, PARAPHRASE).await["action"], "handoff");

    proxy.restore();
    let answer = crate::utils::eventually("the meaning is back with the API", || async {
        let answer = try_question(&app, &bot, PARAPHRASE).await;
        (answer["action"] == "answer").then_some(answer)
    })
    .await;
    assert_eq!((&top(&answer)["title"], &answer["meaning"]), (&json!(TRACKING), &json!("on")), "{answer}");
}

/// A model trained to read questions and passages each after a word of its own (e5,
/// nomic-embed-text) misreads texts sent without: given its prefixes, the bot finds answers
/// by meaning with it, and a new document prefix makes the articles' vectors again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_model_trained_with_prefixes_is_sent_them() {
    let Some(model) = embeddings::model() else { return };
    let (query, document) = ("search_query: ", "search_document: ");
    let api = EmbeddingsApi::warped(model, API_KEY, Warp::Prefixed { query, document }).await;

    // Without them the model cannot tell answers apart, and the bot says so.
    let app = TestApp::spawn_with(Backend::Sqlite, api_args(&api.url)).await.unwrap();
    let (bot, _) = shop(&app).await;
    let answer = try_question(&app, &bot, PARAPHRASE).await;
    assert_eq!((&answer["action"], &answer["meaning"]), (&json!("handoff"), &json!("unusable")), "{answer}");
    drop(app);

    let with = |document: &str| ServeArgs {
        embeddings_query_prefix: Some(query.to_owned()),
        embeddings_document_prefix: Some(document.to_owned()),
        ..api_args(&api.url)
    };
    let app = TestApp::spawn_with(Backend::Sqlite, with(document)).await.unwrap();
    let (bot, _) = shop(&app).await;
    let answer = try_question(&app, &bot, PARAPHRASE).await;
    assert_eq!((&answer["action"], &answer["meaning"]), (&json!("answer"), &json!("on")), "{answer}");
    assert_eq!(top(&answer)["title"], TRACKING);
    let question = format!("{query}{PARAPHRASE}");
    assert!(api.inputs().contains(&question), "the question after its prefix");
    let tracking = |prefix: &str| {
        let (title, body) = ARTICLES.iter().find(|(title, _)| *title == TRACKING).unwrap();
        format!("{prefix}{}", article_texts(title, body)[0])
    };
    assert!(api.inputs().contains(&tracking(document)), "the article after its prefix");

    // Another document prefix (one more space, which the model reads past): the vectors
    // stored were made after the old one, and are made again.
    let respaced = "search_document:  ";
    let before = api.inputs().len();
    let renamed = app.sibling(with(respaced)).await;
    assert_eq!(top(&try_question(&renamed, &bot, PARAPHRASE).await)["title"], TRACKING);
    assert!(api.inputs()[before..].contains(&tracking(respaced)), "the article is embedded again");
    let (old_key, new_key) = (app.services.embedding_model().unwrap(), renamed.services.embedding_model().unwrap());
    assert!(old_key.starts_with("remote:all-minilm+document:") && old_key != new_key, "{old_key} {new_key}");
    assert!(!old_key.contains("search"), "the key names the prefix by a fingerprint: {old_key}");
}

/// Visitors ask the same questions again and again: a question asked of a bot a moment ago
/// is not sent to the API again, and is answered the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_question_asked_again_is_not_embedded_again() {
    let Some(model) = embeddings::model() else { return };
    let api = EmbeddingsApi::start(model, API_KEY).await;
    let app = TestApp::spawn_with(Backend::Sqlite, api_args(&api.url)).await.unwrap();
    let (bot, _) = shop(&app).await;
    let times_sent = |text: &str| api.inputs().iter().filter(|input| *input == text).count();

    let first = try_question(&app, &bot, PARAPHRASE).await;
    let (token, _) = session(&app, json!({"bot_id": bot})).await;
    let again = ask(&app, &token, PARAPHRASE).await;
    assert_eq!(top(&first)["title"], TRACKING);
    assert!(!again["text"].as_str().unwrap().starts_with("I'm not sure"), "answered in the chat too: {again}");
    assert_eq!(top(&try_question(&app, &bot, PARAPHRASE).await)["semantic"], top(&first)["semantic"]);
    assert_eq!(times_sent(PARAPHRASE), 1, "embedded once for three askings");
    try_question(&app, &bot, NEW_PARAPHRASE).await;
    assert_eq!(times_sent(NEW_PARAPHRASE), 1, "another question is embedded");

    // Another bot's visitors do not learn by its speed what this bot was asked; nor does
    // anyone what was asked with an order number in it.
    let (other_bot, _) = shop(&app).await;
    assert_eq!(top(&try_question(&app, &other_bot, PARAPHRASE).await)["title"], TRACKING);
    assert_eq!(times_sent(PARAPHRASE), 2, "embedded again for another bot");
    let personal = "my parcel 4471-22 hasn't shown up, where is it?";
    for _ in 0..2 {
        assert_eq!(top(&try_question(&app, &bot, personal).await)["title"], TRACKING);
    }
    assert_eq!(times_sent(personal), 2, "a question with a number in it is not kept");
}

/// Reviewing what the bot could not answer decides each question again: the questions not
/// kept from the last hour reach the embeddings API together, not one request each.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unanswered_questions_are_embedded_together_when_reviewed() {
    let Some(model) = embeddings::model() else { return };
    let api = EmbeddingsApi::start(model, API_KEY).await;
    let app = TestApp::spawn_with(Backend::Sqlite, api_args(&api.url)).await.unwrap();
    let (bot, _) = shop(&app).await;
    // With a number in them, neither is kept: both are embedded again when listed.
    let questions = ["can I file my 2024 taxes in Portugal with you?", "is the 10450 euro tax deductible?"];
    for (n, question) in questions.iter().enumerate() {
        let (token, _) = session(&app, json!({"bot_id": bot})).await;
        assert!(ask(&app, &token, question).await["text"].as_str().unwrap().starts_with("I'm not sure"));
        app.bot_done_with(n as u64 + 1).await;
    }
    let before = api.received().len();
    let (status, page) = app.get(&format!("/bots/{bot}/unanswered")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 2, "{page}");
    let listed = &api.received()[before..];
    assert_eq!(listed.len(), 1, "one request for the page: {listed:?}");
    let mut sent: Vec<&str> = listed[0]["input"].as_array().unwrap().iter().filter_map(|t| t.as_str()).collect();
    sent.sort_unstable();
    let mut expected = questions.to_vec();
    expected.sort_unstable();
    assert_eq!(sent, expected);
}
