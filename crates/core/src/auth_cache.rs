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

/// What the entries may weigh together (their profiles' text, roughly); beyond it they
/// are evicted, least recently used first. By weight, not by count: a profile may carry
/// up to 16 KiB of metadata, and 100,000 such would hold 1.6 GB.
const CAPACITY_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Clone)]
struct Entry {
    profile: VerifiedProfile,
    identifier: Identifier,
    until: Instant,
}

impl Entry {
    /// About what the entry holds in memory: its strings and its metadata as JSON, with
    /// a fixed share for the key and the bookkeeping.
    fn weight(&self) -> u32 {
        let p = &self.profile;
        let texts = [&p.id, &p.email, &p.name, &p.phone_number].into_iter().flatten().map(String::len).sum::<usize>();
        let metadata = serde_json::to_string(&p.metadata).map_or(0, |json| json.len());
        u32::try_from(128 + texts + metadata + self.identifier.value().len()).unwrap_or(u32::MAX)
    }
}

pub(crate) struct AuthCache {
    key: [u8; 32],
    entries: moka::sync::Cache<[u8; 32], Entry>,
}

impl Default for AuthCache {
    fn default() -> Self {
        Self::weighing_at_most(CAPACITY_BYTES)
    }
}

impl AuthCache {
    fn weighing_at_most(bytes: u64) -> Self {
        Self {
            key: rand::random(),
            entries: moka::sync::Cache::builder()
                // Least recently used out first, as the docs say; moka's default would
                // rather refuse a new entry (a new user) than drop an old one.
                .eviction_policy(moka::policy::EvictionPolicy::lru())
                .weigher(|_, entry: &Entry| entry.weight())
                .max_capacity(bytes)
                .time_to_live(Duration::from_secs(concierge_domain::MAX_CACHE_TTL_SECS.into()))
                .build(),
        }
    }

    /// The keyed hash of what the call would send. Also names the call while it is in
    /// flight (`auth_flight`), whether or not the bot caches.
    pub(crate) fn key(&self, auth: &BotAuth, access_token: &str, fields: &WidgetFields) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(auth.bot_id.as_bytes());
        mac.update(&[0]);
        mac.update(&auth.revision.to_be_bytes());
        // The body the call would send (token and forwarded fields, in a fixed order):
        // what the customer's answer depended on.
        let body = serde_json::Value::Object(request_body(auth, access_token, fields));
        mac.update(body.to_string().as_bytes());
        mac.finalize().into_bytes().into()
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

#[cfg(test)]
mod tests {
    use concierge_domain::IdentifyMethod;

    use super::*;

    fn profile(metadata_bytes: usize) -> VerifiedProfile {
        let mut metadata = serde_json::Map::new();
        metadata.insert("notes".into(), serde_json::Value::String("x".repeat(metadata_bytes)));
        VerifiedProfile { id: Some("u-1".into()), email: None, name: Some("Ann".into()), phone_number: None, metadata }
    }

    #[test]
    fn profiles_with_large_metadata_are_held_by_their_weight_not_their_count() {
        let cache = AuthCache::weighing_at_most(1024 * 1024);
        let identifier = Identifier::parse(IdentifyMethod::Id, "u-1").expect("an id");
        let heavy = profile(16 * 1024);
        for n in 0..200u32 {
            let mut key = [0; 32];
            key[..4].copy_from_slice(&n.to_be_bytes());
            cache.put(key, 60, &heavy, &identifier);
        }
        cache.entries.run_pending_tasks();
        // 200 entries of 16 KiB would be 3.2 MB; a megabyte holds some sixty of them.
        assert!(cache.entries.weighted_size() <= 1024 * 1024, "{}", cache.entries.weighted_size());
        assert!((40..=64).contains(&cache.entries.entry_count()), "{}", cache.entries.entry_count());
        let light = Entry { profile: profile(0), identifier: identifier.clone(), until: Instant::now() };
        assert!(light.weight() < 300, "a profile without metadata weighs little: {}", light.weight());
    }
}
