//! Contacts and the authentication log.

use utoipa_axum::router::OpenApiRouter;

use crate::service::Services;

pub const TEMPLATES: &[(&str, &str)] = &[];

pub fn routes() -> OpenApiRouter<Services> {
    OpenApiRouter::new()
}
