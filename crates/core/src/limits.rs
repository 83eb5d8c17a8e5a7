//! Abuse limits: rate limits on session starts per client IP and per bot, on visitor
//! messages per conversation, a cap on concurrent calls to one bot's Authentication URL
//! and one on its language model, so one busy or slow customer (or one visitor running up
//! the operator's model bill) cannot exhaust the server for the others.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{Error, Result};
use crate::cluster_limit::ClusterLimiter;
use crate::Settings;

/// How long a limit waits for Redis before this instance's own count decides.
const CLUSTER_WAIT: Duration = Duration::from_millis(250);
/// After Redis failed to answer a count, how long this instance's own counts decide
/// without asking it: during an outage, every request would otherwise wait
/// [`CLUSTER_WAIT`] first.
const CLUSTER_PAUSE: Duration = Duration::from_secs(5);

/// How long a call waits for a free slot before it fails fast.
const CALL_SLOT_WAIT: Duration = Duration::from_millis(250);

/// Sign-in attempts allowed per client IP per minute: enough for typos, too few to guess.
const SIGN_INS_PER_MINUTE: u32 = 10;
/// Visitor messages per conversation per minute: more than anyone types, and a bound on
/// the bot answers (and model calls) one conversation can cause.
const MESSAGES_PER_MINUTE: u32 = 30;
/// Answers one bot's language model writes at once; beyond, the bot answers from the
/// knowledge base at once.
const MODEL_CALLS_PER_BOT: usize = 8;

pub struct Limits {
    /// Set when several instances share Redis: the limits below then hold for all of
    /// them, and the per-instance limiters stand in while Redis does not answer.
    cluster: OnceLock<ClusterLimiter>,
    /// Until when Redis is not asked, after it failed to answer.
    cluster_paused_until: std::sync::Mutex<Option<Instant>>,
    per_ip_per_minute: u32,
    per_bot_per_minute: u32,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    sign_ins: DefaultKeyedRateLimiter<IpAddr>,
    per_bot: DefaultKeyedRateLimiter<String>,
    call_slots: moka::sync::Cache<String, Arc<Semaphore>>,
    max_calls_per_bot: usize,
    messages: DefaultKeyedRateLimiter<String>,
    model_slots: moka::sync::Cache<String, Arc<Semaphore>>,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

fn refused(wait: Duration) -> Error {
    Error::RateLimited { retry_after_secs: wait.as_secs().max(1) }
}

impl Limits {
    pub fn new(settings: &Settings) -> Self {
        Self {
            cluster: OnceLock::new(),
            cluster_paused_until: std::sync::Mutex::new(None),
            per_ip_per_minute: settings.session_rate_per_ip,
            per_bot_per_minute: settings.session_rate_per_bot,
            per_ip: RateLimiter::keyed(per_minute(settings.session_rate_per_ip)),
            sign_ins: RateLimiter::keyed(per_minute(SIGN_INS_PER_MINUTE)),
            per_bot: RateLimiter::keyed(per_minute(settings.session_rate_per_bot)),
            call_slots: moka::sync::Cache::builder()
                .time_to_idle(Duration::from_secs(600))
                .max_capacity(100_000)
                .build(),
            max_calls_per_bot: settings.max_concurrent_calls_per_bot as usize,
            messages: RateLimiter::keyed(per_minute(MESSAGES_PER_MINUTE)),
            model_slots: moka::sync::Cache::builder()
                .time_to_idle(Duration::from_secs(600))
                .max_capacity(100_000)
                .build(),
        }
    }

    /// From now on, the limits hold for every instance that shares `cluster`'s Redis.
    pub fn share(&self, cluster: ClusterLimiter) {
        let _ = self.cluster.set(cluster);
    }

    /// Counts one request of `kind` for `key`: in Redis for the cluster when shared (falling
    /// back to this instance's count if Redis does not answer at once), else here.
    async fn count<K: Clone + Hash + Eq + std::fmt::Display>(
        &self,
        kind: &str,
        key: &K,
        per_minute: u32,
        local: &DefaultKeyedRateLimiter<K>,
    ) -> Result<()> {
        if let Some(cluster) = self.cluster.get() {
            if self.cluster_paused() {
                metrics::counter!("concierge_rate_limit_fallbacks_total").increment(1);
            } else {
                match tokio::time::timeout(CLUSTER_WAIT, cluster.check(kind, &key.to_string(), per_minute)).await {
                    Ok(Ok(None)) => return Ok(()),
                    Ok(Ok(Some(wait))) => return Err(refused(wait)),
                    Ok(Err(_)) | Err(_) => {
                        self.pause_cluster();
                        metrics::counter!("concierge_rate_limit_redis_unanswered_total").increment(1);
                        metrics::counter!("concierge_rate_limit_fallbacks_total").increment(1);
                    }
                }
            }
        }
        local.check_key(key).map_err(|n| refused(n.wait_time_from(DefaultClock::default().now())))
    }

    fn cluster_paused(&self) -> bool {
        let paused = self.cluster_paused_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        paused.is_some_and(|until| Instant::now() < until)
    }

    fn pause_cluster(&self) {
        let mut paused = self.cluster_paused_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *paused = Some(Instant::now() + CLUSTER_PAUSE);
    }

    /// Counts one visitor message in `conversation_id`.
    pub async fn check_message(&self, conversation_id: &str) -> Result<()> {
        self.count("message", &conversation_id.to_owned(), MESSAGES_PER_MINUTE, &self.messages).await
    }

    /// A slot for one answer of the bot's language model, if one is free right now.
    pub fn model_slot(&self, bot_id: &str) -> Option<OwnedSemaphorePermit> {
        let semaphore = self.model_slots.get_with(bot_id.to_owned(), || Arc::new(Semaphore::new(MODEL_CALLS_PER_BOT)));
        semaphore.try_acquire_owned().ok()
    }

    /// Counts one session start from `ip`; checked before anything touches the database.
    pub async fn check_ip(&self, ip: IpAddr) -> Result<()> {
        self.count("start_ip", &sender(ip), self.per_ip_per_minute, &self.per_ip).await
    }

    /// Counts one dashboard sign-in attempt from `ip`.
    pub async fn check_sign_in(&self, ip: IpAddr) -> Result<()> {
        self.count("sign_in", &sender(ip), SIGN_INS_PER_MINUTE, &self.sign_ins).await
    }

    /// Counts one session start for a bot that exists.
    pub async fn check_bot(&self, bot_id: &str) -> Result<()> {
        self.count("start_bot", &bot_id.to_owned(), self.per_bot_per_minute, &self.per_bot).await
    }

    /// A slot for one outbound call to the bot's Authentication URL, or `None` when all
    /// slots stayed busy for a moment.
    pub async fn call_slot(&self, bot_id: &str) -> Option<OwnedSemaphorePermit> {
        let max = self.max_calls_per_bot;
        let semaphore = self.call_slots.get_with(bot_id.to_owned(), || Arc::new(Semaphore::new(max)));
        tokio::time::timeout(CALL_SLOT_WAIT, semaphore.acquire_owned()).await.ok()?.ok()
    }

    pub fn forget_idle(&self) {
        self.per_ip.retain_recent();
        self.sign_ins.retain_recent();
        self.per_bot.retain_recent();
        self.messages.retain_recent();
        self.per_ip.shrink_to_fit();
        self.messages.shrink_to_fit();
        self.per_bot.shrink_to_fit();
    }
}

/// Whom a per-address limit counts an address as: an IPv4 address itself (an IPv4 address
/// written as IPv6 too), an IPv6 address by its /64, which one subscriber or host holds
/// whole, so that walking through its addresses does not escape the limit.
fn sender(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod sender_tests {
    use super::*;

    #[test]
    fn an_ipv6_network_counts_as_one_sender_and_ipv4_as_itself() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(sender(ip("2001:db8:1:2:aaaa::1")), sender(ip("2001:db8:1:2:ffff::9")));
        assert_eq!(sender(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_ne!(sender(ip("2001:db8:1:2::1")), sender(ip("2001:db8:1:3::1")));
        assert_eq!(sender(ip("::ffff:203.0.113.7")), ip("203.0.113.7"));
        assert_eq!(sender(ip("203.0.113.7")), ip("203.0.113.7"));
        assert_ne!(sender(ip("203.0.113.7")), sender(ip("203.0.113.8")));
    }
}
