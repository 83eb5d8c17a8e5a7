use concierge_domain::{AuthErrorCode, FieldError};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a use case can refuse. Client errors carry what the caller needs to fix the
/// request; `Internal` is logged with its context and never shown.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("a valid bearer token is required")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(&'static str),
    /// What was not found, e.g. `bot`; the code becomes `bot_not_found`.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("invalid request")]
    Validation(Vec<FieldError>),
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// A valid request that the resource's present state does not allow (no Authentication
    /// URL to test yet, no room for another key): `code` says which.
    #[error("{message}")]
    NotNow { code: &'static str, message: String },
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    #[error("this website is not allowed to use this bot's widget")]
    OriginNotAllowed,
    /// Custom Authentication failed and the bot blocks the chat on failure. `passing`: the
    /// customer's API did not give a verdict (it did not answer in time, could not be
    /// reached, or failed on its side), so the same request may succeed in a moment.
    #[error("{message}")]
    AuthFailed { code: AuthErrorCode, message: String, passing: bool },
    /// The database does not answer (down, unreachable, or out of connections for the
    /// pool's wait): the same request may succeed in a moment. The cause is logged.
    #[error("the database does not answer")]
    Unavailable(anyhow::Error),
    #[error(transparent)]
    Internal(anyhow::Error),
}

impl From<concierge_store::Error> for Error {
    fn from(e: concierge_store::Error) -> Self {
        match e {
            concierge_store::Error::Conflict(what) => Error::Conflict(what),
            concierge_store::Error::NotFound(what) => Error::NotFound(what),
            other if other.is_unavailable() => Error::Unavailable(other.into()),
            other if other.is_unstorable_text() => unstorable_text(),
            other => Error::Internal(other.into()),
        }
    }
}

fn unstorable_text() -> Error {
    Error::BadRequest {
        code: "invalid_text",
        message: "The request holds a character that cannot be stored (the NUL character, \\u0000).".into(),
    }
}

/// A store error that reached a use case wrapped in context is still an unavailable
/// database, or the caller's text, not an internal error.
impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Self {
        match e.chain().find_map(|cause| cause.downcast_ref::<concierge_store::Error>()) {
            Some(s) if s.is_unavailable() => Error::Unavailable(e),
            Some(s) if s.is_unstorable_text() => unstorable_text(),
            _ => Error::Internal(e),
        }
    }
}

impl From<crate::seal::OpenError> for Error {
    fn from(e: crate::seal::OpenError) -> Self {
        Error::Internal(e.into())
    }
}

/// What an internal error says to the caller: nothing of its cause.
pub const INTERNAL_MESSAGE: &str = "Something went wrong on our side.";

/// What an unavailable database says to the caller.
pub const UNAVAILABLE_MESSAGE: &str = "The database does not answer right now; try again in a moment.";

impl Error {
    /// The stable snake_case code of this refusal, the same on every transport (HTTP, the
    /// widget socket, the dashboard).
    pub fn code(&self) -> std::borrow::Cow<'static, str> {
        match self {
            Error::Unauthorized => "unauthorized".into(),
            Error::Forbidden(_) => "forbidden".into(),
            Error::NotFound(what) => format!("{what}_not_found").into(),
            Error::Validation(_) => "validation_failed".into(),
            Error::BadRequest { code, .. } | Error::NotNow { code, .. } => (*code).into(),
            Error::Conflict(_) => "conflict".into(),
            Error::RateLimited { .. } => "rate_limited".into(),
            Error::OriginNotAllowed => "origin_not_allowed".into(),
            Error::AuthFailed { code, .. } => code.as_str().into(),
            Error::Unavailable(_) => "database_unavailable".into(),
            Error::Internal(_) => "internal_error".into(),
        }
    }

    /// The sentence for people that goes with [`Error::code`]. An internal error is logged
    /// here, once, with its context, and says nothing of it.
    pub fn public_message(&self) -> String {
        match self {
            Error::Unauthorized | Error::OriginNotAllowed => self.to_string(),
            Error::Forbidden(message) => (*message).to_owned(),
            Error::NotFound(what) => format!("No such {what}."),
            Error::Validation(fields) => {
                fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join(" ")
            }
            Error::BadRequest { message, .. } | Error::NotNow { message, .. } | Error::AuthFailed { message, .. } => {
                message.clone()
            }
            Error::Conflict(what) => format!("That {} already exists.", what.replace('_', " ")),
            Error::RateLimited { retry_after_secs } => format!("Too many requests; retry in {retry_after_secs} s."),
            Error::Unavailable(err) => {
                tracing::warn!(error = format!("{err:#}"), "the database does not answer");
                UNAVAILABLE_MESSAGE.to_owned()
            }
            Error::Internal(err) => {
                tracing::error!(error = format!("{err:#}"), "internal error");
                INTERNAL_MESSAGE.to_owned()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_a_stable_code_and_a_sentence() {
        let cases = [
            (Error::Unauthorized, "unauthorized"),
            (Error::NotFound("bot"), "bot_not_found"),
            (Error::Validation(vec![FieldError::new("text", "Too long.")]), "validation_failed"),
            (Error::RateLimited { retry_after_secs: 3 }, "rate_limited"),
            (Error::OriginNotAllowed, "origin_not_allowed"),
            (
                Error::AuthFailed { code: AuthErrorCode::InvalidToken, message: "No.".into(), passing: false },
                "invalid_token",
            ),
            (Error::Internal(anyhow::anyhow!("disk full at /var/lib")), "internal_error"),
            (Error::from(concierge_store::Error::Database(sqlx::Error::PoolTimedOut)), "database_unavailable"),
        ];
        for (e, code) in cases {
            assert_eq!(e.code(), code);
            assert!(!e.public_message().is_empty(), "{code}");
        }
        assert_eq!(Error::Internal(anyhow::anyhow!("disk full at /var/lib")).public_message(), INTERNAL_MESSAGE);
        assert_eq!(Error::Validation(vec![FieldError::new("text", "Too long.")]).public_message(), "text: Too long.");
    }

    #[test]
    fn an_unavailable_database_stays_unavailable_behind_context() {
        use anyhow::Context;
        let wrapped: anyhow::Result<()> =
            Err(concierge_store::Error::Database(sqlx::Error::PoolTimedOut)).context("reading the bot");
        let e = Error::from(wrapped.unwrap_err());
        assert_eq!(e.code(), "database_unavailable");
        assert_eq!(e.public_message(), UNAVAILABLE_MESSAGE, "nothing of the driver's words");
    }
}
