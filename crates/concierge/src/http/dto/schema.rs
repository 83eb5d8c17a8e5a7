//! Schema pieces the DTOs share, for `#[schema(schema_with = …)]`: texts as the server
//! trims and bounds them, and the enumerations the domain defines.

use serde_json::Value;
use utoipa::openapi::schema::{Array, ArrayBuilder, Object, ObjectBuilder, SchemaType, Type};

/// What the server accepts as "not blank": a character that `str::trim` keeps. Listed
/// exactly (Unicode `White_Space`), because `\S` means slightly different things in the
/// regex dialects of clients.
const NOT_BLANK: &str = "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";

/// For `#[schema(schema_with = …)]`: a text the server trims, then requires 1 to `MAX`
/// characters of (JSON Schema counts characters as `chars().count()` does).
pub fn trimmed_text<const MAX: usize>() -> Object {
    text_schema(Some(MAX), SchemaType::Type(Type::String))
}

/// [`trimmed_text`] for an optional field, where `null` keeps the stored value.
pub fn optional_trimmed_text<const MAX: usize>() -> Object {
    text_schema(Some(MAX), SchemaType::from_iter([Type::String, Type::Null]))
}

/// An article's ways of being asked: absent or `null` keeps those it has.
pub(super) fn asked_as() -> Array {
    let way = trimmed_text::<{ concierge_core::MAX_ASKED_AS_CHARS }>();
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(way)
        .max_items(Some(concierge_core::MAX_ASKED_AS))
        .description(Some(
            "The ways visitors ask for the article, in their words, at most 50; each kept on one line, \
             and of those that differ only in case or spacing the first. Absent or null: unchanged (none \
             for a new article).",
        ))
        .build()
}

/// A message's text, as a visitor, an agent or "Try a question" writes it.
pub(super) fn message_text() -> Object {
    trimmed_text::<{ concierge_domain::MAX_MESSAGE_CHARS }>()
}

/// A text the server trims, then requires to be non-empty.
pub(super) fn non_blank_text() -> Object {
    text_schema(None, SchemaType::Type(Type::String))
}

/// A nullable string of one of `values`.
fn one_of(values: impl IntoIterator<Item = &'static str>) -> Object {
    let values = values.into_iter().map(Value::from).chain([Value::Null]);
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(values))
        .build()
}

pub(super) fn identify_method() -> Object {
    one_of(concierge_domain::IdentifyMethod::ALL.iter().map(|m| m.as_str()))
}

pub(super) fn on_failure() -> Object {
    one_of(concierge_domain::OnFailure::ALL.iter().map(|m| m.as_str()))
}

pub(super) fn identity_mode() -> Object {
    one_of(concierge_domain::IdentityKind::ALL.iter().map(|m| m.as_str()))
}

pub(super) fn client_auth_method() -> Object {
    one_of(concierge_domain::ClientAuthMethod::ALL.iter().map(|m| m.as_str()))
}

pub(super) fn additional_fields() -> Array {
    let field = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(concierge_domain::AdditionalField::ALL.iter().map(|f| f.as_str())));
    ArrayBuilder::new().schema_type(SchemaType::from_iter([Type::Array, Type::Null])).items(field).build()
}

fn outcomes() -> impl Iterator<Item = &'static str> {
    std::iter::once("ok").chain(concierge_domain::AuthErrorCode::ALL.iter().map(|c| c.as_str()))
}

/// A filter by outcome, or none.
pub(super) fn attempt_outcome() -> Object {
    one_of(outcomes())
}

/// An attempt's outcome.
pub(super) fn outcome() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some("`ok` or an error code."))
        .enum_values(Some(outcomes()))
        .build()
}

fn text_schema(max: Option<usize>, schema_type: SchemaType) -> Object {
    let description = match max {
        Some(max) => format!("1 to {max} characters, not counting leading and trailing white space."),
        None => "Not empty, not counting leading and trailing white space.".to_owned(),
    };
    ObjectBuilder::new()
        .schema_type(schema_type)
        .min_length(Some(1))
        .max_length(max)
        .pattern(Some(NOT_BLANK))
        .description(Some(description))
        .build()
}
