//! Development → Identity (at `/bots/{id}/custom-auth`, the seed's Custom Authentication
//! page): how the bot identifies visitors, the Custom Authentication form (saved through
//! the JSON admin API by `custom-auth.js`, so the page and automation share one
//! validation), the other identity modes' settings and keys (saved by `identity.js` and
//! `identity-keys.js` through `/identity`), and the testing panel.

use axum::extract::State;
use axum::http::StatusCode;
use concierge_domain::{AdditionalField, ClientAuthMethod, IdentifyMethod, IdentityKind, JwtAlgorithm};
use minijinja::{context, Value};

use super::super::Served;
use super::{failure, render_tab, BotPage};
use crate::http::responses::SignInRequired;
use concierge_core::{now_ms, rfc3339, BotAuth, Services};

fn field_label(f: AdditionalField) -> &'static str {
    match f {
        AdditionalField::UserId => "User ID",
        AdditionalField::Email => "Email",
        AdditionalField::Name => "Name",
        AdditionalField::PhoneNumber => "Phone number",
    }
}

/// One line on what each mode asks of the customer, under its radio button.
fn mode_hint(k: IdentityKind) -> &'static str {
    match k {
        IdentityKind::CustomAuth => {
            "Concierge sends the page's access token to your Authentication URL; your API answers who the user is."
        }
        IdentityKind::Jwt => "Your server signs the user's details into a token; Concierge checks the signature, with no call.",
        IdentityKind::IdentityHash => {
            "Your server computes an HMAC of the user's id (or email, or phone number); Concierge checks it, with no call."
        }
        IdentityKind::OidcUserinfo => {
            "The page's OAuth access token is shown to your identity provider's userinfo endpoint, which says whose it is."
        }
        IdentityKind::Introspection => {
            "Your identity provider's introspection endpoint (RFC 7662) says whether the page's OAuth token is active, and whose it is."
        }
    }
}

/// The field an identity hash is computed over, after the identify method, and the data
/// attribute the page passes it in.
fn hashed_field(m: IdentifyMethod) -> (&'static str, &'static str) {
    match m {
        IdentifyMethod::Id => ("user_id", "data-user-id"),
        IdentifyMethod::Email => ("email", "data-email"),
        IdentifyMethod::PhoneNumber => ("phone_number", "data-phone-number"),
    }
}

/// The identity modes' part of the page: the mode, each mode's settings and the keys the
/// customer's server signs with (shown like the signing secret, to the bot's admins only).
fn identity_context(auth: &BotAuth) -> Value {
    let identity = &auth.identity;
    let modes: Vec<_> = IdentityKind::ALL
        .iter()
        .map(|k| context! { value => k.as_str(), label => k.label(), hint => mode_hint(*k), active => *k == identity.mode })
        .collect();
    let algorithms: Vec<_> = JwtAlgorithm::ALL
        .iter()
        .map(|a| context! { value => a.as_str(), checked => identity.jwt.algorithms.contains(a) })
        .collect();
    let keys: Vec<_> = auth
        .jwt_keys
        .iter()
        .map(|k| serde_json::json!({ "kid": k.kid, "secret": k.secret.expose(), "created_at": rfc3339(k.created_at) }))
        .collect();
    context! {
        mode => identity.mode.as_str(),
        modes,
        identity => Value::from_serialize(identity),
        algorithms,
        auth_methods => ClientAuthMethod::ALL.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        jwt_keys_json => serde_json::to_string(&keys).unwrap_or_else(|_| "[]".into()),
        hash_secret => auth.hash_secret.as_ref().map(|k| k.expose().to_owned()).unwrap_or_default(),
        hash_field => hashed_field(auth.settings.identify_method).0,
        hash_attr => hashed_field(auth.settings.identify_method).1,
        client_secret_set => auth.introspection_secret.is_some(),
    }
}

/// A bot's Identity page: how its visitors are identified (the Custom Authentication call
/// or another identity mode), each mode's settings, and the testing panel.
#[utoipa::path(get, path = "/bots/{id}/custom-auth", tag = "dashboard", security(("login" = [])), params(("id" = String, Path)),
    responses(SignInRequired, (status = 200, description = "Identity settings and testing panel", content_type = "text/html"),
        (status = 404, description = "No such bot in this workspace", content_type = "text/html")))]
pub async fn custom_auth_page(State(s): State<Services>, page: BotPage) -> Served {
    let BotPage { who, me, bot, path: id, .. } = page;
    // Also stores the keys of the identity modes if the bot has none yet.
    let auth = s.identity_for(&me, &id).await.map_err(failure)?;
    let st = &auth.settings;
    let fields: Vec<_> = AdditionalField::ALL
        .iter()
        .map(
            |f| context! { value => f.as_str(), label => field_label(*f), checked => st.additional_fields.contains(f) },
        )
        .collect();
    let methods: Vec<_> = IdentifyMethod::ALL
        .iter()
        .map(|m| context! { value => m.as_str(), label => m.label(), field => m.response_field(), selected => *m == st.identify_method })
        .collect();
    let previous_expires_at = auth.previous.until(now_ms()).map(rfc3339);
    let ctx = context! {
        settings => context! {
            // Read by the page's script before it stopped sending the origins, which a browser
            // may still have cached for a few minutes after an upgrade: it sends them back
            // as they are rather than an empty list.
            allowed_origins_json => serde_json::to_string(&st.allowed_origins).unwrap_or_else(|_| "[]".into()),
            enabled => st.enabled,
            url => st.url.as_ref().map(|u| u.to_string()).unwrap_or_default(),
            timeout_ms => st.timeout_ms,
            cache_ttl_secs => st.cache_ttl_secs,
            on_failure => st.on_failure.as_str(),
            headers => st.headers.iter().map(|h| h.name.clone()).collect::<Vec<_>>(),
            // The JSON API replaces every setting; the origins are edited on the settings
            // page, so the script sends them back unchanged.
        },
        fields, methods,
        secret => auth.secret.expose(),
        previous_expires_at,
    };
    let ctx = context! { ..ctx, ..identity_context(&auth) };
    Ok(render_tab(StatusCode::OK, "bot_custom_auth.html", "custom-auth", &who, &bot, ctx))
}
