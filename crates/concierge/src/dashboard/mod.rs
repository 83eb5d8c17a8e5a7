//! The dashboard: server-rendered pages (minijinja templates shipped in the binary) and a
//! little JavaScript. Sign-in is a cookie; every form that changes state carries a CSRF
//! token derived from it and must come from the dashboard's own origin.

mod auth;
mod bot_detail;
mod bots;
mod chart;
mod inbox;
mod pages;
mod posted;
mod records;

use std::sync::LazyLock;

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use minijinja::Environment;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use concierge_core::Services;

pub use auth::SignedIn;

/// The layout every page extends, and the plain message page.
const SHARED_TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("message.html", include_str!("../../templates/message.html")),
];

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    let modules = [
        SHARED_TEMPLATES,
        auth::TEMPLATES,
        bots::TEMPLATES,
        bot_detail::TEMPLATES,
        records::TEMPLATES,
        inbox::TEMPLATES,
    ];
    for (name, source) in modules.into_iter().flatten() {
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(error = %e, name, "a dashboard template does not compile");
        }
    }
    env
});

/// A page, or, when a lookup on the way failed, the page that says so: handlers that
/// look things up return this so that `?` ends them with that page.
pub type Served = Result<Response, Response>;

/// Renders a template; HTML escaping is on for every `.html` template.
pub fn render(status: StatusCode, name: &str, context: minijinja::Value) -> Response {
    match TEMPLATES.get_template(name).and_then(|t| t.render(context)) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, name, "a dashboard page failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "The page could not be rendered.").into_response()
        }
    }
}

/// A page that only says something, e.g. why a form was refused.
pub fn message(status: StatusCode, heading: &str, text: &str) -> Response {
    render(status, "message.html", minijinja::context! { heading, text })
}

/// The page for a refused lookup (anything not found, including another workspace's) or
/// an internal error.
pub fn failed(e: concierge_core::Error) -> Response {
    match e {
        concierge_core::Error::NotFound(what) => {
            message(StatusCode::NOT_FOUND, "Not found", &format!("There is no such {what} here."))
        }
        concierge_core::Error::Unavailable(cause) => {
            tracing::warn!(error = format!("{cause:#}"), "the database does not answer");
            message(
                StatusCode::SERVICE_UNAVAILABLE,
                "Try again in a moment",
                "The database does not answer right now. Nothing you saved is lost; reload this page in a moment.",
            )
        }
        concierge_core::Error::BadRequest { message: text, .. } => {
            message(StatusCode::BAD_REQUEST, "This request could not be done", &text)
        }
        other => crate::http::error::ApiError::from(other).into_response(),
    }
}

const DASHBOARD_CSS: &str = include_str!("../../assets/dashboard.css");

/// The dashboard's stylesheet.
#[utoipa::path(get, path = "/assets/dashboard.css", tag = "dashboard",
    responses((status = 200, description = "Stylesheet", content_type = "text/css")))]
pub async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")], DASHBOARD_CSS)
        .into_response()
}

const FAVICON_SVG: &str = include_str!("../../assets/favicon.svg");
/// The same icon drawn at 32 px, for clients that ask for `/favicon.ico` by habit.
const FAVICON_ICO: &[u8] = include_bytes!("../../assets/favicon.ico");
/// The icon changes about never; a day keeps it from being asked for on every page.
const ICON_CACHE: &str = "public, max-age=86400";

/// The dashboard's icon, as `base.html` links it.
#[utoipa::path(get, path = "/assets/favicon.svg", tag = "dashboard",
    responses((status = 200, description = "Icon", content_type = "image/svg+xml")))]
pub async fn favicon_svg() -> Response {
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, ICON_CACHE)], FAVICON_SVG).into_response()
}

/// The icon where browsers and bookmark tools look without a link.
#[utoipa::path(get, path = "/favicon.ico", tag = "dashboard",
    responses((status = 200, description = "Icon", content_type = "image/x-icon")))]
pub async fn favicon_ico() -> Response {
    ([(header::CONTENT_TYPE, "image/x-icon"), (header::CACHE_CONTROL, ICON_CACHE)], FAVICON_ICO).into_response()
}

/// A request the dashboard could not read (a query, path or form that does not parse, a
/// body too large) is answered by axum or tower-http in plain text; a person sees it as
/// a page that says what was wrong, with the same status.
async fn unreadable_as_page(response: Response) -> Response {
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !status.is_client_error() || !plain {
        return response;
    }
    let why = match axum::body::to_bytes(response.into_body(), 4096).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => String::new(),
    };
    message(
        status,
        "This request could not be read",
        &format!("{}. Check the address, or go back and try again.", why.trim_end_matches('.')),
    )
}

/// Every dashboard route, with the pages' security headers.
pub fn routes() -> OpenApiRouter<Services> {
    let routes = OpenApiRouter::new()
        .routes(routes!(stylesheet))
        .routes(routes!(favicon_svg))
        .routes(routes!(favicon_ico))
        .routes(routes!(pages::home))
        .merge(auth::routes())
        .merge(bots::routes())
        .merge(bot_detail::routes())
        .merge(records::routes())
        .merge(inbox::routes())
        .layer(axum::middleware::map_response(unreadable_as_page));
    crate::http::security::pages(routes)
}
