//! The auth result cache (opt-in per bot, `cache_ttl_secs`): a person's next start within
//! the time does not call the customer's API again, until the settings change, the secret
//! rotates or an admin empties it.

use serde_json::json;

use crate::both_backends;
use crate::utils::{Customer, TestApp};

async fn starts(app: &TestApp, bot: &str, token: &str, n: usize) {
    for _ in 0..n {
        let (status, s) = app.start_session(json!({"bot_id": bot, "access_token": token})).await;
        assert_eq!(status, 201, "{s}");
        assert_eq!(s["authenticated"], true, "{s}");
    }
}

async fn a_cached_answer_is_reused_until_anything_changes(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = app.bot_with_auth(&customer.url, json!({"cache_ttl_secs": 60})).await;
    let (_, settings) = app.get(&format!("/bots/{bot}/custom-auth")).await;
    assert_eq!(settings["cache_ttl_secs"], 60);

    starts(&app, &bot, "tok-alice", 3).await;
    assert_eq!(customer.received().len(), 1, "one call for three starts");
    let attempts = app.attempts(&bot, "").await;
    assert_eq!(attempts.len(), 3, "every start is in the log");
    let cached: Vec<bool> = attempts.iter().map(|a| a["cached"].as_bool().unwrap()).collect();
    assert_eq!(cached, [true, true, false], "newest first: the first start called");
    assert!(attempts.iter().all(|a| a["outcome"] == "ok" && a["identifier"] == "u-1"), "{attempts:?}");
    assert_eq!(app.contacts(&bot).await.len(), 1);

    // Another person, or the same token with other fields: their own call.
    starts(&app, &bot, "tok-bob", 1).await;
    assert_eq!(customer.received().len(), 2);

    // A refusal is never kept: the next try asks again.
    for _ in 0..2 {
        let (status, s) = app.start_session(json!({"bot_id": bot, "access_token": "tok-nobody"})).await;
        assert_eq!((status, s["authenticated"].as_bool()), (201, Some(false)), "{s}");
    }
    assert_eq!(customer.received().len(), 4);

    // Saving the settings, rotating the secret, emptying the cache: each asks again.
    let (status, _) = app
        .put(&format!("/bots/{bot}/custom-auth"), json!({"enabled": true, "url": customer.url, "cache_ttl_secs": 60}))
        .await;
    assert_eq!(status, 200);
    starts(&app, &bot, "tok-alice", 2).await;
    assert_eq!(customer.received().len(), 5, "a settings save forgets");
    assert_eq!(app.post(&format!("/bots/{bot}/custom-auth/rotate-secret"), json!({})).await.0, 200);
    starts(&app, &bot, "tok-alice", 2).await;
    assert_eq!(customer.received().len(), 6, "a rotation forgets: the next call is signed with the new secret");
    let (status, _) = app.admin(reqwest::Method::DELETE, &format!("/bots/{bot}/custom-auth/cache"), None).await;
    assert_eq!(status, 204);
    starts(&app, &bot, "tok-alice", 2).await;
    assert_eq!(customer.received().len(), 7, "emptying the cache forgets");

    // The testing panel always calls.
    let (status, report) =
        app.post(&format!("/bots/{bot}/custom-auth/test"), json!({"access_token": "tok-alice"})).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(customer.received().len(), 8);
}
both_backends!(
    a_cached_answer_is_reused_until_anything_changes,
    super::a_cached_answer_is_reused_until_anything_changes
);

async fn without_a_cache_time_every_start_calls(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = app.bot_with_auth(&customer.url, json!({})).await;
    let (_, settings) = app.get(&format!("/bots/{bot}/custom-auth")).await;
    assert_eq!(settings["cache_ttl_secs"], 0, "off unless asked for");
    starts(&app, &bot, "tok-alice", 3).await;
    assert_eq!(customer.received().len(), 3);
    assert!(app.attempts(&bot, "").await.iter().all(|a| a["cached"] == false));
}
both_backends!(without_a_cache_time_every_start_calls, super::without_a_cache_time_every_start_calls);

async fn an_answer_is_reused_for_its_time_only(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = app.bot_with_auth(&customer.url, json!({"cache_ttl_secs": 1})).await;
    starts(&app, &bot, "tok-alice", 2).await;
    assert_eq!(customer.received().len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    starts(&app, &bot, "tok-alice", 1).await;
    assert_eq!(customer.received().len(), 2, "a second later the answer has run out");
}
both_backends!(an_answer_is_reused_for_its_time_only, super::an_answer_is_reused_for_its_time_only);

async fn the_cache_time_is_bounded(app: TestApp) {
    let bot = app.bot().await;
    for bad in [json!(-1), json!(3601), json!("60")] {
        let (status, body) = app.put(&format!("/bots/{bot}/custom-auth"), json!({"cache_ttl_secs": bad})).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
    let (status, body) = app.put(&format!("/bots/{bot}/custom-auth"), json!({"cache_ttl_secs": 3601})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("validation_failed")), "{body}");
    assert!(body.to_string().contains("cache_ttl_secs"), "{body}");
}
both_backends!(the_cache_time_is_bounded, super::the_cache_time_is_bounded);

/// No token in the database: the attempt log keeps the identifier the API answered, the
/// cache keys are keyed hashes held in memory only.
async fn no_token_is_stored(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = app.bot_with_auth(&customer.url, json!({"cache_ttl_secs": 60})).await;
    starts(&app, &bot, "tok-alice", 2).await;
    app.assert_not_stored("tok-alice").await;
}
both_backends!(no_token_is_stored, super::no_token_is_stored);
