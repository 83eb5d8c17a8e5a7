use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh 256-bit random token, URL-safe base64 without padding, behind a prefix that
/// tells a person (and a secret scanner) what it is. From the thread's CSPRNG (ChaCha,
/// seeded and reseeded from the OS), not a system call per token: one is drawn per
/// session start.
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// What is stored instead of a bearer token: its SHA-256, hex-encoded. Tokens carry 256
/// bits of entropy, so a fast unsalted hash is enough to make a leaked table useless.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A bot's Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(String);

impl SigningSecret {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(bytes)))
    }

    pub fn parse(s: &str) -> Option<Self> {
        let key = s.strip_prefix("whsec_")?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(key).ok()?;
        (bytes.len() >= 24).then(|| Self(s.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(whsec_…)")
    }
}

/// A key Concierge generates for a bot and shows its admins, which the customer's server
/// uses as given (its bytes) to sign user tokens or hash identifiers: 256 random bits as
/// 64 hex digits, the form their stock libraries take without conversion.
#[derive(Clone, PartialEq, Eq)]
pub struct GeneratedKey(String);

impl GeneratedKey {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(hex::encode(bytes))
    }

    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| Self(s.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GeneratedKey(…)")
    }
}

/// A secret the customer gives Concierge (an OAuth client secret): write-only, never
/// printed.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(String);

impl ClientSecret {
    pub fn new(secret: String) -> Self {
        Self(secret)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSecret(…)")
    }
}

/// A fresh key id: short, random, and safe in a JWT header.
pub fn new_key_id() -> String {
    let mut bytes = [0u8; 6];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("k{}", hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_distinct_prefixed_and_hash_to_hex() {
        let a = random_token("cst_");
        let b = random_token("cst_");
        assert_ne!(a, b);
        assert!(a.starts_with("cst_") && a.len() == 4 + 43);
        assert_eq!(hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn signing_secrets_round_trip_and_never_print() {
        let s = SigningSecret::generate();
        assert_eq!(SigningSecret::parse(s.expose()), Some(s.clone()));
        assert!(!format!("{s:?}").contains(&s.expose()[6..]));
        assert_eq!(SigningSecret::parse("whsec_short"), None);
        assert_eq!(SigningSecret::parse("nope"), None);
    }

    #[test]
    fn generated_keys_round_trip_and_never_print() {
        let k = GeneratedKey::generate();
        assert_eq!(k.expose().len(), 64);
        assert_eq!(GeneratedKey::parse(k.expose()), Some(k.clone()));
        assert!(!format!("{k:?}").contains(&k.expose()[..8]));
        assert_eq!(GeneratedKey::parse("abc"), None);
        assert_ne!(new_key_id(), new_key_id());
    }
}
