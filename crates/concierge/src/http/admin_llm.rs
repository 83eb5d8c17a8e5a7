//! Admin API: a bot's optional language model (an OpenAI-compatible endpoint).

use axum::extract::State;
use axum::Json;

use super::dto::{LlmBody, LlmDto};
use super::error::ApiResult;
use super::extract::{AdminPath, ApiJson};
use super::responses::{AdminErrors, JsonErrors, LookupErrors};
use concierge_core::Services;

/// Read the bot's language model settings.
#[utoipa::path(get, path = "/api/admin/v1/bots/{id}/llm", tag = "bots", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = LlmDto), AdminErrors, LookupErrors))]
pub async fn get_llm(State(s): State<Services>, AdminPath { who, id }: AdminPath) -> ApiResult<Json<LlmDto>> {
    Ok(Json(s.llm_settings(&who, &id).await?.into()))
}

/// Replace the bot's language model settings.
#[utoipa::path(put, path = "/api/admin/v1/bots/{id}/llm", tag = "bots", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = LlmBody,
    responses((status = 200, body = LlmDto), AdminErrors, LookupErrors, JsonErrors))]
pub async fn put_llm(
    State(s): State<Services>,
    AdminPath { who, id }: AdminPath,
    ApiJson(body): ApiJson<LlmBody>,
) -> ApiResult<Json<LlmDto>> {
    Ok(Json(s.put_llm_settings(&who, &id, body.into()).await?.into()))
}
