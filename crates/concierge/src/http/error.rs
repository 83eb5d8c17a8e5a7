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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = match self {
            ApiError::Service(e) => e,
            ApiError::Request { status, code, message } => return error_response(status, code, message),
        };
        match e {
            Error::Unauthorized => {
                let mut r = error_response(StatusCode::UNAUTHORIZED, "unauthorized", e.to_string());
                r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                r
            }
            Error::Forbidden(msg) => error_response(StatusCode::FORBIDDEN, "forbidden", msg),
            Error::NotFound(what) => {
                error_response(StatusCode::NOT_FOUND, &format!("{what}_not_found"), format!("No such {what}."))
            }
            Error::Validation(fields) => {
                let message =
                    fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join(" ");
                let body = ErrorBody {
                    error: ErrorDetail {
                        code: "validation_failed".into(),
                        message,
                        fields: fields
                            .into_iter()
                            .map(|f| FieldMessage { field: f.field, message: f.message })
                            .collect(),
                    },
                };
                (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response()
            }
            Error::BadRequest { code, message } => error_response(StatusCode::BAD_REQUEST, code, message),
            Error::Conflict(what) => error_response(
                StatusCode::CONFLICT,
                "conflict",
                format!("That {} already exists.", what.replace('_', " ")),
            ),
            Error::RateLimited { retry_after_secs } => {
                let mut r = error_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("Too many requests; retry in {retry_after_secs} s."),
                );
                r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                r
            }
            Error::OriginNotAllowed => error_response(StatusCode::FORBIDDEN, "origin_not_allowed", e.to_string()),
            Error::AuthFailed { code, message } => error_response(StatusCode::UNAUTHORIZED, code.as_str(), message),
            Error::Internal(err) => {
                tracing::error!(error = format!("{err:#}"), "internal error");
                error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "Something went wrong on our side.")
            }
        }
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

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::Request {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_query",
            message: serde_message(r.body_text()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::Request {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_path",
            message: serde_message(r.body_text()),
        }
    }
}
