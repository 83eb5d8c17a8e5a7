//! Widget API: what the embedded script calls from the customer's pages.

use axum::extract::State;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;

use super::dto::*;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{bearer, origin, ApiJson, ApiPath, ApiQuery, Client};
use super::responses::{BadRequest, JsonErrors, LookupErrors, SessionErrors, TooManyRequests, Unauthorized};
use concierge_core::{Error, Services};

/// Start a widget session: authenticates through the bot's Custom Authentication when it
/// is enabled, otherwise opens an anonymous visitor session.
#[utoipa::path(post, path = "/api/widget/v1/sessions", tag = "widget", request_body = SessionBody,
    responses(
        (status = 201, body = SessionDto, description = "A session; `authenticated` tells whether the user was identified."),
        (status = 401, body = ErrorBody, description = "Authentication failed and the bot blocks the chat on failure."),
        (status = 503, body = ErrorBody, headers(("retry-after" = u64, description = "Seconds to wait")),
            description = "The bot blocks the chat on failure and the customer's Authentication URL gave no verdict \
                           (`auth_timeout`, `auth_unreachable`, or `auth_upstream_error` for a 5xx, a 429 or a \
                           broken answer): nothing said about the user; try again later."),
        (status = 403, body = ErrorBody, description = "The page's origin is not allowed."),
        (status = 404, body = ErrorBody, description = "`bot_id` names no bot."),
        (status = 429, response = TooManyRequests), JsonErrors))]
pub async fn start_session(
    State(s): State<Services>,
    Client(client): Client,
    ApiJson(body): ApiJson<SessionBody>,
) -> ApiResult<(StatusCode, Json<SessionDto>)> {
    let started = s.start_session(body.into(), client).await?;
    Ok((StatusCode::CREATED, Json(started.into())))
}

/// How the widget draws a bot: name, colour, greeting, sign-in text.
#[utoipa::path(get, path = "/api/widget/v1/bots/{id}", tag = "widget", params(("id" = String, Path)),
    responses((status = 200, body = PublicBotDto), LookupErrors))]
pub async fn public_bot(State(s): State<Services>, ApiPath(id): ApiPath<String>) -> ApiResult<Json<PublicBotDto>> {
    let public = s.public_bot(&id).await?;
    let greeting = s.greeting(&public.bot, None);
    Ok(Json(PublicBotDto::new(public, greeting)))
}

/// The widget session behind `Authorization: Bearer SESSION_TOKEN`.
pub struct WidgetSession(concierge_store::Session);

impl axum::extract::FromRequestParts<Services> for WidgetSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &Services) -> Result<Self, Self::Rejection> {
        Ok(WidgetSession(s.widget_session(bearer(&parts.headers), origin(&parts.headers)).await?))
    }
}

/// End the session (the widget's logout): its token stops working immediately.
#[utoipa::path(delete, path = "/api/widget/v1/session", tag = "widget", security(("session" = [])),
    responses((status = 204, description = "Ended"), (status = 401, response = Unauthorized)))]
pub async fn end_session(State(s): State<Services>, headers: axum::http::HeaderMap) -> ApiResult<StatusCode> {
    s.end_widget_session(bearer(&headers)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Send a message as the visitor.
#[utoipa::path(post, path = "/api/widget/v1/messages", tag = "widget", request_body = VisitorMessageBody,
    security(("session" = [])),
    responses((status = 201, body = MessageDto),
        (status = 200, body = MessageDto, description = "Sent before with the same `client_id`: the message stored \
                                                         then; nothing was written."),
        SessionErrors, JsonErrors, (status = 429, response = TooManyRequests)))]
pub async fn post_message(
    State(s): State<Services>,
    WidgetSession(session): WidgetSession,
    ApiJson(body): ApiJson<VisitorMessageBody>,
) -> ApiResult<(StatusCode, Json<MessageDto>)> {
    let (message, new) = s.send_visitor_message(&session, &body.text, body.client_id.as_deref()).await?;
    Ok((if new { StatusCode::CREATED } else { StatusCode::OK }, Json(message.into())))
}

/// The conversation's messages after `after`, oldest first.
#[utoipa::path(get, path = "/api/widget/v1/messages", tag = "widget", params(AfterQuery),
    security(("session" = [])),
    responses((status = 200, body = MessageListDto), SessionErrors, (status = 400, response = BadRequest)))]
pub async fn list_messages(
    State(s): State<Services>,
    WidgetSession(session): WidgetSession,
    ApiQuery(q): ApiQuery<AfterQuery>,
) -> ApiResult<Json<MessageListDto>> {
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(Error::BadRequest { code: "invalid_query", message: "after must be 0 or more.".into() }.into());
    }
    let items = s.messages_after(&session, after).await?.into_iter().map(Into::into).collect();
    let conversation = s.widget_conversation(&session).await?;
    Ok(Json(MessageListDto { items, conversation: HandlerDto::from(&conversation) }))
}
