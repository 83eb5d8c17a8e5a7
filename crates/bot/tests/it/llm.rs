use std::time::Duration;

use concierge_authcall::{guarded_http_client, Lookup, UpstreamPolicy};
use concierge_bot::{ChatMessage, LlmClient, LlmError, MAX_ANSWER_CHARS};
use futures::stream::BoxStream;
use futures::StreamExt;
use serde_json::json;

use crate::support::Server;

fn client(allow_private: bool) -> LlmClient {
    // Names resolve from an in-process table (localhost only): no DNS query leaves the
    // machine. Plain http anywhere: the test servers (http on loopback) are judged by
    // address alone.
    let http = guarded_http_client(allow_private, "Concierge-Test/1.0", Lookup::localhost_only()).expect("a client");
    LlmClient::new(http, UpstreamPolicy { allow_private, allow_http: true })
}

fn messages() -> Vec<ChatMessage> {
    vec![
        ChatMessage { role: "system".to_owned(), content: "You are Penny.".to_owned() },
        ChatMessage { role: "user".to_owned(), content: "How do I reset my password?".to_owned() },
    ]
}

/// `future`, which must end by itself: the bound is generous, so that a slow machine never
/// fails a test, and only a stream that would never end does.
async fn ends<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(30), future).await.expect("ended within 30 s")
}

/// Every item of the stream, up to its end.
async fn collect(deltas: BoxStream<'static, Result<String, LlmError>>) -> Vec<Result<String, LlmError>> {
    ends(deltas.collect()).await
}

#[tokio::test]
async fn deltas_arrive_in_order_and_as_they_are_sent() {
    let server = Server::start().await;
    let mut deltas =
        client(true).stream(&server.config("gated", Duration::from_secs(30)), &messages()).await.expect("a stream");
    // The server sends the rest only when told: the first delta is passed on as it came,
    // not buffered until the end.
    assert_eq!(ends(deltas.next()).await, Some(Ok("Hel".to_owned())));
    server.open_gate();
    assert_eq!(collect(deltas).await, [Ok("lo".to_owned()), Ok(" world".to_owned())]);
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
    assert_eq!(items, [Ok("Hi".to_owned())]);
}

/// The server never answers, so only the configured timeout can end the wait.
#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let server = Server::start().await;
    let timeout = Duration::from_millis(300);
    let result = ends(client(true).stream(&server.config("silent", timeout), &messages())).await;
    assert_eq!(result.err(), Some(LlmError::Timeout));
}

/// The server sends one delta and then nothing, with the connection open: only the
/// timeout can end the answer.
#[tokio::test]
async fn a_server_that_stalls_mid_answer_times_out() {
    let server = Server::start().await;
    let timeout = Duration::from_millis(400);
    let deltas = client(true).stream(&server.config("stall", timeout), &messages()).await.expect("a stream");
    assert_eq!(collect(deltas).await, [Ok("Hel".to_owned()), Err(LlmError::Timeout)]);
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
    assert_eq!(items.last().expect("items"), &Err(LlmError::TooLong));
    let delivered: usize = items.iter().filter_map(|item| item.as_ref().ok()).map(|t| t.chars().count()).sum();
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
    let error = items.into_iter().find_map(Result::err).expect("an error");
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

/// The operator's policy as it is at the call, not as it was when the base URL was saved.
#[tokio::test]
async fn plain_http_to_a_model_stops_when_the_operator_stops_allowing_it() {
    let server = Server::start().await;
    let mut config = server.config("ok", Duration::from_secs(5));
    config.base_url.set_host(Some("models.customer.test")).expect("a host");
    let loopback = [std::net::IpAddr::from([127, 0, 0, 1])];
    let client = |allow_http| {
        let lookup = Lookup::fixed([("models.customer.test", &loopback[..])]);
        let http = guarded_http_client(true, "Concierge-Test/1.0", lookup).expect("a client");
        LlmClient::new(http, UpstreamPolicy { allow_private: true, allow_http })
    };
    let answer: Vec<_> = client(true).stream(&config, &messages()).await.expect("a stream").collect().await;
    assert!(!answer.is_empty() && answer.iter().all(Result::is_ok), "{answer:?}");
    let result = client(false).stream(&config, &messages()).await;
    assert!(
        matches!(result, Err(LlmError::Blocked(ref reason)) if reason.contains("must use https")),
        "{:?}",
        result.err()
    );
    assert_eq!(server.received().len(), 1, "the refused call sent nothing");
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
