//! What every form post of the dashboard passes before a handler sees it: a signed-in
//! user, a body that parses, and proof that the dashboard's own page sent it.

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::Form;

use super::SignedIn;
use concierge_core::Services;

/// A posted body with the sign-in's CSRF token in it.
pub trait CarriesCsrf {
    fn csrf(&self) -> &str;
}

impl<T: CarriesCsrf> CarriesCsrf for Form<T> {
    fn csrf(&self) -> &str {
        self.0.csrf()
    }
}

/// Every dashboard form names its token `csrf`; this says so for a module's forms without
/// making their fields public.
macro_rules! carries_csrf {
    ($($form:ty),+ $(,)?) => {
        $(impl $crate::dashboard::posted::CarriesCsrf for $form {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        })+
    };
}
pub(crate) use carries_csrf;

/// A form post let through: who sent it and its body. Handlers spell the body `Form<…>`
/// in their signatures because that is where the OpenAPI document finds the form.
pub struct Posted<B> {
    pub who: SignedIn,
    pub body: B,
}

impl<B> Posted<B>
where
    B: FromRequest<Services> + CarriesCsrf + Send,
    B::Rejection: IntoResponse,
{
    /// The body's checks, once the caller has read what it needs from the parts: the user
    /// is known first, so that a signed-out visitor is sent to sign in whatever they post.
    pub(super) async fn check(who: SignedIn, parts: Parts, body: Body, s: &Services) -> Result<Self, Response> {
        let request = Request::from_parts(parts, body);
        let headers = request.headers().clone();
        let body = B::from_request(request, s).await.map_err(IntoResponse::into_response)?;
        match who.refuse_forged(&headers, body.csrf()) {
            Some(refused) => Err(refused),
            None => Ok(Self { who, body }),
        }
    }
}

impl<B> FromRequest<Services> for Posted<B>
where
    B: FromRequest<Services> + CarriesCsrf + Send,
    B::Rejection: IntoResponse,
{
    type Rejection = Response;

    async fn from_request(request: Request, s: &Services) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let who = SignedIn::from_request_parts(&mut parts, s).await?;
        Self::check(who, parts, body, s).await
    }
}
