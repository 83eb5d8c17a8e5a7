//! Admin API: contacts and the authentication attempt log.

use axum::extract::State;
use axum::Json;
use concierge_store::Page;

use super::dto::*;
use super::error::ApiResult;
use super::extract::{AdminPath, ApiQuery};
use super::responses::{AdminErrors, LookupErrors};
use concierge_core::Services;

/// A bot's contacts, most recently created first.
#[utoipa::path(get, path = "/api/admin/v1/bots/{id}/contacts", tag = "contacts", security(("bearer" = [])),
    params(("id" = String, Path), PageQuery),
    responses((status = 200, body = ContactPageDto), AdminErrors, LookupErrors))]
pub async fn list_contacts(
    State(s): State<Services>,
    AdminPath { who, id }: AdminPath,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<ContactPageDto>> {
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let page =
        s.list_contacts(&who, &id, Page { before: q.before.as_deref(), limit, search: q.search.as_deref() }).await?;
    Ok(Json(ContactPageDto { items: page.items.into_iter().map(Into::into).collect(), next_cursor: page.next_cursor }))
}

/// One contact with its verified profile and metadata.
#[utoipa::path(get, path = "/api/admin/v1/contacts/{id}", tag = "contacts", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ContactDto), AdminErrors, LookupErrors))]
pub async fn get_contact(State(s): State<Services>, AdminPath { who, id }: AdminPath) -> ApiResult<Json<ContactDto>> {
    Ok(Json(s.contact_for(&who, &id).await?.into()))
}

/// A bot's authentication attempts, newest first.
#[utoipa::path(get, path = "/api/admin/v1/bots/{id}/auth-attempts", tag = "custom-auth", security(("bearer" = [])),
    params(("id" = String, Path), AttemptQuery),
    responses((status = 200, body = AttemptPageDto), AdminErrors, LookupErrors))]
pub async fn list_attempts(
    State(s): State<Services>,
    AdminPath { who, id }: AdminPath,
    ApiQuery(q): ApiQuery<AttemptQuery>,
) -> ApiResult<Json<AttemptPageDto>> {
    let filter = q.filter()?;
    Ok(Json(s.list_attempts(&who, &id, filter).await?.into()))
}
