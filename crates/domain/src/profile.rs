use serde_json::{Map, Value};

use crate::error_code::AuthErrorCode;
use crate::identifier::{Identifier, IdentifierError};
use crate::method::IdentifyMethod;

/// The largest `data.metadata` object accepted, measured as compact JSON.
pub const MAX_METADATA_BYTES: usize = 16 * 1024;

/// A contact's profile as the customer's API stated it. Only an answer of the customer's
/// API produces one, so everything in it is verified.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct VerifiedProfile {
    pub id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone_number: Option<String>,
    pub metadata: Map<String, Value>,
}

/// Why an answer of the customer's API was refused, in words a developer can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AnswerError {
    pub code: AuthErrorCode,
    pub message: String,
}

impl AnswerError {
    fn invalid(message: impl Into<String>) -> Self {
        Self { code: AuthErrorCode::AuthInvalidResponse, message: message.into() }
    }
}

/// Parses the body of a 2xx answer: `{"data": {"id", "email", "name", "phone_number",
/// "metadata"}}`. `id` may be a string or a number; the other fields strings or null;
/// metadata an object (or null); unknown fields are ignored. The identify method's field
/// must be present and non-empty.
pub fn parse_answer(body: &[u8], method: IdentifyMethod) -> Result<(VerifiedProfile, Identifier), AnswerError> {
    let root: Value = serde_json::from_slice(body)
        .map_err(|e| AnswerError::invalid(format!("The response body is not valid JSON ({e}).")))?;
    let data = match root.get("data") {
        Some(Value::Object(data)) => data,
        Some(other) => return Err(AnswerError::invalid(format!("data must be an object, but it is {}.", kind(other)))),
        None => {
            return Err(AnswerError::invalid("The response has no data object: wrap the user in {\"data\": {...}}."))
        }
    };
    profile_from_data(data, method)
}

/// The profile in a `data` object (of an answer, or mapped from a token's claims), under
/// the same rules as [`parse_answer`]; its messages name the fields `data.<field>`.
pub fn profile_from_data(
    data: &Map<String, Value>,
    method: IdentifyMethod,
) -> Result<(VerifiedProfile, Identifier), AnswerError> {
    // Only what Concierge takes: a field it ignores may hold anything.
    let taken = ["id", "email", "name", "phone_number", "metadata"];
    let nul = taken.iter().find_map(|k| data.get(*k).and_then(|v| value_nul_at(v, &format!("data.{k}"))));
    if let Some(path) = nul {
        return Err(AnswerError::invalid(format!(
            "{path} holds the NUL character (\\u0000), which no contact field may hold."
        )));
    }
    let profile = VerifiedProfile {
        id: id_field(data)?,
        email: text_field(data, "email")?,
        name: text_field(data, "name")?,
        phone_number: text_field(data, "phone_number")?,
        metadata: metadata_field(data)?,
    };
    let field = method.response_field();
    let raw = match method {
        IdentifyMethod::Id => profile.id.as_deref(),
        IdentifyMethod::Email => profile.email.as_deref(),
        IdentifyMethod::PhoneNumber => profile.phone_number.as_deref(),
    };
    let missing = |why: &str| AnswerError {
        code: AuthErrorCode::AuthMissingIdentifier,
        message: format!("Identify method is {} but the response {why}.", method.label()),
    };
    let raw = raw.ok_or_else(|| missing(&format!("has no data.{field}")))?;
    let identifier = Identifier::parse(method, raw).map_err(|e| match e {
        IdentifierError::Empty => missing(&format!("has an empty data.{field}")),
        other => AnswerError::invalid(format!("data.{field} {other}.")),
    })?;
    Ok((profile, identifier))
}

/// Where the NUL character first occurs in `data`, a key or a text, if anywhere. It cannot
/// be stored (PostgreSQL refuses it in text and jsonb), and it must not be dropped either:
/// "a\u0000b" and "ab" are different identifiers.
fn nul_at(data: &Map<String, Value>, path: &str) -> Option<String> {
    data.iter().find_map(|(key, value)| {
        if key.contains('\0') {
            // Not the key itself: the message goes to the attempt log, which cannot hold it.
            return Some(format!("a key of {path}"));
        }
        value_nul_at(value, &format!("{path}.{key}"))
    })
}

fn value_nul_at(value: &Value, path: &str) -> Option<String> {
    match value {
        Value::String(s) if s.contains('\0') => Some(path.to_owned()),
        Value::Object(m) => nul_at(m, path),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| value_nul_at(v, &format!("{path}[{i}]"))),
        _ => None,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn id_field(data: &Map<String, Value>) -> Result<Option<String>, AnswerError> {
    match data.get("id") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => {
            Err(AnswerError::invalid(format!("data.id must be a string or a number, but it is {}.", kind(other))))
        }
    }
}

fn text_field(data: &Map<String, Value>, name: &str) -> Result<Option<String>, AnswerError> {
    match data.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => {
            Err(AnswerError::invalid(format!("data.{name} must be a string or null, but it is {}.", kind(other))))
        }
    }
}

fn metadata_field(data: &Map<String, Value>) -> Result<Map<String, Value>, AnswerError> {
    match data.get("metadata") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => {
            let size = serde_json::to_vec(m).map(|v| v.len()).unwrap_or(usize::MAX);
            if size > MAX_METADATA_BYTES {
                return Err(AnswerError::invalid(format!(
                    "data.metadata is {size} bytes; at most {MAX_METADATA_BYTES} are accepted."
                )));
            }
            Ok(m.clone())
        }
        Some(other) => {
            Err(AnswerError::invalid(format!("data.metadata must be an object, but it is {}.", kind(other))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str, method: IdentifyMethod) -> Result<(VerifiedProfile, Identifier), AnswerError> {
        parse_answer(body.as_bytes(), method)
    }

    #[test]
    fn the_seed_example_answer_parses() {
        let body = r#"{ "data": { "id": "12345", "email": "john@example.com", "name": "John Doe",
            "phone_number": "0987654321", "metadata": {"plan": "pro"} }, "extra": 1 }"#;
        let (profile, id) = parse(body, IdentifyMethod::Id).unwrap();
        assert_eq!(id.value(), "12345");
        assert_eq!(profile.name.as_deref(), Some("John Doe"));
        assert_eq!(profile.metadata["plan"], "pro");
    }

    #[test]
    fn numeric_ids_become_strings() {
        let (profile, id) = parse(r#"{"data":{"id":42}}"#, IdentifyMethod::Id).unwrap();
        assert_eq!(profile.id.as_deref(), Some("42"));
        assert_eq!(id.value(), "42");
    }

    #[test]
    fn the_identify_field_must_be_present_and_non_empty() {
        let err = parse(r#"{"data":{"id":"1"}}"#, IdentifyMethod::Email).unwrap_err();
        assert_eq!(err.code, AuthErrorCode::AuthMissingIdentifier);
        assert_eq!(err.message, "Identify method is Email but the response has no data.email.");
        let err = parse(r#"{"data":{"phone_number":"  "}}"#, IdentifyMethod::PhoneNumber).unwrap_err();
        assert_eq!(err.code, AuthErrorCode::AuthMissingIdentifier);
        assert!(err.message.contains("empty data.phone_number"), "{}", err.message);
    }

    #[test]
    fn malformed_answers_are_invalid_responses() {
        for (body, needle) in [
            ("not json", "not valid JSON"),
            (r#"{"id":"1"}"#, "no data object"),
            (r#"{"data":[1]}"#, "data must be an object, but it is an array"),
            (r#"{"data":{"id":true}}"#, "data.id must be a string or a number"),
            (r#"{"data":{"id":"1","email":5}}"#, "data.email must be a string or null"),
            (r#"{"data":{"id":"1","metadata":"x"}}"#, "data.metadata must be an object"),
            (r#"{"data":{"email":"nobody"}}"#, "data.email is not an email address"),
            (r#"{"data":{"id":"a\u0000b"}}"#, "data.id holds the NUL character (\\u0000)"),
            (r#"{"data":{"id":"1","metadata":{"tags":["x","\u0000"]}}}"#, "data.metadata.tags[1] holds the NUL"),
            (r#"{"data":{"id":"1","metadata":{"a":{"k\u0000":1}}}}"#, "a key of data.metadata.a holds the NUL"),
            (r#"{"data":{"id":"1","bio":"\u0000","email":"nobody"}}"#, "data.email is not an email address"),
        ] {
            let method = if body.contains("nobody") { IdentifyMethod::Email } else { IdentifyMethod::Id };
            let err = parse(body, method).unwrap_err();
            assert_eq!(err.code, AuthErrorCode::AuthInvalidResponse, "{body}");
            assert!(err.message.contains(needle), "{body}: {}", err.message);
        }
    }

    #[test]
    fn oversized_metadata_is_refused() {
        let big = "x".repeat(MAX_METADATA_BYTES);
        let body = format!(r#"{{"data":{{"id":"1","metadata":{{"k":"{big}"}}}}}}"#);
        let err = parse(&body, IdentifyMethod::Id).unwrap_err();
        assert_eq!(err.code, AuthErrorCode::AuthInvalidResponse);
        assert!(err.message.contains("data.metadata is"), "{}", err.message);
    }
}
