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
use url::Url;

/// The gap between two chunks of a streamed answer.
pub const CHUNK_GAP: Duration = Duration::from_millis(150);

/// What the API received.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Value,
}

pub struct Server {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Server {
    pub async fn start() -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("an address");
        let received = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new().route("/{scenario}/v1/chat/completions", post(answer)).with_state(received.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Server { addr, received }
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
        self.received.lock().expect("not poisoned").clone()
    }
}

pub fn event(content: Option<&str>) -> String {
    let delta = match content {
        Some(text) => json!({"content": text}),
        None => json!({"role": "assistant"}),
    };
    format!("data: {}\n\n", json!({"choices": [{"index": 0, "delta": delta}]}))
}

/// Sends `chunks` one by one with [`CHUNK_GAP`] between them; with `then_stall`, keeps the
/// connection open afterwards without sending anything more.
fn sse(chunks: Vec<String>, then_stall: bool) -> Response {
    let sent = stream::iter(chunks).then(|chunk| async move {
        tokio::time::sleep(CHUNK_GAP).await;
        Ok::<_, Infallible>(Bytes::from(chunk))
    });
    let body = match then_stall {
        true => Body::from_stream(sent.chain(stream::pending())),
        false => Body::from_stream(sent),
    };
    ([("content-type", "text/event-stream")], body).into_response()
}

async fn answer(
    State(received): State<Arc<Mutex<Vec<Received>>>>,
    Path(scenario): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    received.lock().expect("not poisoned").push(Received { headers, body });
    match scenario.as_str() {
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
        "silent" => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            StatusCode::OK.into_response()
        }
        "json" => ([("content-type", "application/json")], r#"{"choices":[]}"#).into_response(),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
    }
}
