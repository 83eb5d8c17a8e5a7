//! The limits that protect both sides (docs/custom-authentication.md §9), on both backends:
//! the outbound address guard, the cap on concurrent calls, the per-IP rate limit on session
//! starts, and the page origins allowed to use a bot.

use std::sync::Arc;

use axum::response::IntoResponse;
use concierge::cli::ServeArgs;
use serde_json::{json, Value};
use tokio::sync::Semaphore;

use crate::both_backends;
use crate::utils::{eventually, test_args, Customer, TestApp, CUSTOMER_HOST};

async fn the_guard_blocks_private_addresses_stored_before_the_switch_was_turned_off(open: TestApp) {
    let customer = Customer::with_users().await;
    let mut bots = Vec::new();
    for url in [
        customer.url.clone(),
        format!("http://localhost:{}/auth", customer.port),
        format!("http://127.1:{}/auth", customer.port),
        format!("http://[::ffff:127.0.0.1]:{}/auth", customer.port),
        format!("http://[::1]:{}/auth", customer.port),
    ] {
        bots.push((url.clone(), open.bot_with_auth(&url, json!({})).await));
    }
    // The operator restarts without --allow-private-upstreams (but with plain http).
    let mut args = test_args();
    args.allow_private_upstreams = Some(false);
    args.allow_http_upstreams = Some(true);
    let closed = open.sibling(args).await;
    for (url, bot) in &bots {
        let (_, s) = closed.start_session(json!({"bot_id": bot, "access_token": "tok-alice"})).await;
        assert_eq!(s["auth_error"]["code"], "auth_url_blocked", "{url}: {s}");
    }
    assert!(customer.received().is_empty(), "nothing reached the private address");
    let (status, e) =
        closed.put(&format!("/bots/{}/custom-auth", bots[0].1), json!({"enabled": true, "url": customer.url})).await;
    assert_eq!(status, 422, "and such a URL cannot be saved: {e}");
    assert_eq!(e["error"]["fields"][0]["field"], "url");
}
both_backends!(
    the_guard_blocks_private_addresses_stored_before_the_switch_was_turned_off,
    super::the_guard_blocks_private_addresses_stored_before_the_switch_was_turned_off
);

fn plain_http_anywhere() -> ServeArgs {
    ServeArgs { allow_http_upstreams: Some(true), ..test_args() }
}

async fn plain_http_saved_under_a_looser_policy_is_refused_at_the_call(open: TestApp) {
    let customer = Customer::with_users().await;
    let url = format!("http://{CUSTOMER_HOST}:{}/auth", customer.port);
    let bot = open.bot_with_auth(&url, json!({})).await;
    let (_, s) = open.start_session(json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    assert_eq!(s["authenticated"], true, "{s}");

    // The operator restarts without --allow-http-upstreams: the access token must not
    // travel in clear any more, whatever was saved before.
    let strict = open.sibling(test_args()).await;
    let (_, s) = strict.start_session(json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    assert_eq!(s["auth_error"]["code"], "auth_url_blocked", "{s}");
    let (status, report) =
        strict.post(&format!("/bots/{bot}/custom-auth/test"), json!({"access_token": "tok-alice"})).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["outcome"]["code"], "auth_url_blocked", "{report}");
    let why = report["outcome"]["message"].as_str().unwrap();
    assert!(why.contains("must use https") && why.contains("--allow-http-upstreams"), "the panel says why: {why}");
    assert_eq!(customer.received().len(), 1, "only the call made under the looser policy arrived");
    let attempts = strict.attempts(&bot, "").await;
    assert_eq!(attempts[0]["outcome"], "auth_url_blocked", "{attempts:?}");
}
both_backends!(
    plain_http_saved_under_a_looser_policy_is_refused_at_the_call,
    super::plain_http_saved_under_a_looser_policy_is_refused_at_the_call,
    super::plain_http_anywhere
);

fn one_call_at_a_time() -> ServeArgs {
    ServeArgs { max_concurrent_calls_per_bot: Some(1), ..test_args() }
}

async fn busy_upstreams_fail_fast_past_the_concurrency_cap(app: TestApp) {
    // The customer holds every call until the test lets one go.
    let release = Arc::new(Semaphore::new(0));
    let gate = release.clone();
    let customer = Customer::start(move |_| {
        let gate = gate.clone();
        async move {
            let _answer = gate.acquire().await;
            axum::Json(json!({"data": {"id": "slow"}})).into_response()
        }
    })
    .await;
    let bot = app.bot_with_auth(&customer.url, json!({})).await;
    let app = Arc::new(app);
    let first = tokio::spawn({
        let (app, bot) = (app.clone(), bot.clone());
        async move { app.start_session(json!({"bot_id": bot, "access_token": "t-0"})).await.1 }
    });
    eventually("the first call reaches the customer", || async { (customer.received().len() == 1).then_some(()) })
        .await;

    // While it is held, more starts fail without calling (and so without waiting for it).
    // Other tokens: a start with the same one would share the call in flight.
    for token in ["t-1", "t-2"] {
        let (_, s) = app.start_session(json!({"bot_id": bot, "access_token": token})).await;
        assert_eq!(s["auth_error"]["code"], "auth_upstream_error", "{s}");
    }
    assert_eq!(customer.received().len(), 1, "nothing more was sent");
    release.add_permits(1);
    let s = first.await.unwrap();
    assert_eq!(s["authenticated"], true, "{s}");
    let attempts = app.attempts(&bot, "?outcome=auth_upstream_error").await;
    assert_eq!(attempts.len(), 2);
    assert!(attempts[0]["reason"].as_str().unwrap().contains("in flight"), "{}", attempts[0]);
}
both_backends!(
    busy_upstreams_fail_fast_past_the_concurrency_cap,
    super::busy_upstreams_fail_fast_past_the_concurrency_cap,
    super::one_call_at_a_time
);

fn three_starts_per_ip() -> ServeArgs {
    ServeArgs { session_rate_per_ip: Some(3), ..test_args() }
}

async fn session_starts_are_rate_limited_per_ip(app: TestApp) {
    let bot = app.bot().await;
    for _ in 0..3 {
        assert_eq!(app.start_session(json!({"bot_id": bot})).await.0, 201);
    }
    let resp = app.http.post(app.url("/api/widget/v1/sessions")).json(&json!({"bot_id": bot})).send().await.unwrap();
    assert_eq!(resp.status(), 429);
    let retry_after: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
}
both_backends!(
    session_starts_are_rate_limited_per_ip,
    super::session_starts_are_rate_limited_per_ip,
    super::three_starts_per_ip
);

async fn widget_origins_are_enforced_and_cors_answers(app: TestApp) {
    let bot = app.bot().await;
    let (status, e) =
        app.put(&format!("/bots/{bot}/custom-auth"), json!({"allowed_origins": ["https://shop.example"]})).await;
    assert_eq!(status, 200, "{e}");
    let start = |origin: &'static str| {
        app.http.post(app.url("/api/widget/v1/sessions")).header("origin", origin).json(&json!({"bot_id": bot})).send()
    };
    let ok = start("https://shop.example").await.unwrap();
    assert_eq!(ok.status(), 201);
    assert_eq!(ok.headers()["access-control-allow-origin"], "https://shop.example");
    let refused = start("https://evil.example").await.unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.json::<Value>().await.unwrap()["error"]["code"], "origin_not_allowed");
    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/api/widget/v1/sessions"))
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "https://shop.example");
    let admin = app
        .http
        .get(app.url(&format!("/api/admin/v1/bots/{bot}")))
        .header("origin", "https://shop.example")
        .bearer_auth(crate::utils::ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert!(admin.headers().get("access-control-allow-origin").is_none(), "no CORS on the admin API");
}
both_backends!(widget_origins_are_enforced_and_cors_answers, super::widget_origins_are_enforced_and_cors_answers);
