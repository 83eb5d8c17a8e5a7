//! Admin API: bots (their Custom Authentication settings are in `admin_custom_auth`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use concierge_core::Services;

use super::dto::*;
use super::error::{ApiResult, ErrorBody};
use super::extract::{Admin, AdminBot, AdminPath, ApiJson};
use super::responses::{AdminErrors, JsonErrors, LookupErrors};

/// Create a bot.
#[utoipa::path(post, path = "/api/admin/v1/bots", tag = "bots", request_body = CreateBotBody,
    security(("bearer" = [])),
    responses((status = 201, body = BotDto), AdminErrors, JsonErrors,
        (status = 404, body = ErrorBody, description = "`workspace_id` names no workspace the caller may use.")))]
pub async fn create_bot(
    State(s): State<Services>,
    Admin(who): Admin,
    ApiJson(body): ApiJson<CreateBotBody>,
) -> ApiResult<(StatusCode, Json<BotDto>)> {
    let (bot, _) = s.create_bot(&who, &body.name, body.workspace_id.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(bot.into())))
}

/// List the bots of the caller's workspace.
#[utoipa::path(get, path = "/api/admin/v1/bots", tag = "bots", security(("bearer" = [])),
    responses((status = 200, body = BotListDto), AdminErrors))]
pub async fn list_bots(State(s): State<Services>, Admin(who): Admin) -> ApiResult<Json<BotListDto>> {
    let items = s.list_bots(&who).await?.into_iter().map(Into::into).collect();
    Ok(Json(BotListDto { items }))
}

/// Read a bot.
#[utoipa::path(get, path = "/api/admin/v1/bots/{id}", tag = "bots", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = BotDto), AdminErrors, LookupErrors))]
pub async fn get_bot(AdminBot(bot): AdminBot) -> Json<BotDto> {
    Json(bot.into())
}

/// Change a bot's name and appearance; fields left out keep their value.
#[utoipa::path(patch, path = "/api/admin/v1/bots/{id}", tag = "bots", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = PatchBotBody,
    responses((status = 200, body = BotDto), AdminErrors, LookupErrors, JsonErrors))]
pub async fn patch_bot(
    State(s): State<Services>,
    AdminPath { who, id }: AdminPath,
    ApiJson(body): ApiJson<PatchBotBody>,
) -> ApiResult<Json<BotDto>> {
    Ok(Json(s.update_bot(&who, &id, body.into()).await?.into()))
}
