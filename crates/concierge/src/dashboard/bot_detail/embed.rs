//! The embed page: the `<script>` tag for this bot, with the data attributes its Custom
//! Authentication forwards, and the single-page-app variant.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use concierge_domain::AdditionalField;
use minijinja::context;

use super::super::bots::principal;
use super::super::{render, SignedIn};
use super::{bot_and_auth, failure, page_context};
use crate::http::extract::served_over_https;
use crate::http::responses::SignInRequired;
use concierge_core::Services;

/// Attribute and the placeholder value shown for it.
fn attribute(f: AdditionalField) -> (&'static str, &'static str) {
    match f {
        AdditionalField::UserId => ("data-user-id", "USER_ID"),
        AdditionalField::Email => ("data-email", "USER_EMAIL"),
        AdditionalField::Name => ("data-name", "USER_NAME"),
        AdditionalField::PhoneNumber => ("data-phone-number", "USER_PHONE_NUMBER"),
    }
}

/// The `login` option for each field (see docs/widget.md).
fn login_option(f: AdditionalField) -> (&'static str, &'static str) {
    match f {
        AdditionalField::UserId => ("userId", "user.id"),
        AdditionalField::Email => ("email", "user.email"),
        AdditionalField::Name => ("name", "user.name"),
        AdditionalField::PhoneNumber => ("phoneNumber", "user.phone"),
    }
}

fn plain_snippet(origin: &str, bot_id: &str, fields: &[AdditionalField]) -> String {
    let mut s = format!(
        "<script src=\"{origin}/widget.js\" async\n        data-bot-id=\"{bot_id}\"\n        data-token=\"ACCESS_TOKEN_OF_THE_SIGNED_IN_USER\""
    );
    for f in AdditionalField::ALL.iter().filter(|f| fields.contains(f)) {
        let (name, value) = attribute(*f);
        s.push_str(&format!("\n        {name}=\"{value}\""));
    }
    s.push_str("></script>");
    s
}

fn spa_snippet(origin: &str, bot_id: &str, fields: &[AdditionalField]) -> String {
    let mut login = String::from("  token: accessToken,\n");
    for f in AdditionalField::ALL.iter().filter(|f| fields.contains(f)) {
        let (key, value) = login_option(*f);
        login.push_str(&format!("  {key}: {value},\n"));
    }
    format!(
        "<script>window.Concierge=window.Concierge||function(){{(Concierge.q=Concierge.q||[]).push(arguments)}};</script>\n\
<script src=\"{origin}/widget.js\" data-bot-id=\"{bot_id}\" async></script>\n\
<script>\n\
// After your app has signed the user in:\n\
Concierge('login', {{\n{login}}});\n\n\
// When the user signs out of your app:\n\
Concierge('logout');\n\n\
// When the access token expired, the widget asks your app for a fresh one:\n\
Concierge('onTokenExpired', async () => {{\n\
  const res = await fetch('/api/session/chat-token', {{ credentials: 'include' }}); // your own endpoint\n\
  if (!res.ok) return null;\n\
  return (await res.json()).token;\n\
}});\n\
</script>"
    )
}

/// The embed snippets of a bot.
#[utoipa::path(get, path = "/bots/{id}/embed", tag = "dashboard", security(("login" = [])), params(("id" = String, Path)),
    responses(SignInRequired, (status = 200, description = "Embed snippets", content_type = "text/html"),
        (status = 404, description = "No such bot in this workspace", content_type = "text/html")))]
pub async fn embed_page(
    State(s): State<Services>,
    who: SignedIn,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let me = principal(&who);
    let (bot, auth) = match bot_and_auth(&s, &me, &id).await {
        Ok(found) => found,
        Err(e) => return failure(e),
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost:8080");
    let scheme = if served_over_https(&s, &headers) { "https" } else { "http" };
    let origin = format!("{scheme}://{host}");
    let fields = &auth.settings.additional_fields;
    let ctx = context! {
        plain => plain_snippet(&origin, &bot.id, fields),
        spa => spa_snippet(&origin, &bot.id, fields),
        enabled => auth.settings.enabled,
        forwarded => AdditionalField::ALL.iter().filter(|f| fields.contains(f)).map(|f| attribute(*f).0).collect::<Vec<_>>(),
        ..page_context(&who, &bot, "embed")
    };
    render(StatusCode::OK, "bot_embed.html", ctx)
}
