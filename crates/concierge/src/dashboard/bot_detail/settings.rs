//! The bot's settings page: name, colour, texts, and the page origins allowed to embed
//! the widget (stored with the Custom Authentication settings, edited here because they
//! concern every visitor, signed in or not).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use concierge_domain::{parse_bot_text, parse_color, text_on, CustomAuthInput, CustomAuthSettings, FieldError};
use concierge_store::Bot;
use minijinja::context;
use serde::Deserialize;

use super::super::posted::carries_csrf;
use super::super::{Served, SignedIn};
use super::{after_save, by_field, elsewhere, failure, render_tab, BotPage, BotPost};
use crate::http::responses::{FormErrors, SignInRequired};
use concierge_core::{bot_template, BotPatch, Services};

/// The form's values, as stored or as submitted.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct SettingsForm {
    #[serde(default)]
    csrf: String,
    name: String,
    color: String,
    greeting: String,
    signin_text: String,
    /// One origin per line.
    #[serde(default)]
    allowed_origins: String,
}

carries_csrf!(SettingsForm);

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SavedQuery {
    pub(super) saved: Option<String>,
}

fn render_settings(
    who: &SignedIn,
    bot: &Bot,
    form: &SettingsForm,
    status: StatusCode,
    errors: &[FieldError],
    saved: bool,
) -> Response {
    let other = elsewhere(errors, &["name", "color", "greeting", "signin_text", "allowed_origins"]);
    // Of the stored colour: what the widget shows now.
    let on = text_on(&bot.color);
    let ink = context! {
        color => bot.color, ink => on.ink, dark => on.is_dark(),
        contrast => format!("{:.1}", on.contrast), white => format!("{:.1}", on.white_contrast),
    };
    let ctx = context! {
        ink,
        form => context! {
            name => form.name, color => form.color, greeting => form.greeting,
            signin_text => form.signin_text, allowed_origins => form.allowed_origins,
        },
        errors => by_field(errors), other_errors => other, saved,
    };
    render_tab(status, "bot_settings.html", "settings", who, bot, ctx)
}

/// A bot's settings.
#[utoipa::path(get, path = "/bots/{id}", tag = "dashboard", security(("login" = [])), params(("id" = String, Path), SavedQuery),
    responses(SignInRequired, (status = 200, description = "Settings form", content_type = "text/html"),
        (status = 404, description = "No such bot in this workspace", content_type = "text/html")))]
pub async fn settings_page(State(s): State<Services>, page: BotPage<SavedQuery>) -> Served {
    let BotPage { who, me, bot, path: id, query: q } = page;
    let auth = s.bot_auth_for(&me, &id).await.map_err(failure)?;
    let form = SettingsForm {
        csrf: String::new(),
        name: bot.name.clone(),
        color: bot.color.clone(),
        greeting: bot.greeting.clone(),
        signin_text: bot.signin_text.clone(),
        allowed_origins: auth.settings.allowed_origins.join("\n"),
    };
    Ok(render_settings(&who, &bot, &form, StatusCode::OK, &[], q.saved.is_some()))
}

/// The stored settings as an input that changes nothing but the allowed origins; header
/// values stay as stored (`None`).
fn origins_input(current: &CustomAuthSettings, origins: Vec<String>) -> CustomAuthInput {
    CustomAuthInput {
        enabled: Some(current.enabled),
        url: current.url.as_ref().map(|u| u.to_string()),
        additional_fields: Some(current.additional_fields.iter().map(|f| f.as_str().to_owned()).collect()),
        identify_method: Some(current.identify_method.as_str().to_owned()),
        timeout_ms: Some(current.timeout_ms.into()),
        on_failure: Some(current.on_failure.as_str().to_owned()),
        headers: Some(current.headers.iter().map(|h| (h.name.clone(), None)).collect()),
        allowed_origins: Some(origins),
        cache_ttl_secs: Some(current.cache_ttl_secs.into()),
        url_optional: false,
    }
}

type Parse = fn(&str) -> Result<String, String>;

/// Errors of the appearance fields that can be found without saving anything, so that a
/// form with a bad origin and a bad colour reports both at once.
fn appearance_errors(form: &SettingsForm) -> Vec<FieldError> {
    let checks: [(&str, &str, Parse); 3] = [
        ("color", &form.color, parse_color),
        ("greeting", &form.greeting, bot_template),
        ("signin_text", &form.signin_text, parse_bot_text),
    ];
    checks
        .into_iter()
        .filter_map(|(field, value, parse)| {
            parse(value).err().map(|message| FieldError { field: field.into(), message })
        })
        .collect()
}

/// Save a bot's settings from the dashboard.
#[utoipa::path(post, path = "/bots/{id}", tag = "dashboard", security(("login" = [])), params(("id" = String, Path)),
    responses(SignInRequired, FormErrors, (status = 303, description = "Saved"),
        (status = 404, description = "No such bot in this workspace", content_type = "text/html")))]
pub async fn save_settings(State(s): State<Services>, post: BotPost<Form<SettingsForm>>) -> Served {
    let BotPost { who, me, bot, path: id, body: Form(form) } = post;
    let auth = s.bot_auth_for(&me, &id).await.map_err(failure)?;
    let origins: Vec<String> =
        form.allowed_origins.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
    let mut input = origins_input(&auth.settings, origins);
    input.url_optional = auth.identity.mode != concierge_domain::IdentityKind::CustomAuth;
    // Checked before anything is written, so that a refused form changes nothing.
    if let Err(mut errors) = input.clone().validate(&auth.settings, s.upstream_policy()) {
        errors.extend(appearance_errors(&form));
        return Ok(render_settings(&who, &bot, &form, StatusCode::UNPROCESSABLE_ENTITY, &errors, false));
    }
    let patch = BotPatch {
        name: Some(form.name.clone()),
        color: Some(form.color.clone()),
        greeting: Some(form.greeting.clone()),
        signin_text: Some(form.signin_text.clone()),
        ..BotPatch::default()
    };
    let saved = match s.update_bot(&me, &id, patch).await {
        Ok(_) => s.put_custom_auth(&id, input).await.map(|_| ()),
        Err(e) => Err(e),
    };
    let page = after_save(saved, format!("/bots/{id}?saved=1"), async |errors| {
        render_settings(&who, &bot, &form, StatusCode::UNPROCESSABLE_ENTITY, &errors, false)
    });
    Ok(page.await)
}
