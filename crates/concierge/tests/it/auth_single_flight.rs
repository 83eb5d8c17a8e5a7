//! Identical starts at the same time share one call to the customer's API, with or
//! without the auth result cache; the attempt log shows the one call the API saw and a
//! row for every start.

use std::collections::HashSet;
use std::time::Duration;

use futures::future::join_all;
use serde_json::{json, Value};

use crate::both_backends;
use crate::utils::customer::known_user;
use crate::utils::{Customer, TestApp};

/// Long enough for every start of a burst to arrive while the first call is out.
const SLOW: Duration = Duration::from_millis(500);

async fn slow_customer() -> Customer {
    Customer::start(|r| async move {
        tokio::time::sleep(SLOW).await;
        known_user(&r.body)
    })
    .await
}

/// `n` session starts at once, each with its own token from `tokens` (round robin).
async fn burst(app: &TestApp, bot: &str, tokens: &[&str], n: usize) -> Vec<Value> {
    let starts = (0..n).map(|i| app.start_session(json!({"bot_id": bot, "access_token": tokens[i % tokens.len()]})));
    join_all(starts)
        .await
        .into_iter()
        .map(|(status, s)| {
            assert_eq!(status, 201, "{s}");
            s
        })
        .collect()
}

fn contacts_of(sessions: &[Value]) -> HashSet<String> {
    sessions
        .iter()
        .map(|s| {
            assert_eq!(s["authenticated"], true, "{s}");
            s["contact"]["id"].as_str().expect("a contact").to_owned()
        })
        .collect()
}

async fn one_call_for_a_burst_of_one_token(app: TestApp, cache_ttl_secs: u32) {
    let customer = slow_customer().await;
    let bot = app.bot_with_auth(&customer.url, json!({"cache_ttl_secs": cache_ttl_secs})).await;
    let sessions = burst(&app, &bot, &["tok-alice"], 20).await;
    assert_eq!(customer.received().len(), 1, "twenty starts, one call");
    assert_eq!(contacts_of(&sessions).len(), 1, "all as the same contact");

    let attempts = app.attempts(&bot, "?limit=200").await;
    assert_eq!(attempts.len(), 20, "every start is in the log");
    let called: Vec<&Value> = attempts.iter().filter(|a| a["cached"] == false).collect();
    assert_eq!(called.len(), 1, "one row for the one call the API saw: {attempts:?}");
    assert_eq!(called[0]["upstream_status"], 200);
    assert!(attempts.iter().all(|a| a["outcome"] == "ok" && a["identifier"] == "u-1"), "{attempts:?}");
}

async fn a_burst_with_the_cache_on(app: TestApp) {
    one_call_for_a_burst_of_one_token(app, 60).await;
}
both_backends!(a_burst_with_the_cache_on, super::a_burst_with_the_cache_on);

/// With caching off only calls in flight are shared: nothing is kept once the call
/// lands, an answer nor a refusal.
async fn a_burst_with_the_cache_off(app: TestApp) {
    let customer = slow_customer().await;
    let bot = app.bot_with_auth(&customer.url, json!({"cache_ttl_secs": 0})).await;
    let (_, settings) = app.get(&format!("/bots/{bot}/custom-auth")).await;
    assert_eq!(settings["cache_ttl_secs"], 0);
    let sessions = burst(&app, &bot, &["tok-alice"], 20).await;
    assert_eq!(customer.received().len(), 1, "twenty starts, one call");
    assert_eq!(contacts_of(&sessions).len(), 1, "all as the same contact");
    burst(&app, &bot, &["tok-alice"], 1).await;
    assert_eq!(customer.received().len(), 2, "the answer was not kept");

    let refused = burst(&app, &bot, &["tok-nobody"], 5).await;
    assert!(refused.iter().all(|s| s["auth_error"]["code"] == "invalid_token"), "{refused:?}");
    assert_eq!(customer.received().len(), 3, "a refusal in flight is shared too");
    burst(&app, &bot, &["tok-nobody"], 1).await;
    assert_eq!(customer.received().len(), 4, "and not kept");
}
both_backends!(a_burst_with_the_cache_off, super::a_burst_with_the_cache_off);

async fn different_tokens_are_different_calls(app: TestApp) {
    let customer = slow_customer().await;
    let bot = app.bot_with_auth(&customer.url, json!({})).await;
    let sessions = burst(&app, &bot, &["tok-alice", "tok-bob"], 2).await;
    assert_eq!(customer.received().len(), 2);
    assert_eq!(contacts_of(&sessions).len(), 2);
    let attempts = app.attempts(&bot, "").await;
    assert!(attempts.iter().all(|a| a["cached"] == false), "{attempts:?}");
}
both_backends!(different_tokens_are_different_calls, super::different_tokens_are_different_calls);
