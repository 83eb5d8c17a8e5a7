//! OpenID Connect userinfo and OAuth 2.0 token introspection, against a real OpenID
//! provider on loopback (npm's `oidc-provider`, tests/oidc-provider) and access tokens it
//! issued to a person through the authorization code flow.

use std::process::Stdio;

use concierge_store::testing::skip_requested;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::{bot_with_identity, start};
use crate::utils::{Backend, TestApp};

const CLIENT_SECRET: &str = "concierge-test-secret";

struct Provider {
    issuer: String,
    _process: tokio::process::Child,
}

fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc-provider")
}

async fn node(args: &[&str]) -> Value {
    let out = tokio::process::Command::new("node").args(args).current_dir(dir()).output().await.expect("node runs");
    assert!(out.status.success(), "node {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("a JSON line")
}

impl Provider {
    /// `None` only when the developer skips the Node tests.
    async fn start() -> Option<Self> {
        if skip_requested("CONCIERGE_TEST_SKIP_NODE") {
            eprintln!("skipping the OpenID provider: CONCIERGE_TEST_SKIP_NODE is set");
            return None;
        }
        assert!(
            dir().join("node_modules/oidc-provider").exists(),
            "tests/oidc-provider has no node_modules: run `npm ci` there (scripts/test does)"
        );
        let mut process = tokio::process::Command::new("node")
            .arg("provider.mjs")
            .current_dir(dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs");
        let mut lines = BufReader::new(process.stdout.take().expect("stdout")).lines();
        let line = lines.next_line().await.expect("a line").expect("the provider says where it listens");
        let issuer = line.trim_start_matches("listening ").to_owned();
        Some(Self { issuer, _process: process })
    }

    /// An access token issued to `account` through the authorization code flow.
    async fn token(&self, account: &str, scope: &str) -> String {
        node(&["token.mjs", &self.issuer, account, scope]).await["access_token"].as_str().expect("a token").to_owned()
    }

    /// The same, issued to the provider's other application.
    async fn token_of_another_app(&self, account: &str, scope: &str) -> String {
        let out = tokio::process::Command::new("node")
            .args(["token.mjs", &self.issuer, account, scope])
            .env("OIDC_CLIENT_ID", "concierge-test-post")
            .current_dir(dir())
            .output()
            .await
            .expect("node runs");
        assert!(out.status.success(), "token.mjs: {}", String::from_utf8_lossy(&out.stderr));
        let answer: Value = serde_json::from_slice(&out.stdout).expect("a JSON line");
        answer["access_token"].as_str().expect("a token").to_owned()
    }

    async fn revoke(&self, token: &str) {
        assert_eq!(node(&["revoke.mjs", &self.issuer, token]).await["revoked"], true);
    }
}

const SCOPE: &str = "openid email profile phone";

#[tokio::test]
async fn userinfo_identifies_the_person_behind_a_real_access_token() {
    let Some(provider) = Provider::start().await else { return };
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    let settings = json!({"enabled": true, "mode": "oidc_userinfo", "identify_method": "email",
                          "oidc_userinfo": {"issuer": provider.issuer}});
    let (bot, _) = bot_with_identity(&app, settings).await;

    let ada = provider.token("ada", SCOPE).await;
    let (status, s) = start(&app, &bot, &ada, json!({})).await;
    assert_eq!((status, &s["authenticated"]), (201, &json!(true)), "{s}");
    assert_eq!(
        (s["contact"]["email"].as_str(), s["contact"]["name"].as_str()),
        (Some("ada@example.com"), Some("Ada Lovelace"))
    );
    assert_eq!(s["contact"]["external_id"], "ada");

    // Bob's email is not verified: it does not identify him, unless the bot says so.
    let bob = provider.token("bob", SCOPE).await;
    let (_, s) = start(&app, &bot, &bob, json!({})).await;
    assert_eq!(s["auth_error"]["code"], "auth_missing_identifier", "{s}");
    let relaxed = json!({"oidc_userinfo": {"issuer": provider.issuer, "require_email_verified": false}});
    assert_eq!(app.put(&format!("/bots/{bot}/identity"), relaxed).await.0, 200);
    let (_, s) = start(&app, &bot, &bob, json!({})).await;
    assert_eq!(s["contact"]["email"], "bob@example.com", "{s}");

    // The testing panel shows the request (the token masked) and the provider's answer.
    let (_, report) = app.post(&format!("/bots/{bot}/identity/test"), json!({"access_token": ada})).await;
    assert_eq!((report["ok"].as_bool(), report["mode"].as_str()), (Some(true), Some("oidc_userinfo")), "{report}");
    assert_eq!(report["request"]["method"], "GET");
    assert!(report["request"]["url"].as_str().unwrap().starts_with(&provider.issuer), "{report}");
    assert!(!report.to_string().contains(&ada), "the token is masked in the trace: {report}");
    assert_eq!(report["response"]["status"], 200);
    assert!(report["response"]["body"].as_str().unwrap().contains("email_verified"), "{report}");

    // Revoked at the provider: refused at the next start.
    provider.revoke(&ada).await;
    let (_, s) = start(&app, &bot, &ada, json!({})).await;
    assert_eq!(s["auth_error"]["code"], "invalid_token", "{s}");
    let attempt = &app.attempts(&bot, "").await[0];
    assert_eq!(
        (attempt["mode"].as_str(), attempt["outcome"].as_str(), attempt["upstream_status"].as_i64()),
        (Some("oidc_userinfo"), Some("invalid_token"), Some(401)),
        "{attempt}"
    );
    app.services.flush_attempts().await;
    app.assert_not_stored(&ada).await;
}

#[tokio::test]
async fn introspection_asks_whether_the_token_is_active_and_whose() {
    let Some(provider) = Provider::start().await else { return };
    let Some(app) = TestApp::spawn(Backend::Postgres).await else { return };
    let settings = json!({"enabled": true, "mode": "introspection", "introspection": {
        "issuer": provider.issuer, "client_id": "concierge-test", "client_secret": CLIENT_SECRET}});
    let (bot, read) = bot_with_identity(&app, settings).await;
    assert_eq!(read["introspection"]["client_secret_set"], true);
    assert!(!read.to_string().contains(CLIENT_SECRET), "the client secret is write-only: {read}");

    let ada = provider.token("ada", SCOPE).await;
    let (_, s) = start(&app, &bot, &ada, json!({})).await;
    assert_eq!((&s["authenticated"], &s["contact"]["external_id"]), (&json!(true), &json!("ada")), "{s}");

    // client_secret_post, with the provider's other client; the stored secret is kept.
    let post = json!({"introspection": {"issuer": provider.issuer, "client_id": "concierge-test-post",
                                         "auth_method": "client_secret_post"}});
    assert_eq!(app.put(&format!("/bots/{bot}/identity"), post).await.0, 200);
    let (_, s) = start(&app, &bot, &ada, json!({})).await;
    assert_eq!(s["authenticated"], true, "{s}");
    let (_, report) = app.post(&format!("/bots/{bot}/identity/test"), json!({"access_token": ada})).await;
    let sent = report["request"]["body"].as_str().unwrap();
    assert!(sent.contains("client_id=concierge-test-post") && sent.contains("token=********"), "{sent}");
    assert!(!report.to_string().contains(CLIENT_SECRET) && !report.to_string().contains(&ada), "{report}");

    // A required scope: a token without it is refused, one with it accepted.
    let scoped = json!({"introspection": {"issuer": provider.issuer, "client_id": "concierge-test",
                                           "required_scope": "chat:read"}});
    assert_eq!(app.put(&format!("/bots/{bot}/identity"), scoped).await.0, 200);
    let (_, s) = start(&app, &bot, &ada, json!({})).await;
    assert_eq!(s["auth_error"]["code"], "token_claims_invalid", "{s}");
    let chat = provider.token("ada", "openid chat:read").await;
    let (_, s) = start(&app, &bot, &chat, json!({})).await;
    assert_eq!(s["authenticated"], true, "{s}");

    // Only tokens issued to the website's application: another application's token for
    // the same person (which it could replay here) is refused.
    let ours = json!({"introspection": {"issuer": provider.issuer, "client_id": "concierge-test",
                                         "token_client_id": "concierge-test"}});
    assert_eq!(app.put(&format!("/bots/{bot}/identity"), ours).await.0, 200);
    let elsewhere = provider.token_of_another_app("ada", SCOPE).await;
    let (_, s) = start(&app, &bot, &elsewhere, json!({})).await;
    assert_eq!(s["auth_error"]["code"], "token_claims_invalid", "{s}");
    app.services.flush_attempts().await;
    let reason = app.attempts(&bot, "").await[0]["reason"].as_str().unwrap().to_owned();
    assert!(reason.contains("issued to \"concierge-test-post\""), "{reason}");
    let (_, s) = start(&app, &bot, &chat, json!({})).await;
    assert_eq!(s["authenticated"], true, "a token issued to the website: {s}");

    // Revoked: inactive.
    provider.revoke(&chat).await;
    let (_, s) = start(&app, &bot, &chat, json!({})).await;
    assert_eq!(s["auth_error"]["code"], "token_inactive", "{s}");

    // Wrong client credentials are the bot's setup, not the visitor's token.
    let wrong = json!({"introspection": {"issuer": provider.issuer, "client_id": "concierge-test",
                                          "client_secret": "not-the-secret"}});
    assert_eq!(app.put(&format!("/bots/{bot}/identity"), wrong).await.0, 200);
    let fresh = provider.token("ada", SCOPE).await;
    let (_, s) = start(&app, &bot, &fresh, json!({})).await;
    assert_eq!(s["auth_error"]["code"], "auth_upstream_error", "{s}");
    let attempt = &app.attempts(&bot, "").await[0];
    assert!(attempt["reason"].as_str().unwrap().contains("client credentials"), "{attempt}");

    // Pointed at another server, the stored secret does not go along: it is asked for again,
    // and nothing changes until it is given.
    let elsewhere =
        json!({"introspection": {"endpoint": "http://127.0.0.1:9/introspect", "client_id": "concierge-test"}});
    let (status, e) = app.put(&format!("/bots/{bot}/identity"), elsewhere).await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["error"]["fields"][0]["field"], "introspection.client_secret", "{e}");
    let (_, read) = app.get(&format!("/bots/{bot}/identity")).await;
    assert_eq!(read["introspection"]["endpoint"], json!(null), "still the issuer's endpoint: {read}");
    let (_, s) = start(&app, &bot, &provider.token("ada", SCOPE).await, json!({})).await;
    assert_eq!(s["auth_error"]["code"], "auth_upstream_error", "still the stored (wrong) secret: {s}");

    app.services.flush_attempts().await;
    app.assert_not_stored(CLIENT_SECRET).await;
    app.assert_not_stored("not-the-secret").await;
}

#[tokio::test]
async fn an_oauth_mode_needs_its_provider_before_it_is_switched_on() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    let bot = app.bot().await;
    let (status, e) =
        app.put(&format!("/bots/{bot}/identity"), json!({"enabled": true, "mode": "oidc_userinfo"})).await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["error"]["fields"][0]["field"], "oidc_userinfo.issuer", "{e}");
    let (status, e) =
        app.put(&format!("/bots/{bot}/identity"), json!({"enabled": true, "mode": "introspection"})).await;
    assert_eq!(status, 422, "{e}");
    let fields: Vec<&str> =
        e["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["introspection.endpoint", "introspection.client_id", "introspection.client_secret"]);
}
