//! A bot's optional language model: an OpenAI-compatible chat-completions endpoint. The
//! API key is write-only: sealed at rest, never shown again, kept by saves that leave it
//! out.

use std::time::Duration;

use concierge_bot::LlmConfig;
use concierge_domain::{parse_upstream_url, FieldError};
use concierge_store::LlmRecord;

use super::{now_ms, Error, Principal, Result, Services};

pub const DEFAULT_LLM_TIMEOUT_MS: i64 = 15_000;
const MIN_TIMEOUT_MS: i64 = 1_000;
const MAX_TIMEOUT_MS: i64 = 60_000;
const MAX_MODEL: usize = 200;
const MAX_KEY: usize = 1_000;
const MAX_INSTRUCTIONS: usize = 4_000;

/// The settings as an operator writes them.
#[derive(Clone, Default)]
pub struct LlmInput {
    pub enabled: bool,
    pub base_url: String,
    pub model: String,
    /// `None` keeps the stored key, `Some("")` removes it.
    pub api_key: Option<String>,
    pub timeout_ms: Option<i64>,
    pub instructions: Option<String>,
}

/// The settings as shown: whether a key is set, never the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmView {
    pub enabled: bool,
    pub base_url: String,
    pub model: String,
    pub api_key_set: bool,
    pub timeout_ms: i64,
    pub instructions: String,
}

impl From<&LlmRecord> for LlmView {
    fn from(r: &LlmRecord) -> Self {
        Self {
            enabled: r.enabled,
            base_url: r.base_url.clone(),
            model: r.model.clone(),
            api_key_set: r.api_key_sealed.is_some(),
            timeout_ms: r.timeout_ms,
            instructions: r.instructions.clone(),
        }
    }
}

impl Default for LlmView {
    fn default() -> Self {
        Self {
            enabled: false,
            base_url: String::new(),
            model: String::new(),
            api_key_set: false,
            timeout_ms: DEFAULT_LLM_TIMEOUT_MS,
            instructions: String::new(),
        }
    }
}

impl std::fmt::Debug for LlmInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmInput")
            .field("enabled", &self.enabled)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|k| if k.is_empty() { "" } else { "***" }))
            .field("timeout_ms", &self.timeout_ms)
            .finish_non_exhaustive()
    }
}

impl Services {
    pub async fn llm_settings(&self, who: &Principal, bot_id: &str) -> Result<LlmView> {
        self.bot_for(who, bot_id).await?;
        Ok(self.store.get_llm(bot_id).await?.as_ref().map(LlmView::from).unwrap_or_default())
    }

    /// Validates and saves; every invalid field is reported and nothing is written then.
    pub async fn put_llm_settings(&self, who: &Principal, bot_id: &str, input: LlmInput) -> Result<LlmView> {
        let mut errors = Vec::new();
        let base_url = input.base_url.trim().trim_end_matches('/').to_owned();
        if !base_url.is_empty() {
            if let Err(message) = parse_upstream_url(&base_url, self.upstream_policy()) {
                errors.push(FieldError::new("base_url", message));
            }
        } else if input.enabled {
            errors.push(FieldError::new(
                "base_url",
                "The base URL of an OpenAI-compatible API is required, e.g. https://api.openai.com/v1.",
            ));
        }
        let model = input.model.trim().to_owned();
        if model.chars().count() > MAX_MODEL || (input.enabled && model.is_empty()) {
            errors.push(FieldError::new("model", format!("A model name has 1 to {MAX_MODEL} characters.")));
        }
        let key = input.api_key.as_deref().map(str::trim);
        // It travels in an HTTP header: visible ASCII only.
        if key.is_some_and(|k| k.len() > MAX_KEY || !k.bytes().all(|b| b.is_ascii_graphic())) {
            errors.push(FieldError::new(
                "api_key",
                format!("An API key has at most {MAX_KEY} characters: letters, digits and punctuation, no spaces."),
            ));
        }
        let timeout_ms = input.timeout_ms.unwrap_or(DEFAULT_LLM_TIMEOUT_MS);
        if !(MIN_TIMEOUT_MS..=MAX_TIMEOUT_MS).contains(&timeout_ms) {
            errors.push(FieldError::new(
                "timeout_ms",
                format!("The timeout is {MIN_TIMEOUT_MS} to {MAX_TIMEOUT_MS} ms."),
            ));
        }
        let instructions = input.instructions.unwrap_or_default().trim().to_owned();
        if instructions.chars().count() > MAX_INSTRUCTIONS {
            errors.push(FieldError::new(
                "instructions",
                format!("Instructions have at most {MAX_INSTRUCTIONS} characters."),
            ));
        }
        self.bot_for(who, bot_id).await?;
        // A stored key goes only where it was entered for: a new address needs it again,
        // or whoever may edit the bot could send the write-only key to a server of theirs.
        let stored = self.store.get_llm(bot_id).await?;
        let moved = |s: &LlmRecord| s.api_key_sealed.is_some() && !base_url.is_empty() && s.base_url != base_url;
        if key.is_none() && stored.as_ref().is_some_and(moved) {
            errors.push(FieldError::new("api_key", "The base URL changed: enter the API key again (or remove it)."));
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        let record = LlmRecord {
            bot_id: bot_id.to_owned(),
            enabled: input.enabled,
            base_url,
            model,
            api_key_sealed: key.filter(|k| !k.is_empty()).map(|k| self.sealer.seal(k)),
            timeout_ms,
            instructions,
            updated_at: now_ms(),
        };
        self.store.put_llm(&record, key.is_none()).await?;
        self.llm_settings(who, bot_id).await
    }

    /// The model to ask for this bot and the operator's instructions, when one is enabled.
    pub(super) async fn llm_config(&self, bot_id: &str) -> Result<Option<(LlmConfig, String)>> {
        let Some(record) = self.store.get_llm(bot_id).await? else { return Ok(None) };
        if !record.enabled || record.base_url.is_empty() || record.model.is_empty() {
            return Ok(None);
        }
        let Ok(base_url) = url::Url::parse(&record.base_url) else {
            tracing::warn!(bot_id, "the bot's language model URL does not parse; answering without it");
            return Ok(None);
        };
        // A key that no longer opens (the server's secret key changed) must not silence
        // the bot: it answers from the knowledge base until the key is entered again.
        let api_key = match record.api_key_sealed.as_deref().map(|k| self.sealer.open(k)).transpose() {
            Ok(key) => key,
            Err(e) => {
                tracing::warn!(bot_id, error = %e, "the language model's API key cannot be unsealed; answering without the model");
                return Ok(None);
            }
        };
        let timeout = Duration::from_millis(u64::try_from(record.timeout_ms).unwrap_or(DEFAULT_LLM_TIMEOUT_MS as u64));
        Ok(Some((LlmConfig { base_url, model: record.model, api_key, timeout }, record.instructions)))
    }
}
