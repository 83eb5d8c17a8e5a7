//! A bot's pages: settings and appearance, the knowledge base with "Try a question", how
//! the bot answers (threshold, texts, rules), its AI model, Development → Custom
//! Authentication with its testing panel, and the embed snippet. Every page shares the
//! breadcrumb and the tabs of `bot_layout.html`.

mod answers;
mod custom_auth;
mod embed;
mod knowledge;
mod model;
mod preview;
mod rule_form;
mod settings;

use std::collections::BTreeMap;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use concierge_domain::FieldError;
use concierge_store::Bot;
use minijinja::{context, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::bots::principal;
use super::{failed, message, SignedIn};
use concierge_core::{BotAuth, Error, Principal, Services};

pub const TEMPLATES: &[(&str, &str)] = &[
    ("bot_layout.html", include_str!("../../../templates/bot_layout.html")),
    ("bot_settings.html", include_str!("../../../templates/bot_settings.html")),
    ("bot_custom_auth.html", include_str!("../../../templates/bot_custom_auth.html")),
    ("bot_embed.html", include_str!("../../../templates/bot_embed.html")),
    ("bot_knowledge.html", include_str!("../../../templates/bot_knowledge.html")),
    ("bot_article.html", include_str!("../../../templates/bot_article.html")),
    ("bot_answers.html", include_str!("../../../templates/bot_answers.html")),
    ("bot_model.html", include_str!("../../../templates/bot_model.html")),
    ("forms.html", include_str!("../../../templates/forms.html")),
];

pub fn routes() -> OpenApiRouter<Services> {
    OpenApiRouter::new()
        .routes(routes!(settings::settings_page, settings::save_settings))
        .routes(routes!(knowledge::knowledge_page, knowledge::create_article))
        .routes(routes!(knowledge::new_article_page))
        .routes(routes!(knowledge::article_page, knowledge::save_article))
        .routes(routes!(knowledge::delete_article))
        .routes(routes!(answers::answers_page, answers::save_answers))
        .routes(routes!(answers::add_rule))
        .routes(routes!(answers::delete_rule))
        .routes(routes!(answers::move_rule_up))
        .routes(routes!(model::model_page, model::save_model))
        .routes(routes!(custom_auth::custom_auth_page))
        .routes(routes!(embed::embed_page))
        .routes(routes!(script))
        .routes(routes!(stylesheet))
}

/// What every bot page's layout needs: who is signed in, the bot, and the current tab.
fn page_context(who: &SignedIn, bot: &Bot, tab: &str) -> Value {
    context! {
        user => who.user_context(),
        csrf => who.csrf.clone(),
        section => "bots",
        tab,
        bot => context! { id => bot.id.clone(), name => bot.name.clone(), color => bot.color.clone() },
    }
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

/// The bot a form posts to, once the form proved it comes from the dashboard: the caller
/// and the bot, or the response that refuses the post (forged, or no such bot here).
async fn form_bot(
    s: &Services,
    who: &SignedIn,
    headers: &HeaderMap,
    csrf: &str,
    id: &str,
) -> Result<(Principal, Bot), Response> {
    if let Some(refused) = who.refuse_forged(headers, csrf) {
        return Err(refused);
    }
    let me = principal(who);
    s.bot_for(&me, id).await.map(|bot| (me, bot)).map_err(failure)
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

/// The form's CSRF token, refused forms aside: every form of these pages carries it.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

const SCRIPT: &str = include_str!("../../../assets/custom-auth.js");
const STYLESHEET: &str = include_str!("../../../assets/bot.css");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=300")], body).into_response()
}

/// The bot pages' script: the Custom Authentication form, its testing panel, copy buttons.
#[utoipa::path(get, path = "/assets/custom-auth.js", tag = "dashboard",
    responses((status = 200, description = "Script", content_type = "text/javascript")))]
pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

/// The bot pages' stylesheet (on top of dashboard.css).
#[utoipa::path(get, path = "/assets/bot.css", tag = "dashboard",
    responses((status = 200, description = "Stylesheet", content_type = "text/css")))]
pub async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", STYLESHEET)
}

async fn bot_and_auth(s: &Services, who: &Principal, id: &str) -> concierge_core::Result<(Bot, BotAuth)> {
    let bot = s.bot_for(who, id).await?;
    let auth = s.bot_auth_for(who, id).await?;
    Ok((bot, auth))
}
