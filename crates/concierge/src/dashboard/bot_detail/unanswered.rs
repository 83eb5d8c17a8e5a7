//! The questions the bot handed to the team because no article was a confident enough
//! match: what to write next, in the visitors' words, and whether today's articles answer
//! them already.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use minijinja::context;
use serde::Deserialize;

use super::super::records::when;
use super::super::Served;
use super::{back_to, failure, notice, render_tab};
use super::{BotPage, BotPost, CsrfOnly};
use crate::http::responses::{FormErrors, SignInRequired};
use concierge_core::{ArticleMatch, Error, Services, UnansweredQuestion};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnansweredQuery {
    /// The page after the one that gave this cursor.
    before: Option<i64>,
    /// What the last form did: `dismissed`.
    done: Option<String>,
}

const DONE: [(&str, &str); 1] = [("dismissed", "Question dismissed.")];

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
