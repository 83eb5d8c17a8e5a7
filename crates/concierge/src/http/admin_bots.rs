//! Admin API: bots and their Custom Authentication settings.

use axum::http::{header, StatusCode};

use super::dto::*;
use super::error::ApiError;
use super::error::ErrorBody;
use super::extract::{Admin, ApiJson, ApiPath, Client};
use super::responses::{AdminErrors, JsonErrors, LookupErrors};
use axum::extract::State;
use axum::Json;
use concierge_core::{AuthTestInput, BotPatch, ContactMatch, Services, WidgetFields};

type ApiResult<T> = Result<T, ApiError>;

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
pub async fn get_bot(
    State(s): State<Services>,
    Admin(who): Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<BotDto>> {
    Ok(Json(s.bot_for(&who, &id).await?.into()))
}

/// Change a bot's name and appearance; fields left out keep their value.
#[utoipa::path(patch, path = "/api/admin/v1/bots/{id}", tag = "bots", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = PatchBotBody,
    responses((status = 200, body = BotDto), AdminErrors, LookupErrors, JsonErrors))]
pub async fn patch_bot(
    State(s): State<Services>,
    Admin(who): Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PatchBotBody>,
) -> ApiResult<Json<BotDto>> {
    let patch = BotPatch {
        name: body.name,
        color: body.color,
        greeting: body.greeting,
        signin_text: body.signin_text,
        confidence_threshold: body.confidence_threshold,
        not_sure_text: body.not_sure_text,
        handoff_text: body.handoff_text,
        rules: body.rules,
    };
    Ok(Json(s.update_bot(&who, &id, patch).await?.into()))
}

/// Read a bot's Custom Authentication settings, with its signing secret.
#[utoipa::path(get, path = "/api/admin/v1/bots/{id}/custom-auth", tag = "custom-auth", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = CustomAuthDto), AdminErrors, LookupErrors))]
pub async fn get_custom_auth(
    State(s): State<Services>,
    Admin(who): Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<CustomAuthDto>> {
    Ok(Json((&s.bot_auth_for(&who, &id).await?).into()))
}

/// Replace a bot's Custom Authentication settings.
#[utoipa::path(put, path = "/api/admin/v1/bots/{id}/custom-auth", tag = "custom-auth", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = CustomAuthBody,
    responses((status = 200, body = CustomAuthDto), AdminErrors, LookupErrors, JsonErrors))]
pub async fn put_custom_auth(
    State(s): State<Services>,
    Admin(who): Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CustomAuthBody>,
) -> ApiResult<Json<CustomAuthDto>> {
    s.bot_for(&who, &id).await?;
    Ok(Json((&s.put_custom_auth(&id, body.into()).await?).into()))
}

/// Generate a new signing secret; the previous one keeps signing during the grace period.
#[utoipa::path(post, path = "/api/admin/v1/bots/{id}/custom-auth/rotate-secret", tag = "custom-auth",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = CustomAuthDto), AdminErrors, LookupErrors))]
pub async fn rotate_secret(
    State(s): State<Services>,
    Admin(who): Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<CustomAuthDto>> {
    s.bot_for(&who, &id).await?;
    Ok(Json((&s.rotate_secret(&id).await?).into()))
}

/// Read the static headers' values, which every other answer masks: for replaying a test
/// call against an endpoint that checks its key. A POST, so that a signed-in browser must
/// send its X-CSRF-Token; the answer is not stored by caches.
#[utoipa::path(post, path = "/api/admin/v1/bots/{id}/custom-auth/headers/reveal", tag = "custom-auth",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = StaticHeadersDto), AdminErrors, LookupErrors))]
pub async fn reveal_headers(
    State(s): State<Services>,
    Admin(who): Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<([(header::HeaderName, &'static str); 1], Json<StaticHeadersDto>)> {
    let headers = s.reveal_static_headers(&who, &id).await?;
    let headers = headers.into_iter().map(|h| StaticHeaderDto { name: h.name, value: h.value }).collect();
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(StaticHeadersDto { headers })))
}

/// Send a test request to the Authentication URL and report everything, writing nothing
/// but the attempt log.
#[utoipa::path(post, path = "/api/admin/v1/bots/{id}/custom-auth/test", tag = "custom-auth",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = AuthTestBody,
    responses((status = 200, body = AuthTestDto), AdminErrors, LookupErrors, JsonErrors))]
pub async fn test_custom_auth(
    State(s): State<Services>,
    Admin(who): Admin,
    Client(client): Client,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AuthTestBody>,
) -> ApiResult<Json<AuthTestDto>> {
    let input = AuthTestInput {
        access_token: body.access_token,
        fields: WidgetFields {
            user_id: body.user_id,
            email: body.email,
            name: body.name,
            phone_number: body.phone_number,
        },
    };
    let report = s.test_custom_auth(&who, &id, input, client).await?;
    let (outcome, identifier, profile) = match report.result {
        Ok((profile, identifier)) => (
            OutcomeDto {
                code: "ok".into(),
                message: format!(
                    "Authenticated: the contact is identified by {} {:?}.",
                    identifier.method().label(),
                    identifier.value()
                ),
            },
            Some(identifier.value().to_owned()),
            Some(profile),
        ),
        Err(f) => (OutcomeDto { code: f.code.as_str().into(), message: f.message }, None, None),
    };
    let contact = report.contact.map(|m| match m {
        ContactMatch::Existing { contact_id } => {
            ContactMatchDto { status: "existing".into(), contact_id: Some(contact_id) }
        }
        ContactMatch::New => ContactMatchDto { status: "new".into(), contact_id: None },
    });
    let trace = report.trace;
    Ok(Json(AuthTestDto {
        ok: outcome.code == "ok",
        outcome,
        identify_method: report.identify_method.as_str().into(),
        identifier,
        profile,
        contact,
        duration_ms: trace.as_ref().map(|t| t.duration.as_millis() as u64).unwrap_or(0),
        curl: trace.as_ref().map(|t| t.curl_command()),
        request: trace.as_ref().map(|t| t.request.clone()),
        response: trace.and_then(|t| t.response),
    }))
}
