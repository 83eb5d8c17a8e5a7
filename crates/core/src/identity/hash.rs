//! Identity hashes (Intercom's `user_hash`, Chatwoot's `identifier_hash`): the page sends
//! the identifier the identify method names (`user_id`, `email` or `phone_number`) and
//! `user_hash`, the hex HMAC-SHA256 of that identifier's exact text under the bot's key,
//! computed by the customer's server. Only that identifier is verified; the page's other
//! fields stay unverified and are not taken into the contact.

use concierge_domain::{profile_from_data, AuthErrorCode, GeneratedKey, IdentifyMethod};
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

use super::{Identified, Presented};
use crate::auth_flow::AuthFailure;
use crate::{now_ms, BotAuth};

fn mismatch(message: String) -> AuthFailure {
    AuthFailure { code: AuthErrorCode::HashMismatch, message }
}

/// `None` when the page presented neither an identifier nor a hash: an anonymous visitor.
pub(super) fn verify(auth: &BotAuth, presented: &Presented<'_>) -> Option<Result<Identified, AuthFailure>> {
    let method = auth.settings.identify_method;
    let fields = presented.fields;
    let (field, value) = match method {
        IdentifyMethod::Id => ("user_id", fields.user_id.as_deref()),
        IdentifyMethod::Email => ("email", fields.email.as_deref()),
        IdentifyMethod::PhoneNumber => ("phone_number", fields.phone_number.as_deref()),
    };
    let value = value.filter(|v| !v.trim().is_empty());
    let hash = presented.user_hash.map(str::trim).filter(|h| !h.is_empty());
    let (value, hash) = match (value, hash) {
        (None, None) => return None,
        (Some(_), None) => return Some(Err(mismatch(format!("{field} was sent without user_hash.")))),
        (None, Some(_)) => return Some(Err(mismatch(format!("user_hash was sent without {field}.")))),
        (Some(value), Some(hash)) => (value, hash),
    };
    Some(check(auth, method, field, value, hash))
}

fn check(
    auth: &BotAuth,
    method: IdentifyMethod,
    field: &str,
    value: &str,
    hash: &str,
) -> Result<Identified, AuthFailure> {
    let Some(key) = &auth.hash_secret else {
        return Err(mismatch("This bot has no identity hash key yet: open its Identity settings.".into()));
    };
    let given = hex::decode(hash).map_err(|_| mismatch("user_hash must be the HMAC-SHA256 in hex.".into()))?;
    let matches = |key: &GeneratedKey| {
        let mut mac = Hmac::<Sha256>::new_from_slice(key.expose().as_bytes()).expect("HMAC takes any key length");
        mac.update(value.as_bytes());
        // verify_slice compares in constant time.
        mac.verify_slice(&given).is_ok()
    };
    // Keys retired by rotations verify too, during their grace period.
    if !matches(key) && !auth.hash_previous.live(now_ms()).any(matches) {
        return Err(mismatch(format!(
            "user_hash is not the HMAC-SHA256 of this {field} under the bot's identity hash key."
        )));
    }
    let mut data = Map::new();
    data.insert(method.response_field().into(), Value::String(value.to_owned()));
    let (profile, identifier) = profile_from_data(&data, method).map_err(|e| AuthFailure {
        code: AuthErrorCode::InvalidToken,
        message: format!("The hash is right, but the {field} it verifies is not usable: {}", e.message),
    })?;
    Ok(Identified { profile, identifier })
}
