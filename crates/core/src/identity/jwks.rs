//! The public keys at a bot's JWKS URL, held in memory: fetched through the outbound guard
//! on first use, kept ten minutes, and fetched again early when a token names a key id the
//! set lacks (a rotation) — at most once a minute per URL, so tokens with made-up key ids
//! cannot turn into a flood of requests to the customer. When a fetch fails, the keys
//! fetched before keep verifying.

use std::sync::Arc;
use std::time::{Duration, Instant};

use concierge_authcall::AuthClient;
use concierge_domain::JwtAlgorithm;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
use jsonwebtoken::DecodingKey;
use serde_json::Value;
use url::Url;

const FRESH_FOR: Duration = Duration::from_secs(600);
const TIMEOUT: Duration = Duration::from_secs(5);

/// One usable key of a set.
#[derive(Clone)]
pub(crate) struct PublicKey {
    pub kid: Option<String>,
    /// The key's `alg`, when the set names one.
    alg: Option<String>,
    family: Family,
    pub key: DecodingKey,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Rsa,
    Ec,
    Okp,
}

impl Family {
    fn of(alg: JwtAlgorithm) -> Option<Self> {
        match alg {
            JwtAlgorithm::Rs256 => Some(Self::Rsa),
            JwtAlgorithm::Es256 => Some(Self::Ec),
            JwtAlgorithm::EdDsa => Some(Self::Okp),
            JwtAlgorithm::Hs256 | JwtAlgorithm::Hs384 | JwtAlgorithm::Hs512 => None,
        }
    }
}

pub(crate) struct KeySet {
    keys: Vec<PublicKey>,
    fetched: Instant,
    /// Why the last fetch failed, when it did.
    pub failure: Option<String>,
}

impl KeySet {
    /// The keys that may have signed a token of `alg` naming `kid`.
    pub(crate) fn candidates(&self, alg: JwtAlgorithm, kid: Option<&str>) -> Vec<&PublicKey> {
        let family = Family::of(alg);
        self.keys
            .iter()
            .filter(|k| Some(k.family) == family)
            .filter(|k| k.alg.as_deref().is_none_or(|a| a == alg.as_str()))
            .filter(|k| kid.is_none_or(|kid| k.kid.as_deref() == Some(kid)))
            .collect()
    }

    fn knows(&self, kid: Option<&str>) -> bool {
        match kid {
            Some(kid) => self.keys.iter().any(|k| k.kid.as_deref() == Some(kid)),
            None => !self.keys.is_empty(),
        }
    }

    /// Keys that cannot be read (another `kty`, an encryption key, a symmetric key: never
    /// taken from a published set) are left out; the others still verify.
    fn parse(body: &[u8]) -> Result<Self, String> {
        let root: Value =
            serde_json::from_slice(body).map_err(|e| format!("The JWKS URL's answer is not JSON ({e})."))?;
        let Some(Value::Array(entries)) = root.get("keys") else {
            return Err("The JWKS URL's answer has no \"keys\" array.".into());
        };
        let keys = entries
            .iter()
            .filter_map(|entry| serde_json::from_value::<Jwk>(entry.clone()).ok())
            .filter(|jwk| {
                jwk.common.public_key_use.as_ref().is_none_or(|u| *u == jsonwebtoken::jwk::PublicKeyUse::Signature)
            })
            .filter_map(|jwk| {
                let family = match &jwk.algorithm {
                    AlgorithmParameters::RSA(_) => Family::Rsa,
                    AlgorithmParameters::EllipticCurve(_) => Family::Ec,
                    AlgorithmParameters::OctetKeyPair(_) => Family::Okp,
                    AlgorithmParameters::OctetKey(_) => return None,
                };
                let alg = entry_alg(&jwk);
                let key = DecodingKey::from_jwk(&jwk).ok()?;
                Some(PublicKey { kid: jwk.common.key_id.clone(), alg, family, key })
            })
            .collect();
        Ok(Self { keys, fetched: Instant::now(), failure: None })
    }
}

fn entry_alg(jwk: &Jwk) -> Option<String> {
    let alg = jwk.common.key_algorithm?;
    serde_json::to_value(alg).ok()?.as_str().map(str::to_owned)
}

pub(crate) struct Jwks {
    refetch_after: Duration,
    sets: moka::sync::Cache<String, Arc<KeySet>>,
    /// One fetch per URL at a time; the others wait for its result.
    fetching: moka::sync::Cache<String, Arc<tokio::sync::Mutex<()>>>,
}

impl Jwks {
    pub(crate) fn new(refetch_after: Duration) -> Self {
        Self {
            refetch_after,
            sets: moka::sync::Cache::builder().max_capacity(10_000).time_to_live(FRESH_FOR).build(),
            fetching: moka::sync::Cache::builder().max_capacity(10_000).time_to_idle(FRESH_FOR).build(),
        }
    }

    /// The key set at `url`, fetched if it is not held, or if it lacks `kid` and was
    /// fetched over a minute ago.
    pub(crate) async fn keys(&self, client: &AuthClient, url: &Url, kid: Option<&str>) -> Arc<KeySet> {
        let usable = |set: &Arc<KeySet>| set.knows(kid) || set.fetched.elapsed() < self.refetch_after;
        let held = self.sets.get(url.as_str());
        if let Some(set) = held.as_ref().filter(|s| usable(s)) {
            return set.clone();
        }
        let lock = self.fetching.get_with(url.to_string(), Default::default);
        let _turn = lock.lock().await;
        // Another start may have fetched it while this one waited.
        let held = self.sets.get(url.as_str()).or(held);
        if let Some(set) = held.as_ref().filter(|s| usable(s)) {
            return set.clone();
        }
        let fetched = client
            .get_document(url, "The JWKS URL", TIMEOUT)
            .await
            .map_err(|e| e.message)
            .and_then(|body| KeySet::parse(&body));
        let set = match fetched {
            Ok(set) => set,
            // The failure is held like a set, so that the next minute's tokens wait for no
            // fetch either; the keys held before keep verifying meanwhile.
            Err(why) => {
                tracing::warn!(host = url.host_str().unwrap_or(""), error = %why, "could not fetch a JWKS");
                let keys = held.map(|old| old.keys.clone()).unwrap_or_default();
                KeySet { keys, fetched: Instant::now(), failure: Some(why) }
            }
        };
        let set = Arc::new(set);
        self.sets.insert(url.to_string(), set.clone());
        set
    }
}
