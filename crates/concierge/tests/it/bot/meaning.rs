//! With a sentence-embedding model (issue 15): the bot answers questions asked in other
//! words than its articles', still hands over what no article covers, keeps the articles'
//! vectors in the database, and gets them from a local model (an embeddings API:
//! `embeddings_api`).

use concierge::cli::ServeArgs;
use serde_json::{json, Value};

use super::*;
use crate::both_backends;
use crate::utils::embeddings;
use crate::utils::{test_args, Backend};

pub(super) const TRACKING: &str = "Tracking your order";
/// What no article is about.
pub(super) const TAXES: &str = "Can you help me file my taxes in Portugal?";
/// Answered by the tracking article only by its meaning: on words alone it is below the
/// default threshold ("parcel" is the one word in common).
pub(super) const PARAPHRASE: &str = "my parcel still hasn't shown up, where is it?";

/// A help center as a shop writes it.
pub(super) const ARTICLES: [(&str, &str); 5] = [
    (
        TRACKING,
        "As soon as your order leaves our warehouse we email you a tracking link. Follow it to see where \
         the parcel is and when the courier expects to deliver it.",
    ),
    ("Refunds", "Send the item back within 30 days of delivery and we refund the full price to your card."),
    (
        "Resetting your password",
        "On the sign-in page choose Forgot password, and we email you a link to choose a new one.",
    ),
    ("Changing your plan", "Go to Billing → Plan and pick another plan; the price changes from the next invoice."),
    ("Deleting your account", "Settings → Account → Delete account removes your data for good after 14 days."),
];

fn with_model() -> Option<ServeArgs> {
    let dir = embeddings::model_dir()?;
    Some(ServeArgs { embedding_model: Some(dir), ..test_args() })
}

pub(super) async fn shop(app: &TestApp) -> (String, Vec<String>) {
    let bot = app.bot().await;
    let mut ids = Vec::new();
    for (title, body) in ARTICLES {
        let (status, article) = app.post(&format!("/bots/{bot}/articles"), json!({"title": title, "body": body})).await;
        assert_eq!(status, 201, "{article}");
        ids.push(article["id"].as_str().unwrap().to_owned());
    }
    (bot, ids)
}

/// What the dashboard's "Try a question" gets: the action and the ranked articles.
pub(super) async fn try_question(app: &TestApp, bot: &str, text: &str) -> Value {
    let (status, answer) = app.post(&format!("/bots/{bot}/ask"), json!({"text": text})).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

pub(super) fn top(answer: &Value) -> &Value {
    &answer["articles"][0]
}

async fn paraphrases_are_answered_and_nothing_is_invented(app: TestApp) {
    if skipped(&app) {
        return;
    }
    let (bot, ids) = shop(&app).await;
    // The vectors were made when the articles were written, not at the first question.
    let model = app.services.embedding_model().expect("a model").to_owned();
    let stored = app.services.store.article_embeddings(&bot, &model).await.unwrap();
    assert_eq!(stored.len(), ARTICLES.len(), "one vector per article, stored at once");
    assert!(stored.iter().all(|e| e.vector.len() == 384 * 4), "all-MiniLM-L6-v2 makes 384 numbers");

    // A visitor who shares no meaningful word with the right article.
    let (token, _) = session(&app, json!({"bot_id": bot})).await;
    let answer = ask(&app, &token, PARAPHRASE).await;
    assert!(answer["text"].as_str().unwrap().starts_with("As soon as your order leaves"), "{answer}");
    let answer = ask(&app, &token, "has my delivery been sent out yet").await;
    assert!(answer["text"].as_str().unwrap().starts_with("As soon as your order leaves"), "{answer}");
    assert_eq!(handled_by(&app, &token).await["handled_by"], "bot");

    // Try a question shows why: words and meaning, each article.
    let why = try_question(&app, &bot, PARAPHRASE).await;
    assert_eq!(why["action"], "answer");
    assert_eq!(top(&why)["title"], TRACKING);
    let threshold = why["confidence_threshold"].as_u64().unwrap();
    assert!(top(&why)["lexical"].as_u64().unwrap() < threshold, "not by its words: {why}");
    assert!(top(&why)["semantic"].as_u64().unwrap() >= 50, "{why}");
    assert!(top(&why)["confidence"].as_u64().unwrap() >= threshold, "{why}");
    assert!(why["articles"].as_array().unwrap().iter().all(|a| a["semantic"].is_u64()), "{why}");

    // Nothing in the knowledge base is about this: a person answers, not the bot.
    let (token, _) = session(&app, json!({"bot_id": bot})).await;
    let answer = ask(&app, &token, TAXES).await;
    assert!(answer["text"].as_str().unwrap().starts_with("I'm not sure I can answer that one"), "{answer}");
    assert_eq!(handled_by(&app, &token).await["handled_by"], "waiting");

    // An edit makes the article's vector again, from its new text.
    let before = stored.iter().find(|e| e.article_id == ids[0]).unwrap().clone();
    let (status, _) = app
        .put(
            &format!("/bots/{bot}/articles/{}", ids[0]),
            json!({"title": "Where is my parcel?", "body": "Every shipped order has a tracking link in its email."}),
        )
        .await;
    assert_eq!(status, 200);
    let after = app.services.store.article_embeddings(&bot, &model).await.unwrap();
    let after = after.iter().find(|e| e.article_id == ids[0]).unwrap();
    assert_ne!(after.content_hash, before.content_hash);
    assert_ne!(after.vector, before.vector);
    let answer = try_question(&app, &bot, PARAPHRASE).await;
    assert_eq!(top(&answer)["title"], "Where is my parcel?", "{answer}");
}
both_backends!(
    paraphrases_are_answered_and_nothing_is_invented,
    super::paraphrases_are_answered_and_nothing_is_invented,
    super::model_args
);

/// With the model, or (when the model tests are skipped) without, for [`skipped`] to see.
fn model_args() -> ServeArgs {
    with_model().unwrap_or_else(test_args)
}

/// Only when CONCIERGE_TEST_SKIP_EMBEDDING_MODEL asked for it (`embeddings::model_dir`).
fn skipped(app: &TestApp) -> bool {
    app.services.embedding_model().is_none()
}

/// The same bytes on both backends: 384 zeros, a vector close to nothing.
fn zero_vector_sql(backend: Backend, article_id: &str) -> String {
    match backend {
        Backend::Sqlite => {
            format!("UPDATE article_embeddings SET vector = zeroblob(1536) WHERE article_id = '{article_id}'")
        }
        Backend::Postgres => format!(
            "UPDATE article_embeddings SET vector = decode(repeat('00', 1536), 'hex') WHERE article_id = '{article_id}'"
        ),
    }
}

async fn a_restarted_server_reads_the_vectors_it_stored(app: TestApp) {
    if skipped(&app) {
        return;
    }
    let (bot, ids) = shop(&app).await;
    assert_eq!(try_question(&app, &bot, PARAPHRASE).await["action"], "answer");

    // The stored vector of the tracking article is replaced behind the server's back, its
    // text's hash kept: a server that reads the stored vectors no longer finds the article
    // by meaning; one that made them again would.
    app.sabotage(&zero_vector_sql(app.backend, &ids[0])).await;
    let restarted = app.sibling(model_args()).await;
    let answer = try_question(&restarted, &bot, PARAPHRASE).await;
    let tracking = answer["articles"].as_array().unwrap().iter().find(|a| a["title"] == TRACKING);
    assert!(tracking.is_none_or(|a| a["semantic"] == 0), "the stored vector was used: {answer}");
    drop(restarted);

    // A vector whose text changed behind it (its hash no longer matches) is made again.
    app.sabotage("UPDATE article_embeddings SET content_hash = 'stale'").await;
    let restarted = app.sibling(model_args()).await;
    let answer = try_question(&restarted, &bot, PARAPHRASE).await;
    assert_eq!(answer["action"], "answer", "{answer}");
    assert_eq!(top(&answer)["title"], TRACKING);
    let model = restarted.services.embedding_model().unwrap().to_owned();
    let stored = restarted.services.store.article_embeddings(&bot, &model).await.unwrap();
    assert!(stored.iter().all(|e| e.content_hash != "stale" && e.vector.iter().any(|b| *b != 0)));
}
both_backends!(
    a_restarted_server_reads_the_vectors_it_stored,
    super::a_restarted_server_reads_the_vectors_it_stored,
    super::model_args
);

/// A help-centre article as real ones are: six sections, some 330 words, more than the
/// model reads of one text (256 word pieces); what it says about water is at its end.
pub(super) const WATCH_TITLE: &str = "Getting started with your watch";
pub(super) const WATCH: &str = "\
    Set up\n\
    Charge the watch for an hour before you first use it. Open the app on your phone, choose Add a \
    device and hold the watch next to the phone until the six-digit code on its screen appears in \
    the app. Confirm the code and wait while the watch installs its latest software, which can take \
    ten minutes.\n\n\
    The watch face\n\
    Press and hold the face to choose another one. Faces show the time, the date, your steps and \
    your heart rate; some also show the weather, which comes from your phone. Swipe left for your \
    daily summary and right for your notifications. The side button always brings you back to the \
    face.\n\n\
    Notifications\n\
    The watch shows calls, messages and calendar reminders from your phone while the two are \
    connected. Choose which apps may notify you under Settings and Notifications in the app. Do not \
    disturb silences everything except alarms; turn it on from the control centre, which opens when \
    you swipe down from the top of the face.\n\n\
    Workouts\n\
    Start a workout from the workout list: running, cycling, walking, strength training and yoga are \
    there, and the list can be reordered in the app. During a workout the watch shows your time, \
    distance, pace and heart rate zone, and it vibrates at every kilometre. Pause with the side \
    button; a long press ends the workout and saves it.\n\n\
    Battery\n\
    A full charge lasts about a week with an hour of exercise a day. The always-on display, music \
    playback and continuous location tracking use the battery faster. Low power mode keeps the time \
    and your steps for another two days when the battery is almost empty.\n\n\
    Water and heat\n\
    The watch is water resistant to 50 metres: wear it in the pool, in the sea and in the shower. \
    Keep it away from saunas, steam rooms and hot tubs, where the heat weakens the seals that keep \
    the water out, and rinse it with fresh water after swimming in salt water.";

async fn a_long_article_is_found_by_the_meaning_of_its_last_section(app: TestApp) {
    if skipped(&app) {
        return;
    }
    let (bot, _) = shop(&app).await;
    let (status, article) =
        app.post(&format!("/bots/{bot}/articles"), json!({"title": WATCH_TITLE, "body": WATCH})).await;
    assert_eq!(status, 201, "{article}");
    let model = app.services.embedding_model().expect("a model").to_owned();
    let stored = app.services.store.article_embeddings(&bot, &model).await.unwrap();
    let watch = stored.iter().find(|e| e.article_id == article["id"]).expect("its vectors, stored at once");
    assert_eq!(watch.vector.len(), 6 * 384 * 4, "one vector per section");

    // Asked in other words than the last section's: found by its meaning, which a vector of
    // the whole article, cut off after its first sections, does not have.
    let (token, _) = session(&app, json!({"bot_id": bot})).await;
    let answer = ask(&app, &token, "is the watch waterproof").await;
    let text = answer["text"].as_str().unwrap();
    // The section that answers, under the article's title: not the whole article.
    assert!(text.starts_with(&format!("{WATCH_TITLE}\n\nWater and heat\nThe watch is water resistant")), "{answer}");
    assert!(!text.contains("six-digit code") && !text.contains("Low power mode"), "{answer}");
    assert_eq!(answer["styles"][0], json!({"start": 0, "end": WATCH_TITLE.len(), "style": "strong"}), "{answer}");
    let why = try_question(&app, &bot, "does it matter if the watch gets wet").await;
    assert_eq!(why["action"], "answer", "{why}");
    assert_eq!(top(&why)["title"], WATCH_TITLE);
    let threshold = why["confidence_threshold"].as_u64().unwrap();
    assert!(top(&why)["lexical"].as_u64().unwrap() < threshold, "not by its words: {why}");
    assert!(top(&why)["semantic"].as_u64().unwrap() >= 50, "{why}");

    // Its words are scattered over the sections; none is about this, and a person answers.
    let why = try_question(&app, &bot, "Is there a smart alarm that wakes me up in light sleep?").await;
    assert_eq!(why["action"], "handoff", "{why}");

    // Another instance reads the article's vectors back, each section's.
    let restarted = app.sibling(model_args()).await;
    let why = try_question(&restarted, &bot, "does it matter if the watch gets wet").await;
    assert_eq!(top(&why)["title"], WATCH_TITLE, "{why}");
    assert_eq!(why["action"], "answer", "{why}");
}
both_backends!(
    a_long_article_is_found_by_the_meaning_of_its_last_section,
    super::a_long_article_is_found_by_the_meaning_of_its_last_section,
    super::model_args
);

/// A deployment that ran without a model, and has more articles than are made while a
/// question waits, is given one: questions are answered on words at once, and by meaning
/// when the background has made the vectors.
async fn a_model_given_later_makes_the_vectors_in_the_background(app: TestApp) {
    let (bot, _) = shop(&app).await;
    for n in 1..=40 {
        let (title, body) = (format!("Opening hours of store {n}"), format!("Store {n} opens at 9 and closes at 18."));
        let (status, _) = app.post(&format!("/bots/{bot}/articles"), json!({"title": title, "body": body})).await;
        assert_eq!(status, 201);
    }
    let with_model = app.sibling(model_args()).await;
    if skipped(&with_model) {
        return;
    }
    // The first question builds the index before any vector is made: it is answered on
    // words, without waiting for the 45 vectors.
    let answer = try_question(&with_model, &bot, "How do I reset my password?").await;
    assert_eq!(top(&answer)["title"], "Resetting your password", "words answer at once: {answer}");
    assert!(top(&answer)["semantic"].is_null(), "no vector was made while it waited: {answer}");
    crate::utils::eventually("the paraphrase is answered once the vectors are made", || async {
        let answer = try_question(&with_model, &bot, PARAPHRASE).await;
        (answer["action"] == "answer" && top(&answer)["title"] == TRACKING).then_some(())
    })
    .await;
    let model = with_model.services.embedding_model().unwrap().to_owned();
    assert_eq!(with_model.services.store.article_embeddings(&bot, &model).await.unwrap().len(), 45);
}
both_backends!(
    a_model_given_later_makes_the_vectors_in_the_background,
    super::a_model_given_later_makes_the_vectors_in_the_background
);

#[tokio::test]
async fn a_directory_without_a_model_stops_the_start_and_says_why() {
    let data = concierge_store::testing::TempDir::new().unwrap();
    let empty = concierge_store::testing::TempDir::new().unwrap();
    let storage = concierge::cli::StorageArgs { data_dir: Some(data.path().to_owned()), ..Default::default() };
    let args = ServeArgs { embedding_model: Some(empty.path().to_owned()), ..test_args() };
    let config = concierge::config::load_with_env(None, &[], &storage, &args).unwrap();
    let refused = format!("{:#}", concierge::app::services(config).await.err().expect("the start is refused"));
    assert!(refused.contains(&empty.path().display().to_string()) && refused.contains("config.json"), "{refused}");
}
