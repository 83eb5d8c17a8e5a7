use crate::http::responses::SignInRequired;
use axum::response::Redirect;

use super::SignedIn;

/// The dashboard's front door.
#[utoipa::path(get, path = "/", tag = "dashboard", security(("login" = [])), responses(SignInRequired, (status = 303, description = "To the bots, or to sign in")))]
pub async fn home(_who: SignedIn) -> Redirect {
    Redirect::to("/bots")
}
