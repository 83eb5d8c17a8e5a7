//! Identity hashes (`mode: identity_hash`), computed by Node's `crypto` and Python's
//! `hmac`.

use serde_json::json;

use super::bot_with_identity;
use super::signers::{self, hmac};
use crate::utils::{Backend, TestApp};

/// A dashboard page's HTML, as the workspace's first user (created here) sees it.
async fn dashboard_html(app: &TestApp, path: &str) -> String {
    let http = reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let link = app.services.setup_link_if_needed().await.unwrap().expect("no user yet");
    let form = [("token", link.as_str()), ("email", "agent@example.com"), ("password", "a long password")];
    let created = http.post(app.url("/setup")).form(&form).send().await.unwrap();
    let cookie = created.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let page = http.get(app.url(path)).header("cookie", cookie).send().await.unwrap();
    assert_eq!(page.status(), 200, "{path}");
    page.text().await.unwrap()
}

#[tokio::test]
async fn hashes_from_node_and_python_verify_the_identifier_and_nothing_else() {
    if !signers::available() {
        return;
    }
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    let (bot, read) = bot_with_identity(&app, json!({"enabled": true, "mode": "identity_hash"})).await;
    assert_eq!(read["identity_hash"]["field"], "user_id");
    let secret = read["identity_hash"]["secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 64);

    let node_hash = hmac("node", &secret, "u-1").await;
    let (status, s) = app
        .start_session(json!({"bot_id": bot, "user_id": "u-1", "user_hash": node_hash,
                              "email": "mallory@evil.example", "name": "Mallory"}))
        .await;
    assert_eq!((status, &s["authenticated"]), (201, &json!(true)), "{s}");
    assert_eq!(s["contact"]["external_id"], "u-1");
    assert_eq!(s["contact"]["email"], json!(null), "the page's email is unverified: not the contact's");
    assert_eq!(s["contact"]["name"], json!(null), "the page's name is unverified: not the contact's");
    // An agent sees what the page said beside the verified contact, marked unverified.
    let inbox =
        dashboard_html(&app, &format!("/inbox?bot={bot}&c={}", s["conversation"]["id"].as_str().unwrap())).await;
    let aside = &inbox[inbox.find("inbox-contact").expect("the contact panel")..];
    assert!(aside.contains("From the page") && aside.contains("Unverified"), "{aside}");
    assert!(aside.contains("mallory@evil.example") && aside.contains("Mallory"), "{aside}");

    let python_hash = hmac("python", &secret, "u-1").await;
    assert_eq!(python_hash, node_hash);
    let (_, again) =
        app.start_session(json!({"bot_id": bot, "user_id": "u-1", "user_hash": python_hash.to_uppercase()})).await;
    assert_eq!(again["contact"]["id"], s["contact"]["id"], "the same person, in upper-case hex: {again}");

    // Someone else's hash, a hash alone, an id alone: refused, and said why.
    let other = hmac("python", &secret, "u-2").await;
    for (body, words) in [
        (json!({"user_id": "u-1", "user_hash": other}), "not the HMAC-SHA256"),
        (json!({"user_id": "u-1"}), "without user_hash"),
        (json!({"user_hash": node_hash}), "without user_id"),
        (json!({"user_id": "u-1", "user_hash": "not hex"}), "in hex"),
    ] {
        let mut body = body;
        body["bot_id"] = json!(bot);
        let (status, s) = app.start_session(body.clone()).await;
        assert_eq!((status, &s["authenticated"]), (201, &json!(false)), "{body}: {s}");
        assert_eq!(s["auth_error"]["code"], "hash_mismatch", "{body}: {s}");
        let attempt = &app.attempts(&bot, "").await[0];
        assert_eq!(
            (attempt["mode"].as_str(), attempt["outcome"].as_str()),
            (Some("identity_hash"), Some("hash_mismatch"))
        );
        assert!(attempt["reason"].as_str().unwrap().contains(words), "{body}: {attempt}");
    }
    // Neither: an anonymous visitor, told that signing in would identify them, which is no
    // attempt at all.
    let before = app.attempts(&bot, "").await.len();
    let (_, s) = app.start_session(json!({"bot_id": bot})).await;
    assert_eq!((&s["authenticated"], &s["auth_error"]["code"]), (&json!(false), &json!("token_required")), "{s}");
    assert_eq!(app.attempts(&bot, "").await.len(), before);

    // A new key; like the signing secret, the old one keeps verifying during the grace
    // period, so the customer's servers can move to the new one without failed sign-ins.
    let (status, rotated) = app.post(&format!("/bots/{bot}/identity/identity-hash/rotate-secret"), json!({})).await;
    assert_eq!(status, 200, "{rotated}");
    let fresh = rotated["identity_hash"]["secret"].as_str().unwrap();
    assert_ne!(fresh, secret);
    assert!(rotated["identity_hash"]["previous_secret_expires_at"].is_string(), "{rotated}");
    let (_, s) = app.start_session(json!({"bot_id": bot, "user_id": "u-1", "user_hash": node_hash})).await;
    assert_eq!(s["authenticated"], true, "the old key, during the grace period: {s}");
    // Rotated again before the servers moved: the key they still hold keeps verifying.
    let (_, again) = app.post(&format!("/bots/{bot}/identity/identity-hash/rotate-secret"), json!({})).await;
    let (_, s) = app.start_session(json!({"bot_id": bot, "user_id": "u-1", "user_hash": node_hash})).await;
    assert_eq!(s["authenticated"], true, "the first key, after a second rotation: {s}");
    let (_, s) = app
        .start_session(json!({"bot_id": bot, "user_id": "u-1", "user_hash": hmac("node", fresh, "u-1").await}))
        .await;
    assert_eq!(s["authenticated"], true, "the key between: {s}");
    let fresh = again["identity_hash"]["secret"].as_str().unwrap();
    let (_, s) = app
        .start_session(json!({"bot_id": bot, "user_id": "u-1", "user_hash": hmac("node", fresh, "u-1").await}))
        .await;
    assert_eq!(s["authenticated"], true, "{s}");
    app.services.flush_attempts().await;
    app.assert_not_stored(fresh).await;
}

#[tokio::test]
async fn an_email_hash_identifies_by_the_normalised_email() {
    if !signers::available() {
        return;
    }
    let Some(app) = TestApp::spawn(Backend::Postgres).await else { return };
    let settings = json!({"enabled": true, "mode": "identity_hash", "identify_method": "email", "on_failure": "block"});
    let (bot, read) = bot_with_identity(&app, settings).await;
    assert_eq!(read["identity_hash"]["field"], "email");
    let secret = read["identity_hash"]["secret"].as_str().unwrap();
    // The hash is of the text exactly as the page sends it; the contact is found by its
    // normalised form, so two spellings of one address are one person.
    for email in ["Grace@Example.com", "grace@example.com"] {
        let hash = hmac("python", secret, email).await;
        let (status, s) = app.start_session(json!({"bot_id": bot, "email": email, "user_hash": hash})).await;
        assert_eq!((status, &s["authenticated"]), (201, &json!(true)), "{email}: {s}");
    }
    assert_eq!(app.contacts(&bot).await.len(), 1);
    let wrong = hmac("node", secret, "grace@example.com").await;
    let (status, s) = app.start_session(json!({"bot_id": bot, "email": "Grace@Example.com", "user_hash": wrong})).await;
    assert_eq!((status, s["error"]["code"].as_str()), (401, Some("hash_mismatch")), "{s}");
}

#[tokio::test]
async fn without_a_grace_period_a_rotated_hash_key_is_refused_at_once() {
    if !signers::available() {
        return;
    }
    let mut args = crate::utils::test_args();
    args.secret_rotation_grace_secs = Some(0);
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, args).await else { return };
    let (bot, read) = bot_with_identity(&app, json!({"enabled": true, "mode": "identity_hash"})).await;
    let old = hmac("python", read["identity_hash"]["secret"].as_str().unwrap(), "u-1").await;
    let (_, rotated) = app.post(&format!("/bots/{bot}/identity/identity-hash/rotate-secret"), json!({})).await;
    assert_eq!(rotated["identity_hash"]["previous_secret_expires_at"], json!(null), "{rotated}");
    let (_, s) = app.start_session(json!({"bot_id": bot, "user_id": "u-1", "user_hash": old})).await;
    assert_eq!(s["auth_error"]["code"], "hash_mismatch", "{s}");
}
