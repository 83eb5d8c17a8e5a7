//! The embed page: the `<script>` tag for this bot, with the data attributes its identity
//! mode reads (the access token and the fields its Custom Authentication forwards, a signed
//! token, or an identifier and its hash), and the single-page-app variant.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use concierge_core::BotAuth;
use concierge_domain::{AdditionalField, IdentifyMethod, IdentityKind};
use minijinja::context;

use super::super::Served;
use super::{failure, render_tab, BotPage};
use crate::http::extract::served_over_https;
use crate::http::responses::SignInRequired;
use concierge_core::Services;

/// A value the page passes, as the snippets spell it: the data attribute with the
/// placeholder shown for it, and the `login` option with what an app passes (see
/// docs/widget.md).
struct Spelling {
    attribute: &'static str,
    placeholder: &'static str,
    option: &'static str,
    value: &'static str,
}

const fn spelling(
    attribute: &'static str,
    placeholder: &'static str,
    option: &'static str,
    value: &'static str,
) -> Spelling {
    Spelling { attribute, placeholder, option, value }
}

/// The fields the bot forwards, in the order the snippets list them.
fn forwarded(fields: &[AdditionalField]) -> Vec<Spelling> {
    let spell = |f: AdditionalField| match f {
        AdditionalField::UserId => spelling("data-user-id", "USER_ID", "userId", "user.id"),
        AdditionalField::Email => spelling("data-email", "USER_EMAIL", "email", "user.email"),
        AdditionalField::Name => spelling("data-name", "USER_NAME", "name", "user.name"),
        AdditionalField::PhoneNumber => spelling("data-phone-number", "USER_PHONE_NUMBER", "phoneNumber", "user.phone"),
    };
    AdditionalField::ALL.iter().filter(|f| fields.contains(f)).map(|f| spell(*f)).collect()
}

/// What the page passes for the bot's identity mode, in the snippets' order; the token
/// modes also name their token in the single-page-app comments.
fn presented(auth: &BotAuth) -> (Vec<Spelling>, Option<&'static str>) {
    let token = |placeholder, value| spelling("data-token", placeholder, "token", value);
    match auth.identity.mode {
        IdentityKind::CustomAuth => {
            let mut all = vec![token("ACCESS_TOKEN_OF_THE_SIGNED_IN_USER", "accessToken")];
            all.extend(forwarded(&auth.settings.additional_fields));
            (all, Some("access token"))
        }
        IdentityKind::Jwt => {
            (vec![token("TOKEN_YOUR_SERVER_SIGNED_FOR_THE_USER", "signedToken")], Some("signed token"))
        }
        IdentityKind::OidcUserinfo | IdentityKind::Introspection => {
            (vec![token("ACCESS_TOKEN_FROM_YOUR_IDENTITY_PROVIDER", "accessToken")], Some("access token"))
        }
        IdentityKind::IdentityHash => {
            let (identifier, hash) = match auth.settings.identify_method {
                IdentifyMethod::Id => {
                    (spelling("data-user-id", "USER_ID", "userId", "user.id"), "HMAC_SHA256_OF_USER_ID")
                }
                IdentifyMethod::Email => {
                    (spelling("data-email", "USER_EMAIL", "email", "user.email"), "HMAC_SHA256_OF_USER_EMAIL")
                }
                IdentifyMethod::PhoneNumber => (
                    spelling("data-phone-number", "USER_PHONE_NUMBER", "phoneNumber", "user.phone"),
                    "HMAC_SHA256_OF_USER_PHONE_NUMBER",
                ),
            };
            (vec![identifier, spelling("data-user-hash", hash, "userHash", "hashFromYourServer")], None)
        }
    }
}

fn plain_snippet(origin: &str, bot_id: &str, values: &[Spelling]) -> String {
    let mut s = format!("<script src=\"{origin}/widget.js\" async\n        data-bot-id=\"{bot_id}\"");
    for v in values {
        s.push_str(&format!("\n        {}=\"{}\"", v.attribute, v.placeholder));
    }
    s.push_str("></script>");
    s
}

/// `token` names the token of a token mode, which the widget asks for again once it
/// expired; an identity hash does not expire.
fn spa_snippet(origin: &str, bot_id: &str, values: &[Spelling], token: Option<&str>) -> String {
    let mut login = String::new();
    for v in values {
        login.push_str(&format!("  {}: {},\n", v.option, v.value));
    }
    // Lines of their own: a `\` line continuation would eat the indentation.
    let renew = token.map_or_else(String::new, |token| {
        [
            "",
            "",
            &format!("// When the {token} expired, the widget asks your app for a fresh one:"),
            "Concierge('onTokenExpired', async () => {",
            "  const res = await fetch('/api/session/chat-token', { credentials: 'include' }); // your own endpoint",
            "  if (!res.ok) return null;",
            "  return (await res.json()).token;",
            "});",
        ]
        .join("\n")
    });
    format!(
        "<script>window.Concierge=window.Concierge||function(){{(Concierge.q=Concierge.q||[]).push(arguments)}};</script>\n\
<script src=\"{origin}/widget.js\" data-bot-id=\"{bot_id}\" async></script>\n\
<script>\n\
// After your app has signed the user in:\n\
Concierge('login', {{\n{login}}});\n\n\
// When the user signs out of your app:\n\
Concierge('logout');{renew}\n\
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
    let (values, token) = presented(&auth);
    let mode = auth.identity.mode;
    let ctx = context! {
        plain => plain_snippet(&origin, &bot.id, &values),
        spa => spa_snippet(&origin, &bot.id, &values, token),
        enabled => auth.settings.enabled,
        mode => mode.as_str(),
        mode_label => mode.label(),
        identifier => values.first().map(|v| v.attribute),
        forwarded => values.iter().skip(1).map(|v| v.attribute).collect::<Vec<_>>(),
    };
    Ok(render_tab(StatusCode::OK, "bot_embed.html", "embed", &who, &bot, ctx))
}
