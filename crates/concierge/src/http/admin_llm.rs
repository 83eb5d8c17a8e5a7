//! Admin API: a bot's optional language model (an OpenAI-compatible endpoint).

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::{Admin, ApiJson, ApiPath};
use super::responses::{AdminErrors, JsonErrors, LookupErrors};
use concierge_core::{LlmInput, LlmView, Services};

type ApiResult<T> = Result<T, ApiError>;

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

/// Read the bot's language model settings.
#[utoipa::path(get, path = "/api/admin/v1/bots/{id}/llm", tag = "bots", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = LlmDto), AdminErrors, LookupErrors))]
pub async fn get_llm(
    State(s): State<Services>,
    Admin(who): Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<LlmDto>> {
    Ok(Json(s.llm_settings(&who, &id).await?.into()))
}

/// Replace the bot's language model settings.
#[utoipa::path(put, path = "/api/admin/v1/bots/{id}/llm", tag = "bots", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = LlmBody,
    responses((status = 200, body = LlmDto), AdminErrors, LookupErrors, JsonErrors))]
pub async fn put_llm(
    State(s): State<Services>,
    Admin(who): Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<LlmBody>,
) -> ApiResult<Json<LlmDto>> {
    let input = LlmInput {
        enabled: body.enabled,
        base_url: body.base_url,
        model: body.model,
        api_key: body.api_key,
        timeout_ms: body.timeout_ms,
        instructions: body.instructions,
    };
    Ok(Json(s.put_llm_settings(&who, &id, input).await?.into()))
}
