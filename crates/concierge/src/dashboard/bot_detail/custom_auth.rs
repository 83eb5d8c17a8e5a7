//! Development → Custom Authentication: the settings form (saved through the JSON admin
//! API by `custom-auth.js`, so the page and automation share one validation) and the
//! testing panel.

use axum::extract::State;
use axum::http::StatusCode;
use concierge_domain::{AdditionalField, IdentifyMethod};
use minijinja::context;

use super::super::Served;
use super::{failure, render_tab, BotPage};
use crate::http::responses::SignInRequired;
use concierge_core::{now_ms, rfc3339, Services};

fn field_label(f: AdditionalField) -> &'static str {
    match f {
        AdditionalField::UserId => "User ID",
        AdditionalField::Email => "Email",
        AdditionalField::Name => "Name",
        AdditionalField::PhoneNumber => "Phone number",
    }
}

/// A bot's Custom Authentication settings and testing panel.
#[utoipa::path(get, path = "/bots/{id}/custom-auth", tag = "dashboard", security(("login" = [])), params(("id" = String, Path)),
    responses(SignInRequired, (status = 200, description = "Custom Authentication settings and testing panel", content_type = "text/html"),
        (status = 404, description = "No such bot in this workspace", content_type = "text/html")))]
pub async fn custom_auth_page(State(s): State<Services>, page: BotPage) -> Served {
    let BotPage { who, me, bot, path: id, .. } = page;
    let auth = s.bot_auth_for(&me, &id).await.map_err(failure)?;
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
    let previous_expires_at =
        auth.previous.as_ref().filter(|(_, until)| *until > now_ms()).map(|(_, until)| rfc3339(*until));
    let ctx = context! {
        settings => context! {
            enabled => st.enabled,
            url => st.url.as_ref().map(|u| u.to_string()).unwrap_or_default(),
            timeout_ms => st.timeout_ms,
            cache_ttl_secs => st.cache_ttl_secs,
            on_failure => st.on_failure.as_str(),
            headers => st.headers.iter().map(|h| h.name.clone()).collect::<Vec<_>>(),
            // The JSON API replaces every setting; the origins are edited on the settings
            // page, so the script sends them back unchanged.
            allowed_origins_json => serde_json::to_string(&st.allowed_origins).unwrap_or_else(|_| "[]".into()),
        },
        fields, methods,
        secret => auth.secret.expose(),
        previous_expires_at,
    };
    Ok(render_tab(StatusCode::OK, "bot_custom_auth.html", "custom-auth", &who, &bot, ctx))
}
