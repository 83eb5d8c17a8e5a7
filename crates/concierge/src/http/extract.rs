use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query};
use axum::http::header::{AUTHORIZATION, ORIGIN};
use axum::http::request::Parts;

use super::error::ApiError;
use crate::service::{ClientInfo, Principal, Services};

/// `axum::Json` whose rejections use our error body.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// `axum::extract::Query` whose rejections use our error body.
#[derive(FromRequestParts)]
#[from_request(via(Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// `axum::extract::Path` whose rejections use our error body.
#[derive(FromRequestParts)]
#[from_request(via(Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The admin API's caller, from `Authorization: Bearer …`.
pub struct Admin(pub Principal);

impl FromRequestParts<Services> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, services: &Services) -> Result<Self, Self::Rejection> {
        Ok(Admin(services.authenticate_admin(bearer(&parts.headers)).await?))
    }
}

/// The browser's address and the page origin it claims.
pub struct Client(pub ClientInfo);

impl FromRequestParts<Services> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, services: &Services) -> Result<Self, Self::Rejection> {
        let forwarded = services
            .config
            .trust_proxy_headers
            .then(|| {
                parts.headers.get("x-forwarded-for")?.to_str().ok()?.split(',').next()?.trim().parse::<IpAddr>().ok()
            })
            .flatten();
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let ip = forwarded.or(peer).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let origin = parts.headers.get(ORIGIN).and_then(|o| o.to_str().ok()).map(str::to_owned);
        Ok(Client(ClientInfo { ip, origin }))
    }
}
