//! One error type for every HTTP answer: `{"error": {"code", "message", "fields"?}}` with a
//! stable snake_case code. Internal errors are logged with context and answered as an
//! opaque `internal_error`.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use concierge_core::Error;

#[derive(Debug)]
pub enum ApiError {
    /// A use case refused.
    Service(Error),
    /// The request could not be read (body, query or path).
    Request { status: StatusCode, code: &'static str, message: String },
}

/// What a handler answers.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError::Service(e)
    }
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, snake_case: safe to branch on.
    pub code: String,
    /// For people; may change.
    pub message: String,
    /// Per-field messages, for `validation_failed`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldMessage>,
}

#[derive(Serialize, ToSchema)]
pub struct FieldMessage {
    pub field: String,
    pub message: String,
}

pub fn error_response(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = ErrorBody { error: ErrorDetail { code: code.into(), message: message.into(), fields: Vec::new() } };
    (status, axum::Json(body)).into_response()
}

/// When a client should try again after "database unavailable": soon, but not in a loop.
const UNAVAILABLE_RETRY_SECS: u64 = 2;

/// When a widget should try again to sign its user in after the customer's API failed to
/// answer: long enough not to pile onto an API that is struggling.
const AUTH_RETRY_SECS: u64 = 5;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = match self {
            ApiError::Service(e) => e,
            ApiError::Request { status, code, message } => return error_response(status, code, message),
        };
        let status = match &e {
            // The customer's API failed to answer: no verdict on the user, so not 401.
            Error::AuthFailed { passing: true, .. } => StatusCode::SERVICE_UNAVAILABLE,
            Error::Unauthorized | Error::AuthFailed { .. } => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) | Error::OriginNotAllowed => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Error::Conflict(_) | Error::NotNow { .. } => StatusCode::CONFLICT,
            Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let fields = match &e {
            Error::Validation(fields) => {
                fields.iter().map(|f| FieldMessage { field: f.field.clone(), message: f.message.clone() }).collect()
            }
            _ => Vec::new(),
        };
        let body =
            ErrorBody { error: ErrorDetail { code: e.code().into_owned(), message: e.public_message(), fields } };
        let mut response = (status, axum::Json(body)).into_response();
        match e {
            Error::Unauthorized => {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Error::RateLimited { retry_after_secs } => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            }
            Error::Unavailable(_) => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(UNAVAILABLE_RETRY_SECS));
            }
            Error::AuthFailed { passing: true, .. } => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(AUTH_RETRY_SECS));
            }
            _ => {}
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let status = r.status();
        let (code, message) = match &r {
            JsonRejection::MissingJsonContentType(_) => {
                ("unsupported_media_type", "Send the body as JSON with content-type: application/json.".to_owned())
            }
            JsonRejection::JsonSyntaxError(_) => ("invalid_json", "The body is not valid JSON.".to_owned()),
            JsonRejection::JsonDataError(e) => ("invalid_body", serde_message(e.body_text())),
            _ if status == StatusCode::PAYLOAD_TOO_LARGE => {
                ("payload_too_large", format!("The body is larger than {} KiB.", super::MAX_BODY_BYTES / 1024))
            }
            _ => ("invalid_body", r.body_text()),
        };
        ApiError::Request { status, code, message }
    }
}

/// serde's message without axum's prefix, e.g. "missing field `bot_id` at line 1 column 2".
fn serde_message(text: String) -> String {
    text.split_once(": ").map(|(_, rest)| rest.to_owned()).unwrap_or(text)
}

impl ApiError {
    /// A part of the request that serde could not read, said in serde's words.
    fn unreadable(code: &'static str, rejection_text: String) -> Self {
        ApiError::Request { status: StatusCode::BAD_REQUEST, code, message: serde_message(rejection_text) }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::unreadable("invalid_query", r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::unreadable("invalid_path", r.body_text())
    }
}
