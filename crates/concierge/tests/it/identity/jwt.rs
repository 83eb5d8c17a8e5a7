//! Signed user tokens (`mode: jwt`), made by `jose`, `jsonwebtoken` and PyJWT.

use serde_json::{json, Value};

use super::signers::{self, key_pair, now, sign, tampered, unsigned};
use super::{bot_with_identity, start, JwksServer};
use crate::utils::{Backend, TestApp};

fn claims(sub: &str) -> Value {
    json!({"sub": sub, "email": "Ada@Example.com", "name": "Ada Lovelace", "iat": now(), "exp": now() + 600,
           "aud": "concierge", "metadata": {"plan": "pro"}})
}

#[tokio::test]
async fn hmac_tokens_from_three_libraries_identify_one_person() {
    if !signers::available() {
        return;
    }
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    let settings = json!({"enabled": true, "mode": "jwt", "identify_method": "email",
                          "jwt": {"algorithms": ["HS256", "HS384", "HS512"]}});
    let (bot, read) = bot_with_identity(&app, settings).await;
    let key = &read["jwt"]["keys"][0];
    let (kid, secret) = (key["kid"].as_str().unwrap(), key["secret"].as_str().unwrap());

    let mut contact_ids = Vec::new();
    for (lib, alg, kid) in [
        ("jose", "HS256", Some(kid)),
        ("jsonwebtoken", "HS384", Some(kid)),
        ("pyjwt", "HS512", Some(kid)),
        ("pyjwt", "HS256", None),
        ("jose", "HS512", None),
        ("jsonwebtoken", "HS256", None),
    ] {
        let token = sign(lib, alg, secret, kid, claims("ada")).await;
        let (status, s) = start(&app, &bot, &token, json!({})).await;
        assert_eq!((status, &s["authenticated"]), (201, &json!(true)), "{lib} {alg}: {s}");
        assert_eq!(s["contact"]["name"], "Ada Lovelace", "{lib} {alg}: {s}");
        contact_ids.push(s["contact"]["id"].clone());
    }
    contact_ids.dedup();
    assert_eq!(contact_ids.len(), 1, "one person, one contact: {contact_ids:?}");
    let contacts = app.contacts(&bot).await;
    assert_eq!(contacts.len(), 1, "{contacts:?}");
    assert_eq!(contacts[0]["email"], "Ada@Example.com");
    assert_eq!(contacts[0]["metadata"]["plan"], "pro", "metadata comes from the token's claims");

    let attempts = app.attempts(&bot, "").await;
    assert_eq!(attempts.len(), 6);
    assert!(attempts.iter().all(|a| a["mode"] == "jwt" && a["outcome"] == "ok"), "{attempts:?}");
    assert_eq!(attempts[0]["identifier"], "ada@example.com", "the identifier is normalised");

    // A token is a secret: it is never stored.
    let token = sign("jose", "HS256", secret, Some(kid), claims("ada")).await;
    start(&app, &bot, &token, json!({})).await;
    app.services.flush_attempts().await;
    app.assert_not_stored(&token).await;
    app.assert_not_stored(secret).await;
}

#[tokio::test]
async fn refused_tokens_say_precisely_why() {
    if !signers::available() {
        return;
    }
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    let settings = json!({"enabled": true, "mode": "jwt", "jwt": {
        "algorithms": ["HS256"], "issuer": "https://shop.example", "audience": "concierge",
        "max_lifetime_secs": 3600}});
    let (bot, read) = bot_with_identity(&app, settings).await;
    let key = &read["jwt"]["keys"][0];
    let (kid, secret) = (key["kid"].as_str().unwrap(), key["secret"].as_str().unwrap());
    let good = |changes: Value| {
        let mut c = json!({"sub": "grace", "iss": "https://shop.example", "aud": "concierge",
                           "iat": now(), "exp": now() + 600});
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    };

    let valid = sign("pyjwt", "HS256", secret, Some(kid), good(json!({}))).await;
    let (_, s) = start(&app, &bot, &valid, json!({})).await;
    assert_eq!(s["authenticated"], true, "the baseline token is accepted: {s}");
    let by_user_id = sign("jose", "HS256", secret, Some(kid), good(json!({"sub": null, "user_id": 77}))).await;
    let (_, s) = start(&app, &bot, &by_user_id, json!({})).await;
    assert_eq!(s["contact"]["external_id"], "77", "user_id stands in for sub: {s}");

    let wrong_key = "0".repeat(64);
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "expired",
            sign("jose", "HS256", secret, Some(kid), good(json!({"exp": now() - 120}))).await,
            "token_expired",
            "expired",
        ),
        (
            "not yet valid",
            sign("pyjwt", "HS256", secret, Some(kid), good(json!({"nbf": now() + 600}))).await,
            "token_claims_invalid",
            "nbf",
        ),
        (
            "issued in the future",
            sign("jsonwebtoken", "HS256", secret, Some(kid), good(json!({"iat": now() + 600}))).await,
            "token_claims_invalid",
            "iat",
        ),
        (
            "too long-lived",
            sign("jose", "HS256", secret, Some(kid), good(json!({"exp": now() + 7200}))).await,
            "token_claims_invalid",
            "at most 3600",
        ),
        (
            "no exp",
            sign("pyjwt", "HS256", secret, Some(kid), good(json!({"exp": null}))).await,
            "token_claims_invalid",
            "exp",
        ),
        (
            "another issuer",
            sign("jose", "HS256", secret, Some(kid), good(json!({"iss": "https://evil.example"}))).await,
            "token_claims_invalid",
            "iss",
        ),
        (
            "another audience",
            sign("pyjwt", "HS256", secret, Some(kid), good(json!({"aud": "someone-else"}))).await,
            "token_claims_invalid",
            "aud",
        ),
        (
            "no subject",
            sign("jose", "HS256", secret, Some(kid), good(json!({"sub": null}))).await,
            "token_claims_invalid",
            "\"sub\"",
        ),
        (
            "wrong key",
            sign("jsonwebtoken", "HS256", &wrong_key, Some(kid), good(json!({}))).await,
            "token_signature_invalid",
            "signature",
        ),
        (
            "unknown kid",
            sign("jose", "HS256", secret, Some("k-unknown"), good(json!({}))).await,
            "token_signature_invalid",
            "k-unknown",
        ),
        (
            "an algorithm the bot does not accept",
            sign("pyjwt", "HS512", secret, Some(kid), good(json!({}))).await,
            "token_signature_invalid",
            "HS512",
        ),
        ("alg none", unsigned(&good(json!({}))), "token_signature_invalid", "\"none\""),
        ("tampered claims", tampered(&valid, &good(json!({"sub": "mallory"}))), "token_signature_invalid", "signature"),
        ("not a JWT", "opaque-session-token".to_owned(), "invalid_token", "not a signed JWT"),
    ];
    for (case, token, code, _) in &cases {
        let (status, s) = start(&app, &bot, token, json!({})).await;
        assert_eq!(status, 201, "{case}: on_failure anonymous starts anyway: {s}");
        assert_eq!(s["authenticated"], false, "{case}: {s}");
        assert_eq!(s["auth_error"]["code"], *code, "{case}: {s}");
    }
    let attempts = app.attempts(&bot, "").await;
    // Newest first: the refusals in reverse order, each with its reason for the developer.
    for ((case, _, code, words), attempt) in cases.iter().rev().zip(&attempts) {
        assert_eq!((attempt["mode"].as_str(), attempt["outcome"].as_str()), (Some("jwt"), Some(*code)), "{case}");
        let reason = attempt["reason"].as_str().unwrap_or_default();
        assert!(reason.contains(words), "{case}: {reason:?} should mention {words:?}");
    }

    // With on_failure = block, a refused token gets no chat at all, and says why.
    let (status, _) = app.put(&format!("/bots/{bot}/identity"), json!({"on_failure": "block"})).await;
    assert_eq!(status, 200);
    let (status, s) = start(&app, &bot, &cases[0].1, json!({})).await;
    assert_eq!((status, s["error"]["code"].as_str()), (401, Some("token_expired")), "{s}");
}

#[tokio::test]
async fn asymmetric_tokens_verify_against_the_jwks_and_follow_a_rotation() {
    if !signers::available() {
        return;
    }
    // Refetching a key set at once, instead of after a minute, lets the test publish a key
    // and use it without waiting.
    let tune = |c: &mut concierge::config::Config| c.settings.jwks_refetch_after = std::time::Duration::ZERO;
    let Some(app) = TestApp::spawn_tuned(Backend::Sqlite, crate::utils::test_args(), tune).await else { return };
    let jwks = JwksServer::start().await;
    for alg in ["RS256", "ES256", "EdDSA"] {
        let first = key_pair(alg, &format!("{alg}-1")).await;
        jwks.publish(vec![first["jwk"].clone()]);
        let jwt = json!({"algorithms": [alg, "HS256"], "jwks_url": jwks.url, "audience": "concierge"});
        let (bot, _) = bot_with_identity(&app, json!({"enabled": true, "mode": "jwt", "jwt": jwt})).await;
        let private = first["private_pem"].as_str().unwrap();
        let libs: &[&str] = if alg == "EdDSA" { &["jose", "pyjwt"] } else { &["jose", "jsonwebtoken", "pyjwt"] };
        for lib in libs {
            let token = sign(lib, alg, private, Some(&format!("{alg}-1")), claims(&format!("{alg}-{lib}"))).await;
            let (_, s) = start(&app, &bot, &token, json!({})).await;
            assert_eq!(s["authenticated"], true, "{lib} {alg}: {s}");
        }

        // The public key used as an HMAC secret (the classic algorithm confusion) is refused
        // although the bot accepts HS256: its HMAC keys are its own secrets only.
        let confused = signers::ask(
            "jose",
            json!({"op": "sign", "lib": "jose", "alg": "HS256",
            "key_bytes_from": first["public_pem"], "kid": format!("{alg}-1"), "claims": claims("mallory")}),
        )
        .await;
        let (_, s) = start(&app, &bot, confused["token"].as_str().unwrap(), json!({})).await;
        assert_eq!(s["auth_error"]["code"], "token_signature_invalid", "{alg}: {s}");

        // A token the same provider issued to another of its applications (another aud),
        // which that application could replay here, signs nobody in.
        let mut elsewhere = claims("ada");
        elsewhere["aud"] = json!("another-app");
        let token = sign("jose", alg, private, Some(&format!("{alg}-1")), elsewhere).await;
        let (_, s) = start(&app, &bot, &token, json!({})).await;
        assert_eq!(s["auth_error"]["code"], "token_claims_invalid", "{alg}: {s}");

        // A rotation: a token signed with a key the set does not have yet is refused; once
        // the customer publishes the key, the next token is accepted.
        let second = key_pair(alg, &format!("{alg}-2")).await;
        let token =
            sign("jose", alg, second["private_pem"].as_str().unwrap(), Some(&format!("{alg}-2")), claims("ada")).await;
        let (_, s) = start(&app, &bot, &token, json!({})).await;
        assert_eq!(s["auth_error"]["code"], "token_signature_invalid", "{alg}: {s}");
        jwks.publish(vec![first["jwk"].clone(), second["jwk"].clone()]);
        let (_, s) = start(&app, &bot, &token, json!({})).await;
        assert_eq!(s["authenticated"], true, "{alg} after the rotation: {s}");
    }
}

/// A bot that verifies ES256 tokens (audience `concierge`) with the keys of a JWKS the
/// returned server publishes: one key, `k1`, of the returned pair.
async fn es256_bot(app: &TestApp) -> (String, JwksServer, Value) {
    let jwks = JwksServer::start().await;
    let pair = key_pair("ES256", "k1").await;
    jwks.publish(vec![pair["jwk"].clone()]);
    let jwt = json!({"algorithms": ["ES256"], "jwks_url": jwks.url, "audience": "concierge"});
    let (bot, _) = bot_with_identity(app, json!({"enabled": true, "mode": "jwt", "jwt": jwt})).await;
    (bot, jwks, pair)
}

/// Settings saved before an audience was required for a JWKS (written here straight to the
/// database, as such a deployment has them) sign nobody in with the provider's tokens, and
/// the attempt log says what to set.
#[tokio::test]
async fn jwks_settings_without_an_audience_from_before_sign_nobody_in() {
    if !signers::available() {
        return;
    }
    let Some(app) = TestApp::spawn(Backend::Postgres).await else { return };
    let (bot, _jwks, pair) = es256_bot(&app).await;
    let token = sign("jose", "ES256", pair["private_pem"].as_str().unwrap(), Some("k1"), claims("ada")).await;
    assert_eq!(start(&app, &bot, &token, json!({})).await.1["authenticated"], true);

    let store = app.services.store.as_ref();
    let mut record = store.get_custom_auth(&bot).await.unwrap().expect("saved");
    record.identity.jwt.audience = None;
    record.revision += 1;
    store.put_custom_auth(&record).await.unwrap();
    let (_, s) = start(&app, &bot, &token, json!({})).await;
    assert_eq!(s["auth_error"]["code"], "token_claims_invalid", "{s}");
    app.services.flush_attempts().await;
    let attempts = app.attempts(&bot, "").await;
    assert!(attempts[0]["reason"].as_str().unwrap().contains("names no audience"), "{attempts:?}");
}

#[tokio::test]
async fn unknown_key_ids_fetch_the_key_set_at_most_once_a_minute() {
    if !signers::available() {
        return;
    }
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    let (bot, jwks, pair) = es256_bot(&app).await;
    let private = pair["private_pem"].as_str().unwrap();
    let (_, s) = start(&app, &bot, &sign("jose", "ES256", private, Some("k1"), claims("ada")).await, json!({})).await;
    assert_eq!(s["authenticated"], true, "{s}");
    assert_eq!(jwks.fetches(), 1);
    for i in 0..10 {
        let token = sign("jose", "ES256", private, Some(&format!("made-up-{i}")), claims("ada")).await;
        let (_, s) = start(&app, &bot, &token, json!({})).await;
        assert_eq!(s["auth_error"]["code"], "token_signature_invalid", "{s}");
    }
    assert_eq!(jwks.fetches(), 1, "ten unknown key ids within a minute cost no fetch of the customer's JWKS");
    // The known key still verifies, from memory.
    let (_, s) = start(&app, &bot, &sign("pyjwt", "ES256", private, Some("k1"), claims("ada")).await, json!({})).await;
    assert_eq!(s["authenticated"], true, "{s}");
}

#[tokio::test]
async fn a_token_identifies_the_person_on_postgres_too() {
    if !signers::available() {
        return;
    }
    let Some(app) = TestApp::spawn(Backend::Postgres).await else { return };
    let (bot, read) =
        bot_with_identity(&app, json!({"enabled": true, "mode": "jwt", "identify_method": "email"})).await;
    let key = &read["jwt"]["keys"][0];
    let token = sign("pyjwt", "HS256", key["secret"].as_str().unwrap(), key["kid"].as_str(), claims("ada")).await;
    let (_, s) = start(&app, &bot, &token, json!({})).await;
    assert_eq!(s["authenticated"], true, "{s}");
    let (_, again) = start(&app, &bot, &token, json!({})).await;
    assert_eq!(again["contact"]["id"], s["contact"]["id"]);
    app.services.flush_attempts().await;
    app.assert_not_stored(key["secret"].as_str().unwrap()).await;
}

/// Every algorithm a bot can accept, each refusal, with tokens from every library that
/// signs it: the checks do not depend on the key type.
#[tokio::test]
async fn every_algorithm_refuses_the_same_bad_tokens() {
    if !signers::available() {
        return;
    }
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    let base =
        || json!({"sub": "ada", "iss": "https://shop.example", "aud": "concierge", "iat": now(), "exp": now() + 600});
    let with = |changes: Value| {
        let mut c = base();
        c.as_object_mut().unwrap().extend(changes.as_object().unwrap().clone());
        c
    };
    for alg in ["HS256", "HS384", "HS512", "RS256", "ES256", "EdDSA"] {
        let hmac = alg.starts_with("HS");
        // A key set of its own per algorithm: each bot's JWKS URL is fetched once.
        let jwks = JwksServer::start().await;
        let (key, wrong, kid) = if hmac {
            (None, "f".repeat(64), None)
        } else {
            let pair = key_pair(alg, &format!("{alg}-k")).await;
            jwks.publish(vec![pair["jwk"].clone()]);
            let stranger = key_pair(alg, &format!("{alg}-k")).await;
            (
                Some(pair["private_pem"].as_str().unwrap().to_owned()),
                stranger["private_pem"].as_str().unwrap().to_owned(),
                Some(format!("{alg}-k")),
            )
        };
        let mut jwt = json!({"algorithms": [alg], "issuer": "https://shop.example", "audience": "concierge"});
        if !hmac {
            jwt["jwks_url"] = json!(jwks.url);
        }
        let (bot, read) = bot_with_identity(&app, json!({"enabled": true, "mode": "jwt", "jwt": jwt})).await;
        let (key, kid) = match key {
            Some(private) => (private, kid),
            None => {
                let k = &read["jwt"]["keys"][0];
                (k["secret"].as_str().unwrap().to_owned(), k["kid"].as_str().map(str::to_owned))
            }
        };
        let kid = kid.as_deref();
        let libs: &[&str] = match alg {
            "EdDSA" => &["jose", "pyjwt"],
            _ => &["jose", "jsonwebtoken", "pyjwt"],
        };
        for (i, lib) in libs.iter().enumerate() {
            let valid = sign(lib, alg, &key, kid, base()).await;
            let (_, s) = start(&app, &bot, &valid, json!({})).await;
            assert_eq!(s["authenticated"], true, "{lib} {alg}: {s}");
            // The refusals, each signed by one of the libraries in turn.
            let signer = libs[(i + 1) % libs.len()];
            let cases = [
                ("expired", sign(signer, alg, &key, kid, with(json!({"exp": now() - 120}))).await, "token_expired"),
                (
                    "not yet valid",
                    sign(signer, alg, &key, kid, with(json!({"nbf": now() + 600}))).await,
                    "token_claims_invalid",
                ),
                (
                    "another issuer",
                    sign(signer, alg, &key, kid, with(json!({"iss": "https://evil.example"}))).await,
                    "token_claims_invalid",
                ),
                (
                    "another audience",
                    sign(signer, alg, &key, kid, with(json!({"aud": "other"}))).await,
                    "token_claims_invalid",
                ),
                ("wrong key", sign(signer, alg, &wrong, kid, base()).await, "token_signature_invalid"),
                ("tampered", tampered(&valid, &with(json!({"sub": "root"}))), "token_signature_invalid"),
                ("unsigned", unsigned(&base()), "token_signature_invalid"),
            ];
            for (case, token, code) in cases {
                let (_, s) = start(&app, &bot, &token, json!({})).await;
                assert_eq!(s["auth_error"]["code"], code, "{alg} {case} signed by {signer}: {s}");
            }
        }
    }
}
