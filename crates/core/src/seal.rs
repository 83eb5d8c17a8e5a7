//! Secrets that Concierge must use again (signing secrets, static header values) are
//! stored sealed with ChaCha20-Poly1305 under a key that lives outside the database:
//! `CONCIERGE_SECRET_KEY`, or `secret.key` in the data directory, created on first start.
//! Instances that share a database must share the key.

use std::path::Path;

use anyhow::{bail, Context};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

const PREFIX: &str = "v1:";
const NONCE_LEN: usize = 12;

#[derive(Clone)]
pub struct Sealer {
    cipher: ChaCha20Poly1305,
}

#[derive(Debug, thiserror::Error)]
#[error("a stored secret cannot be opened with this secret key (was CONCIERGE_SECRET_KEY or secret.key changed?)")]
pub struct OpenError;

impl Sealer {
    pub fn from_key(key: &[u8; 32]) -> Self {
        Self { cipher: ChaCha20Poly1305::new(Key::from_slice(key)) }
    }

    /// The key from `CONCIERGE_SECRET_KEY` (base64 of 32 bytes) if set, else from
    /// `<data_dir>/secret.key`, which is created (mode 0600) when missing.
    pub fn load(env_key: Option<&str>, data_dir: &Path) -> anyhow::Result<Self> {
        if let Some(encoded) = env_key {
            return Self::decode(encoded.trim()).context("CONCIERGE_SECRET_KEY");
        }
        let path = data_dir.join("secret.key");
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::decode(text.trim()).with_context(|| format!("{}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
                let key = ChaCha20Poly1305::generate_key(&mut OsRng);
                write_private(&path, &B64.encode(key))?;
                Ok(Self::from_key(&key.into()))
            }
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    fn decode(encoded: &str) -> anyhow::Result<Self> {
        let bytes = B64.decode(encoded).context("the secret key is not base64")?;
        let Ok(key) = <[u8; 32]>::try_from(bytes.as_slice()) else {
            bail!("the secret key must be 32 bytes (base64), got {}", bytes.len());
        };
        Ok(Self::from_key(&key))
    }

    pub fn seal(&self, plaintext: &str) -> String {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self.cipher.encrypt(&nonce, plaintext.as_bytes()).unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{PREFIX}{}", B64.encode(out))
    }

    pub fn open(&self, sealed: &str) -> Result<String, OpenError> {
        let bytes = sealed.strip_prefix(PREFIX).and_then(|b| B64.decode(b).ok()).ok_or(OpenError)?;
        if bytes.len() < NONCE_LEN {
            return Err(OpenError);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let plain = self.cipher.decrypt(Nonce::from_slice(nonce), ciphertext).map_err(|_| OpenError)?;
        String::from_utf8(plain).map_err(|_| OpenError)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    std::fs::write(path, contents).with_context(|| format!("cannot create {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_round_trip_and_hide_the_plaintext() {
        let sealer = Sealer::from_key(&[7; 32]);
        let sealed = sealer.seal("whsec_topsecret");
        assert!(!sealed.contains("topsecret"));
        assert_ne!(sealed, sealer.seal("whsec_topsecret"), "a fresh nonce every time");
        assert_eq!(sealer.open(&sealed).expect("opens"), "whsec_topsecret");
        assert!(Sealer::from_key(&[8; 32]).open(&sealed).is_err());
    }

    #[test]
    fn the_key_file_is_created_once_and_reused() {
        let dir = std::env::temp_dir().join(format!("concierge-seal-{}", uuid::Uuid::now_v7()));
        let a = Sealer::load(None, &dir).expect("creates");
        let b = Sealer::load(None, &dir).expect("reads");
        assert_eq!(b.open(&a.seal("x")).expect("same key"), "x");
        std::fs::remove_dir_all(dir).ok();
    }
}
