//! Admin API: the questions the bot handed to the team for want of an article.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::dto::{AnswerWithArticleBody, ArticleDto, UnansweredPageDto, UnansweredQuery};
use super::error::ApiResult;
use super::extract::{AdminPath, ApiJson, ApiQuery};
use super::responses::{AdminErrors, JsonErrors, LookupErrors, StateErrors};
use concierge_core::Services;

/// The bot's unanswered questions, newest first, each with what the bot does with it today.
#[utoipa::path(get, path = "/api/admin/v1/bots/{id}/unanswered", tag = "knowledge", security(("bearer" = [])),
    params(("id" = String, Path), UnansweredQuery),
    responses((status = 200, body = UnansweredPageDto), AdminErrors, LookupErrors))]
pub async fn list_unanswered(
    State(s): State<Services>,
    AdminPath { who, id }: AdminPath,
    ApiQuery(q): ApiQuery<UnansweredQuery>,
) -> ApiResult<Json<UnansweredPageDto>> {
    let before = q.before()?;
    Ok(Json(s.unanswered_questions(&who, &id, before, q.limit.unwrap_or(0)).await?.into()))
}

/// Dismiss a question: its article is written, or it needs none.
#[utoipa::path(delete, path = "/api/admin/v1/bots/{id}/unanswered/{question_id}", tag = "knowledge",
    security(("bearer" = [])), params(("id" = String, Path), ("question_id" = i64, Path)),
    responses((status = 204, description = "Dismissed"), AdminErrors, LookupErrors))]
pub async fn dismiss_unanswered(
    State(s): State<Services>,
    AdminPath { who, id: (id, question_id) }: AdminPath<(String, String)>,
) -> ApiResult<StatusCode> {
    s.dismiss_unanswered(&who, &id, &question_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Answer a question with one of the bot's articles: the question's words, or `asked_as`,
/// the operator's edit of them, become one of the ways the article is asked (its
/// `asked_as`), so the bot answers them, and questions worded like them, with it; the
/// question leaves the list. Both or neither. The answer is the article as it is now. 409
/// `question_too_long` for a question over 200 characters without an edited wording,
/// `article_asked_as_full` for an article asked in 50 ways already.
#[utoipa::path(post, path = "/api/admin/v1/bots/{id}/unanswered/{question_id}/answer", tag = "knowledge",
    security(("bearer" = [])), params(("id" = String, Path), ("question_id" = i64, Path)),
    request_body = AnswerWithArticleBody,
    responses((status = 200, body = ArticleDto), AdminErrors, LookupErrors, JsonErrors, StateErrors))]
pub async fn answer_with_article(
    State(s): State<Services>,
    AdminPath { who, id: (id, question_id) }: AdminPath<(String, String)>,
    ApiJson(body): ApiJson<AnswerWithArticleBody>,
) -> ApiResult<Json<ArticleDto>> {
    let answered =
        s.answer_unanswered_with(&who, &id, &question_id, &body.article_id, body.asked_as.as_deref()).await?;
    Ok(Json(answered.into()))
}
