//! The admin API's settings of a bot's optional language model.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use concierge_core::{LlmInput, LlmView};

/// The settings as read: the API key is write-only.
#[derive(Serialize, ToSchema)]
pub struct LlmDto {
    pub enabled: bool,
    /// e.g. `https://api.openai.com/v1`; the bot POSTs to `{base_url}/chat/completions`.
    pub base_url: String,
    pub model: String,
    /// Whether an API key is stored; the key itself is never shown.
    pub api_key_set: bool,
    /// How long the bot waits for the model's first words and between pieces, 1,000 to
    /// 60,000 ms; after that it answers from the knowledge base.
    pub timeout_ms: i64,
    /// The operator's instructions to the model (tone, scope).
    pub instructions: String,
}

impl From<LlmView> for LlmDto {
    fn from(v: LlmView) -> Self {
        Self {
            enabled: v.enabled,
            base_url: v.base_url,
            model: v.model,
            api_key_set: v.api_key_set,
            timeout_ms: v.timeout_ms,
            instructions: v.instructions,
        }
    }
}

/// New settings (PUT: missing optional fields take their defaults).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LlmBody {
    pub enabled: bool,
    #[serde(default)]
    pub base_url: String,
    #[serde(default)]
    pub model: String,
    /// Absent or null keeps the stored key; `""` removes it.
    pub api_key: Option<String>,
    #[schema(minimum = 1000, maximum = 60_000)]
    pub timeout_ms: Option<i64>,
    pub instructions: Option<String>,
    /// Read-only; accepted so that a GET answer can be sent back as it is.
    #[serde(default)]
    #[schema(read_only)]
    #[allow(dead_code)]
    pub api_key_set: Option<bool>,
}

impl From<LlmBody> for LlmInput {
    fn from(b: LlmBody) -> Self {
        // Taken apart whole, so that a field added to the body cannot be left out here.
        let LlmBody { enabled, base_url, model, api_key, timeout_ms, instructions, api_key_set: _ } = b;
        Self { enabled, base_url, model, api_key, timeout_ms, instructions }
    }
}
