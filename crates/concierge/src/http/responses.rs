//! The error answers operations share, declared once for the OpenAPI document. Each is a
//! reusable response (`#/components/responses/…`) with the `{"error": {…}}` body of
//! [`super::error::ErrorBody`]; the groups below say which of them an operation can give
//! by what it reads (credentials, a JSON body, an id in the path), so a handler lists the
//! groups that apply instead of repeating each answer. They only describe: nothing is
//! built from these types at run time, hence plain trait impls rather than derives over
//! values that would never exist.

use std::collections::BTreeMap;

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{Content, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoResponses, ToResponse};

/// A reusable error response: `name` in `#/components/responses`, the error body, and the
/// headers it sets.
fn error_response(description: &str, headers: &[(&str, &str)]) -> RefOr<Response> {
    let body = Content::new(Some(Ref::from_schema_name("ErrorBody")));
    let response = ResponseBuilder::new().description(description).content("application/json", body);
    headers
        .iter()
        .fold(response, |r, (name, description)| {
            let header = HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::String))
                .description(Some(*description));
            r.header(*name, header.build())
        })
        .build()
        .into()
}

macro_rules! error_responses {
    ($($name:ident: $description:literal $(, $header:literal => $header_doc:literal)*;)+) => {$(
        pub struct $name;

        impl<'s> ToResponse<'s> for $name {
            fn response() -> (&'s str, RefOr<Response>) {
                (stringify!($name), error_response($description, &[$(($header, $header_doc)),*]))
            }
        }
    )+};
}

error_responses! {
    BadRequest: "The request could not be read (malformed JSON, an invalid query or path parameter), or this \
                 endpoint refuses it as it stands; `code` says which.";
    Unauthorized: "No valid credentials: the bearer token (or sign-in) is missing, wrong, revoked or expired.",
        "www-authenticate" => "`Bearer`";
    Forbidden: "The credentials are valid but do not allow this: a dashboard sign-in without its X-CSRF-Token on \
                a change, or a page origin the bot does not allow.";
    NotFound: "Nothing with that id here (or it belongs to another workspace); `code` names what.";
    PayloadTooLarge: "The body is larger than the server accepts (256 KiB).";
    UnsupportedMediaType: "The body is not sent as `content-type: application/json`.";
    Unprocessable: "The JSON does not fit the request schema (`invalid_body`), or a field's value is refused \
                    (`validation_failed`, with per-field messages in `fields`).";
    NotNow: "The request is valid, but the resource's present state does not allow it (`code` says why: \
             `custom_auth_not_configured`, `too_many_keys`, `last_key`).";
    TooManyRequests: "Too many requests from this client, for this bot or in this conversation; retry later.",
        "retry-after" => "Seconds to wait";
}

/// References to the reusable responses above, by status.
fn refs(entries: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
    entries.iter().map(|(status, name)| (status.to_string(), Ref::from_response_name(*name).into())).collect()
}

/// An operation that the resource's state may not allow yet (409).
pub struct StateErrors;

impl IntoResponses for StateErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        refs(&[("409", "NotNow")])
    }
}

/// Every admin API operation: it needs an admin credential.
pub struct AdminErrors;

impl IntoResponses for AdminErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        refs(&[("401", "Unauthorized"), ("403", "Forbidden")])
    }
}

/// Every widget operation behind `Authorization: Bearer SESSION_TOKEN`: the session must
/// live, and the page's origin must be one the bot allows.
pub struct SessionErrors;

impl IntoResponses for SessionErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        refs(&[("401", "Unauthorized"), ("403", "Forbidden")])
    }
}

/// Every operation that reads a JSON body.
pub struct JsonErrors;

impl IntoResponses for JsonErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        refs(&[
            ("400", "BadRequest"),
            ("413", "PayloadTooLarge"),
            ("415", "UnsupportedMediaType"),
            ("422", "Unprocessable"),
        ])
    }
}

/// Every operation that looks something up by the ids in its path; a path that is not
/// valid UTF-8 once decoded is a 400.
pub struct LookupErrors;

impl IntoResponses for LookupErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        refs(&[("400", "BadRequest"), ("404", "NotFound")])
    }
}

/// A dashboard answer: an HTML page (a request it could not read gets a page that says
/// why), never the JSON error body.
fn page_response(description: &str, content_types: &[&str]) -> RefOr<Response> {
    content_types
        .iter()
        .fold(ResponseBuilder::new().description(description), |r, content_type| {
            r.content(*content_type, Content::default())
        })
        .build()
        .into()
}

fn pages(entries: &[(&str, &str, &[&str])]) -> BTreeMap<String, RefOr<Response>> {
    entries.iter().map(|(status, description, types)| (status.to_string(), page_response(description, types))).collect()
}

/// Every dashboard page and form behind the sign-in cookie. Handlers list their own 303
/// after this group when it means more than "sign in first".
pub struct SignInRequired;

impl IntoResponses for SignInRequired {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut responses = pages(&[(
            "400",
            "The query or path could not be read, or holds what cannot be stored: a page that says why.",
            &["text/html"],
        )]);
        let redirect = ResponseBuilder::new()
            .description("Not signed in (or the sign-in expired): to the sign-in page.")
            .header("location", HeaderBuilder::new().schema(ObjectBuilder::new().schema_type(Type::String)).build());
        responses.insert("303".into(), redirect.build().into());
        responses
    }
}

/// Every dashboard form post: a body that is not a form or lacks fields gets a page that
/// says why; refused values come back as the form with messages.
pub struct FormErrors;

impl IntoResponses for FormErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        pages(&[
            (
                "403",
                "Refused: the form was not sent from the dashboard (another origin, or a missing or wrong CSRF token).",
                &["text/html"],
            ),
            ("413", "The form is larger than the server accepts (256 KiB).", &["text/html"]),
            ("415", "The body is not `application/x-www-form-urlencoded`.", &["text/html"]),
            (
                "422",
                "Fields are missing or of the wrong type (a page that says so), or their values are refused (the \
                 form again, with a message by each).",
                &["text/html"],
            ),
        ])
    }
}
