//! A bot's pages: settings and appearance, Development → Custom Authentication with its
//! testing panel, and the embed snippet.

use utoipa_axum::router::OpenApiRouter;

use crate::service::Services;

pub const TEMPLATES: &[(&str, &str)] = &[];

pub fn routes() -> OpenApiRouter<Services> {
    OpenApiRouter::new()
}
