//! Admin API: a bot's identity settings (the mode and each mode's settings) and the keys
//! Concierge generates for the modes.

use axum::extract::State;
use axum::Json;
use concierge_core::Services;

use super::dto::*;
use super::error::ApiResult;
use super::extract::{AdminBot, AdminPath, ApiJson, Client};
use super::responses::{AdminErrors, JsonErrors, LookupErrors, StateErrors};

/// Read a bot's identity settings, with the keys of its signed user tokens and identity
/// hashes.
#[utoipa::path(get, path = "/api/admin/v1/bots/{id}/identity", tag = "identity", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = IdentityDto), AdminErrors, LookupErrors))]
pub async fn get_identity(State(s): State<Services>, AdminPath { who, id }: AdminPath) -> ApiResult<Json<IdentityDto>> {
    Ok(Json((&s.identity_for(&who, &id).await?).into()))
}

/// Change a bot's identity settings.
#[utoipa::path(put, path = "/api/admin/v1/bots/{id}/identity", tag = "identity", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = IdentityBody,
    responses((status = 200, body = IdentityDto), AdminErrors, LookupErrors, JsonErrors))]
pub async fn put_identity(
    State(s): State<Services>,
    AdminPath { who, id }: AdminPath,
    ApiJson(body): ApiJson<IdentityBody>,
) -> ApiResult<Json<IdentityDto>> {
    s.bot_for(&who, &id).await?;
    Ok(Json((&s.put_identity(&id, body.into()).await?).into()))
}

/// Add a key for signed user tokens (HS256/384/512); the others stay valid until deleted.
/// At most five.
#[utoipa::path(post, path = "/api/admin/v1/bots/{id}/identity/jwt/keys", tag = "identity",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = IdentityDto), AdminErrors, LookupErrors, StateErrors))]
pub async fn add_jwt_key(State(s): State<Services>, AdminBot(bot): AdminBot) -> ApiResult<Json<IdentityDto>> {
    Ok(Json((&s.add_jwt_key(&bot.id).await?).into()))
}

/// Delete a key of signed user tokens: tokens that name it are refused from now on. The
/// last key cannot be deleted.
#[utoipa::path(delete, path = "/api/admin/v1/bots/{id}/identity/jwt/keys/{kid}", tag = "identity",
    security(("bearer" = [])), params(("id" = String, Path), ("kid" = String, Path)),
    responses((status = 200, body = IdentityDto), AdminErrors, LookupErrors, StateErrors))]
pub async fn delete_jwt_key(
    State(s): State<Services>,
    AdminPath { who, id: (id, kid) }: AdminPath<(String, String)>,
) -> ApiResult<Json<IdentityDto>> {
    s.bot_for(&who, &id).await?;
    Ok(Json((&s.delete_jwt_key(&id, &kid).await?).into()))
}

/// Replace the identity hash key; hashes made with the old one are still accepted during the
/// rotation grace period (24 h by default), as with the signing secret.
#[utoipa::path(post, path = "/api/admin/v1/bots/{id}/identity/identity-hash/rotate-secret", tag = "identity",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = IdentityDto), AdminErrors, LookupErrors))]
pub async fn rotate_identity_hash_secret(
    State(s): State<Services>,
    AdminBot(bot): AdminBot,
) -> ApiResult<Json<IdentityDto>> {
    Ok(Json((&s.rotate_identity_hash_secret(&bot.id).await?).into()))
}

/// Try the bot's identity mode on what a page would present (whether or not the bot
/// identifies visitors yet): the call's request and response, or the token's header,
/// claims and verdict, and the contact it would match. Writes nothing but the attempt log.
#[utoipa::path(post, path = "/api/admin/v1/bots/{id}/identity/test", tag = "identity",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = IdentityTestBody,
    responses((status = 200, body = AuthTestDto), AdminErrors, LookupErrors, JsonErrors, StateErrors))]
pub async fn test_identity(
    State(s): State<Services>,
    AdminPath { who, id }: AdminPath,
    Client(client): Client,
    ApiJson(body): ApiJson<IdentityTestBody>,
) -> ApiResult<Json<AuthTestDto>> {
    Ok(Json(s.test_identity(&who, &id, body.into(), client).await?.into()))
}
