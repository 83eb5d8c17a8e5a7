//! The knowledge base: the articles the bot answers from (list, write, edit, delete), with
//! "Try a question" on the list page (see `preview.rs`).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use concierge_domain::FieldError;
use concierge_store::{Article, Bot};
use minijinja::context;
use serde::Deserialize;

use super::super::bots::principal;
use super::super::records::when;
use super::super::{render, SignedIn};
use super::{by_field, failure, form_bot, page_context, preview, CsrfOnly};
use crate::http::responses::{FormErrors, SignInRequired};
use concierge_core::{ArticleInput, Error, Services};

/// How much of an article's text the list shows.
const EXCERPT_CHARS: usize = 140;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KnowledgeQuery {
    /// A question to try: the page shows what the bot would answer.
    question: Option<String>,
    /// Answer the question as this contact would be answered; empty: an anonymous visitor.
    contact: Option<String>,
    /// What the last form did: `created`, `saved` or `deleted`.
    done: Option<String>,
}

/// An article as written in the form.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ArticleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    /// Markdown, and a template.
    #[serde(default)]
    body: String,
}

/// The article's text on one line, without Markdown, cut to a glance.
fn excerpt(body: &str) -> String {
    let text = concierge_bot::markdown_to_text(body);
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= EXCERPT_CHARS {
        return line;
    }
    let cut: String = line.chars().take(EXCERPT_CHARS).collect();
    format!("{}…", cut.trim_end())
}

/// The bot's articles, and the "Try a question" form with its answer when one was asked.
#[utoipa::path(get, path = "/bots/{id}/knowledge", tag = "dashboard", security(("login" = [])), params(("id" = String, Path), KnowledgeQuery),
    responses(SignInRequired, (status = 200, description = "Articles and the Try a question form", content_type = "text/html"),
        (status = 404, description = "No such bot in this workspace", content_type = "text/html")))]
pub async fn knowledge_page(
    State(s): State<Services>,
    who: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<KnowledgeQuery>,
) -> Response {
    let me = principal(&who);
    let (bot, articles) = match bot_and_articles(&s, &who, &id).await {
        Ok(found) => found,
        Err(e) => return failure(e),
    };
    let tried = match preview::try_question(&s, &me, &id, q.question.as_deref(), q.contact.as_deref()).await {
        Ok(tried) => tried,
        Err(e) => return failure(e),
    };
    let articles: Vec<_> = articles
        .iter()
        .map(|a| {
            context! {
                id => a.id.clone(), title => a.title.clone(), excerpt => excerpt(&a.body),
                updated => when(a.updated_at),
            }
        })
        .collect();
    let notice = match q.done.as_deref() {
        Some("created") => Some("Article created."),
        Some("saved") => Some("Article saved."),
        Some("deleted") => Some("Article deleted."),
        _ => None,
    };
    let ctx = context! { articles, notice, tried, ..page_context(&who, &bot, "knowledge") };
    render(StatusCode::OK, "bot_knowledge.html", ctx)
}

async fn bot_and_articles(s: &Services, who: &SignedIn, id: &str) -> concierge_core::Result<(Bot, Vec<Article>)> {
    let me = principal(who);
    let bot = s.bot_for(&me, id).await?;
    let articles = s.list_articles(&me, id).await?;
    Ok((bot, articles))
}

/// The article form: a new article (`article` is `None`) or an existing one.
fn render_article(
    who: &SignedIn,
    bot: &Bot,
    article: Option<&Article>,
    form: &ArticleForm,
    status: StatusCode,
    errors: &[FieldError],
) -> Response {
    let known = ["title", "body"];
    let other_errors: Vec<&str> =
        errors.iter().filter(|e| !known.contains(&e.field.as_str())).map(|e| e.message.as_str()).collect();
    let ctx = context! {
        article => article.map(|a| context! { id => a.id.clone(), updated => when(a.updated_at), created => when(a.created_at) }),
        form => context! { title => form.title.clone(), body => form.body.clone() },
        errors => by_field(errors), other_errors,
        ..page_context(who, bot, "knowledge")
    };
    render(status, "bot_article.html", ctx)
}

/// The form for a new article.
#[utoipa::path(get, path = "/bots/{id}/knowledge/new", tag = "dashboard", security(("login" = [])), params(("id" = String, Path)),
    responses(SignInRequired, (status = 200, description = "New article form", content_type = "text/html"),
        (status = 404, description = "No such bot in this workspace", content_type = "text/html")))]
pub async fn new_article_page(State(s): State<Services>, who: SignedIn, Path(id): Path<String>) -> Response {
    match s.bot_for(&principal(&who), &id).await {
        Ok(bot) => {
            let form = ArticleForm { csrf: String::new(), title: String::new(), body: String::new() };
            render_article(&who, &bot, None, &form, StatusCode::OK, &[])
        }
        Err(e) => failure(e),
    }
}

/// Create an article.
#[utoipa::path(post, path = "/bots/{id}/knowledge", tag = "dashboard", security(("login" = [])), params(("id" = String, Path)),
    responses(SignInRequired, FormErrors, (status = 303, description = "Created"),
        (status = 404, description = "No such bot in this workspace", content_type = "text/html")))]
pub async fn create_article(
    State(s): State<Services>,
    who: SignedIn,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<ArticleForm>,
) -> Response {
    let (me, bot) = match form_bot(&s, &who, &headers, &form.csrf, &id).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let input = ArticleInput { title: form.title.clone(), body: form.body.clone() };
    match s.create_article(&me, &id, &input).await {
        Ok(_) => Redirect::to(&format!("/bots/{id}/knowledge?done=created")).into_response(),
        Err(Error::Validation(errors)) => {
            render_article(&who, &bot, None, &form, StatusCode::UNPROCESSABLE_ENTITY, &errors)
        }
        Err(e) => failure(e),
    }
}

/// An article's edit form.
#[utoipa::path(get, path = "/bots/{id}/knowledge/{article_id}", tag = "dashboard", security(("login" = [])),
    params(("id" = String, Path), ("article_id" = String, Path)),
    responses(SignInRequired, (status = 200, description = "Article form", content_type = "text/html"),
        (status = 404, description = "No such bot or article in this workspace", content_type = "text/html")))]
pub async fn article_page(
    State(s): State<Services>,
    who: SignedIn,
    Path((id, article_id)): Path<(String, String)>,
) -> Response {
    let me = principal(&who);
    let found = match s.bot_for(&me, &id).await {
        Ok(bot) => s.article_for(&me, &id, &article_id).await.map(|a| (bot, a)),
        Err(e) => Err(e),
    };
    match found {
        Ok((bot, article)) => {
            let form = ArticleForm { csrf: String::new(), title: article.title.clone(), body: article.body.clone() };
            render_article(&who, &bot, Some(&article), &form, StatusCode::OK, &[])
        }
        Err(e) => failure(e),
    }
}

/// Save an article.
#[utoipa::path(post, path = "/bots/{id}/knowledge/{article_id}", tag = "dashboard", security(("login" = [])),
    params(("id" = String, Path), ("article_id" = String, Path)),
    responses(SignInRequired, FormErrors, (status = 303, description = "Saved"),
        (status = 404, description = "No such bot or article in this workspace", content_type = "text/html")))]
pub async fn save_article(
    State(s): State<Services>,
    who: SignedIn,
    headers: HeaderMap,
    Path((id, article_id)): Path<(String, String)>,
    Form(form): Form<ArticleForm>,
) -> Response {
    let (me, bot) = match form_bot(&s, &who, &headers, &form.csrf, &id).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let article = match s.article_for(&me, &id, &article_id).await {
        Ok(article) => article,
        Err(e) => return failure(e),
    };
    let input = ArticleInput { title: form.title.clone(), body: form.body.clone() };
    match s.update_article(&me, &id, &article_id, &input).await {
        Ok(_) => Redirect::to(&format!("/bots/{id}/knowledge?done=saved")).into_response(),
        Err(Error::Validation(errors)) => {
            render_article(&who, &bot, Some(&article), &form, StatusCode::UNPROCESSABLE_ENTITY, &errors)
        }
        Err(e) => failure(e),
    }
}

/// Delete an article.
#[utoipa::path(post, path = "/bots/{id}/knowledge/{article_id}/delete", tag = "dashboard", security(("login" = [])),
    params(("id" = String, Path), ("article_id" = String, Path)),
    responses(SignInRequired, FormErrors, (status = 303, description = "Deleted"),
        (status = 404, description = "No such bot or article in this workspace", content_type = "text/html")))]
pub async fn delete_article(
    State(s): State<Services>,
    who: SignedIn,
    headers: HeaderMap,
    Path((id, article_id)): Path<(String, String)>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Some(refused) = who.refuse_forged(&headers, &form.csrf) {
        return refused;
    }
    match s.delete_article(&principal(&who), &id, &article_id).await {
        Ok(()) => Redirect::to(&format!("/bots/{id}/knowledge?done=deleted")).into_response(),
        Err(e) => failure(e),
    }
}

#[cfg(test)]
mod tests {
    use super::excerpt;

    #[test]
    fn an_excerpt_is_one_line_of_plain_text_cut_to_a_glance() {
        assert_eq!(excerpt("# Refunds\n\nWithin **30 days**.\n"), "Refunds Within 30 days.");
        let long = "word ".repeat(100);
        let cut = excerpt(&long);
        assert!(cut.ends_with('…') && cut.chars().count() <= super::EXCERPT_CHARS + 1, "{cut}");
    }
}
