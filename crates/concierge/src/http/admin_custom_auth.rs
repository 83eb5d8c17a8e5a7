//! Admin API: a bot's Custom Authentication settings, its signing secret, its static
//! headers and the test request.

use axum::extract::State;
use axum::http::header;
use axum::Json;
use concierge_core::{AuthTestInput, ContactMatch, Services, WidgetFields};
use concierge_domain::AttemptOutcome;

use super::dto::*;
use super::error::ApiError;
use super::extract::{Admin, ApiJson, ApiPath, Client};
use super::responses::{AdminErrors, JsonErrors, LookupErrors};

type ApiResult<T> = Result<T, ApiError>;

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
    let ok = report.result.is_ok();
    let (outcome, identifier, profile) = match report.result {
        Ok((profile, identifier)) => (
            OutcomeDto {
                code: AttemptOutcome::Ok.as_str().into(),
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
        ok,
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
