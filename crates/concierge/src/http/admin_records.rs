//! Admin API: contacts and the authentication attempt log.

use axum::extract::State;
use axum::Json;
use concierge_store::{AttemptFilter, Page};

use super::dto::*;
use super::error::ApiError;
use super::extract::{Admin, ApiPath, ApiQuery};
use super::responses::{AdminErrors, LookupErrors};
use concierge_core::{Error, Services};
use concierge_domain::AttemptOutcome;

type ApiResult<T> = Result<T, ApiError>;

/// A bot's contacts, most recently created first.
#[utoipa::path(get, path = "/api/admin/v1/bots/{id}/contacts", tag = "contacts", security(("bearer" = [])),
    params(("id" = String, Path), PageQuery),
    responses((status = 200, body = ContactPageDto), AdminErrors, LookupErrors))]
pub async fn list_contacts(
    State(s): State<Services>,
    Admin(who): Admin,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<ContactPageDto>> {
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let items =
        s.list_contacts(&who, &id, Page { before: q.before.as_deref(), limit, search: q.search.as_deref() }).await?;
    let next_cursor = (items.len() == limit as usize).then(|| items.last().map(|c| c.id.clone())).flatten();
    Ok(Json(ContactPageDto { items: items.into_iter().map(Into::into).collect(), next_cursor }))
}

/// One contact with its verified profile and metadata.
#[utoipa::path(get, path = "/api/admin/v1/contacts/{id}", tag = "contacts", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ContactDto), AdminErrors, LookupErrors))]
pub async fn get_contact(
    State(s): State<Services>,
    Admin(who): Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ContactDto>> {
    Ok(Json(s.contact_for(&who, &id).await?.into()))
}

/// A bot's authentication attempts, newest first.
#[utoipa::path(get, path = "/api/admin/v1/bots/{id}/auth-attempts", tag = "custom-auth", security(("bearer" = [])),
    params(("id" = String, Path), AttemptQuery),
    responses((status = 200, body = AttemptPageDto), AdminErrors, LookupErrors))]
pub async fn list_attempts(
    State(s): State<Services>,
    Admin(who): Admin,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<AttemptQuery>,
) -> ApiResult<Json<AttemptPageDto>> {
    let outcome = match q.outcome.as_deref() {
        None => None,
        Some(outcome) => Some(outcome.parse::<AttemptOutcome>().map_err(|_| Error::BadRequest {
            code: "invalid_query",
            message: format!("outcome must be ok or an error code such as invalid_token, not {outcome:?}."),
        })?),
    };
    let since = match q.since.as_deref() {
        None => None,
        Some(t) => Some(
            chrono::DateTime::parse_from_rfc3339(t)
                .map_err(|_| Error::BadRequest {
                    code: "invalid_query",
                    message: format!("since must be an RFC 3339 time such as 2026-01-31T12:00:00Z, not {t:?}."),
                })?
                .timestamp_millis(),
        ),
    };
    let filter = AttemptFilter { outcome, since, before: q.before.as_deref(), limit: q.limit.unwrap_or(50) };
    let page = s.list_attempts(&who, &id, filter).await?;
    Ok(Json(AttemptPageDto { items: page.items.into_iter().map(Into::into).collect(), next_cursor: page.next_cursor }))
}
