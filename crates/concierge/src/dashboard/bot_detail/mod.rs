//! A bot's pages: settings and appearance, the knowledge base with "Try a question" and
//! the questions it could not answer, how the bot answers (threshold, texts, rules), its AI
//! model, Development → Custom Authentication with its testing panel, and the embed
//! snippet. Every page shares the breadcrumb and the tabs of `bot_layout.html`.

mod answers;
mod custom_auth;
mod embed;
mod knowledge;
mod model;
mod preview;
mod request;
mod rule_form;
mod settings;
mod unanswered;

use std::collections::BTreeMap;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use concierge_domain::FieldError;
use concierge_store::Bot;
use minijinja::{context, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::posted::carries_csrf;
use super::{failed, message, render, SignedIn};
use concierge_core::{Error, Services};
use request::{BotPage, BotPost, NoQuery};

pub const TEMPLATES: &[(&str, &str)] = &[
    ("bot_layout.html", include_str!("../../../templates/bot_layout.html")),
    ("bot_settings.html", include_str!("../../../templates/bot_settings.html")),
    ("bot_custom_auth.html", include_str!("../../../templates/bot_custom_auth.html")),
    ("identity_parts.html", include_str!("../../../templates/identity_parts.html")),
    ("bot_embed.html", include_str!("../../../templates/bot_embed.html")),
    ("bot_knowledge.html", include_str!("../../../templates/bot_knowledge.html")),
    ("bot_article.html", include_str!("../../../templates/bot_article.html")),
    ("bot_answers.html", include_str!("../../../templates/bot_answers.html")),
    ("bot_model.html", include_str!("../../../templates/bot_model.html")),
    ("bot_unanswered.html", include_str!("../../../templates/bot_unanswered.html")),
    ("bot_unanswered_answer.html", include_str!("../../../templates/bot_unanswered_answer.html")),
    ("forms.html", include_str!("../../../templates/forms.html")),
];

pub fn routes() -> OpenApiRouter<Services> {
    OpenApiRouter::new()
        .routes(routes!(settings::settings_page, settings::save_settings))
        .routes(routes!(knowledge::knowledge_page, knowledge::create_article))
        .routes(routes!(knowledge::new_article_page))
        .routes(routes!(knowledge::article_page, knowledge::save_article))
        .routes(routes!(knowledge::delete_article))
        .routes(routes!(unanswered::unanswered_page))
        .routes(routes!(unanswered::dismiss))
        .routes(routes!(unanswered::answer_page))
        .routes(routes!(unanswered::answer))
        .routes(routes!(answers::answers_page, answers::save_answers))
        .routes(routes!(answers::add_rule))
        .routes(routes!(answers::delete_rule))
        .routes(routes!(answers::move_rule_up))
        .routes(routes!(model::model_page, model::save_model))
        .routes(routes!(custom_auth::custom_auth_page))
        .routes(routes!(embed::embed_page))
        .routes(routes!(pages_script))
        .routes(routes!(script))
        .routes(routes!(identity_script))
        .routes(routes!(identity_keys_script))
        .routes(routes!(stylesheet))
}

/// Renders one of a bot's pages: `ctx` with what every bot page's layout needs (who is
/// signed in, the bot, and the current tab).
fn render_tab(status: StatusCode, template: &str, tab: &str, who: &SignedIn, bot: &Bot, ctx: Value) -> Response {
    let bot = context! { id => bot.id.clone(), name => bot.name.clone(), color => bot.color.clone() };
    render(status, template, context! { ..ctx, ..context! { tab, bot }, ..who.layout("bots") })
}

/// A bot that does not exist and a bot of another workspace look the same: 404.
fn failure(e: Error) -> Response {
    match e {
        Error::NotFound("bot") => message(
            StatusCode::NOT_FOUND,
            "Bot not found",
            "This bot does not exist, or it belongs to another workspace.",
        ),
        other => failed(other),
    }
}

/// Where a post that changed something goes: back to its page at `to`, which says what
/// was done; a post that failed gets the failure page.
fn back_to<T>(done: concierge_core::Result<T>, to: String) -> Response {
    match done {
        Ok(_) => Redirect::to(&to).into_response(),
        Err(e) => failure(e),
    }
}

/// As `back_to`, but a save refused field by field shows the form again through `refused`.
async fn after_save<T>(
    saved: concierge_core::Result<T>,
    to: String,
    refused: impl AsyncFnOnce(Vec<FieldError>) -> Response,
) -> Response {
    match saved {
        Err(Error::Validation(errors)) => refused(errors).await,
        // Refused as a whole (a full knowledge base, say): said above the form, which keeps
        // what was typed.
        Err(Error::BadRequest { message, .. } | Error::NotNow { message, .. }) => {
            refused(vec![FieldError::new("", message)]).await
        }
        done => back_to(done, to),
    }
}

/// The notice for what the last form did (the page's `?done=`), in the page's words.
fn notice(done: Option<&str>, words: &[(&str, &'static str)]) -> Option<&'static str> {
    words.iter().find(|(what, _)| done == Some(*what)).map(|(_, text)| *text)
}

/// Field errors as shown next to their fields: one text per field.
fn by_field(errors: &[FieldError]) -> BTreeMap<String, String> {
    let mut joined: BTreeMap<String, String> = BTreeMap::new();
    for e in errors {
        let text = joined.entry(e.field.clone()).or_default();
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&e.message);
    }
    joined
}

/// The messages of errors about fields the page does not show (e.g. a stored value that
/// the operator's policy no longer allows): they still need to be seen.
fn elsewhere<'e>(errors: &'e [FieldError], shown: &[&str]) -> Vec<&'e str> {
    errors.iter().filter(|e| !shown.contains(&e.field.as_str())).map(|e| e.message.as_str()).collect()
}

/// The form's CSRF token, refused forms aside: every form of these pages carries it.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

carries_csrf!(CsrfOnly);

const PAGES_SCRIPT: &str = include_str!("../../../assets/bot-pages.js");
const SCRIPT: &str = include_str!("../../../assets/custom-auth.js");
const IDENTITY_SCRIPT: &str = include_str!("../../../assets/identity.js");
const IDENTITY_KEYS_SCRIPT: &str = include_str!("../../../assets/identity-keys.js");
const STYLESHEET: &str = include_str!("../../../assets/bot.css");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=300")], body).into_response()
}

/// Every bot page's script: copy buttons, confirmations, and the helpers the Identity
/// page's scripts share.
#[utoipa::path(get, path = "/assets/bot-pages.js", tag = "dashboard",
    responses((status = 200, description = "Script", content_type = "text/javascript")))]
pub async fn pages_script() -> Response {
    asset("text/javascript; charset=utf-8", PAGES_SCRIPT)
}

/// The Identity page's Custom Authentication call: its settings form, the signing secret
/// and the testing panel.
#[utoipa::path(get, path = "/assets/custom-auth.js", tag = "dashboard",
    responses((status = 200, description = "Script", content_type = "text/javascript")))]
pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

/// The Identity page's script: the identity modes, their settings, and their tests in the
/// testing panel.
#[utoipa::path(get, path = "/assets/identity.js", tag = "dashboard",
    responses((status = 200, description = "Script", content_type = "text/javascript")))]
pub async fn identity_script() -> Response {
    asset("text/javascript; charset=utf-8", IDENTITY_SCRIPT)
}

/// The Identity page's keys: those that sign user tokens, and the identity hash secret.
#[utoipa::path(get, path = "/assets/identity-keys.js", tag = "dashboard",
    responses((status = 200, description = "Script", content_type = "text/javascript")))]
pub async fn identity_keys_script() -> Response {
    asset("text/javascript; charset=utf-8", IDENTITY_KEYS_SCRIPT)
}

/// The bot pages' stylesheet (on top of dashboard.css).
#[utoipa::path(get, path = "/assets/bot.css", tag = "dashboard",
    responses((status = 200, description = "Stylesheet", content_type = "text/css")))]
pub async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", STYLESHEET)
}
