//! The testing endpoint: the same code path in dry run.

use axum::response::IntoResponse;
use serde_json::json;

use crate::both_backends;
use crate::utils::{Customer, TestApp};

async fn the_test_reports_new_then_existing_and_writes_nothing(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = app
        .bot_with_auth(&customer.url, json!({"additional_fields": ["email"], "headers": {"X-Api-Key": "k-999"}}))
        .await;
    let path = format!("/bots/{bot}/custom-auth/test");
    let (status, t) =
        app.post(&path, json!({"access_token": "tok-alice", "email": "alice@example.com", "name": "unticked"})).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["ok"], true);
    assert_eq!(t["outcome"]["code"], "ok");
    assert_eq!(t["identify_method"], "id");
    assert_eq!(t["identifier"], "u-1");
    assert_eq!(t["contact"], json!({"status": "new", "contact_id": null}));
    assert_eq!(t["profile"]["name"], "Alice Liddell");
    assert_eq!(t["response"]["status"], 200);
    assert!(t["duration_ms"].is_u64());
    let request = t["request"].to_string();
    assert!(request.contains("webhook-signature") && request.contains("********"), "{request}");
    assert!(!request.contains("k-999"), "static header values are masked");
    assert_eq!(customer.received()[0].body, json!({"access_token": "tok-alice", "email": "alice@example.com"}));
    let curl = t["curl"].as_str().unwrap();
    assert!(
        curl.starts_with("curl ") && curl.contains("webhook-signature: v1,") && curl.contains(&customer.url),
        "{curl}"
    );

    assert!(app.contacts(&bot).await.is_empty(), "the test creates no contact");
    let attempts = app.attempts(&bot, "").await;
    assert_eq!((attempts.len(), attempts[0]["test"].as_bool()), (1, Some(true)));

    let (_, s) = app.start_session(json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    let (_, t) = app.post(&path, json!({"access_token": "tok-alice"})).await;
    assert_eq!(t["contact"], json!({"status": "existing", "contact_id": s["contact"]["id"]}));
}
both_backends!(
    the_test_reports_new_then_existing_and_writes_nothing,
    super::the_test_reports_new_then_existing_and_writes_nothing
);

#[tokio::test]
async fn the_test_explains_a_missing_identifier_and_other_failures() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let customer = Customer::start(|r| async move {
        if r.body["access_token"] == "nope" {
            return axum::http::StatusCode::FORBIDDEN.into_response();
        }
        axum::Json(json!({"data": {"id": "1", "name": "No Email"}})).into_response()
    })
    .await;
    let bot = app.bot_with_auth(&customer.url, json!({"identify_method": "email"})).await;
    let path = format!("/bots/{bot}/custom-auth/test");
    let (_, t) = app.post(&path, json!({"access_token": "x"})).await;
    assert_eq!(t["ok"], false);
    assert_eq!(t["outcome"]["code"], "auth_missing_identifier");
    assert_eq!(t["outcome"]["message"], "Identify method is Email but the response has no data.email.");
    assert_eq!(t["response"]["body"], r#"{"data":{"id":"1","name":"No Email"}}"#);
    let (_, t) = app.post(&path, json!({"access_token": "nope"})).await;
    assert_eq!(t["outcome"]["code"], "invalid_token");
    assert_eq!(t["response"]["status"], 403);

    let (status, e) = app.post(&path, json!({"access_token": "  "})).await;
    assert_eq!((status, e["error"]["fields"][0]["field"].as_str()), (422, Some("access_token")));
    let bare = app.bot().await;
    let (status, e) = app.post(&format!("/bots/{bare}/custom-auth/test"), json!({"access_token": "x"})).await;
    assert_eq!((status, e["error"]["code"].as_str()), (409, Some("custom_auth_not_configured")));
}

/// A signed-in dashboard user's cookie and CSRF token.
async fn sign_in(app: &TestApp, email: &str) -> (String, String) {
    let http = reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form = [("email", email), ("password", "a long password"), ("next", "/bots")];
    let resp = http.post(app.url("/login")).form(&form).send().await.unwrap();
    assert_eq!(resp.status(), 303);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let csrf = concierge_core::csrf_token(cookie.split_once('=').unwrap().1);
    (cookie, csrf)
}

/// The testing panel's curl masks static header values; replaying it against an endpoint
/// that checks its key needs the real value, which the admin asks for explicitly.
#[tokio::test]
async fn static_header_values_are_revealed_only_when_asked_with_credentials_and_csrf() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let store = app.services.store.as_ref();
    concierge_core::create_user(store, "dev@example.com", None, "a long password", None).await.unwrap();
    concierge_core::create_workspace(store, "Other").await.unwrap();
    concierge_core::create_user(store, "else@other.example", None, "a long password", Some("Other")).await.unwrap();
    let customer = Customer::with_users().await;
    let headers = json!({"X-Api-Key": "k-live-777", "X-Tenant": "acme"});
    let bot = app.bot_with_auth(&customer.url, json!({ "headers": headers })).await;
    let (_, t) = app.post(&format!("/bots/{bot}/custom-auth/test"), json!({"access_token": "tok-alice"})).await;
    assert!(t["curl"].as_str().unwrap().contains("'x-api-key: ********'"), "{t}");
    assert!(!t.to_string().contains("k-live-777"), "the test's answer masks the value");

    let reveal = format!("/api/admin/v1/bots/{bot}/custom-auth/headers/reveal");
    let (me, csrf) = sign_in(&app, "dev@example.com").await;
    let ask = |cookie: &str, csrf: Option<&str>| {
        let mut req = app.http.post(app.url(&reveal)).header("cookie", cookie);
        if let Some(csrf) = csrf {
            req = req.header("x-csrf-token", csrf);
        }
        req.send()
    };
    assert_eq!(app.http.post(app.url(&reveal)).send().await.unwrap().status(), 401, "signed out");
    let forged = ask(&me, None).await.unwrap();
    assert_eq!(forged.status(), 403, "a cookie alone is not enough: another site could send it");
    assert!(!forged.text().await.unwrap().contains("k-live-777"));
    let (other, other_csrf) = sign_in(&app, "else@other.example").await;
    assert_eq!(ask(&other, Some(&other_csrf)).await.unwrap().status(), 404, "another workspace's bot");

    let shown = ask(&me, Some(&csrf)).await.unwrap();
    assert_eq!(shown.status(), 200);
    assert_eq!(shown.headers()["cache-control"], "no-store");
    let shown: serde_json::Value = shown.json().await.unwrap();
    assert_eq!(
        shown,
        json!({"headers": [{"name": "X-Api-Key", "value": "k-live-777"}, {"name": "X-Tenant", "value": "acme"}]})
    );
    let (status, by_token) = app.post(&format!("/bots/{bot}/custom-auth/headers/reveal"), json!({})).await;
    assert_eq!((status, &by_token), (200, &shown), "automation with the admin token");

    let attempts = app.attempts(&bot, "").await;
    assert_eq!(attempts.len(), 1, "revealing is not an attempt");
    assert!(!serde_json::to_string(&attempts).unwrap().contains("k-live-777"));
    app.assert_not_stored("k-live-777").await;
}
