//! The record of one call, as the testing panel shows it and the attempt log keeps it.

use std::fmt;
use std::time::Duration;

use concierge_domain::{AuthErrorCode, Identifier, VerifiedProfile};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// What a static header's value is replaced with wherever a call is shown.
pub const MASK: &str = "********";

/// One HTTP header. Lists of headers are `Vec<Header>` in the order they were sent or
/// received, so a header that occurs twice keeps both values; in JSON each is
/// `{"name": …, "value": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Header {
    pub name: String,
    pub value: String,
}

impl Header {
    pub(crate) fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self { name: name.into(), value: value.into() }
    }
}

/// The request as it was sent, except that static header values are [`MASK`]ed. The body
/// holds the access token: it is serialised (the developer testing their endpoint needs it)
/// but never printed by `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct SentRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<Header>,
    /// The exact JSON text that was sent and signed.
    pub body: String,
}

impl fmt::Debug for SentRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SentRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &self.headers)
            .field("body", &format_args!("<{} bytes redacted>", self.body.len()))
            .finish()
    }
}

/// The answer, as far as it was read.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct ReceivedResponse {
    pub status: u16,
    pub headers: Vec<Header>,
    /// Lossy UTF-8, at most [`MAX_RESPONSE_BYTES`](crate::MAX_RESPONSE_BYTES).
    pub body: String,
    /// Whether the body above is only the beginning of what the server sent (or nothing,
    /// when a Content-Length over the cap made Concierge refuse to read it).
    pub truncated: bool,
}

impl fmt::Debug for ReceivedResponse {
    // The customer's answer may echo the access token back; Debug output ends up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceivedResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &format_args!("<{} bytes redacted>", self.body.len()))
            .field("truncated", &self.truncated)
            .finish()
    }
}

/// Why a call failed. `code` is the stable snake_case contract; `message` is a sentence a
/// developer can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct CallError {
    #[serde(serialize_with = "code_name")]
    pub code: AuthErrorCode,
    pub message: String,
}

impl CallError {
    pub(crate) fn new(code: AuthErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

fn code_name<S: Serializer>(code: &AuthErrorCode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(code.as_str())
}

/// Everything about one call.
///
/// In JSON: `request`, `response` (or null), `duration_ms`, and `outcome`, which is
/// `{"ok": true, "identify_method", "identifier", "profile"}` on success and
/// `{"ok": false, "code", "message"}` on failure.
#[derive(Debug, Clone, Serialize)]
pub struct CallTrace {
    pub request: SentRequest,
    pub response: Option<ReceivedResponse>,
    #[serde(rename = "duration_ms", serialize_with = "millis")]
    pub duration: Duration,
    #[serde(serialize_with = "outcome")]
    pub outcome: Result<(VerifiedProfile, Identifier), CallError>,
}

fn millis<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn outcome<S: Serializer>(outcome: &Result<(VerifiedProfile, Identifier), CallError>, s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(4))?;
    match outcome {
        Ok((profile, identifier)) => {
            map.serialize_entry("ok", &true)?;
            map.serialize_entry("identify_method", &identifier.method())?;
            map.serialize_entry("identifier", identifier.value())?;
            map.serialize_entry("profile", profile)?;
        }
        Err(error) => {
            map.serialize_entry("ok", &false)?;
            map.serialize_entry("code", error.code.as_str())?;
            map.serialize_entry("message", &error.message)?;
        }
    }
    map.end()
}

#[cfg(test)]
mod tests {
    use super::*;
    use concierge_domain::IdentifyMethod;

    fn trace(outcome: Result<(VerifiedProfile, Identifier), CallError>) -> CallTrace {
        CallTrace {
            request: SentRequest {
                method: "POST".into(),
                url: "https://api.example/auth".into(),
                headers: vec![Header::new("x-api-key", MASK)],
                body: r#"{"access_token":"tok_secret"}"#.into(),
            },
            response: Some(ReceivedResponse {
                status: 200,
                headers: vec![Header::new("content-type", "application/json")],
                body: r#"{"echo":"tok_secret"}"#.into(),
                truncated: false,
            }),
            duration: Duration::from_millis(42),
            outcome,
        }
    }

    #[test]
    fn debug_never_prints_bodies() {
        let err = CallError::new(AuthErrorCode::InvalidToken, "refused");
        let printed = format!("{:?}", trace(Err(err)));
        assert!(!printed.contains("tok_secret"), "{printed}");
        assert!(printed.contains("bytes redacted"), "{printed}");
    }

    #[test]
    fn json_uses_codes_milliseconds_and_a_flat_outcome() {
        let err = CallError::new(AuthErrorCode::AuthTimeout, "slow");
        let json = serde_json::to_value(trace(Err(err))).expect("serialises");
        assert_eq!(json["duration_ms"], 42);
        assert_eq!(json["outcome"], serde_json::json!({"ok": false, "code": "auth_timeout", "message": "slow"}));
        assert_eq!(json["request"]["headers"][0], serde_json::json!({"name": "x-api-key", "value": MASK}));
        assert_eq!(json["request"]["body"], r#"{"access_token":"tok_secret"}"#);

        let id = Identifier::parse(IdentifyMethod::Email, "Ann@Example.com").expect("an email");
        let profile = VerifiedProfile { email: Some("Ann@Example.com".into()), ..Default::default() };
        let json = serde_json::to_value(trace(Ok((profile, id)))).expect("serialises");
        assert_eq!(json["outcome"]["ok"], true);
        assert_eq!(json["outcome"]["identify_method"], "email");
        assert_eq!(json["outcome"]["identifier"], "ann@example.com");
        assert_eq!(json["outcome"]["profile"]["email"], "Ann@Example.com");
    }
}
