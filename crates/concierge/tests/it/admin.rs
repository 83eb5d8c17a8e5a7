//! The admin API: access, tenancy, settings and their validation, secrets.

use concierge::cli::ServeArgs;
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::utils::{eventually, Customer, TestApp};

#[tokio::test]
async fn missing_or_wrong_tokens_get_401_with_the_standard_body() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    for token in ["", "wrong-token", "cat_doesnotexist"] {
        let (status, body) = app.admin_as(token, Method::GET, "/bots", None).await;
        assert_eq!(status, 401, "{token:?}");
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    let resp = app.http.get(app.url("/api/admin/v1/bots")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
}

async fn a_new_bot_has_the_seed_defaults_and_its_own_secret(app: TestApp) {
    let bot = app.bot().await;
    let (status, s) = app.get(&format!("/bots/{bot}/custom-auth")).await;
    assert_eq!(status, 200);
    assert_eq!(s["enabled"], false);
    assert_eq!(s["identify_method"], "id");
    assert_eq!(s["timeout_ms"], 5000);
    assert_eq!(s["on_failure"], "anonymous");
    assert_eq!(s["additional_fields"], json!([]));
    let secret = s["signing_secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let other = app.bot().await;
    let (_, o) = app.get(&format!("/bots/{other}/custom-auth")).await;
    assert_ne!(o["signing_secret"], s["signing_secret"], "a secret per bot");

    let (status, renamed) = app.admin(Method::PATCH, &format!("/bots/{bot}"), Some(json!({"name": "Help desk"}))).await;
    assert_eq!((status, renamed["name"].as_str()), (200, Some("Help desk")));
    let (_, list) = app.get("/bots").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
}
both_backends!(
    a_new_bot_has_the_seed_defaults_and_its_own_secret,
    super::a_new_bot_has_the_seed_defaults_and_its_own_secret
);

#[tokio::test]
async fn invalid_settings_get_a_message_per_field() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let bot = app.bot().await;
    let (status, e) = app
        .put(
            &format!("/bots/{bot}/custom-auth"),
            json!({"enabled": true, "url": "ftp://x", "identify_method": "username", "timeout_ms": 99999,
                   "on_failure": "ignore", "additional_fields": ["age"], "headers": {"Host": "x"}}),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["error"]["code"], "validation_failed");
    let fields: Vec<&str> =
        e["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["url", "additional_fields", "identify_method", "timeout_ms", "on_failure", "headers.Host"]);
    // Nothing was half-written.
    let (_, s) = app.get(&format!("/bots/{bot}/custom-auth")).await;
    assert_eq!(s["enabled"], false);
    let (status, e) = app.post("/bots", json!({"name": "  "})).await;
    assert_eq!((status, e["error"]["fields"][0]["field"].as_str()), (422, Some("name")));
    let (status, e) = app.put(&format!("/bots/{bot}/custom-auth"), json!({"enabld": true})).await;
    assert_eq!((status, e["error"]["code"].as_str()), (422, Some("invalid_body")), "{e}");
}

async fn header_values_are_write_only_and_reach_the_customer(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = app.bot_with_auth(&customer.url, json!({"headers": {"X-Api-Key": "key-123-secret"}})).await;
    let path = format!("/bots/{bot}/custom-auth");
    let (_, s) = app.get(&path).await;
    assert_eq!(s["headers"], json!({"X-Api-Key": "********"}));
    // Sending the settings back as read keeps the stored value.
    let (status, _) = app.put(&path, s.clone()).await;
    assert_eq!(status, 200);
    let (_, s) = app.start_session(json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    assert_eq!(s["authenticated"], true, "{s}");
    assert_eq!(customer.received()[0].headers["x-api-key"], "key-123-secret");
    app.assert_not_stored("key-123-secret").await;
}
both_backends!(
    header_values_are_write_only_and_reach_the_customer,
    super::header_values_are_write_only_and_reach_the_customer
);

async fn a_rotated_secret_and_the_previous_one_both_sign_during_the_grace_period(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = app.bot_with_auth(&customer.url, json!({})).await;
    let (_, before) = app.get(&format!("/bots/{bot}/custom-auth")).await;
    let (status, after) = app.post(&format!("/bots/{bot}/custom-auth/rotate-secret"), json!({})).await;
    assert_eq!(status, 200, "{after}");
    assert_ne!(after["signing_secret"], before["signing_secret"]);
    assert!(after["previous_secret_expires_at"].is_string());
    let (_, s) = app.start_session(json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    assert_eq!(s["authenticated"], true, "{s}");
    let r = &customer.received()[0];
    assert_eq!(r.headers["webhook-signature"].to_str().unwrap().split(' ').count(), 2);
    for secret in [&before["signing_secret"], &after["signing_secret"]] {
        standardwebhooks::Webhook::new(secret.as_str().unwrap()).unwrap().verify(&r.raw, &r.headers).expect("verifies");
    }
}
both_backends!(
    a_rotated_secret_and_the_previous_one_both_sign_during_the_grace_period,
    super::a_rotated_secret_and_the_previous_one_both_sign_during_the_grace_period
);

/// Rotate clicked twice, or a second rotation before the first new secret was deployed:
/// the secret the customer's server still holds keeps signing.
async fn a_second_rotation_within_the_grace_period_keeps_the_first_secret_signing(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = app.bot_with_auth(&customer.url, json!({})).await;
    let (_, deployed) = app.get(&format!("/bots/{bot}/custom-auth")).await;
    let path = format!("/bots/{bot}/custom-auth/rotate-secret");
    let rotate = || app.post(&path, json!({}));
    let (_, between) = rotate().await;
    let (status, newest) = rotate().await;
    assert_eq!(status, 200, "{newest}");
    let (_, s) = app.start_session(json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    assert_eq!(s["authenticated"], true, "{s}");
    let r = &customer.received()[0];
    assert_eq!(r.headers["webhook-signature"].to_str().unwrap().split(' ').count(), 3);
    for secret in [&deployed, &between, &newest].map(|s| s["signing_secret"].as_str().unwrap()) {
        standardwebhooks::Webhook::new(secret).unwrap().verify(&r.raw, &r.headers).expect("verifies");
    }
    let (_, read) = app.get(&format!("/bots/{bot}/custom-auth")).await;
    assert_eq!(read["previous_secret_expires_at"], newest["previous_secret_expires_at"]);
    for secret in [&deployed, &between].map(|s| s["signing_secret"].as_str().unwrap()) {
        app.assert_not_stored(secret).await;
    }
}
both_backends!(
    a_second_rotation_within_the_grace_period_keeps_the_first_secret_signing,
    super::a_second_rotation_within_the_grace_period_keeps_the_first_secret_signing
);

fn one_second_of_grace() -> ServeArgs {
    ServeArgs { secret_rotation_grace_secs: Some(1), ..crate::utils::test_args() }
}

/// After the grace period only the new secret signs. Every call is checked against the
/// moment the previous secret expires: two signatures only before it, one only after it.
async fn after_the_grace_period_only_the_new_secret_signs(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot = app.bot_with_auth(&customer.url, json!({})).await;
    let (_, before) = app.get(&format!("/bots/{bot}/custom-auth")).await;
    let (status, after) = app.post(&format!("/bots/{bot}/custom-auth/rotate-secret"), json!({})).await;
    assert_eq!(status, 200, "{after}");
    let expires: chrono::DateTime<chrono::Utc> = after["previous_secret_expires_at"].as_str().unwrap().parse().unwrap();
    let last = eventually("a call signed by the new secret alone", || async {
        let sent = chrono::Utc::now();
        let (_, s) = app.start_session(json!({"bot_id": bot, "access_token": "tok-alice"})).await;
        let answered = chrono::Utc::now();
        assert_eq!(s["authenticated"], true, "{s}");
        let call = customer.received().pop().unwrap();
        match call.headers["webhook-signature"].to_str().unwrap().split(' ').count() {
            2 => {
                assert!(sent < expires, "the previous secret signed after it expired");
                None
            }
            1 => {
                assert!(answered >= expires, "the previous secret stopped signing before it expired");
                Some(call)
            }
            n => panic!("{n} signatures"),
        }
    })
    .await;
    let verify = |secret: &Value| {
        standardwebhooks::Webhook::new(secret.as_str().unwrap()).unwrap().verify(&last.raw, &last.headers)
    };
    verify(&after["signing_secret"]).expect("the new secret signs");
    assert!(verify(&before["signing_secret"]).is_err(), "the old secret no longer does");
}
both_backends!(
    after_the_grace_period_only_the_new_secret_signs,
    super::after_the_grace_period_only_the_new_secret_signs,
    super::one_second_of_grace
);

/// A member token of workspace B walks every admin endpoint against workspace A's
/// resources and gets 404 everywhere.
async fn another_workspace_sees_nothing(app: TestApp) {
    let customer = Customer::with_users().await;
    let bot_a = app.bot_with_auth(&customer.url, json!({})).await;
    let (_, s) = app.start_session(json!({"bot_id": bot_a, "access_token": "tok-alice"})).await;
    let contact_a = s["contact"]["id"].as_str().unwrap().to_owned();
    let (_, a) = app.get(&format!("/bots/{bot_a}")).await;
    let workspace_a = a["workspace_id"].as_str().unwrap().to_owned();
    // A question the bot could not answer (it has no articles), to try to dismiss.
    let token_a = s["session_token"].as_str().unwrap();
    crate::inbox::send_as_visitor(&app, token_a, "Can you help me file my taxes in Portugal?").await;
    app.bot_done_with(1).await;
    let unanswered = format!("/bots/{bot_a}/unanswered");
    let question_a = app.get(&unanswered).await.1["items"][0]["id"].as_i64().expect("the question is listed");

    let store = app.services.store.as_ref();
    concierge_core::create_workspace(store, "Workspace B").await.unwrap();
    concierge_core::create_user(store, "b@example.com", None, "a long password", Some("Workspace B")).await.unwrap();
    let token_b = concierge_core::create_api_token(store, "b@example.com", "test").await.unwrap();

    let walk: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/bots/{bot_a}"), None),
        (Method::PATCH, format!("/bots/{bot_a}"), Some(json!({"name": "mine now"}))),
        (Method::GET, format!("/bots/{bot_a}/custom-auth"), None),
        (Method::PUT, format!("/bots/{bot_a}/custom-auth"), Some(json!({"enabled": false}))),
        (Method::POST, format!("/bots/{bot_a}/custom-auth/rotate-secret"), Some(json!({}))),
        (Method::POST, format!("/bots/{bot_a}/custom-auth/test"), Some(json!({"access_token": "tok-alice"}))),
        (Method::GET, format!("/bots/{bot_a}/contacts"), None),
        (Method::GET, format!("/bots/{bot_a}/auth-attempts"), None),
        (Method::GET, format!("/bots/{bot_a}/unanswered"), None),
        (Method::DELETE, format!("/bots/{bot_a}/unanswered/{question_a}"), None),
        (Method::GET, format!("/contacts/{contact_a}"), None),
        (Method::POST, "/bots".into(), Some(json!({"name": "x", "workspace_id": workspace_a}))),
    ];
    for (method, path, body) in walk {
        let (status, e) = app.admin_as(&token_b, method.clone(), &path, body.clone()).await;
        assert_eq!(status, 404, "{method} {path}: {e}");
        assert!(e["error"]["code"].as_str().unwrap().ends_with("_not_found"), "{e}");
        // The owner still can.
        if method == Method::GET {
            assert_eq!(app.admin(method, &path, body).await.0, 200, "{path}");
        }
    }
    let (_, list) = app.admin_as(&token_b, Method::GET, "/bots", None).await;
    assert_eq!(list["items"], json!([]));
    let (status, own) = app.admin_as(&token_b, Method::POST, "/bots", Some(json!({"name": "B's bot"}))).await;
    assert_eq!(status, 201);
    assert_ne!(own["workspace_id"], workspace_a);
    let (_, a) = app.get(&format!("/bots/{bot_a}")).await;
    assert_eq!(a["name"], "Support", "nothing of A was changed");
    assert_eq!(app.get(&unanswered).await.1["items"][0]["id"], question_a, "A's question was not dismissed");
}
both_backends!(another_workspace_sees_nothing, super::another_workspace_sees_nothing);
