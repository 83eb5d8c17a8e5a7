//! What every bot page and every form posted to one starts with, in this order: who is
//! signed in, the path, the query or the checked form, and only then the bot. A forged
//! form is refused before the bot is looked up, so it cannot tell whether the bot exists.

use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use concierge_store::Bot;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::super::bots::principal;
use super::super::posted::{CarriesCsrf, Posted};
use super::super::SignedIn;
use super::failure;
use concierge_core::{Principal, Services};

/// The path of a bot's page: the bot's id, then whatever the page is about within it.
pub trait BotRoute: DeserializeOwned + Send {
    fn bot_id(&self) -> &str;
}

impl BotRoute for String {
    fn bot_id(&self) -> &str {
        self
    }
}

impl BotRoute for (String, String) {
    fn bot_id(&self) -> &str {
        &self.0
    }
}

/// The query of a page that reads none: any query string passes, as it always did.
#[derive(Deserialize)]
pub struct NoQuery {}

/// A bot's page as asked for: the caller, the bot, the path and the query.
pub struct BotPage<Q = NoQuery, P = String> {
    pub who: SignedIn,
    pub me: Principal,
    pub bot: Bot,
    pub path: P,
    pub query: Q,
}

impl<Q, P> FromRequestParts<Services> for BotPage<Q, P>
where
    Q: DeserializeOwned + Send,
    P: BotRoute,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &Services) -> Result<Self, Self::Rejection> {
        let who = SignedIn::from_request_parts(parts, s).await?;
        let Path(path) = Path::<P>::from_request_parts(parts, s).await.map_err(IntoResponse::into_response)?;
        let Query(query) = Query::<Q>::from_request_parts(parts, s).await.map_err(IntoResponse::into_response)?;
        let (me, bot) = the_bot(s, &who, path.bot_id()).await?;
        Ok(Self { who, me, bot, path, query })
    }
}

/// A form posted to a bot's page, let through: the caller, the bot, the path and the body
/// (spelled `Form<…>` in handlers, where the OpenAPI document finds the form).
pub struct BotPost<B, P = String> {
    pub who: SignedIn,
    pub me: Principal,
    pub bot: Bot,
    pub path: P,
    pub body: B,
}

impl<B, P> FromRequest<Services> for BotPost<B, P>
where
    B: FromRequest<Services> + CarriesCsrf + Send,
    B::Rejection: IntoResponse,
    P: BotRoute,
{
    type Rejection = Response;

    async fn from_request(request: Request, s: &Services) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let who = SignedIn::from_request_parts(&mut parts, s).await?;
        let Path(path) = Path::<P>::from_request_parts(&mut parts, s).await.map_err(IntoResponse::into_response)?;
        let Posted { who, body } = Posted::<B>::check(who, parts, body, s).await?;
        let (me, bot) = the_bot(s, &who, path.bot_id()).await?;
        Ok(Self { who, me, bot, path, body })
    }
}

async fn the_bot(s: &Services, who: &SignedIn, id: &str) -> Result<(Principal, Bot), Response> {
    let me = principal(who);
    let bot = s.bot_for(&me, id).await.map_err(failure)?;
    Ok((me, bot))
}
