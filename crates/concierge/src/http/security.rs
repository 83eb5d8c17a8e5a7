//! Security headers. Every response says `nosniff`, and over https (as a trusted proxy
//! reports it) asks browsers to stay on https. The dashboard's pages also get a strict
//! Content-Security-Policy, cannot be framed, and keep their URLs to themselves. The
//! widget's script and API are left without the page headers: customers embed them on
//! their own sites, cross-origin.

use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa_axum::router::OpenApiRouter;

use super::extract::served_over_https;
use concierge_core::Services;

/// Scripts, styles, images and requests from our own origin only; no inline script or
/// style (not even a `style` attribute), no plugins, forms post only to us, and no site
/// may frame a page. The pages need nothing else: dynamic colours and widths are SVG
/// attributes, and the scripts attach their handlers themselves.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
    connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A year, the usual HSTS lifetime. Not `includeSubDomains`: the operator's other hosts
/// are not ours to decide for.
const HSTS: &str = "max-age=31536000";

/// The headers of every response, API and assets included. What does not say how to cache
/// it (pages, answers with session tokens or signing secrets, contacts) is not stored: not
/// by a proxy, and not by the browser for its Back button after a sign-out.
pub fn every_response(router: Router<Services>, services: Services) -> Router<Services> {
    router
        .layer(SetResponseHeaderLayer::if_not_present(CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(SetResponseHeaderLayer::overriding(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(axum::middleware::from_fn_with_state(services, strict_transport))
}

/// The dashboard pages' headers, for every route of `router`.
pub fn pages(router: OpenApiRouter<Services>) -> OpenApiRouter<Services> {
    router
        .layer(SetResponseHeaderLayer::overriding(CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP)))
        // For browsers that predate `frame-ancestors`.
        .layer(SetResponseHeaderLayer::overriding(X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(REFERRER_POLICY, HeaderValue::from_static("same-origin")))
}

/// HSTS only where the browser really came over https: sent over plain http it would be
/// ignored anyway, and a local `http://127.0.0.1` must keep working.
async fn strict_transport(State(s): State<Services>, request: Request, next: Next) -> Response {
    let https = served_over_https(&s, request.headers());
    let mut response = next.run(request).await;
    if https {
        response.headers_mut().insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    response
}
