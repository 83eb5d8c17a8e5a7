//! Every error code of PRODUCT.md, each produced by a real misbehaving customer server,
//! under both failure policies, and the attempt log that records them.

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use serde_json::{json, Value};

use concierge_authcall::testing::{raw_server, Hangup};

use crate::both_backends;
use crate::utils::{Customer, TestApp};

const REDIRECT_TO: &str = "http://127.0.0.1:9/elsewhere?token=loc-secret&next=%2Fauth#loc-secret";

/// One customer server that misbehaves according to the access token it receives.
async fn misbehaving_customer() -> Customer {
    Customer::start(|r| async move {
        let token = r.body["access_token"].as_str().unwrap_or_default().to_owned();
        match token.as_str() {
            "401" => StatusCode::UNAUTHORIZED.into_response(),
            "403" => StatusCode::FORBIDDEN.into_response(),
            "500" => (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
            // Gateways put tokens into the address they send the caller to.
            "redirect" => (StatusCode::FOUND, [(header::LOCATION, REDIRECT_TO)]).into_response(),
            // Never answers: only the bot's timeout ends the call.
            "sleep" => std::future::pending().await,
            "not-json" => (StatusCode::OK, "<html>hello</html>").into_response(),
            "no-data" => axum::Json(json!({"user": {"id": "1"}})).into_response(),
            "wrong-types" => axum::Json(json!({"data": {"id": "1", "email": ["a@b.c"]}})).into_response(),
            "nul" => axum::Json(json!({"data": {"id": "7", "name": "Al\u{0}ice"}})).into_response(),
            "no-id" => axum::Json(json!({"data": {"email": "a@b.c"}})).into_response(),
            "empty-id" => axum::Json(json!({"data": {"id": "  "}})).into_response(),
            "huge" => {
                let filler = "x".repeat(1024 * 1024);
                axum::Json(json!({"data": {"id": "1", "metadata": {"filler": filler}}})).into_response()
            }
            _ => axum::Json(json!({"data": {"id": "ok-user"}})).into_response(),
        }
    })
    .await
}

const CASES: &[(&str, &str)] = &[
    ("401", "invalid_token"),
    ("403", "invalid_token"),
    ("500", "auth_upstream_error"),
    ("redirect", "auth_upstream_error"),
    ("sleep", "auth_timeout"),
    ("not-json", "auth_invalid_response"),
    ("no-data", "auth_invalid_response"),
    ("wrong-types", "auth_invalid_response"),
    // Not the visitor's text: the customer's answer, which no database can store as is.
    ("nul", "auth_invalid_response"),
    ("no-id", "auth_missing_identifier"),
    ("empty-id", "auth_missing_identifier"),
    ("huge", "auth_response_too_large"),
];

/// The browser is told what it can act on (sign in; sign in again), never why the call
/// failed: every other code gets one and the same sentence, and none carries the reason
/// that the attempt log gives the developers. `shown` is (code, message) per failure.
fn assert_generic(shown: &[(String, String)], attempts: &[Value]) {
    let others: std::collections::HashSet<&str> = shown
        .iter()
        .filter(|(code, _)| !["token_required", "invalid_token"].contains(&code.as_str()))
        .map(|(_, message)| message.as_str())
        .collect();
    assert_eq!(others.len(), 1, "one generic sentence for every other code: {shown:?}");
    for (code, message) in shown {
        assert!(!message.is_empty() && !message.contains("Authentication URL"), "{code}: {message}");
        assert!(!message.chars().any(|c| c.is_ascii_digit()), "{code}: {message}");
        for attempt in attempts {
            let reason = attempt["reason"].as_str().unwrap_or_default();
            assert!(reason.is_empty() || !message.contains(reason), "{code}: {message}");
        }
    }
}

async fn failures_continue_anonymously_by_default(app: TestApp) {
    let customer = misbehaving_customer().await;
    let bot = app.bot_with_auth(&customer.url, json!({"timeout_ms": 1500})).await;
    let mut shown = Vec::new();
    for (token, code) in CASES {
        let (status, s) = app.start_session(json!({"bot_id": bot, "access_token": token})).await;
        assert_eq!(status, 201, "{token}: {s}");
        assert_eq!(s["authenticated"], false, "{token}");
        assert_eq!(s["auth_error"]["code"], *code, "{token}: {s}");
        assert!(s["session_token"].as_str().is_some(), "{token}: an anonymous session");
        assert_eq!(s["contact"], Value::Null);
        shown.push((code.to_string(), s["auth_error"]["message"].as_str().unwrap().to_owned()));
    }
    let (_, s) = app.start_session(json!({"bot_id": bot})).await;
    assert_eq!(s["auth_error"]["code"], "token_required");
    shown.push(("token_required".into(), s["auth_error"]["message"].as_str().unwrap().to_owned()));
    assert!(app.contacts(&bot).await.is_empty(), "no failure creates a contact");

    // Every call is in the attempt log with its reason; never the token.
    let attempts = app.attempts(&bot, "?limit=200").await;
    assert_eq!(attempts.len(), CASES.len());
    for (token, code) in CASES {
        assert!(attempts.iter().any(|a| a["outcome"] == *code), "{token}");
    }
    let timeout = attempts.iter().find(|a| a["outcome"] == "auth_timeout").unwrap();
    assert!(timeout["reason"].as_str().unwrap().contains("1500 ms"), "{timeout}");
    // A timeout never fires early, so the logged latency covers it.
    assert!(timeout["latency_ms"].as_i64().unwrap() >= 1500, "{timeout}");
    let nul = attempts.iter().find(|a| a["reason"].as_str().unwrap_or_default().contains("NUL")).unwrap();
    assert!(nul["reason"].as_str().unwrap().starts_with("data.name holds the NUL character"), "{nul}");
    let missing = attempts.iter().find(|a| a["outcome"] == "auth_missing_identifier").unwrap();
    assert!(missing["reason"].as_str().unwrap().contains("data.id"), "{missing}");
    let upstream = attempts.iter().find(|a| a["upstream_status"] == 500).unwrap();
    assert_eq!(upstream["outcome"], "auth_upstream_error");
    let redirect = attempts.iter().find(|a| a["upstream_status"] == 302).unwrap();
    let reason = redirect["reason"].as_str().unwrap();
    assert!(
        reason.contains("http://127.0.0.1:9/elsewhere (query left out)"),
        "where it points, not its query: {reason}"
    );
    let log = serde_json::to_string(&attempts).unwrap();
    assert!(!log.contains("wrong-types") && !log.contains("empty-id"), "tokens stay out of the log");
    assert!(!log.contains("loc-secret"), "nor a redirect's query: {log}");
    assert_generic(&shown, &attempts);
    app.assert_not_stored("wrong-types").await;
    app.assert_not_stored("loc-secret").await;
}
both_backends!(failures_continue_anonymously_by_default, super::failures_continue_anonymously_by_default);

async fn failures_block_the_chat_when_the_bot_says_so(app: TestApp) {
    let customer = misbehaving_customer().await;
    let bot = app.bot_with_auth(&customer.url, json!({"timeout_ms": 1500, "on_failure": "block"})).await;
    let mut shown = Vec::new();
    for (token, code) in CASES.iter().chain(&[("", "token_required")]) {
        let (status, s) = app.start_session(json!({"bot_id": bot, "access_token": token})).await;
        // The API failing to answer (500, too slow) says nothing about the user: the widget
        // is to try again, not to ask them to sign in. Every other failure is a verdict, a
        // redirect included.
        let passing = ["500", "sleep"].contains(token);
        assert_eq!(status, if passing { 503 } else { 401 }, "{token}: {s}");
        assert_eq!(s["error"]["code"], *code, "{token}: {s}");
        assert!(s.get("session_token").is_none());
        shown.push((code.to_string(), s["error"]["message"].as_str().unwrap().to_owned()));
    }
    assert_generic(&shown, &app.attempts(&bot, "?limit=200").await);
    let down = app.http.post(app.url("/api/widget/v1/sessions")).json(&json!({"bot_id": bot, "access_token": "500"}));
    let down = down.send().await.unwrap();
    assert_eq!(down.status(), 503);
    assert_eq!(down.headers()["retry-after"], "5", "when to try again");
    let (status, ok) = app.start_session(json!({"bot_id": bot, "access_token": "fine"})).await;
    assert_eq!((status, ok["authenticated"].as_bool()), (201, Some(true)));
}
both_backends!(failures_block_the_chat_when_the_bot_says_so, super::failures_block_the_chat_when_the_bot_says_so);

async fn broken_connections_are_unreachable_or_upstream_errors(app: TestApp) {
    let cut = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"data\":";
    for (hangup, code, reason) in [
        (Hangup::Reset, "auth_unreachable", "Connection reset"),
        (Hangup::After(&cut[..]), "auth_upstream_error", "broke off its answer"),
    ] {
        let bot = app.bot_with_auth(raw_server(hangup).await.as_str(), json!({})).await;
        let (status, s) = app.start_session(json!({"bot_id": bot, "access_token": "t"})).await;
        assert_eq!((status, s["auth_error"]["code"].as_str()), (201, Some(code)), "{s}");
        let attempts = app.attempts(&bot, "").await;
        assert!(attempts[0]["reason"].as_str().unwrap().contains(reason), "{}", attempts[0]);
    }
}
both_backends!(
    broken_connections_are_unreachable_or_upstream_errors,
    super::broken_connections_are_unreachable_or_upstream_errors
);

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let bot = app.bot_with_auth(&format!("http://127.0.0.1:{port}/auth"), json!({})).await;
    let (_, s) = app.start_session(json!({"bot_id": bot, "access_token": "t"})).await;
    assert_eq!(s["auth_error"]["code"], "auth_unreachable", "{s}");
}

#[tokio::test]
async fn bad_widget_requests_get_clear_errors() {
    let Some(app) = TestApp::spawn(crate::utils::Backend::Sqlite).await else { return };
    let send = |body: &'static str, ct: &'static str| {
        app.http.post(app.url("/api/widget/v1/sessions")).header("content-type", ct).body(body).send()
    };
    for (body, ct, status, code) in [
        ("{", "application/json", 400, "invalid_json"),
        ("{}", "application/json", 422, "invalid_body"),
        (r#"{"bot_id": 5}"#, "application/json", 422, "invalid_body"),
        (r#"{"bot_id": "b", "surprise": 1}"#, "application/json", 422, "invalid_body"),
        ("bot_id=b", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ] {
        let resp = send(body, ct).await.unwrap();
        assert_eq!(resp.status().as_u16(), status, "{body}");
        let e: Value = resp.json().await.unwrap();
        assert_eq!(e["error"]["code"], code, "{body}: {e}");
    }
    let big = "x".repeat(300 * 1024);
    let resp = app.http.post(app.url("/api/widget/v1/sessions")).json(&json!({"bot_id": big})).send().await.unwrap();
    assert_eq!(resp.status(), 413);
}
