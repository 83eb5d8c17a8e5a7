//! The questions the bot handed to the team because no article was a confident enough
//! match: what to write next, in the visitors' words, and whether today's articles answer
//! them already.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use minijinja::context;
use serde::Deserialize;

use super::super::posted::carries_csrf;
use super::super::records::when;
use super::super::{message, Served};
use super::{back_to, failure, notice, render_tab};
use super::{BotPage, BotPost, CsrfOnly, NoQuery};
use crate::http::responses::{FormErrors, SignInRequired};
use concierge_bot::knowledge::percent;
use concierge_core::{ArticleMatch, Error, Services, UnansweredQuestion};

/// The articles the page offers first for a question: the closest the bot finds.
const CLOSEST: usize = 5;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnansweredQuery {
    /// The page after the one that gave this cursor.
    before: Option<i64>,
    /// What the last form did: `dismissed`, `answered`, or `gone` (the question was
    /// answered or dismissed elsewhere first).
    done: Option<String>,
}

const DONE: [(&str, &str); 3] = [
    ("dismissed", "Question dismissed."),
    ("answered", "Saved: the bot now answers this question, and questions like it, with the article."),
    ("gone", "That question was answered or dismissed meanwhile; nothing changed."),
];

fn article(m: Option<ArticleMatch>) -> minijinja::Value {
    m.map(|m| context! { id => m.article_id, title => m.title, confidence => m.confidence }).into()
}

fn question(q: UnansweredQuestion) -> minijinja::Value {
    context! {
        id => q.seq, conversation => q.conversation_id, contact => q.contact_id, text => q.text, asked => when(q.asked_at),
        closest => article(q.closest),
        now => context! { answered => q.today.answered, rule => q.today.rule, article => article(q.today.article) },
    }
}

/// The bot's unanswered questions, newest first, a page at a time.
#[utoipa::path(get, path = "/bots/{id}/unanswered", tag = "dashboard", security(("login" = [])), params(("id" = String, Path), UnansweredQuery),
    responses(SignInRequired, (status = 200, description = "Unanswered questions", content_type = "text/html"),
        (status = 404, description = "No such bot in this workspace", content_type = "text/html")))]
pub async fn unanswered_page(State(s): State<Services>, page: BotPage<UnansweredQuery>) -> Served {
    let BotPage { who, me, bot, path: id, query: q } = page;
    let page = s.unanswered_questions(&me, &id, q.before, 0).await.map_err(failure)?;
    let questions: Vec<_> = page.items.into_iter().map(question).collect();
    let ctx = context! {
        questions, next => page.next_cursor, paged => q.before.is_some(),
        threshold => bot.confidence_threshold, notice => notice(q.done.as_deref(), &DONE),
    };
    Ok(render_tab(StatusCode::OK, "bot_unanswered.html", "knowledge", &who, &bot, ctx))
}

/// Dismiss a question: its article is written, or it needs none.
#[utoipa::path(post, path = "/bots/{id}/unanswered/{question_id}/dismiss", tag = "dashboard", security(("login" = [])),
    params(("id" = String, Path), ("question_id" = i64, Path)),
    responses(SignInRequired, FormErrors, (status = 303, description = "Dismissed"),
        (status = 404, description = "No such bot or question in this workspace", content_type = "text/html")))]
pub async fn dismiss(State(s): State<Services>, post: BotPost<Form<CsrfOnly>, (String, String)>) -> Response {
    let BotPost { me, path: (id, question_id), .. } = post;
    // Dismissed already, in another tab or by a colleague: what was asked is done.
    let dismissed = match s.dismiss_unanswered(&me, &id, &question_id).await {
        Err(Error::NotFound("question")) => Ok(()),
        other => other,
    };
    back_to(dismissed, format!("/bots/{id}/unanswered?done=dismissed"))
}

/// The page to answer a question with an article: the closest articles first, then all.
#[utoipa::path(get, path = "/bots/{id}/unanswered/{question_id}", tag = "dashboard", security(("login" = [])),
    params(("id" = String, Path), ("question_id" = i64, Path)),
    responses(SignInRequired, (status = 200, description = "Answer the question with an article", content_type = "text/html"),
        (status = 404, description = "No such bot or question in this workspace", content_type = "text/html")))]
pub async fn answer_page(State(s): State<Services>, page: BotPage<NoQuery, (String, String)>) -> Served {
    let BotPage { who, me, bot, path: (id, question_id), .. } = page;
    let question = s.unanswered_question(&me, &id, &question_id).await.map_err(failure)?;
    // As its contact would be answered; a contact deleted since, as a visitor.
    let preview = match s.preview_answer(&me, &id, &question.text, question.contact_id.as_deref()).await {
        Err(Error::NotFound("contact")) => s.preview_answer(&me, &id, &question.text, None).await,
        tried => tried,
    }
    .map_err(failure)?;
    let closest: Vec<_> = preview
        .decision
        .hits
        .iter()
        .zip(&preview.articles)
        .take(CLOSEST)
        .map(
            |(hit, a)| context! { id => a.id.clone(), title => a.title.clone(), confidence => percent(hit.confidence) },
        )
        .collect();
    let offered: Vec<&str> = preview.articles.iter().take(CLOSEST).map(|a| a.id.as_str()).collect();
    let mut others = s.list_articles(&me, &id).await.map_err(failure)?;
    others.retain(|a| !offered.contains(&a.id.as_str()));
    others.sort_by_key(|a| a.title.to_lowercase());
    let others: Vec<_> = others.iter().map(|a| context! { id => a.id.clone(), title => a.title.clone() }).collect();
    let ctx = context! {
        question => context! {
            id => question.message_seq, asked => when(question.asked_at), conversation => question.conversation_id,
            wording => concierge_core::one_line(&question.text), text => question.text,
        },
        max_wording => concierge_core::MAX_ASKED_AS_CHARS,
        closest, others, threshold => bot.confidence_threshold,
    };
    Ok(render_tab(StatusCode::OK, "bot_unanswered_answer.html", "knowledge", &who, &bot, ctx))
}

/// The article chosen to answer a question.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct AnswerForm {
    #[serde(default)]
    csrf: String,
    /// The article's id.
    #[serde(default)]
    article: String,
    /// The question as the article is to be asked, as the operator edited it; absent (a
    /// page from before the field): the question as asked.
    #[serde(default)]
    asked_as: Option<String>,
}

carries_csrf!(AnswerForm);

/// Answer a question with an article: the question becomes one of the ways the article is
/// asked, and leaves the list.
#[utoipa::path(post, path = "/bots/{id}/unanswered/{question_id}/answer", tag = "dashboard", security(("login" = [])),
    params(("id" = String, Path), ("question_id" = i64, Path)),
    responses(SignInRequired, FormErrors, (status = 303, description = "Answered"),
        (status = 404, description = "No such bot, question or article in this workspace", content_type = "text/html"),
        (status = 409, description = "The question is too long and no wording was given, or the article is asked in 50 ways already", content_type = "text/html")))]
pub async fn answer(State(s): State<Services>, post: BotPost<Form<AnswerForm>, (String, String)>) -> Response {
    let BotPost { me, path: (id, question_id), body: Form(form), .. } = post;
    match s.answer_unanswered_with(&me, &id, &question_id, &form.article, form.asked_as.as_deref()).await {
        // Answered or dismissed in another tab, or by a colleague, first.
        Err(Error::NotFound("question")) => back_to(Ok(()), format!("/bots/{id}/unanswered?done=gone")),
        Err(Error::NotNow { message: refused, .. }) => {
            message(StatusCode::CONFLICT, "The question was not answered", &refused)
        }
        Err(Error::Validation(refused)) => {
            let refused: Vec<&str> = refused.iter().map(|e| e.message.as_str()).collect();
            message(StatusCode::UNPROCESSABLE_ENTITY, "The question was not answered", &refused.join(" "))
        }
        answered => back_to(answered, format!("/bots/{id}/unanswered?done=answered")),
    }
}
