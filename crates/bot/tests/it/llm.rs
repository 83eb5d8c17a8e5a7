use std::time::{Duration, Instant};

use concierge_authcall::{guarded_http_client, Lookup};
use concierge_bot::{ChatMessage, LlmClient, LlmError, MAX_ANSWER_CHARS};
use futures::StreamExt;
use serde_json::json;

use crate::support::{Server, CHUNK_GAP};

fn client(allow_private: bool) -> LlmClient {
    // Names resolve from an in-process table (localhost only): no DNS query leaves the machine.
    let http = guarded_http_client(allow_private, "Concierge-Test/1.0", Lookup::localhost_only()).expect("a client");
    LlmClient::new(http, allow_private)
}

fn messages() -> Vec<ChatMessage> {
    vec![
        ChatMessage { role: "system".to_owned(), content: "You are Penny.".to_owned() },
        ChatMessage { role: "user".to_owned(), content: "How do I reset my password?".to_owned() },
    ]
}

/// Every item of the stream with when it arrived.
async fn collect(
    mut deltas: futures::stream::BoxStream<'static, Result<String, LlmError>>,
) -> Vec<(Result<String, LlmError>, Instant)> {
    let mut items = Vec::new();
    while let Some(item) = deltas.next().await {
        items.push((item, Instant::now()));
    }
    items
}

#[tokio::test]
async fn deltas_arrive_in_order_and_as_they_are_sent() {
    let server = Server::start().await;
    let deltas =
        client(true).stream(&server.config("ok", Duration::from_secs(5)), &messages()).await.expect("a stream");
    let items = collect(deltas).await;

    let texts: Vec<String> = items.iter().map(|(item, _)| item.clone().expect("a delta")).collect();
    assert_eq!(texts, ["Hel", "lo", " world"]);
    // Read as they came, not buffered until the end.
    let spread = items[2].1 - items[0].1;
    assert!(spread >= CHUNK_GAP, "all deltas arrived within {spread:?}");
}

#[tokio::test]
async fn the_request_carries_the_model_the_messages_and_the_key() {
    let server = Server::start().await;
    let deltas =
        client(true).stream(&server.config("ok", Duration::from_secs(5)), &messages()).await.expect("a stream");
    collect(deltas).await;

    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].body,
        json!({"model": "test-model", "stream": true, "messages": [
            {"role": "system", "content": "You are Penny."},
            {"role": "user", "content": "How do I reset my password?"},
        ]})
    );
    let header = |name: &str| received[0].headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert_eq!(header("authorization").as_deref(), Some("Bearer sk-test-key"));
    assert_eq!(header("accept").as_deref(), Some("text/event-stream"));
    assert_eq!(header("user-agent").as_deref(), Some("Concierge-Test/1.0"));

    let mut keyless = server.config("ok", Duration::from_secs(5));
    keyless.api_key = None;
    collect(client(true).stream(&keyless, &messages()).await.expect("a stream")).await;
    assert!(server.received()[1].headers.get("authorization").is_none());
}

#[tokio::test]
async fn a_body_that_ends_without_done_ends_the_answer() {
    let server = Server::start().await;
    let items = collect(
        client(true).stream(&server.config("no-done", Duration::from_secs(5)), &messages()).await.expect("a stream"),
    )
    .await;
    let texts: Vec<String> = items.into_iter().map(|(item, _)| item.expect("a delta")).collect();
    assert_eq!(texts, ["Hi"]);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let server = Server::start().await;
    let timeout = Duration::from_millis(300);
    let started = Instant::now();
    let result = client(true).stream(&server.config("silent", timeout), &messages()).await;
    assert_eq!(result.err(), Some(LlmError::Timeout));
    assert!(started.elapsed() < timeout * 4, "took {:?}", started.elapsed());
}

#[tokio::test]
async fn a_server_that_stalls_mid_answer_times_out() {
    let server = Server::start().await;
    let timeout = Duration::from_millis(400);
    let deltas = client(true).stream(&server.config("stall", timeout), &messages()).await.expect("a stream");
    let started = Instant::now();
    let items = collect(deltas).await;
    let items: Vec<_> = items.into_iter().map(|(item, _)| item).collect();
    assert_eq!(items, [Ok("Hel".to_owned()), Err(LlmError::Timeout)]);
    assert!(started.elapsed() < timeout * 4, "took {:?}", started.elapsed());
}

#[tokio::test]
async fn an_error_status_is_reported() {
    let server = Server::start().await;
    let result = client(true).stream(&server.config("fail", Duration::from_secs(5)), &messages()).await;
    assert_eq!(result.err(), Some(LlmError::Status(500)));
}

#[tokio::test]
async fn an_answer_that_is_too_long_is_cut_off() {
    let server = Server::start().await;
    let items = collect(
        client(true).stream(&server.config("long", Duration::from_secs(5)), &messages()).await.expect("a stream"),
    )
    .await;
    let (last, _) = items.last().expect("items");
    assert_eq!(last, &Err(LlmError::TooLong));
    let delivered: usize = items.iter().filter_map(|(item, _)| item.as_ref().ok()).map(|t| t.chars().count()).sum();
    assert!(delivered <= MAX_ANSWER_CHARS, "{delivered}");
}

#[tokio::test]
async fn errors_never_carry_the_key() {
    let server = Server::start().await;
    let items = collect(
        client(true)
            .stream(&server.config("error-event", Duration::from_secs(5)), &messages())
            .await
            .expect("a stream"),
    )
    .await;
    let error = items.into_iter().find_map(|(item, _)| item.err()).expect("an error");
    assert!(matches!(error, LlmError::InvalidResponse(_)), "{error:?}");
    let shown = error.to_string();
    assert!(shown.contains("Invalid key ***") && !shown.contains("sk-test-key"), "{shown}");

    let result = client(true).stream(&server.config("json", Duration::from_secs(5)), &messages()).await;
    assert!(
        matches!(result, Err(LlmError::InvalidResponse(ref m)) if m.contains("application/json")),
        "{:?}",
        result.err()
    );
}

#[tokio::test]
async fn private_addresses_pass_the_guard_only_when_allowed() {
    let server = Server::start().await;
    let config = server.config("ok", Duration::from_secs(5));
    let result = client(false).stream(&config, &messages()).await;
    assert!(matches!(result, Err(LlmError::Blocked(ref reason)) if reason.contains("loopback")), "{:?}", result.err());
    assert!(server.received().is_empty());

    // A name is judged after it resolves.
    let mut by_name = config.clone();
    by_name.base_url.set_host(Some("localhost")).expect("a host");
    let result = client(false).stream(&by_name, &messages()).await;
    assert!(matches!(result, Err(LlmError::Blocked(ref reason)) if reason.contains("loopback")), "{:?}", result.err());
    assert!(server.received().is_empty());
}
