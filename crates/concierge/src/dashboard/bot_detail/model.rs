//! The bot's optional AI model (an OpenAI-compatible API). The API key is write-only: the
//! page says whether one is stored and never puts it, or anything typed for it, in the HTML.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use concierge_domain::FieldError;
use concierge_store::Bot;
use minijinja::context;
use serde::Deserialize;

use super::super::posted::carries_csrf;
use super::super::{Served, SignedIn};
use super::settings::SavedQuery;
use super::{after_save, by_field, failure, render_tab, BotPage, BotPost};
use crate::http::responses::{FormErrors, SignInRequired};
use concierge_core::{LlmInput, LlmView, Services};

/// The form as submitted. Checkboxes are present only when ticked.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct ModelForm {
    csrf: String,
    enabled: Option<String>,
    base_url: String,
    model: String,
    /// Empty keeps the stored key.
    api_key: String,
    /// Ticked: the stored key is removed (a key typed as well is ignored).
    remove_key: Option<String>,
    timeout_ms: String,
    instructions: String,
}

carries_csrf!(ModelForm);

fn render_model(
    who: &SignedIn,
    bot: &Bot,
    view: &LlmView,
    form: &ModelForm,
    status: StatusCode,
    errors: &[FieldError],
    saved: bool,
) -> Response {
    let ctx = context! {
        form => context! {
            enabled => form.enabled.is_some(), base_url => form.base_url, model => form.model,
            timeout_ms => form.timeout_ms, instructions => form.instructions,
        },
        key_stored => view.api_key_set,
        // A refused form does not echo a key: it has to be typed again.
        key_typed => !form.api_key.trim().is_empty() && !errors.is_empty(),
        errors => by_field(errors), saved,
    };
    render_tab(status, "bot_model.html", "model", who, bot, ctx)
}

fn stored_form(view: &LlmView) -> ModelForm {
    ModelForm {
        enabled: view.enabled.then(String::new),
        base_url: view.base_url.clone(),
        model: view.model.clone(),
        timeout_ms: view.timeout_ms.to_string(),
        instructions: view.instructions.clone(),
        ..ModelForm::default()
    }
}

/// The bot's AI model settings.
#[utoipa::path(get, path = "/bots/{id}/model", tag = "dashboard", security(("login" = [])), params(("id" = String, Path), SavedQuery),
    responses(SignInRequired, (status = 200, description = "AI model settings", content_type = "text/html"),
        (status = 404, description = "No such bot in this workspace", content_type = "text/html")))]
pub async fn model_page(State(s): State<Services>, page: BotPage<SavedQuery>) -> Served {
    let BotPage { who, me, bot, path: id, query: q } = page;
    let view = s.llm_settings(&me, &id).await.map_err(failure)?;
    Ok(render_model(&who, &bot, &view, &stored_form(&view), StatusCode::OK, &[], q.saved.is_some()))
}

/// Save the bot's AI model settings; an empty key field keeps the stored key.
#[utoipa::path(post, path = "/bots/{id}/model", tag = "dashboard", security(("login" = [])), params(("id" = String, Path)),
    responses(SignInRequired, FormErrors, (status = 303, description = "Saved"),
        (status = 404, description = "No such bot in this workspace", content_type = "text/html")))]
pub async fn save_model(State(s): State<Services>, post: BotPost<Form<ModelForm>>) -> Served {
    let BotPost { who, me, bot, path: id, body: Form(form) } = post;
    let view = s.llm_settings(&me, &id).await.map_err(failure)?;
    let timeout = form.timeout_ms.trim();
    let timeout_ms = match timeout.parse::<i64>() {
        Ok(ms) => Some(ms),
        Err(_) if timeout.is_empty() => None,
        Err(_) => {
            let error =
                FieldError { field: "timeout_ms".into(), message: "The timeout is a number of milliseconds.".into() };
            return Ok(render_model(&who, &bot, &view, &form, StatusCode::UNPROCESSABLE_ENTITY, &[error], false));
        }
    };
    let api_key = match (form.remove_key.is_some(), form.api_key.trim()) {
        (true, _) => Some(String::new()),
        (false, "") => None,
        (false, key) => Some(key.to_owned()),
    };
    let input = LlmInput {
        enabled: form.enabled.is_some(),
        base_url: form.base_url.clone(),
        model: form.model.clone(),
        api_key,
        timeout_ms,
        instructions: Some(form.instructions.clone()),
    };
    let saved = s.put_llm_settings(&me, &id, input).await;
    let page = after_save(saved, format!("/bots/{id}/model?saved=1"), async |errors| {
        render_model(&who, &bot, &view, &form, StatusCode::UNPROCESSABLE_ENTITY, &errors, false)
    });
    Ok(page.await)
}
