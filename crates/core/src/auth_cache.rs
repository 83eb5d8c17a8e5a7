//! The auth result cache: a verified answer of the customer's API reused, for the bot's
//! `cache_ttl_secs`, by the next start that presents the same access token and fields.
//!
//! Opt-in per bot. The key is an HMAC, under a key this process draws at start, of the
//! bot, its settings' revision, the token and the sent fields: the token itself is never
//! held, and a dump of the process's memory shows no token a cache entry could be matched
//! against without that key. The revision retires every entry when the settings change,
//! the secret rotates or an admin empties the cache, on every instance at its next read of
//! the settings. Only answers that identified a person are kept; a refusal or an error asks
//! again next time.

use std::time::{Duration, Instant};

use concierge_domain::{Identifier, VerifiedProfile};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::auth_flow::{request_body, WidgetFields};
use super::BotAuth;

/// Entries beyond this are evicted, least recently used first.
const CAPACITY: u64 = 100_000;

#[derive(Clone)]
struct Entry {
    profile: VerifiedProfile,
    identifier: Identifier,
    until: Instant,
}

pub(crate) struct AuthCache {
    key: [u8; 32],
    entries: moka::sync::Cache<[u8; 32], Entry>,
}

impl Default for AuthCache {
    fn default() -> Self {
        Self {
            key: rand::random(),
            entries: moka::sync::Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(Duration::from_secs(concierge_domain::MAX_CACHE_TTL_SECS.into()))
                .build(),
        }
    }
}

impl AuthCache {
    /// The keyed hash of what the call would send; `None` when the bot does not cache.
    pub(crate) fn key(&self, auth: &BotAuth, access_token: &str, fields: &WidgetFields) -> Option<[u8; 32]> {
        if auth.settings.cache_ttl_secs == 0 {
            return None;
        }
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(auth.bot_id.as_bytes());
        mac.update(&[0]);
        mac.update(&auth.revision.to_be_bytes());
        // The body the call would send (token and forwarded fields, in a fixed order):
        // what the customer's answer depended on.
        let body = serde_json::Value::Object(request_body(auth, access_token, fields));
        mac.update(body.to_string().as_bytes());
        Some(mac.finalize().into_bytes().into())
    }

    pub(crate) fn get(&self, key: &[u8; 32]) -> Option<(VerifiedProfile, Identifier)> {
        let entry = self.entries.get(key)?;
        if entry.until <= Instant::now() {
            self.entries.invalidate(key);
            return None;
        }
        Some((entry.profile, entry.identifier))
    }

    pub(crate) fn put(&self, key: [u8; 32], ttl_secs: u32, profile: &VerifiedProfile, identifier: &Identifier) {
        let until = Instant::now() + Duration::from_secs(ttl_secs.into());
        self.entries.insert(key, Entry { profile: profile.clone(), identifier: identifier.clone(), until });
    }
}
