//! The streaming client for an OpenAI-compatible chat completions API (OpenAI itself, or a
//! self-hosted server such as vLLM, llama.cpp or Ollama).
//!
//! The operator names the API, so the call goes through the same outbound guard as the calls
//! to customers' Authentication URLs: the caller hands in the client made by
//! [`concierge_authcall::guarded_http_client`], and an IP-literal host is judged here before
//! anything is sent. The answer arrives as server-sent events and is passed on delta by
//! delta, so the widget can show it as it is written. Three limits keep a slow or endless
//! answer from holding a conversation: the configured timeout bounds the wait for the
//! response head and every gap between chunks, [`MAX_ANSWER_TIME`] the whole answer, and
//! [`MAX_ANSWER_CHARS`] its length. The API key never appears in `Debug` output or errors.

use std::fmt;
use std::time::Duration;

use concierge_authcall::{blocked_reason, check_outbound_url, UpstreamPolicy};
use eventsource_stream::{EventStreamError, Eventsource};
use futures::stream::{self, BoxStream, StreamExt};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{json, Value};
use tokio::time::Instant;
use url::Url;

use crate::prompt::ChatMessage;

/// The longest an answer may take, from the request to its last delta.
pub const MAX_ANSWER_TIME: Duration = Duration::from_secs(120);
/// The most characters an answer may have, all deltas together.
pub const MAX_ANSWER_CHARS: usize = 16_000;
/// The most of an error message from the API that is kept.
const MAX_ERROR_CHARS: usize = 300;

/// Where and how to ask. `base_url` is the API root such as `https://api.openai.com/v1`.
#[derive(Clone)]
pub struct LlmConfig {
    pub base_url: Url,
    pub model: String,
    pub api_key: Option<String>,
    /// Bounds the wait for the response head and each gap between chunks.
    pub timeout: Duration,
}

impl fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut base_url = self.base_url.clone();
        if base_url.password().is_some() {
            // Only fails for URLs that cannot have a password, which this one has.
            let _ = base_url.set_password(Some("***"));
        }
        f.debug_struct("LlmConfig")
            .field("base_url", &base_url.as_str())
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why an answer could not be had, or stopped. No message contains the API key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    #[error("the language model API did not answer in time")]
    Timeout,
    #[error("the language model API answered with HTTP status {0}")]
    Status(u16),
    #[error("the language model API could not be reached ({0})")]
    Transport(String),
    #[error("the language model API sent an answer that could not be read ({0})")]
    InvalidResponse(String),
    #[error("the language model API may not be called: {0}")]
    Blocked(String),
    #[error("the language model's answer was longer than {MAX_ANSWER_CHARS} characters")]
    TooLong,
}

/// Calls the API. Cheap to clone; clones share the HTTP client's connection pool.
#[derive(Debug, Clone)]
pub struct LlmClient {
    http: reqwest::Client,
    policy: UpstreamPolicy,
}

/// `{base_url}/{segments}`, keeping the base URL's path and query (`/v1`,
/// `?api-version=`), which `Url::join` would not. The error says why the URL cannot be used.
pub(crate) fn api_url(base_url: &Url, segments: &[&str]) -> Result<Url, String> {
    if !matches!(base_url.scheme(), "http" | "https") {
        return Err(format!("the base URL must use https or http, not {}", base_url.scheme()));
    }
    let mut url = base_url.clone();
    url.set_fragment(None);
    url.path_segments_mut().map_err(|_| "the base URL cannot have a path".to_owned())?.pop_if_empty().extend(segments);
    Ok(url)
}

fn completions_url(base_url: &Url) -> Result<Url, LlmError> {
    api_url(base_url, &["chat", "completions"]).map_err(LlmError::Blocked)
}

/// Removes the key from text that came from elsewhere (an API may quote it back) and keeps
/// the text short.
pub(crate) fn scrub(text: &str, secret: Option<&str>) -> String {
    let text: String = text.chars().take(MAX_ERROR_CHARS).collect();
    match secret {
        Some(secret) if !secret.is_empty() => text.replace(secret, "***"),
        _ => text,
    }
}

/// The innermost cause says what happened ("Connection refused"); the outer layers only
/// say where.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// A request to an operator-named API that got no answer, as the caller's error: refused
/// by the outbound guard, too slow, or not delivered (the innermost cause, without the key).
/// The language model and the embeddings API sort their failures by this one rule.
pub(crate) fn request_failed<E>(
    error: &reqwest::Error,
    secret: Option<&str>,
    blocked: impl FnOnce(String) -> E,
    timeout: E,
    transport: impl FnOnce(String) -> E,
) -> E {
    if let Some(reason) = blocked_reason(error) {
        return blocked(reason);
    }
    if error.is_timeout() {
        return timeout;
    }
    transport(scrub(&root_cause(error), secret))
}

fn llm_request_failed(error: &reqwest::Error, secret: Option<&str>) -> LlmError {
    request_failed(error, secret, LlmError::Blocked, LlmError::Timeout, LlmError::Transport)
}

/// The text of one event's delta, None for an event without one (the role, the finish).
fn delta(data: &str, secret: Option<&str>) -> Result<Option<String>, LlmError> {
    let value: Value = serde_json::from_str(data)
        .map_err(|e| LlmError::InvalidResponse(format!("an event is not JSON ({e}): {}", scrub(data, secret))))?;
    if let Some(error) = value.get("error") {
        let message = error.get("message").and_then(Value::as_str).map_or_else(|| error.to_string(), str::to_owned);
        return Err(LlmError::InvalidResponse(format!("the API reported an error: {}", scrub(&message, secret))));
    }
    Ok(value.pointer("/choices/0/delta/content").and_then(Value::as_str).map(str::to_owned))
}

/// The most bytes read from the API for one answer: the character cap counts only the
/// text of deltas, and a server could send endless lines or events without any.
const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// Reading the body failed: the transport, or the API sent more than [`MAX_RESPONSE_BYTES`].
#[derive(Debug, thiserror::Error)]
enum Read {
    #[error(transparent)]
    Http(reqwest::Error),
    #[error("the answer is larger than {MAX_RESPONSE_BYTES} bytes")]
    TooLarge,
}

type Events = BoxStream<'static, Result<eventsource_stream::Event, EventStreamError<Read>>>;

/// An answer being read.
struct Answer {
    events: Events,
    idle: Duration,
    deadline: Instant,
    chars: usize,
    secret: Option<String>,
}

impl Answer {
    /// The next non-empty delta; None at `[DONE]` or the end of the body.
    async fn next_delta(&mut self) -> Result<Option<String>, LlmError> {
        loop {
            let wait_until = self.deadline.min(Instant::now() + self.idle);
            let event = match tokio::time::timeout_at(wait_until, self.events.next()).await {
                Err(_) => return Err(LlmError::Timeout),
                Ok(None) => return Ok(None),
                Ok(Some(Err(EventStreamError::Transport(Read::Http(error))))) => {
                    return Err(llm_request_failed(&error, self.secret.as_deref()))
                }
                Ok(Some(Err(EventStreamError::Transport(Read::TooLarge)))) => return Err(LlmError::TooLong),
                Ok(Some(Err(error))) => return Err(LlmError::InvalidResponse(error.to_string())),
                Ok(Some(Ok(event))) => event,
            };
            let data = event.data.trim();
            if data == "[DONE]" {
                return Ok(None);
            }
            if data.is_empty() {
                continue;
            }
            let Some(text) = delta(data, self.secret.as_deref())? else { continue };
            self.chars += text.chars().count();
            if self.chars > MAX_ANSWER_CHARS {
                return Err(LlmError::TooLong);
            }
            if !text.is_empty() {
                return Ok(Some(text));
            }
        }
    }
}

impl LlmClient {
    /// `http` must come from [`concierge_authcall::guarded_http_client`] with the same
    /// `http` comes from `guarded_http_client` with `policy.allow_private`: its resolver is
    /// the guard for host names.
    pub fn new(http: reqwest::Client, policy: UpstreamPolicy) -> Self {
        Self { http, policy }
    }

    /// POSTs `{"model", "messages", "stream": true}` to `{base_url}/chat/completions`, with
    /// `Authorization: Bearer` when a key is set, and returns the text deltas
    /// (`choices[0].delta.content`) as they arrive. The stream ends at `data: [DONE]` or the
    /// end of the body; after an error it ends too.
    pub async fn stream(
        &self,
        config: &LlmConfig,
        messages: &[ChatMessage],
    ) -> Result<BoxStream<'static, Result<String, LlmError>>, LlmError> {
        let deadline = Instant::now() + MAX_ANSWER_TIME;
        let secret = config.api_key.clone();
        let url = completions_url(&config.base_url)?;
        check_outbound_url(&url, self.policy).map_err(LlmError::Blocked)?;

        let body = json!({"model": config.model, "messages": messages, "stream": true});
        let mut request = self.http.post(url).header(ACCEPT, "text/event-stream").json(&body);
        if let Some(key) = &config.api_key {
            request = request.bearer_auth(key);
        }
        let head_deadline = deadline.min(Instant::now() + config.timeout);
        let response = tokio::time::timeout_at(head_deadline, request.send())
            .await
            .map_err(|_| LlmError::Timeout)?
            .map_err(|e| llm_request_failed(&e, secret.as_deref()))?;

        let status = response.status();
        if !status.is_success() {
            return Err(LlmError::Status(status.as_u16()));
        }
        if let Some(kind) = response.headers().get(CONTENT_TYPE) {
            let kind = String::from_utf8_lossy(kind.as_bytes());
            if !kind.trim_start().to_ascii_lowercase().starts_with("text/event-stream") {
                return Err(LlmError::InvalidResponse(format!(
                    "expected a text/event-stream, got {}; does the API support streaming?",
                    scrub(&kind, secret.as_deref())
                )));
            }
        }

        let answer =
            Answer { events: capped(response).eventsource().boxed(), idle: config.timeout, deadline, chars: 0, secret };
        let deltas = stream::unfold(Some(answer), |state| async move {
            let mut answer = state?;
            match answer.next_delta().await {
                Ok(Some(text)) => Some((Ok(text), Some(answer))),
                Ok(None) => None,
                Err(error) => Some((Err(error), None)),
            }
        });
        Ok(deltas.boxed())
    }
}

/// The body's chunks, ending in [`Read::TooLarge`] past [`MAX_RESPONSE_BYTES`].
fn capped(response: reqwest::Response) -> impl futures::Stream<Item = Result<bytes::Bytes, Read>> {
    let mut read = 0usize;
    response.bytes_stream().map(move |chunk| {
        let chunk = chunk.map_err(Read::Http)?;
        read = read.saturating_add(chunk.len());
        if read > MAX_RESPONSE_BYTES {
            Err(Read::TooLarge)
        } else {
            Ok(chunk)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("a URL")
    }

    #[test]
    fn the_completions_path_is_added_to_the_base_path() {
        for (base, expected) in [
            ("http://llm.internal:8000/v1", "http://llm.internal:8000/v1/chat/completions"),
            ("https://api.openai.com/v1/", "https://api.openai.com/v1/chat/completions"),
            (
                "https://gw.example/openai/v1?api-version=2024",
                "https://gw.example/openai/v1/chat/completions?api-version=2024",
            ),
            ("http://localhost:11434", "http://localhost:11434/chat/completions"),
        ] {
            assert_eq!(completions_url(&url(base)).expect("joined").as_str(), expected, "{base}");
        }
        assert!(matches!(completions_url(&url("ftp://x.example/v1")), Err(LlmError::Blocked(_))));
        assert!(matches!(completions_url(&url("mailto:a@b.example")), Err(LlmError::Blocked(_))));
    }

    #[test]
    fn debug_never_shows_the_key() {
        let config = LlmConfig {
            base_url: url("https://user:hunter2@api.example/v1"),
            model: "gpt-4o-mini".to_owned(),
            api_key: Some("sk-live-secret".to_owned()),
            timeout: Duration::from_secs(10),
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("sk-live-secret") && !shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("gpt-4o-mini") && shown.contains("api.example"), "{shown}");
    }

    #[test]
    fn deltas_are_read_from_events() {
        let chunk = r#"{"choices":[{"index":0,"delta":{"content":"Hel"}}]}"#;
        assert_eq!(delta(chunk, None), Ok(Some("Hel".to_owned())));
        assert_eq!(delta(r#"{"choices":[{"delta":{"role":"assistant"}}]}"#, None), Ok(None));
        assert_eq!(delta(r#"{"choices":[{"delta":{"content":null},"finish_reason":"stop"}]}"#, None), Ok(None));
        assert_eq!(delta(r#"{"choices":[]}"#, None), Ok(None));
        assert!(matches!(delta("not json", None), Err(LlmError::InvalidResponse(_))));
        let error = delta(r#"{"error":{"message":"bad key sk-1 given"}}"#, Some("sk-1")).expect_err("an error");
        assert_eq!(error, LlmError::InvalidResponse("the API reported an error: bad key *** given".to_owned()));
    }
}
