//! Signing in, the first-run setup, signing out, and who is signed in.

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cookie::{Cookie, SameSite};
use minijinja::context;
use serde::Deserialize;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::posted::{carries_csrf, Posted};
use super::{message, render};
use crate::http::extract::{login_cookie, served_over_https, Client, LOGIN_COOKIE};
use crate::http::responses::{FormErrors, SignInRequired};
use concierge_core::{csrf_matches, csrf_token, Error, Services, SetupLink};

pub const TEMPLATES: &[(&str, &str)] = &[
    ("login.html", include_str!("../../templates/login.html")),
    ("setup.html", include_str!("../../templates/setup.html")),
];

pub fn routes() -> OpenApiRouter<Services> {
    OpenApiRouter::new().routes(routes!(login_page, login)).routes(routes!(logout)).routes(routes!(setup_page, setup))
}

/// A signed-in dashboard user; pages that need one redirect to the sign-in page otherwise.
pub struct SignedIn {
    pub user: concierge_store::User,
    pub token: String,
    pub csrf: String,
}

impl FromRequestParts<Services> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &Services) -> Result<Self, Self::Rejection> {
        let to_login = || {
            let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            Redirect::to(&format!("/login?next={}", urlencode(next))).into_response()
        };
        let Some(token) = login_cookie(&parts.headers) else { return Err(to_login()) };
        match s.signed_in_user(&token).await {
            Ok(user) => Ok(SignedIn { user, csrf: csrf_token(&token), token }),
            Err(Error::Unauthorized) => Err(to_login()),
            Err(e) => Err(crate::http::error::ApiError::from(e).into_response()),
        }
    }
}

impl SignedIn {
    /// Refuses a form post that another site could have made: it must come from this
    /// origin and carry the sign-in's CSRF token.
    pub fn refuse_forged(&self, headers: &HeaderMap, csrf: &str) -> Option<Response> {
        if same_origin(headers) && csrf_matches(&self.token, csrf) {
            None
        } else {
            Some(message(
                StatusCode::FORBIDDEN,
                "Request refused",
                "This form was not sent from the dashboard (its security token is missing or wrong). Reload the page and try again.",
            ))
        }
    }

    /// What the layout of every signed-in page needs: who it is, the token its forms
    /// carry, and the section of the navigation it is in.
    pub fn layout(&self, section: &str) -> minijinja::Value {
        context! { user => context! { email => self.user.email.clone() }, csrf => self.csrf.clone(), section }
    }
}

/// Browsers say where a request comes from; a post from another site is refused even
/// before its CSRF token is looked at. Clients that send neither header (curl) pass.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match (headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()), headers.get(header::HOST)) {
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, rest)| rest) == host.to_str().ok(),
        (Some(_), None) => false,
        (None, _) => true,
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Only paths of this site, so a crafted `next` cannot send someone elsewhere after signing in.
fn safe_next(next: Option<&str>) -> String {
    // Browsers drop tabs and newlines and read `\` as `/` in a Location, so `/\t/evil`
    // would become `//evil`: only plain site paths pass.
    let plain = |n: &str| !n.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && plain(n) => n.to_owned(),
        _ => "/bots".to_owned(),
    }
}

fn login_cookie_header(s: &Services, headers: &HeaderMap, token: &str) -> HeaderValue {
    let secure = served_over_https(s, headers);
    let cookie = Cookie::build((LOGIN_COOKIE, token.to_owned()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .max_age(cookie::time::Duration::days(7))
        .build();
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_plain_paths_of_this_site_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/contacts?bot=1")), "/contacts?bot=1");
        for hostile in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil",
            "https://evil.example",
            "evil",
            "/ /x",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/bots", "{hostile:?}");
        }
        assert_eq!(safe_next(None), "/bots");
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NextQuery {
    next: Option<String>,
}

/// The sign-in page.
#[utoipa::path(get, path = "/login", tag = "dashboard", responses((status = 200, description = "Sign-in form", content_type = "text/html")))]
pub async fn login_page(State(s): State<Services>, Query(q): Query<NextQuery>) -> Response {
    // On a fresh install nobody can sign in yet: point at the setup link instead. A
    // database that cannot say is a failure to show, not a reason to guess either way.
    let first_run = match s.store.has_users().await {
        Ok(has_users) => !has_users,
        Err(e) => return super::failed(e.into()),
    };
    render(StatusCode::OK, "login.html", context! { next => safe_next(q.next.as_deref()), email => "", first_run })
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

/// Sign in with email and password.
#[utoipa::path(post, path = "/login", tag = "dashboard",
    responses(FormErrors, (status = 303, description = "Signed in"), (status = 401, description = "Wrong email or password", content_type = "text/html"),
              (status = 429, description = "Too many attempts from this address", content_type = "text/html")))]
pub async fn login(
    State(s): State<Services>,
    Client(client): Client,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if !same_origin(&headers) {
        return message(StatusCode::FORBIDDEN, "Request refused", "Sign in from the dashboard's own page.");
    }
    let next = safe_next(form.next.as_deref());
    match s.sign_in(&form.email, &form.password, client.ip).await {
        Ok(token) => {
            let mut r = Redirect::to(&next).into_response();
            r.headers_mut().insert(header::SET_COOKIE, login_cookie_header(&s, &headers, &token));
            r
        }
        Err(Error::BadRequest { message, .. }) => {
            render(StatusCode::UNAUTHORIZED, "login.html", context! { error => message, email => form.email, next })
        }
        Err(Error::RateLimited { retry_after_secs }) => {
            let error = format!("Too many sign-in attempts. Try again in {retry_after_secs} s.");
            render(StatusCode::TOO_MANY_REQUESTS, "login.html", context! { error, email => form.email, next })
        }
        Err(e) => crate::http::error::ApiError::from(e).into_response(),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CsrfForm {
    csrf: String,
}

carries_csrf!(CsrfForm);

/// Sign out.
#[utoipa::path(post, path = "/logout", tag = "dashboard", security(("login" = [])), responses(SignInRequired, FormErrors, (status = 303, description = "Signed out")))]
pub async fn logout(State(s): State<Services>, post: Posted<Form<CsrfForm>>) -> Response {
    if let Err(e) = s.sign_out(&post.who.token).await {
        return crate::http::error::ApiError::from(e).into_response();
    }
    let gone = Cookie::build((LOGIN_COOKIE, "")).path("/").max_age(cookie::time::Duration::ZERO).build();
    let mut r = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&gone.to_string()) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SetupQuery {
    token: Option<String>,
}

/// The first-run page that creates the first account (its link is printed by `serve`).
#[utoipa::path(get, path = "/setup", tag = "dashboard", params(SetupQuery),
    responses((status = 200, description = "Setup form", content_type = "text/html"),
        (status = 410, description = "An account already exists, or the link is missing, invalid or expired", content_type = "text/html")))]
pub async fn setup_page(State(s): State<Services>, Query(q): Query<SetupQuery>) -> Response {
    let token = q.token.unwrap_or_default();
    match s.setup_link(&token).await {
        Ok(SetupLink::Usable) => {
            render(StatusCode::OK, "setup.html", context! { valid => true, token, email => "", name => "" })
        }
        Ok(SetupLink::AccountExists) => setup_refused("account_exists"),
        Ok(SetupLink::Invalid) => setup_refused("setup_link_invalid"),
        Err(e) => crate::http::error::ApiError::from(e).into_response(),
    }
}

/// Why a setup link no longer works, truthfully: `concierge user create` kills the link
/// that `serve` printed without anyone having used it.
fn setup_refused(code: &str) -> Response {
    render(StatusCode::GONE, "setup.html", context! { valid => false, account_exists => code == "account_exists" })
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SetupForm {
    token: String,
    email: String,
    #[serde(default)]
    name: String,
    password: String,
}

/// Create the first account through the setup link, and sign in.
#[utoipa::path(post, path = "/setup", tag = "dashboard",
    responses(FormErrors, (status = 303, description = "Account created"), (status = 410, description = "Link used or expired", content_type = "text/html")))]
pub async fn setup(State(s): State<Services>, headers: HeaderMap, Form(form): Form<SetupForm>) -> Response {
    if !same_origin(&headers) {
        return message(StatusCode::FORBIDDEN, "Request refused", "Use the setup page itself.");
    }
    match s.complete_setup(&form.token, &form.email, Some(&form.name), &form.password).await {
        Ok(login) => {
            let mut r = Redirect::to("/bots").into_response();
            r.headers_mut().insert(header::SET_COOKIE, login_cookie_header(&s, &headers, &login));
            r
        }
        Err(Error::Validation(fields)) => {
            let errors: Vec<String> = fields.into_iter().map(|f| f.message).collect();
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                "setup.html",
                context! { valid => true, token => form.token, email => form.email, name => form.name, errors },
            )
        }
        Err(Error::BadRequest { code, .. }) => setup_refused(code),
        Err(Error::Conflict(_)) => render(
            StatusCode::CONFLICT,
            "setup.html",
            context! { valid => true, token => form.token, email => form.email, errors => vec!["That email already has an account."] },
        ),
        Err(e) => crate::http::error::ApiError::from(e).into_response(),
    }
}
