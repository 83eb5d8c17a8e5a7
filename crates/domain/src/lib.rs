//! Concierge's domain: the types and rules of Custom Authentication, free of HTTP and SQL.
//!
//! Everything that crosses a trust boundary is parsed into a type here ("parse, don't
//! validate"): identify methods, identifiers, the customer API's answer, bot settings.

pub mod address;
pub mod appearance;
pub mod error_code;
pub mod identifier;
pub mod identity;
pub mod ids;
pub mod method;
pub mod page_input;
pub mod profile;
pub mod secret;
pub mod settings;
pub mod states;
pub mod styled;

pub use address::{classify, AddressClass};
pub use appearance::{grouped, parse_bot_text, parse_color, text_on, TextOn, MIN_TEXT_CONTRAST};
pub use error_code::AuthErrorCode;
pub use identifier::{normalise_email, normalise_phone, Identifier, IdentifierError};
pub use identity::{
    ClaimMap, ClaimMapInput, ClientAuthMethod, IdentityInput, IdentityKind, IdentitySettings, IntrospectionInput,
    IntrospectionSettings, JwtAlgorithm, JwtInput, JwtSettings, OidcInput, OidcSettings, DEFAULT_LEEWAY_SECS,
    DEFAULT_MAX_LIFETIME_SECS,
};
pub use ids::{BotId, ContactId, ConversationId, WorkspaceId};
pub use method::{AdditionalField, IdentifyMethod, OnFailure, ParseEnumError};
pub use page_input::{
    check_access_token, check_page_field, parse_message_text, MAX_ACCESS_TOKEN_BYTES, MAX_MESSAGE_CHARS,
};
pub use profile::{parse_answer, profile_from_data, AnswerError, VerifiedProfile, MAX_METADATA_BYTES};
pub use secret::{hash_token, new_key_id, random_token, ClientSecret, GeneratedKey, SigningSecret};
pub use settings::{
    check_upstream_scheme, normalise_origin, origin_allowed, parse_upstream_url, CustomAuthInput, CustomAuthSettings,
    FieldError, StaticHeader, UpstreamPolicy, DEFAULT_TIMEOUT_MS, MAX_CACHE_TTL_SECS, MAX_TIMEOUT_MS, MIN_TIMEOUT_MS,
};
pub use states::{AttemptOutcome, Author, Handler, Priority};
pub use styled::{Emphasis, StyleRange, StyledText};
