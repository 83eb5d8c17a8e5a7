//! A bot's pages: settings and appearance, Development → Custom Authentication with its
//! testing panel, and the embed snippet. Every page shares the breadcrumb and the tabs of
//! `bot_layout.html`.

mod custom_auth;
mod embed;
mod settings;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use concierge_store::Bot;
use minijinja::{context, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{message, SignedIn};
use crate::service::{BotAuth, Error, Principal, Services};

pub const TEMPLATES: &[(&str, &str)] = &[
    ("bot_layout.html", include_str!("../../../templates/bot_layout.html")),
    ("bot_settings.html", include_str!("../../../templates/bot_settings.html")),
    ("bot_custom_auth.html", include_str!("../../../templates/bot_custom_auth.html")),
    ("bot_embed.html", include_str!("../../../templates/bot_embed.html")),
];

pub fn routes() -> OpenApiRouter<Services> {
    OpenApiRouter::new()
        .routes(routes!(settings::settings_page, settings::save_settings))
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
        Error::NotFound(_) => message(
            StatusCode::NOT_FOUND,
            "Bot not found",
            "This bot does not exist, or it belongs to another workspace.",
        ),
        other => crate::http::error::ApiError::from(other).into_response(),
    }
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

async fn bot_and_auth(s: &Services, who: &Principal, id: &str) -> crate::service::Result<(Bot, BotAuth)> {
    let bot = s.bot_for(who, id).await?;
    let auth = s.bot_auth_for(who, id).await?;
    Ok((bot, auth))
}
