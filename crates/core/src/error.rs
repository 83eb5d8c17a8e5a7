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
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    #[error("this website is not allowed to use this bot's widget")]
    OriginNotAllowed,
    /// Custom Authentication failed and the bot blocks the chat on failure.
    #[error("{message}")]
    AuthFailed { code: AuthErrorCode, message: String },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<concierge_store::Error> for Error {
    fn from(e: concierge_store::Error) -> Self {
        match e {
            concierge_store::Error::Conflict(what) => Error::Conflict(what),
            concierge_store::Error::NotFound(what) => Error::NotFound(what),
            other => Error::Internal(other.into()),
        }
    }
}

impl From<crate::seal::OpenError> for Error {
    fn from(e: crate::seal::OpenError) -> Self {
        Error::Internal(e.into())
    }
}
