//! A small OpenAI-compatible chat-completions server on loopback: the bot's "language
//! model" in tests. It records every request and answers as its [`Behaviour`] says.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use futures::StreamExt;
use serde_json::{json, Value};
use tokio::sync::Semaphore;

#[derive(Debug, Clone)]
pub enum Behaviour {
    /// Streams these pieces as Server-Sent Events, `gap` apart, then `[DONE]`.
    Stream { pieces: Vec<&'static str>, gap: Duration },
    /// Never answers.
    Silent,
    /// Sends the first piece, then goes quiet with the connection open.
    StallAfterFirst(&'static str),
    /// Sends the first piece, then the others once [`Model::release`] is called, then
    /// `[DONE]`. Meanwhile empty pieces keep the answer alive, as a model that is still
    /// thinking would: only the reader can end it.
    Held(Vec<&'static str>),
    /// Answers 500.
    Fail,
}

#[derive(Debug, Clone)]
pub struct ModelRequest {
    pub authorization: Option<String>,
    pub body: Value,
}

impl ModelRequest {
    /// Every message's content, joined: what the model was told.
    pub fn prompt(&self) -> String {
        self.body["messages"]
            .as_array()
            .map(|m| m.iter().filter_map(|m| m["content"].as_str()).collect::<Vec<_>>().join("\n"))
            .unwrap_or_default()
    }
}

#[derive(Clone)]
struct Shared {
    behaviour: Behaviour,
    received: Arc<Mutex<Vec<ModelRequest>>>,
    gate: Arc<Semaphore>,
}

pub struct Model {
    /// The base URL to configure: `http://127.0.0.1:PORT/v1`.
    pub base_url: String,
    received: Arc<Mutex<Vec<ModelRequest>>>,
    gate: Arc<Semaphore>,
    task: tokio::task::JoinHandle<()>,
}

impl Model {
    pub async fn start(behaviour: Behaviour) -> Model {
        let received = Arc::new(Mutex::new(Vec::new()));
        let gate = Arc::new(Semaphore::new(0));
        let shared = Shared { behaviour, received: received.clone(), gate: gate.clone() };
        let app = Router::new().route("/v1/chat/completions", post(complete)).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("model serves");
        });
        Model { base_url: format!("http://127.0.0.1:{port}/v1"), received, gate, task }
    }

    pub fn received(&self) -> Vec<ModelRequest> {
        self.received.lock().expect("lock").clone()
    }

    /// Lets a [`Behaviour::Held`] answer go on.
    pub fn release(&self) {
        self.gate.add_permits(1);
    }
}

impl Drop for Model {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn chunk(piece: &str) -> String {
    format!("data: {}\n\n", json!({"choices": [{"index": 0, "delta": {"content": piece}}]}))
}

async fn complete(State(shared): State<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
    shared.received.lock().expect("lock").push(ModelRequest { authorization, body });
    let sse = |stream: futures::stream::BoxStream<'static, Result<String, std::io::Error>>| {
        Response::builder()
            .header("content-type", "text/event-stream")
            .body(Body::from_stream(stream))
            .expect("response")
    };
    match shared.behaviour {
        Behaviour::Stream { pieces, gap } => {
            let stream = futures::stream::iter(pieces.into_iter().map(chunk).chain(["data: [DONE]\n\n".to_owned()]))
                .then(move |text| async move {
                    tokio::time::sleep(gap).await;
                    Ok(text)
                });
            sse(stream.boxed())
        }
        Behaviour::Silent => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Behaviour::Held(pieces) => {
            let mut pieces = pieces.into_iter().map(chunk);
            let first: Vec<String> = pieces.next().into_iter().collect();
            let held = futures::stream::unfold(shared.gate.clone(), |gate| async move {
                let released = tokio::time::timeout(Duration::from_millis(50), gate.acquire()).await.is_ok();
                (!released).then(|| (chunk(""), gate))
            });
            let rest = futures::stream::iter(pieces.chain(["data: [DONE]\n\n".to_owned()]));
            sse(futures::stream::iter(first).chain(held).chain(rest).map(Ok).boxed())
        }
        Behaviour::StallAfterFirst(first) => {
            let stream = futures::stream::once(async move { Ok(chunk(first)) }).chain(futures::stream::pending());
            sse(stream.boxed())
        }
        Behaviour::Fail => {
            (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": {"message": "boom"}}))).into_response()
        }
    }
}
