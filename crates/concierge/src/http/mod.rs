//! HTTP: routes, extractors and error mapping over the service layer. Every route is
//! registered through `utoipa_axum::routes!`, so the OpenAPI document and the router come
//! from the same list.

mod admin_bots;
mod admin_custom_auth;
mod admin_identity;
mod admin_inbox;
mod admin_knowledge;
mod admin_llm;
mod admin_records;
mod admin_unanswered;
mod assets;
mod complete;
mod dto;
pub mod error;
pub mod extract;
mod ops;
pub(crate) mod responses;
pub(crate) mod security;
mod widget;
mod ws;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, Method, Request, StatusCode};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use ops::metrics_handle;

use error::error_response;

use concierge_core::Services;

/// Room for the largest valid request: an article of 20,000 characters of any script sent
/// as a url-encoded dashboard form (up to 9 bytes a character), or 50 rules.
pub(crate) const MAX_BODY_BYTES: usize = 256 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(title = "Concierge", description = "Self-hosted support chat with Custom Authentication."),
    modifiers(&BearerSchemes),
    components(responses(
        responses::BadRequest,
        responses::Unauthorized,
        responses::Forbidden,
        responses::NotFound,
        responses::PayloadTooLarge,
        responses::UnsupportedMediaType,
        responses::Unprocessable,
        responses::NotNow,
        responses::TooManyRequests,
    )),
    tags(
        (name = "bots", description = "Admin API: bots"),
        (name = "custom-auth", description = "Admin API: Custom Authentication"),
        (name = "identity", description = "Admin API: identity modes (Custom Authentication call, signed user tokens, identity hashes)"),
        (name = "contacts", description = "Admin API: contacts"),
        (name = "inbox", description = "Admin API: conversations, agent replies, handoff"),
        (name = "knowledge", description = "Admin API: knowledge base and answer preview"),
        (name = "widget", description = "Widget API"),
        (name = "ops", description = "Operations"),
        (name = "dashboard", description = "Dashboard pages (HTML)"),
    )
)]
struct ApiDoc;

struct BearerSchemes;

impl Modify for BearerSchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = || SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build());
        components.add_security_scheme("bearer", bearer());
        components.add_security_scheme("session", bearer());
        let login = ApiKey::Cookie(ApiKeyValue::with_description(
            extract::LOGIN_COOKIE,
            "The dashboard's sign-in cookie (set by POST /login); forms also need their CSRF token.",
        ));
        components.add_security_scheme("login", SecurityScheme::ApiKey(login));
    }
}

/// The whole application, ready to serve.
pub fn router(services: Services) -> Router {
    let (router, _) = api().split_for_parts();
    let request_id = HeaderName::from_static("x-request-id");
    let router = router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(complete::run_to_completion))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a request handler panicked");
            error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", concierge_core::INTERNAL_MESSAGE)
        }))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(widget_cors())
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let path = req
                .extensions()
                .get::<axum::extract::MatchedPath>()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "unmatched".into());
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            tracing::info_span!("request", method = %req.method(), path, request_id = id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid));
    // Outermost, so that answers made by the layers above (a CORS preflight, a panic) get
    // them too.
    security::every_response(router, services.clone()).with_state(services)
}

async fn not_found() -> axum::response::Response {
    error_response(StatusCode::NOT_FOUND, "route_not_found", "There is no such endpoint; see /api/openapi.json.")
}

async fn method_not_allowed() -> axum::response::Response {
    error_response(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "This endpoint does not take that method.")
}

/// The documented API. Split out so a test can compare the document with the routes.
pub fn api() -> OpenApiRouter<Services> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(admin_bots::create_bot, admin_bots::list_bots))
        .routes(routes!(admin_bots::get_bot, admin_bots::patch_bot))
        .routes(routes!(admin_custom_auth::get_custom_auth, admin_custom_auth::put_custom_auth))
        .routes(routes!(admin_custom_auth::rotate_secret))
        .routes(routes!(admin_custom_auth::clear_cache))
        .routes(routes!(admin_custom_auth::reveal_headers))
        .routes(routes!(admin_custom_auth::test_custom_auth))
        .routes(routes!(admin_identity::get_identity, admin_identity::put_identity))
        .routes(routes!(admin_identity::add_jwt_key))
        .routes(routes!(admin_identity::delete_jwt_key))
        .routes(routes!(admin_identity::rotate_identity_hash_secret))
        .routes(routes!(admin_identity::test_identity))
        .routes(routes!(admin_llm::get_llm, admin_llm::put_llm))
        .routes(routes!(admin_knowledge::create_article, admin_knowledge::list_articles))
        .routes(routes!(admin_knowledge::get_article, admin_knowledge::put_article, admin_knowledge::delete_article))
        .routes(routes!(admin_knowledge::ask))
        .routes(routes!(admin_unanswered::list_unanswered))
        .routes(routes!(admin_unanswered::dismiss_unanswered))
        .routes(routes!(admin_unanswered::answer_with_article))
        .routes(routes!(admin_records::list_contacts))
        .routes(routes!(admin_records::get_contact))
        .routes(routes!(admin_records::list_attempts))
        .routes(routes!(admin_inbox::inbox))
        .routes(routes!(admin_inbox::messages, admin_inbox::reply))
        .routes(routes!(admin_inbox::take_over))
        .routes(routes!(admin_inbox::hand_back))
        .routes(routes!(admin_inbox::events))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .routes(routes!(ops::openapi))
        .routes(routes!(assets::widget_js))
        .routes(routes!(ws::ws))
        .routes(routes!(widget::public_bot))
        .routes(routes!(widget::start_session))
        .routes(routes!(widget::end_session))
        .merge(crate::dashboard::routes())
        .routes(routes!(widget::post_message, widget::list_messages))
}

/// Widget endpoints answer any origin here; each bot's `allowed_origins` is enforced by
/// the session start itself, which knows the bot. Admin endpoints get no CORS headers, so
/// browsers keep other sites out of them.
fn widget_cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(|_, parts| parts.uri.path().starts_with("/api/widget/")))
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
        .max_age(std::time::Duration::from_secs(3600))
}

/// The OpenAPI document, pretty-printed, as committed in `docs/openapi.json`.
pub fn openapi_json() -> String {
    let (_, openapi) = api().split_for_parts();
    openapi.to_pretty_json().unwrap_or_default()
}
