//! An OpenAI-compatible embeddings endpoint: `POST {base_url}/embeddings` with
//! `{"model", "input": [texts]}`, answered by `{"data": [{"index", "embedding"}]}`. The
//! operator names it, so the call goes through the outbound guard like the language model's.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use concierge_authcall::{check_outbound_url, read_capped, UpstreamPolicy};
use serde::Deserialize;
use serde_json::json;
use url::Url;

use super::{normalize, EmbedError};
use crate::llm::{api_url, request_failed, scrub};

/// After the API failed to answer (unreachable, too slow, a server error), it is not asked
/// again for this long: during an outage a question is judged on its words at once instead
/// of waiting for the timeout every time.
pub const PAUSE_AFTER_FAILURE: Duration = Duration::from_secs(5);

/// The most bytes read from one answer: 32 vectors of 3,072 numbers in JSON are about 2 MB.
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Where and how to ask. `base_url` is the API root, such as `http://127.0.0.1:11434/v1`.
#[derive(Clone)]
pub struct RemoteConfig {
    pub base_url: Url,
    pub model: String,
    pub api_key: Option<String>,
    /// Bounds one whole call, answer included.
    pub timeout: Duration,
}

#[derive(Clone)]
pub struct RemoteEmbeddings {
    http: reqwest::Client,
    policy: UpstreamPolicy,
    config: RemoteConfig,
    key: String,
    /// Until when the API is not asked, after a failure.
    paused_until: Arc<Mutex<Option<Instant>>>,
}

impl fmt::Debug for RemoteEmbeddings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key names the endpoint without its credentials.
        f.debug_struct("RemoteEmbeddings").field("key", &self.key).finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Answer {
    data: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    index: Option<usize>,
    embedding: Vec<f32>,
}

impl RemoteEmbeddings {
    /// `http` must come from [`concierge_authcall::guarded_http_client`] with
    /// `policy.allow_private`: its resolver is the guard for host names.
    pub fn new(http: reqwest::Client, policy: UpstreamPolicy, config: RemoteConfig) -> Self {
        // The model's name alone: the instances of a deployment may reach one API by
        // different addresses, and the address may carry a credential in its query.
        let key = format!("remote:{}", config.model);
        Self { http, policy, config, key, paused_until: Arc::default() }
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub(super) async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let paused = *self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        if paused.is_some_and(|until| Instant::now() < until) {
            return Err(EmbedError::Paused);
        }
        let result = self.call(texts).await;
        if matches!(&result, Err(EmbedError::Timeout | EmbedError::Transport(_)) | Err(EmbedError::Status(500..))) {
            *self.paused_until.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now() + PAUSE_AFTER_FAILURE);
        }
        result
    }

    async fn call(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let secret = self.config.api_key.as_deref();
        let url = api_url(&self.config.base_url, &["embeddings"]).map_err(EmbedError::Blocked)?;
        check_outbound_url(&url, self.policy).map_err(EmbedError::Blocked)?;
        let mut request = self.http.post(url).json(&json!({"model": self.config.model, "input": texts}));
        if let Some(key) = secret {
            request = request.bearer_auth(key);
        }
        let call = async {
            let mut response = request.send().await.map_err(|e| failed(&e, secret))?;
            let status = response.status();
            if !status.is_success() {
                return Err(EmbedError::Status(status.as_u16()));
            }
            let mut body = Vec::new();
            if read_capped(&mut response, &mut body, MAX_RESPONSE_BYTES).await.map_err(|e| failed(&e, secret))? {
                return Err(EmbedError::InvalidResponse(format!("larger than {MAX_RESPONSE_BYTES} bytes")));
            }
            Ok(body)
        };
        let body = tokio::time::timeout(self.config.timeout, call).await.map_err(|_| EmbedError::Timeout)??;
        vectors(&body, texts.len(), secret)
    }
}

fn failed(error: &reqwest::Error, secret: Option<&str>) -> EmbedError {
    request_failed(error, secret, EmbedError::Blocked, EmbedError::Timeout, EmbedError::Transport)
}

/// The answer's vectors in the order of the texts: one each, all of one length.
fn vectors(body: &[u8], expected: usize, secret: Option<&str>) -> Result<Vec<Vec<f32>>, EmbedError> {
    let invalid = |why: String| EmbedError::InvalidResponse(scrub(&why, secret));
    let answer: Answer = serde_json::from_slice(body).map_err(|e| invalid(format!("not an embeddings answer: {e}")))?;
    if answer.data.len() != expected {
        return Err(invalid(format!("{} vectors for {expected} texts", answer.data.len())));
    }
    let mut slots: Vec<Option<Vec<f32>>> = vec![None; expected];
    for (position, item) in answer.data.into_iter().enumerate() {
        let index = item.index.unwrap_or(position);
        match slots.get_mut(index) {
            Some(slot @ None) => *slot = Some(item.embedding),
            _ => return Err(invalid(format!("index {index} is out of range or repeated"))),
        }
    }
    let vectors: Vec<Vec<f32>> = slots.into_iter().flatten().collect();
    let width = vectors.first().map_or(0, Vec::len);
    if width == 0 || vectors.iter().any(|v| v.len() != width) {
        return Err(invalid("the vectors are empty or of different lengths".to_owned()));
    }
    if vectors.iter().flatten().any(|x| !x.is_finite()) || vectors.iter().any(|v| v.iter().all(|x| *x == 0.0)) {
        return Err(invalid("a vector has numbers that are not finite, or only zeros".to_owned()));
    }
    let vectors = vectors.into_iter().map(normalize).collect();
    Ok(vectors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_are_put_in_the_order_of_the_texts() {
        let body = br#"{"object":"list","data":[{"index":1,"embedding":[0,2]},{"index":0,"embedding":[3,4]}]}"#;
        assert_eq!(vectors(body, 2, None), Ok(vec![vec![0.6, 0.8], vec![0.0, 1.0]]));
    }

    #[test]
    fn answers_that_do_not_fit_the_question_are_refused() {
        for body in [
            &br#"{"data":[{"index":0,"embedding":[1,0]}]}"#[..],
            br#"{"data":[{"index":0,"embedding":[1,0]},{"index":0,"embedding":[0,1]}]}"#,
            br#"{"data":[{"index":0,"embedding":[1,0]},{"index":1,"embedding":[1]}]}"#,
            br#"{"data":[{"index":0,"embedding":[]},{"index":1,"embedding":[]}]}"#,
            br#"{"data":[{"index":0,"embedding":[1e39,0]},{"index":1,"embedding":[0,1]}]}"#,
            br#"{"data":[{"index":0,"embedding":[0,0]},{"index":1,"embedding":[0,1]}]}"#,
            br#"{"error":{"message":"bad key sk-9"}}"#,
        ] {
            let error = vectors(body, 2, Some("sk-9")).expect_err("refused");
            assert!(matches!(&error, EmbedError::InvalidResponse(m) if !m.contains("sk-9")), "{error:?}");
        }
    }
}
