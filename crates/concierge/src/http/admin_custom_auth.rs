//! Admin API: a bot's Custom Authentication settings, its signing secret, its static
//! headers and the test request.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::Json;
use concierge_core::Services;

use super::dto::*;
use super::error::ApiResult;
use super::extract::{AdminBot, AdminPath, ApiJson, Client};
use super::responses::{AdminErrors, JsonErrors, LookupErrors, StateErrors};

/// Read a bot's Custom Authentication settings, with its signing secret.
#[utoipa::path(get, path = "/api/admin/v1/bots/{id}/custom-auth", tag = "custom-auth", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = CustomAuthDto), AdminErrors, LookupErrors))]
pub async fn get_custom_auth(
    State(s): State<Services>,
    AdminPath { who, id }: AdminPath,
) -> ApiResult<Json<CustomAuthDto>> {
    Ok(Json((&s.bot_auth_for(&who, &id).await?).into()))
}

/// Replace a bot's Custom Authentication settings.
#[utoipa::path(put, path = "/api/admin/v1/bots/{id}/custom-auth", tag = "custom-auth", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = CustomAuthBody,
    responses((status = 200, body = CustomAuthDto), AdminErrors, LookupErrors, JsonErrors))]
pub async fn put_custom_auth(
    State(s): State<Services>,
    AdminPath { who, id }: AdminPath,
    ApiJson(body): ApiJson<CustomAuthBody>,
) -> ApiResult<Json<CustomAuthDto>> {
    // Checked after the body is read rather than by `AdminBot`, so that a body that cannot
    // be read is refused as such whichever bot the path names.
    s.bot_for(&who, &id).await?;
    Ok(Json((&s.put_custom_auth(&id, body.into()).await?).into()))
}

/// Generate a new signing secret; the one it replaces keeps signing during the grace
/// period, and so do those an earlier rotation within their grace period replaced.
#[utoipa::path(post, path = "/api/admin/v1/bots/{id}/custom-auth/rotate-secret", tag = "custom-auth",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = CustomAuthDto), AdminErrors, LookupErrors))]
pub async fn rotate_secret(State(s): State<Services>, AdminBot(bot): AdminBot) -> ApiResult<Json<CustomAuthDto>> {
    Ok(Json((&s.rotate_secret(&bot.id).await?).into()))
}

/// Empty the bot's auth result cache: the next session start of every person calls the
/// Authentication URL again, on every instance.
#[utoipa::path(delete, path = "/api/admin/v1/bots/{id}/custom-auth/cache", tag = "custom-auth",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204, description = "The cache is empty"), AdminErrors, LookupErrors))]
pub async fn clear_cache(State(s): State<Services>, AdminPath { who, id }: AdminPath) -> ApiResult<StatusCode> {
    s.clear_auth_cache(&who, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Read the static headers' values, which every other answer masks: for replaying a test
/// call against an endpoint that checks its key. A POST, so that a signed-in browser must
/// send its X-CSRF-Token; the answer is not stored by caches.
#[utoipa::path(post, path = "/api/admin/v1/bots/{id}/custom-auth/headers/reveal", tag = "custom-auth",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = StaticHeadersDto), AdminErrors, LookupErrors))]
pub async fn reveal_headers(
    State(s): State<Services>,
    AdminPath { who, id }: AdminPath,
) -> ApiResult<([(header::HeaderName, &'static str); 1], Json<StaticHeadersDto>)> {
    let headers = s.reveal_static_headers(&who, &id).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(headers.into())))
}

/// Send a test request to the Authentication URL and report everything, writing nothing
/// but the attempt log.
#[utoipa::path(post, path = "/api/admin/v1/bots/{id}/custom-auth/test", tag = "custom-auth",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = AuthTestBody,
    responses((status = 200, body = AuthTestDto), AdminErrors, LookupErrors, JsonErrors, StateErrors))]
pub async fn test_custom_auth(
    State(s): State<Services>,
    AdminPath { who, id }: AdminPath,
    Client(client): Client,
    ApiJson(body): ApiJson<AuthTestBody>,
) -> ApiResult<Json<AuthTestDto>> {
    Ok(Json(s.test_custom_auth(&who, &id, body.into(), client).await?.into()))
}
