//! Admin API: a bot's knowledge base, and "Try a question" against it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::trimmed_text;
use super::error::ApiError;
use super::extract::{Admin, ApiJson, ApiPath};
use super::responses::{AdminErrors, JsonErrors, LookupErrors};
use concierge_core::{rfc3339, ArticleInput, Preview, Reply, Services};

type ApiResult<T> = Result<T, ApiError>;

/// An article: its `title`, and its `body`, the answer in Markdown, a template that may use
/// the contact's verified data (docs/bot.md).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleBody {
    // A field with `schema_with` keeps no doc comment in the document: the type says it.
    #[schema(schema_with = trimmed_text::<{ concierge_core::MAX_ARTICLE_TITLE }>)]
    pub title: String,
    #[schema(schema_with = trimmed_text::<{ concierge_core::MAX_ARTICLE_BODY }>)]
    pub body: String,
}

impl From<ArticleBody> for ArticleInput {
    fn from(b: ArticleBody) -> Self {
        Self { title: b.title, body: b.body }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ArticleDto {
    pub id: String,
    pub bot_id: String,
    pub title: String,
    pub body: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<concierge_store::Article> for ArticleDto {
    fn from(a: concierge_store::Article) -> Self {
        Self {
            id: a.id,
            bot_id: a.bot_id,
            title: a.title,
            body: a.body,
            created_at: rfc3339(a.created_at),
            updated_at: rfc3339(a.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ArticleListDto {
    pub items: Vec<ArticleDto>,
}

/// Add an article to the bot's knowledge base.
#[utoipa::path(post, path = "/api/admin/v1/bots/{id}/articles", tag = "knowledge", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ArticleBody,
    responses((status = 201, body = ArticleDto), AdminErrors, LookupErrors, JsonErrors))]
pub async fn create_article(
    State(s): State<Services>,
    Admin(who): Admin,
    ApiPath(id): ApiPath<String>,
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
    Admin(who): Admin,
    ApiPath(id): ApiPath<String>,
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
    Admin(who): Admin,
    ApiPath((id, article_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<ArticleDto>> {
    Ok(Json(s.article_for(&who, &id, &article_id).await?.into()))
}

/// Replace an article's title and body.
#[utoipa::path(put, path = "/api/admin/v1/bots/{id}/articles/{article_id}", tag = "knowledge",
    security(("bearer" = [])), params(("id" = String, Path), ("article_id" = String, Path)), request_body = ArticleBody,
    responses((status = 200, body = ArticleDto), AdminErrors, LookupErrors, JsonErrors))]
pub async fn put_article(
    State(s): State<Services>,
    Admin(who): Admin,
    ApiPath((id, article_id)): ApiPath<(String, String)>,
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
    Admin(who): Admin,
    ApiPath((id, article_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    s.delete_article(&who, &id, &article_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A question: `text`, what a visitor would write, and whom it is asked as.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskBody {
    #[schema(schema_with = trimmed_text::<{ concierge_domain::MAX_MESSAGE_CHARS }>)]
    pub text: String,
    /// Answer as this contact would be answered (its verified profile and metadata);
    /// absent: an anonymous visitor.
    pub contact_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RankedArticleDto {
    pub id: String,
    pub title: String,
    /// BM25.
    pub score: f32,
    /// 0 to 100: how much of the question the article covers.
    pub confidence: u8,
}

#[derive(Serialize, ToSchema)]
pub struct AskDto {
    /// `answer`, `handoff` (to the team) or `generate` (the language model writes it, with
    /// `text` as the fallback).
    pub action: String,
    /// What the bot would say (plain text).
    pub text: String,
    /// For a handoff: `normal` or `high`.
    pub priority: Option<String>,
    /// For a handoff: `asked`, `rule` or `not_sure`.
    pub reason: Option<String>,
    /// The rule that decided, if one did.
    pub rule: Option<String>,
    /// Ranked articles, best first.
    pub articles: Vec<RankedArticleDto>,
    /// The bot's confidence threshold, 0 to 100.
    pub confidence_threshold: i64,
}

impl AskDto {
    fn new(preview: Preview) -> Self {
        let threshold = preview.confidence_threshold;
        let (action, text, priority, reason) = match preview.decision.reply {
            Reply::Answer { text } => ("answer", text.text, None, None),
            Reply::Handoff { text, priority, reason } => {
                ("handoff", text.text, Some(priority.as_str().to_owned()), Some(reason.as_str().to_owned()))
            }
            Reply::Generate { fallback } => ("generate", fallback.text, None, None),
        };
        let articles = preview
            .decision
            .hits
            .iter()
            .zip(preview.articles)
            .map(|(hit, article)| RankedArticleDto {
                id: article.id,
                title: article.title,
                score: hit.score,
                confidence: (hit.confidence * 100.0).round().clamp(0.0, 100.0) as u8,
            })
            .collect();
        Self {
            action: action.to_owned(),
            text,
            priority,
            reason,
            rule: preview.decision.rule,
            articles,
            confidence_threshold: threshold,
        }
    }
}

/// What the bot would answer, as a given contact or an anonymous visitor; writes nothing.
#[utoipa::path(post, path = "/api/admin/v1/bots/{id}/ask", tag = "knowledge", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = AskBody,
    responses((status = 200, body = AskDto), AdminErrors, LookupErrors, JsonErrors))]
pub async fn ask(
    State(s): State<Services>,
    Admin(who): Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AskBody>,
) -> ApiResult<Json<AskDto>> {
    let preview = s.preview_answer(&who, &id, &body.text, body.contact_id.as_deref()).await?;
    Ok(Json(AskDto::new(preview)))
}
