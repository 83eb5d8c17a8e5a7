//! The embed page: the `<script>` tag for this bot, with the data attributes its Custom
//! Authentication forwards, and the single-page-app variant.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use concierge_domain::AdditionalField;
use minijinja::context;

use super::super::Served;
use super::{failure, render_tab, BotPage};
use crate::http::extract::served_over_https;
use crate::http::responses::SignInRequired;
use concierge_core::Services;

/// A forwarded field as the snippets spell it: the data attribute with the placeholder
/// shown for it, and the `login` option with what an app passes (see docs/widget.md).
struct Spelling {
    attribute: &'static str,
    placeholder: &'static str,
    option: &'static str,
    value: &'static str,
}

/// The fields the bot forwards, in the order the snippets list them.
fn forwarded(fields: &[AdditionalField]) -> Vec<Spelling> {
    let spell = |f: AdditionalField| {
        let (attribute, placeholder, option, value) = match f {
            AdditionalField::UserId => ("data-user-id", "USER_ID", "userId", "user.id"),
            AdditionalField::Email => ("data-email", "USER_EMAIL", "email", "user.email"),
            AdditionalField::Name => ("data-name", "USER_NAME", "name", "user.name"),
            AdditionalField::PhoneNumber => ("data-phone-number", "USER_PHONE_NUMBER", "phoneNumber", "user.phone"),
        };
        Spelling { attribute, placeholder, option, value }
    };
    AdditionalField::ALL.iter().filter(|f| fields.contains(f)).map(|f| spell(*f)).collect()
}

fn plain_snippet(origin: &str, bot_id: &str, fields: &[Spelling]) -> String {
    let mut s = format!(
        "<script src=\"{origin}/widget.js\" async\n        data-bot-id=\"{bot_id}\"\n        data-token=\"ACCESS_TOKEN_OF_THE_SIGNED_IN_USER\""
    );
    for f in fields {
        s.push_str(&format!("\n        {}=\"{}\"", f.attribute, f.placeholder));
    }
    s.push_str("></script>");
    s
}

fn spa_snippet(origin: &str, bot_id: &str, fields: &[Spelling]) -> String {
    let mut login = String::from("  token: accessToken,\n");
    for f in fields {
        login.push_str(&format!("  {}: {},\n", f.option, f.value));
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
pub async fn embed_page(State(s): State<Services>, headers: HeaderMap, page: BotPage) -> Served {
    let BotPage { who, me, bot, path: id, .. } = page;
    let auth = s.bot_auth_for(&me, &id).await.map_err(failure)?;
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost:8080");
    let scheme = if served_over_https(&s, &headers) { "https" } else { "http" };
    let origin = format!("{scheme}://{host}");
    let fields = forwarded(&auth.settings.additional_fields);
    let ctx = context! {
        plain => plain_snippet(&origin, &bot.id, &fields),
        spa => spa_snippet(&origin, &bot.id, &fields),
        enabled => auth.settings.enabled,
        forwarded => fields.iter().map(|f| f.attribute).collect::<Vec<_>>(),
    };
    Ok(render_tab(StatusCode::OK, "bot_embed.html", "embed", &who, &bot, ctx))
}
