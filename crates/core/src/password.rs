//! Passwords: argon2id hashes, made and checked on tokio's blocking pool. Each costs tens
//! of milliseconds of CPU by design (hundreds in a debug build); on an async worker it
//! would stall every socket and request that worker serves meanwhile.

use std::sync::LazyLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::{Error, Result};

/// Checked when the email is unknown, so that a wrong email costs as long as a wrong
/// password and timing does not tell which accounts exist.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_here("not a real password").unwrap_or_default());

fn hash_here(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?
        .to_string())
}

/// The argon2id hash of `password`, in PHC string format.
pub(crate) async fn hash(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_here(&password))
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("password hashing stopped: {e}")))?
}

/// Whether `password` matches `stored` (a PHC string); with no stored hash (unknown email)
/// the same work is done against a dummy and the answer is no.
pub(crate) async fn verify(password: &str, stored: Option<&str>) -> Result<bool> {
    let (password, stored) = (password.to_owned(), stored.map(str::to_owned));
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored.as_deref().unwrap_or(DUMMY_HASH.as_str());
        let matches = PasswordHash::new(stored)
            .is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok());
        known && matches
    })
    .await
    .map_err(|e| Error::Internal(anyhow::anyhow!("password check stopped: {e}")))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    use super::*;

    /// Runs `work` on a single-threaded runtime beside a task that counts its turns: if
    /// `work` blocked the runtime's only thread, the counter could not move meanwhile.
    async fn turns_of_others_during<F: std::future::Future>(work: F) -> (u64, F::Output) {
        let turns = Arc::new(AtomicU64::new(0));
        let counter = turns.clone();
        let ticker = tokio::spawn(async move {
            loop {
                counter.fetch_add(1, Ordering::Relaxed);
                tokio::task::yield_now().await;
            }
        });
        tokio::task::yield_now().await;
        let before = turns.load(Ordering::Relaxed);
        let out = work.await;
        let during = turns.load(Ordering::Relaxed) - before;
        ticker.abort();
        (during, out)
    }

    #[tokio::test(flavor = "current_thread")]
    async fn hashing_and_checking_leave_the_async_worker_free() {
        let (during, stored) = turns_of_others_during(hash("correct horse battery staple")).await;
        let stored = stored.unwrap();
        assert!(during > 100, "other tasks ran {during} times while a password was hashed");

        let (during, ok) = turns_of_others_during(verify("correct horse battery staple", Some(&stored))).await;
        assert!(ok.unwrap());
        assert!(during > 100, "other tasks ran {during} times while a password was checked");

        assert!(!verify("wrong horse", Some(&stored)).await.unwrap());
        let (during, unknown) = turns_of_others_during(verify("anything", None)).await;
        assert!(!unknown.unwrap(), "an unknown email never signs in");
        assert!(during > 100, "other tasks ran {during} times while a dummy hash was checked");
    }
}
