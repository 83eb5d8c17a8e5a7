//! An OpenAI-compatible chat completions API on a port chosen by the OS. The first path
//! segment picks how it behaves: `/{scenario}/v1/chat/completions`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use concierge_bot::LlmConfig;
use futures::stream::{self, StreamExt};
use serde_json::{json, Value};
use tokio::sync::Semaphore;
use url::Url;

/// What the API received.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Value,
}

#[derive(Clone)]
struct Shared {
    received: Arc<Mutex<Vec<Received>>>,
    /// Holds the `gated` scenario's answer after its first delta until the test lets it go.
    gate: Arc<Semaphore>,
}

pub struct Server {
    pub addr: SocketAddr,
    shared: Shared,
}

impl Server {
    pub async fn start() -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("an address");
        let shared = Shared { received: Arc::default(), gate: Arc::new(Semaphore::new(0)) };
        let app = Router::new().route("/{scenario}/v1/chat/completions", post(answer)).with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Server { addr, shared }
    }

    pub fn config(&self, scenario: &str, timeout: Duration) -> LlmConfig {
        LlmConfig {
            base_url: Url::parse(&format!("http://{}/{scenario}/v1", self.addr)).expect("a URL"),
            model: "test-model".to_owned(),
            api_key: Some("sk-test-key".to_owned()),
            timeout,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().expect("not poisoned").clone()
    }

    /// Lets the `gated` scenario send the rest of its answer.
    pub fn open_gate(&self) {
        self.shared.gate.add_permits(1);
    }
}

pub fn event(content: Option<&str>) -> String {
    let delta = match content {
        Some(text) => json!({"content": text}),
        None => json!({"role": "assistant"}),
    };
    format!("data: {}\n\n", json!({"choices": [{"index": 0, "delta": delta}]}))
}

/// Sends `chunks`; with `then_stall`, keeps the connection open afterwards without sending
/// anything more.
fn sse(chunks: Vec<String>, then_stall: bool) -> Response {
    let sent = stream::iter(chunks).map(|chunk| Ok::<_, Infallible>(Bytes::from(chunk)));
    let body = match then_stall {
        true => Body::from_stream(sent.chain(stream::pending())),
        false => Body::from_stream(sent),
    };
    ([("content-type", "text/event-stream")], body).into_response()
}

/// The "ok" answer, whose first delta is sent at once and the rest only once `gate` opens.
fn gated(gate: Arc<Semaphore>) -> Response {
    let first = stream::iter([event(None), event(Some("Hel"))]);
    let rest = stream::once(async move {
        let _permit = gate.acquire().await;
        stream::iter([
            event(Some("lo")),
            event(Some(" world")),
            "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n".to_owned(),
            "data: [DONE]\n\n".to_owned(),
        ])
    })
    .flatten();
    let body = Body::from_stream(first.chain(rest).map(|chunk| Ok::<_, Infallible>(Bytes::from(chunk))));
    ([("content-type", "text/event-stream")], body).into_response()
}

async fn answer(
    State(shared): State<Shared>,
    Path(scenario): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    shared.received.lock().expect("not poisoned").push(Received { headers, body });
    match scenario.as_str() {
        "gated" => gated(shared.gate.clone()),
        "ok" => sse(
            vec![
                event(None),
                event(Some("Hel")),
                event(Some("lo")),
                event(Some(" world")),
                "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n".to_owned(),
                "data: [DONE]\n\n".to_owned(),
                // Never read: the answer ends at [DONE].
                event(Some("after done")),
            ],
            false,
        ),
        "no-done" => sse(vec![event(Some("Hi"))], false),
        "stall" => sse(vec![event(Some("Hel"))], true),
        "long" => sse((0..5).map(|_| event(Some(&"x".repeat(5000)))).collect(), false),
        "error-event" => {
            sse(vec![r#"data: {"error":{"message":"Invalid key sk-test-key"}}"#.to_owned() + "\n\n"], false)
        }
        "silent" => std::future::pending().await,
        "json" => ([("content-type", "application/json")], r#"{"choices":[]}"#).into_response(),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
    }
}
