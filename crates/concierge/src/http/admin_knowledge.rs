//! Admin API: a bot's knowledge base, and "Try a question" against it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::dto::{ArticleBody, ArticleDto, ArticleListDto, AskBody, AskDto};
use super::error::ApiResult;
use super::extract::{AdminPath, ApiJson};
use super::responses::{AdminErrors, JsonErrors, LookupErrors};
use concierge_core::Services;

/// A bot's id and one of its articles' ids.
type ArticlePath = AdminPath<(String, String)>;

/// Add an article to the bot's knowledge base.
#[utoipa::path(post, path = "/api/admin/v1/bots/{id}/articles", tag = "knowledge", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ArticleBody,
    responses((status = 201, body = ArticleDto), AdminErrors, LookupErrors, JsonErrors))]
pub async fn create_article(
    State(s): State<Services>,
    AdminPath { who, id }: AdminPath,
    ApiJson(body): ApiJson<ArticleBody>,
) -> ApiResult<(StatusCode, Json<ArticleDto>)> {
    let article = s.create_article(&who, &id, &body.into()).await?;
    Ok((StatusCode::CREATED, Json(article.into())))
}

/// The bot's articles, oldest first.
#[utoipa::path(get, path = "/api/admin/v1/bots/{id}/articles", tag = "knowledge", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = ArticleListDto), AdminErrors, LookupErrors))]
pub async fn list_articles(
    State(s): State<Services>,
    AdminPath { who, id }: AdminPath,
) -> ApiResult<Json<ArticleListDto>> {
    let items = s.list_articles(&who, &id).await?.into_iter().map(Into::into).collect();
    Ok(Json(ArticleListDto { items }))
}

/// Read an article.
#[utoipa::path(get, path = "/api/admin/v1/bots/{id}/articles/{article_id}", tag = "knowledge",
    security(("bearer" = [])), params(("id" = String, Path), ("article_id" = String, Path)),
    responses((status = 200, body = ArticleDto), AdminErrors, LookupErrors))]
pub async fn get_article(
    State(s): State<Services>,
    AdminPath { who, id: (id, article_id) }: ArticlePath,
) -> ApiResult<Json<ArticleDto>> {
    Ok(Json(s.article_for(&who, &id, &article_id).await?.into()))
}

/// Replace an article's title and body.
#[utoipa::path(put, path = "/api/admin/v1/bots/{id}/articles/{article_id}", tag = "knowledge",
    security(("bearer" = [])), params(("id" = String, Path), ("article_id" = String, Path)), request_body = ArticleBody,
    responses((status = 200, body = ArticleDto), AdminErrors, LookupErrors, JsonErrors))]
pub async fn put_article(
    State(s): State<Services>,
    AdminPath { who, id: (id, article_id) }: ArticlePath,
    ApiJson(body): ApiJson<ArticleBody>,
) -> ApiResult<Json<ArticleDto>> {
    Ok(Json(s.update_article(&who, &id, &article_id, &body.into()).await?.into()))
}

/// Remove an article.
#[utoipa::path(delete, path = "/api/admin/v1/bots/{id}/articles/{article_id}", tag = "knowledge",
    security(("bearer" = [])), params(("id" = String, Path), ("article_id" = String, Path)),
    responses((status = 204, description = "Removed"), AdminErrors, LookupErrors))]
pub async fn delete_article(
    State(s): State<Services>,
    AdminPath { who, id: (id, article_id) }: ArticlePath,
) -> ApiResult<StatusCode> {
    s.delete_article(&who, &id, &article_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the bot would answer, as a given contact or an anonymous visitor; writes nothing.
#[utoipa::path(post, path = "/api/admin/v1/bots/{id}/ask", tag = "knowledge", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = AskBody,
    responses((status = 200, body = AskDto), AdminErrors, LookupErrors, JsonErrors))]
pub async fn ask(
    State(s): State<Services>,
    AdminPath { who, id }: AdminPath,
    ApiJson(body): ApiJson<AskBody>,
) -> ApiResult<Json<AskDto>> {
    let preview = s.preview_answer(&who, &id, &body.text, body.contact_id.as_deref()).await?;
    Ok(Json(preview.into()))
}
