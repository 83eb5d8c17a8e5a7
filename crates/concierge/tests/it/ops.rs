//! Health, readiness, metrics and the OpenAPI document.

use serde_json::{json, Value};

use crate::both_backends;
use crate::utils::{Customer, TestApp};

/// Every endpoint the server answers. A new endpoint goes here, and the test below makes
/// sure it is in the OpenAPI document.
const ENDPOINTS: &[(&str, &str)] = &[
    ("post", "/api/admin/v1/bots"),
    ("get", "/api/admin/v1/bots"),
    ("get", "/api/admin/v1/bots/{id}"),
    ("patch", "/api/admin/v1/bots/{id}"),
    ("get", "/api/admin/v1/bots/{id}/custom-auth"),
    ("put", "/api/admin/v1/bots/{id}/custom-auth"),
    ("post", "/api/admin/v1/bots/{id}/custom-auth/rotate-secret"),
    ("delete", "/api/admin/v1/bots/{id}/custom-auth/cache"),
    ("post", "/api/admin/v1/bots/{id}/custom-auth/headers/reveal"),
    ("post", "/api/admin/v1/bots/{id}/custom-auth/test"),
    ("get", "/api/admin/v1/bots/{id}/identity"),
    ("put", "/api/admin/v1/bots/{id}/identity"),
    ("post", "/api/admin/v1/bots/{id}/identity/jwt/keys"),
    ("delete", "/api/admin/v1/bots/{id}/identity/jwt/keys/{kid}"),
    ("post", "/api/admin/v1/bots/{id}/identity/identity-hash/rotate-secret"),
    ("post", "/api/admin/v1/bots/{id}/identity/test"),
    ("get", "/api/admin/v1/bots/{id}/llm"),
    ("put", "/api/admin/v1/bots/{id}/llm"),
    ("post", "/api/admin/v1/bots/{id}/articles"),
    ("get", "/api/admin/v1/bots/{id}/articles"),
    ("get", "/api/admin/v1/bots/{id}/articles/{article_id}"),
    ("put", "/api/admin/v1/bots/{id}/articles/{article_id}"),
    ("delete", "/api/admin/v1/bots/{id}/articles/{article_id}"),
    ("post", "/api/admin/v1/bots/{id}/ask"),
    ("get", "/api/admin/v1/bots/{id}/unanswered"),
    ("delete", "/api/admin/v1/bots/{id}/unanswered/{question_id}"),
    ("post", "/api/admin/v1/bots/{id}/unanswered/{question_id}/answer"),
    ("get", "/api/admin/v1/bots/{id}/contacts"),
    ("get", "/api/admin/v1/contacts/{id}"),
    ("get", "/api/admin/v1/bots/{id}/auth-attempts"),
    ("get", "/api/admin/v1/bots/{id}/conversations"),
    ("get", "/api/admin/v1/bots/{id}/events"),
    ("get", "/api/admin/v1/conversations/{id}/messages"),
    ("post", "/api/admin/v1/conversations/{id}/messages"),
    ("post", "/api/admin/v1/conversations/{id}/takeover"),
    ("post", "/api/admin/v1/conversations/{id}/handback"),
    ("get", "/widget.js"),
    ("get", "/api/widget/v1/bots/{id}"),
    ("get", "/api/widget/v1/ws"),
    ("post", "/api/widget/v1/sessions"),
    ("delete", "/api/widget/v1/session"),
    ("post", "/api/widget/v1/messages"),
    ("get", "/api/widget/v1/messages"),
    ("get", "/"),
    ("get", "/login"),
    ("post", "/login"),
    ("post", "/logout"),
    ("get", "/setup"),
    ("post", "/setup"),
    ("get", "/bots"),
    ("post", "/bots"),
    ("get", "/assets/dashboard.css"),
    ("get", "/assets/favicon.svg"),
    ("get", "/favicon.ico"),
    ("get", "/bots/{id}"),
    ("post", "/bots/{id}"),
    ("get", "/bots/{id}/knowledge"),
    ("post", "/bots/{id}/knowledge"),
    ("get", "/bots/{id}/knowledge/new"),
    ("get", "/bots/{id}/knowledge/{article_id}"),
    ("post", "/bots/{id}/knowledge/{article_id}"),
    ("post", "/bots/{id}/knowledge/{article_id}/delete"),
    ("get", "/bots/{id}/unanswered"),
    ("post", "/bots/{id}/unanswered/{question_id}/dismiss"),
    ("get", "/bots/{id}/unanswered/{question_id}"),
    ("post", "/bots/{id}/unanswered/{question_id}/answer"),
    ("get", "/bots/{id}/answers"),
    ("post", "/bots/{id}/answers"),
    ("post", "/bots/{id}/answers/rules"),
    ("post", "/bots/{id}/answers/rules/{index}/delete"),
    ("post", "/bots/{id}/answers/rules/{index}/move-up"),
    ("get", "/bots/{id}/model"),
    ("post", "/bots/{id}/model"),
    ("get", "/bots/{id}/custom-auth"),
    ("get", "/bots/{id}/embed"),
    ("get", "/assets/bot-pages.js"),
    ("get", "/assets/custom-auth.js"),
    ("get", "/assets/identity.js"),
    ("get", "/assets/identity-keys.js"),
    ("get", "/assets/bot.css"),
    ("get", "/contacts"),
    ("get", "/contacts/{id}"),
    ("get", "/auth-log"),
    ("get", "/inbox"),
    ("get", "/assets/inbox.js"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/api/openapi.json"),
];

#[tokio::test]
async fn every_endpoint_is_served_and_documented() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let doc: Value = app.http.get(app.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    let mut documented = 0;
    for (method, path) in ENDPOINTS {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} is missing from the OpenAPI document");
        let live = app
            .http
            .request(method.to_uppercase().parse().unwrap(), app.url(&path.replace("{id}", "x")))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert!(
            ![404, 405].contains(&live.status().as_u16()) || path.contains("{id}"),
            "{method} {path} is not served"
        );
        assert_ne!(live.status().as_u16(), 405, "{method} {path} is not served");
        documented += 1;
    }
    let operations: usize = doc["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(operations, documented, "an endpoint is documented but not listed here");
}

/// The status and error code of `method path` without credentials or body.
async fn refusal(app: &TestApp, method: reqwest::Method, path: &str) -> (u16, Value) {
    let resp = app.http.request(method, app.url(path)).send().await.unwrap();
    (resp.status().as_u16(), resp.json::<Value>().await.unwrap()["error"]["code"].clone())
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_with_the_error_body() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    assert_eq!(refusal(&app, reqwest::Method::GET, "/api/admin/v1/nope").await, (404, json!("route_not_found")));
    let deleted = refusal(&app, reqwest::Method::DELETE, "/api/widget/v1/sessions").await;
    assert_eq!(deleted, (405, json!("method_not_allowed")));
}

#[tokio::test]
async fn the_socket_endpoint_answers_a_plain_request_with_the_error_body() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let plain = refusal(&app, reqwest::Method::GET, "/api/widget/v1/ws").await;
    assert_eq!(plain, (400, json!("websocket_upgrade_required")));
}

#[test]
fn the_committed_openapi_document_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let current = concierge::http::openapi_json();
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(&path, &current).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == current, "docs/openapi.json is stale: run UPDATE_OPENAPI=1 cargo test --test it openapi");
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let get = |p: &'static str| app.http.get(app.url(p)).send();
    assert_eq!(get("/healthz").await.unwrap().status(), 200);
    assert_eq!(get("/readyz").await.unwrap().text().await.unwrap(), "ready");
    let customer = Customer::with_users().await;
    let bot = app.bot_with_auth(&customer.url, json!({})).await;
    let (_, ok) = app.start_session(json!({"bot_id": bot, "access_token": "tok-alice"})).await;
    assert_eq!(ok["authenticated"], true, "{ok}");
    let (_, refused) = app.start_session(json!({"bot_id": bot, "access_token": "bad"})).await;
    assert_eq!(refused["auth_error"]["code"], "invalid_token", "{refused}");
    let metrics = get("/metrics").await.unwrap().text().await.unwrap();
    for needle in [
        "concierge_auth_calls_total{outcome=\"ok\"}",
        "concierge_auth_calls_total{outcome=\"invalid_token\"}",
        "concierge_auth_call_duration_seconds_bucket",
        "concierge_sessions_started_total{authenticated=\"true\"}",
    ] {
        assert!(metrics.contains(needle), "{needle} missing from:\n{metrics}");
    }
}

#[tokio::test]
async fn the_attempt_log_filters_and_pages() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let customer = Customer::with_users().await;
    let bot = app.bot_with_auth(&customer.url, json!({})).await;
    for token in ["tok-alice", "x", "tok-bob", "y", "tok-carol"] {
        app.start_session(json!({"bot_id": bot, "access_token": token})).await;
    }
    let ok = app.attempts(&bot, "?outcome=ok").await;
    assert_eq!(ok.len(), 3);
    assert_eq!(ok[0]["identifier"], "u-3", "newest first");
    assert_eq!(ok[0]["client_ip"], "127.0.0.1");
    assert_eq!(app.attempts(&bot, "?outcome=invalid_token").await.len(), 2);
    let (_, page1) = app.get(&format!("/bots/{bot}/auth-attempts?limit=2")).await;
    let cursor = page1["next_cursor"].as_str().unwrap();
    let (_, page2) = app.get(&format!("/bots/{bot}/auth-attempts?limit=2&before={cursor}")).await;
    let (_, page3) =
        app.get(&format!("/bots/{bot}/auth-attempts?limit=2&before={}", page2["next_cursor"].as_str().unwrap())).await;
    let ids: std::collections::HashSet<_> = [&page1, &page2, &page3]
        .iter()
        .flat_map(|p| p["items"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(ids.len(), 5);
    assert_eq!(page3["next_cursor"], Value::Null);
    assert!(app.attempts(&bot, "?since=2999-01-01T00:00:00Z").await.is_empty());
    assert_eq!(app.attempts(&bot, "?since=2000-01-01T00:00:00Z").await.len(), 5);
    let (status, e) = app.get(&format!("/bots/{bot}/auth-attempts?outcome=weird")).await;
    assert_eq!((status, e["error"]["code"].as_str()), (400, Some("invalid_query")));
    let (status, _) = app.get(&format!("/bots/{bot}/auth-attempts?since=yesterday")).await;
    assert_eq!(status, 400);
}

async fn retention_removes_old_attempts(app: TestApp) {
    let bot = app.bot().await;
    let store = app.services.store.clone();
    let old = concierge_core::now_ms() - 31 * 24 * 3600 * 1000;
    for (now, outcome) in [(old, "invalid_token"), (concierge_core::now_ms(), "ok")] {
        store
            .record_attempts(&[concierge_store::NewAttempt {
                bot_id: &bot,
                outcome: outcome.parse().unwrap(),
                reason: None,
                latency_ms: 5,
                identifier: None,
                upstream_status: None,
                client_ip: None,
                is_test: false,
                cached: false,
                mode: concierge_domain::IdentityKind::CustomAuth,
                now,
            }])
            .await
            .unwrap();
    }
    app.services.housekeeping().await.unwrap();
    let left = app.attempts(&bot, "").await;
    assert_eq!(left.len(), 1, "the default retention is 30 days");
    assert_eq!(left[0]["outcome"], "ok");
}
both_backends!(retention_removes_old_attempts, super::retention_removes_old_attempts);

#[tokio::test]
async fn behind_a_trusted_proxy_the_client_ip_is_the_one_the_proxy_appended() {
    let mut args = crate::utils::test_args();
    args.trust_proxy_headers = Some(true);
    let Some(app) = TestApp::spawn_with(crate::utils::Backend::Sqlite, args).await else { return };
    let customer = Customer::with_users().await;
    let bot = app.bot_with_auth(&customer.url, json!({})).await;
    app.http
        .post(app.url("/api/widget/v1/sessions"))
        .header("x-forwarded-for", "6.6.6.6, 203.0.113.9")
        .json(&json!({"bot_id": bot, "access_token": "tok-alice"}))
        .send()
        .await
        .unwrap();
    let attempts = app.attempts(&bot, "").await;
    assert_eq!(attempts[0]["client_ip"], "203.0.113.9", "the client's own claim (leftmost) is ignored");
}

/// Managed PostgreSQL services refuse connections without TLS: a URL that asks for it
/// (`sslmode=require`) is honoured, and every connection the instance holds is encrypted.
#[tokio::test]
async fn a_database_url_that_requires_tls_gets_encrypted_connections() {
    let Some(plain) = TestApp::spawn(crate::utils::Backend::Postgres).await else { return };
    let app = plain
        .sibling_tuned(crate::utils::test_args(), |c| {
            if let concierge::config::Database::Postgres { url, .. } = &mut c.storage.database {
                url.push_str(if url.contains('?') { "&sslmode=require" } else { "?sslmode=require" });
            }
        })
        .await;
    let bot = app.bot().await;
    let (status, s) = app.start_session(json!({"bot_id": bot})).await;
    assert_eq!(status, 201, "{s}");
    // Both instances' connections (the first one's URL leaves TLS to the server, which
    // offers it), psql's own aside.
    let connections = app
        .psql(
            "SELECT count(*), bool_and(ssl) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid)
             WHERE datname = current_database() AND application_name <> 'psql'",
        )
        .await;
    let (count, encrypted) = connections[0].split_once('|').expect("a row");
    assert!(count.parse::<u32>().unwrap() >= 1, "{connections:?}");
    assert_eq!(encrypted, "t", "every connection is encrypted: {connections:?}");
}
