use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query};
use axum::http::header::{AUTHORIZATION, ORIGIN};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use concierge_core::{csrf_matches, ClientInfo, Error, Principal, Services};
use concierge_store::Bot;

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

/// The token of `Authorization: Bearer …`.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Whether the browser reached us over https. Concierge itself serves plain http, so this
/// is only known from a proxy the operator trusts (`--trust-proxy-headers`).
pub fn served_over_https(s: &Services, headers: &axum::http::HeaderMap) -> bool {
    s.settings.trust_proxy_headers && headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https")
}

/// The name of the dashboard's sign-in cookie.
pub const LOGIN_COOKIE: &str = "concierge_login";

/// The dashboard sign-in token from the request's cookies.
pub fn login_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == LOGIN_COOKIE)
        .map(|c| c.value().to_owned())
}

/// The admin API's caller: `Authorization: Bearer …` (automation), or the dashboard's
/// sign-in cookie, which must come with `X-CSRF-Token` on anything that changes state.
pub struct Admin(pub Principal);

impl FromRequestParts<Services> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, services: &Services) -> Result<Self, Self::Rejection> {
        Ok(Admin(admin_principal(services, &parts.headers, parts.method.is_safe()).await?))
    }
}

/// An admin API caller and the ids its path names (`{id}`, or a tuple for several). The
/// credentials are checked before the path is read, so a caller without them learns
/// nothing from an id; whether the caller may see what the ids name is the use case's
/// check, or [`AdminBot`]'s.
pub struct AdminPath<T = String> {
    pub who: Principal,
    pub id: T,
}

impl<T: DeserializeOwned + Send> FromRequestParts<Services> for AdminPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, services: &Services) -> Result<Self, Self::Rejection> {
        let Admin(who) = Admin::from_request_parts(parts, services).await?;
        let ApiPath(id) = ApiPath::from_request_parts(parts, services).await?;
        Ok(AdminPath { who, id })
    }
}

/// The bot an admin API path's `{id}` names, if the caller may see it: `bot_not_found`
/// otherwise, for another workspace's bot as for one that does not exist. For handlers
/// whose use case takes the bot as found rather than checking the caller itself.
pub struct AdminBot(pub Bot);

impl FromRequestParts<Services> for AdminBot {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, services: &Services) -> Result<Self, Self::Rejection> {
        let AdminPath { who, id } = AdminPath::<String>::from_request_parts(parts, services).await?;
        Ok(AdminBot(services.bot_for(&who, &id).await?))
    }
}

/// Who the credentials of these headers belong to, now. `writes` requires the CSRF header
/// from a cookie-authenticated caller. Long-lived responses (the inbox's event stream) ask
/// again from time to time, so a sign-out or a revoked token ends them too.
pub async fn admin_principal(
    services: &Services,
    headers: &axum::http::HeaderMap,
    safe: bool,
) -> Result<Principal, Error> {
    if let Some(token) = bearer(headers) {
        return services.authenticate_admin(Some(token)).await;
    }
    let login = login_cookie(headers).ok_or(Error::Unauthorized)?;
    let user = services.signed_in_user(&login).await?;
    if !safe {
        let presented = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if !csrf_matches(&login, presented) {
            return Err(Error::Forbidden("The request lacks a valid X-CSRF-Token header."));
        }
    }
    Ok(Principal::Member { workspace_id: user.workspace_id, user_id: user.id })
}

/// The browser's address and the page origin it claims.
pub struct Client(pub ClientInfo);

impl FromRequestParts<Services> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, services: &Services) -> Result<Self, Self::Rejection> {
        let forwarded = services.settings.trust_proxy_headers.then(|| forwarded_for(&parts.headers)).flatten();
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let ip = forwarded.or(peer).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        Ok(Client(ClientInfo { ip, origin: origin(&parts.headers).map(str::to_owned) }))
    }
}

/// The address the proxy in front saw: the last entry of the last `X-Forwarded-For` line.
/// The proxy appends it; anything before it, on that line or on a line of its own (HAProxy
/// adds one), came from the client and proves nothing. A port after it (as some load
/// balancers write) is dropped.
fn forwarded_for(headers: &axum::http::HeaderMap) -> Option<IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().next_back()?.to_str().ok()?.rsplit(',').next()?.trim();
    if let Ok(ip) = last.parse::<IpAddr>() {
        return Some(ip);
    }
    last.parse::<SocketAddr>().ok().map(|a| a.ip())
}

/// The page origin the browser claims (`Origin`), which a bot's `allowed_origins` is held
/// to.
pub fn origin(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers.get(ORIGIN).and_then(|o| o.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(lines: &[&str]) -> Option<IpAddr> {
        let mut headers = axum::http::HeaderMap::new();
        for line in lines {
            headers.append("x-forwarded-for", line.parse().unwrap());
        }
        forwarded_for(&headers)
    }

    #[test]
    fn the_address_the_proxy_appended_is_taken_and_nothing_the_client_wrote() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(forwarded(&["203.0.113.7"]), ip("203.0.113.7"));
        assert_eq!(forwarded(&["6.6.6.6, 203.0.113.7"]), ip("203.0.113.7"), "the client wrote the first");
        assert_eq!(forwarded(&["6.6.6.6", "203.0.113.7"]), ip("203.0.113.7"), "a line of the proxy's own");
        assert_eq!(forwarded(&["203.0.113.7:51234"]), ip("203.0.113.7"), "a port is dropped");
        assert_eq!(forwarded(&["[2001:db8::7]:443"]), ip("2001:db8::7"));
        assert_eq!(forwarded(&["2001:db8::7"]), ip("2001:db8::7"));
        assert_eq!(forwarded(&["203.0.113.7, not an address"]), None, "the peer's address is used then");
        assert_eq!(forwarded(&[]), None);
    }
}
