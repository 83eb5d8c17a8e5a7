//! The bots list and bot creation.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use concierge_store::Bot;
use minijinja::context;
use serde::Deserialize;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::posted::{carries_csrf, Posted};
use super::{render, SignedIn};
use crate::http::responses::{FormErrors, SignInRequired};
use concierge_core::{Error, Principal, Services};

pub const TEMPLATES: &[(&str, &str)] = &[("bots.html", include_str!("../../templates/bots.html"))];

pub fn routes() -> OpenApiRouter<Services> {
    OpenApiRouter::new().routes(routes!(bots_page, create_bot))
}

pub(super) fn principal(who: &SignedIn) -> Principal {
    Principal::Member { workspace_id: who.user.workspace_id.clone(), user_id: who.user.id.clone() }
}

/// The workspace's bots and the one asked for (or the first).
pub(super) async fn pick_bot(
    s: &Services,
    who: &SignedIn,
    wanted: Option<&str>,
) -> Result<(Vec<Bot>, Option<Bot>), Error> {
    let bots = s.list_bots(&principal(who)).await?;
    let chosen = match wanted {
        Some(id) => Some(bots.iter().find(|b| b.id == id).cloned().ok_or(Error::NotFound("bot"))?),
        None => bots.first().cloned(),
    };
    Ok((bots, chosen))
}

/// The bots as `<option>`s of a picker.
pub(super) fn bot_options(bots: &[Bot]) -> Vec<minijinja::Value> {
    bots.iter().map(|b| context! { id => b.id.clone(), name => b.name.clone() }).collect()
}

async fn bots_list(s: &Services, who: &SignedIn, status: StatusCode, error: Option<String>) -> Response {
    match s.list_bots(&principal(who)).await {
        Ok(bots) => {
            let bots: Vec<_> =
                bots.into_iter().map(|b| context! { id => b.id, name => b.name, color => b.color }).collect();
            render(status, "bots.html", context! { bots, error, ..who.layout("bots") })
        }
        Err(e) => crate::http::error::ApiError::from(e).into_response(),
    }
}

/// The bots of the signed-in user's workspace.
#[utoipa::path(get, path = "/bots", tag = "dashboard", security(("login" = [])), responses(SignInRequired, (status = 200, description = "Bots", content_type = "text/html")))]
pub async fn bots_page(State(s): State<Services>, who: SignedIn) -> Response {
    bots_list(&s, &who, StatusCode::OK, None).await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewBotForm {
    csrf: String,
    name: String,
}

carries_csrf!(NewBotForm);

/// Create a bot from the dashboard.
#[utoipa::path(post, path = "/bots", tag = "dashboard", security(("login" = [])),
    responses(SignInRequired, FormErrors, (status = 303, description = "Created")))]
pub async fn create_bot(State(s): State<Services>, post: Posted<Form<NewBotForm>>) -> Response {
    let Posted { who, body: Form(form) } = post;
    match s.create_bot(&principal(&who), &form.name, None).await {
        Ok(_) => Redirect::to("/bots").into_response(),
        Err(Error::Validation(fields)) => {
            let error = fields.into_iter().map(|f| f.message).collect::<Vec<_>>().join(" ");
            bots_list(&s, &who, StatusCode::UNPROCESSABLE_ENTITY, Some(error)).await
        }
        Err(e) => crate::http::error::ApiError::from(e).into_response(),
    }
}
