//! The identity settings through the admin API: defaults, validation, keys.

use serde_json::json;

use super::signers::{self, now, sign};
use super::start;
use crate::utils::{Backend, TestApp};

#[tokio::test]
async fn identity_settings_are_validated_and_keep_what_is_not_sent() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    let bot = app.bot().await;
    let (status, read) = app.get(&format!("/bots/{bot}/identity")).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!((read["mode"].as_str(), &read["enabled"]), (Some("custom_auth"), &json!(false)), "{read}");
    assert_eq!(read["jwt"]["algorithms"], json!(["HS256"]));
    assert_eq!(read["jwt"]["max_lifetime_secs"], 86_400);
    assert_eq!(read["jwt"]["claims"]["id"], "sub");
    assert_eq!(read["jwt"]["keys"].as_array().unwrap().len(), 1, "a key is made for the bot: {read}");

    // Switching Custom Authentication on without a URL, `none`, an asymmetric algorithm
    // without a JWKS URL, a JWKS URL the operator's policy refuses, an unknown mode.
    let (status, e) = app.put(&format!("/bots/{bot}/identity"), json!({"enabled": true})).await;
    assert_eq!((status, e["error"]["code"].as_str()), (422, Some("validation_failed")), "{e}");
    assert_eq!(e["error"]["fields"][0]["field"], "mode", "{e}");
    let bad =
        json!({"mode": "oidc", "jwt": {"algorithms": ["none", "RS256"], "jwks_url": "https://169.254.169.254/jwks"}});
    let (status, e) = app.put(&format!("/bots/{bot}/identity"), bad).await;
    assert_eq!(status, 422, "{e}");
    let fields: Vec<&str> =
        e["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["mode", "jwt.algorithms", "jwt.jwks_url"], "{e}");
    // Keys from a provider's JWKS without an audience: any of its applications' tokens.
    let jwks = json!({"jwt": {"algorithms": ["RS256"], "jwks_url": "https://login.example/jwks"}});
    let (status, e) = app.put(&format!("/bots/{bot}/identity"), jwks).await;
    assert_eq!((status, e["error"]["fields"][0]["field"].as_str()), (422, Some("jwt.audience")), "{e}");
    let (status, same) = app.put(&format!("/bots/{bot}/identity"), read.clone()).await;
    assert_eq!((status, &same), (200, &read), "a GET answer sent back as it is changes nothing");

    // A PUT changes what it sends: the mode alone keeps the JWT settings saved before.
    let jwt = json!({"algorithms": ["HS512"], "issuer": "https://shop.example", "max_lifetime_secs": 600});
    let (status, saved) = app.put(&format!("/bots/{bot}/identity"), json!({"mode": "jwt", "jwt": jwt})).await;
    assert_eq!(status, 200, "{saved}");
    let (_, saved) = app.put(&format!("/bots/{bot}/identity"), json!({"mode": "identity_hash", "enabled": true})).await;
    assert_eq!((saved["mode"].as_str(), &saved["enabled"]), (Some("identity_hash"), &json!(true)));
    assert_eq!(saved["jwt"]["issuer"], "https://shop.example", "{saved}");
    assert_eq!(saved["jwt"]["max_lifetime_secs"], 600);
    // The seed's endpoint sees the same switch and policy, and while another mode
    // identifies, its settings save without an Authentication URL.
    let (_, custom) = app.get(&format!("/bots/{bot}/custom-auth")).await;
    assert_eq!(custom["enabled"], true, "{custom}");
    let (status, custom) =
        app.put(&format!("/bots/{bot}/custom-auth"), json!({"enabled": true, "on_failure": "block"})).await;
    assert_eq!(status, 200, "{custom}");
    let (_, read) = app.get(&format!("/bots/{bot}/identity")).await;
    assert_eq!((read["mode"].as_str(), read["on_failure"].as_str()), (Some("identity_hash"), Some("block")));
    let (status, e) = app.put(&format!("/bots/{bot}/identity"), json!({"mode": "custom_auth"})).await;
    assert_eq!((status, e["error"]["fields"][0]["field"].as_str()), (422, Some("mode")), "no URL for the call: {e}");
}

#[tokio::test]
async fn jwt_keys_rotate_without_a_gap() {
    if !signers::available() {
        return;
    }
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    let (bot, read) = super::bot_with_identity(&app, json!({"enabled": true, "mode": "jwt"})).await;
    let old = read["jwt"]["keys"][0].clone();
    let claims = || json!({"sub": "ada", "exp": now() + 600});
    let signed_with = |key: serde_json::Value| async move {
        sign("jose", "HS256", key["secret"].as_str().unwrap(), key["kid"].as_str(), claims()).await
    };

    let (status, rotated) = app.post(&format!("/bots/{bot}/identity/jwt/keys"), json!({})).await;
    assert_eq!(status, 200, "{rotated}");
    let keys = rotated["jwt"]["keys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0]["kid"], old["kid"], "the old key stays, first");
    // During the rotation, tokens of either key are accepted.
    for key in &keys {
        let (_, s) = start(&app, &bot, &signed_with(key.clone()).await, json!({})).await;
        assert_eq!(s["authenticated"], true, "{key}: {s}");
    }
    // Once the customer signs with the new key, the old one is deleted: its tokens are refused.
    let kid = old["kid"].as_str().unwrap();
    let (status, after) =
        app.admin(reqwest::Method::DELETE, &format!("/bots/{bot}/identity/jwt/keys/{kid}"), None).await;
    assert_eq!(status, 200, "{after}");
    let (_, s) = start(&app, &bot, &signed_with(old.clone()).await, json!({})).await;
    assert_eq!(s["auth_error"]["code"], "token_signature_invalid", "{s}");
    let (_, s) = start(&app, &bot, &signed_with(keys[1].clone()).await, json!({})).await;
    assert_eq!(s["authenticated"], true, "{s}");

    let last = keys[1]["kid"].as_str().unwrap();
    let (status, e) = app.admin(reqwest::Method::DELETE, &format!("/bots/{bot}/identity/jwt/keys/{last}"), None).await;
    assert_eq!((status, e["error"]["code"].as_str()), (409, Some("last_key")), "{e}");
    let (status, e) = app.admin(reqwest::Method::DELETE, &format!("/bots/{bot}/identity/jwt/keys/nope"), None).await;
    assert_eq!((status, e["error"]["code"].as_str()), (404, Some("key_not_found")), "{e}");
    for _ in 0..4 {
        assert_eq!(app.post(&format!("/bots/{bot}/identity/jwt/keys"), json!({})).await.0, 200);
    }
    let (status, e) = app.post(&format!("/bots/{bot}/identity/jwt/keys"), json!({})).await;
    assert_eq!((status, e["error"]["code"].as_str()), (409, Some("too_many_keys")), "{e}");
}

#[tokio::test]
async fn the_testing_panel_shows_each_mode_step_by_step() {
    if !signers::available() {
        return;
    }
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    // Not switched on yet: the panel is for trying a mode before visitors meet it.
    let (bot, read) = super::bot_with_identity(&app, json!({"mode": "jwt"})).await;
    let key = &read["jwt"]["keys"][0];
    let claims = json!({"sub": "ada", "name": "Ada", "exp": now() + 600});
    let token = sign("pyjwt", "HS256", key["secret"].as_str().unwrap(), key["kid"].as_str(), claims.clone()).await;
    let path = format!("/bots/{bot}/identity/test");
    let test = |body| app.post(&path, body);

    let (status, report) = test(json!({"access_token": token})).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!((report["ok"].as_bool(), report["mode"].as_str()), (Some(true), Some("jwt")), "{report}");
    assert_eq!(report["token"]["header"]["alg"], "HS256");
    assert_eq!(report["token"]["header"]["kid"], key["kid"]);
    assert_eq!(report["token"]["claims"], claims);
    assert!(report["token"]["verdict"].as_str().unwrap().starts_with("Valid"), "{report}");
    assert_eq!(report["contact"]["status"], "new");
    assert_eq!(report["identifier"], "ada");

    // A forged token: its claims are still shown, beside the verdict that refuses them.
    let forged = super::signers::tampered(&token, &json!({"sub": "root", "exp": now() + 600}));
    let (_, report) = test(json!({"access_token": forged})).await;
    assert_eq!(
        (report["ok"].as_bool(), report["outcome"]["code"].as_str()),
        (Some(false), Some("token_signature_invalid"))
    );
    assert_eq!(report["token"]["claims"]["sub"], "root");
    assert!(report["token"]["verdict"].as_str().unwrap().starts_with("Refused (token_signature_invalid)"), "{report}");

    // Identity hash mode: the identifier and its hash.
    let (status, saved) = app.put(&format!("/bots/{bot}/identity"), json!({"mode": "identity_hash"})).await;
    assert_eq!(status, 200);
    let hash = super::signers::hmac("node", saved["identity_hash"]["secret"].as_str().unwrap(), "ada").await;
    let (_, report) = test(json!({"user_id": "ada", "user_hash": hash})).await;
    assert_eq!((report["ok"].as_bool(), report["mode"].as_str()), (Some(true), Some("identity_hash")), "{report}");
    let (_, report) = test(json!({"user_id": "bob", "user_hash": hash})).await;
    assert_eq!(report["outcome"]["code"], "hash_mismatch", "{report}");

    let attempts = app.attempts(&bot, "").await;
    assert_eq!(attempts.len(), 4);
    assert!(attempts.iter().all(|a| a["test"] == true), "the panel's tries are marked as tests: {attempts:?}");
}
