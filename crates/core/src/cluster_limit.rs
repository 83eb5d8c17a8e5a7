//! Rate limits held for the whole cluster in Redis: the generic cell rate algorithm in one
//! atomic script, against Redis's own clock, so that N instances allow what one would and
//! their clocks need not agree.

use std::time::Duration;

use redis::aio::ConnectionManager;

/// GCRA: the key holds the theoretical arrival time (TAT) of the next request, in µs. A
/// request is allowed while TAT − now ≤ τ (the burst), and then moves TAT on by T; the
/// answer is 0 (allowed) or how many µs to wait. Microseconds, because in milliseconds a
/// limit above 60,000 a minute has a period of 0 (and Redis refuses `PX 0`), and any limit
/// above 1,000 a minute is rounded. Lua's doubles hold today's µs exactly (< 2^53).
const GCRA: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local period = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or 0), now)
if tat - now > burst then
  return tat - now - burst
end
redis.call('SET', KEYS[1], tat + period, 'PX', math.ceil((tat + period - now) / 1000))
return 0
";

pub struct ClusterLimiter {
    connection: ConnectionManager,
    script: redis::Script,
    namespace: String,
}

impl ClusterLimiter {
    pub fn new(connection: ConnectionManager, namespace: &str) -> Self {
        Self { connection, script: redis::Script::new(GCRA), namespace: namespace.to_owned() }
    }

    /// Counts one request of `kind` for `key` against `per_minute` (bursts of as many):
    /// `None` if allowed, else how long to wait. An error means Redis did not answer.
    pub async fn check(&self, kind: &str, key: &str, per_minute: u32) -> redis::RedisResult<Option<Duration>> {
        let period = (60_000_000 / u64::from(per_minute.max(1))).max(1);
        let burst = period * u64::from(per_minute.max(1) - 1);
        let mut connection = self.connection.clone();
        let wait: u64 = self
            .script
            .key(format!("concierge:{}:limit:{kind}:{key}", self.namespace))
            .arg(period)
            .arg(burst)
            .invoke_async(&mut connection)
            .await?;
        Ok((wait > 0).then(|| Duration::from_micros(wait)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The machine's Redis (`CONCIERGE_TEST_REDIS_URL`); `None` only when
    /// `CONCIERGE_TEST_SKIP_REDIS=1` says to skip, otherwise a missing Redis fails.
    async fn limiter() -> Option<ClusterLimiter> {
        if concierge_store::testing::skip_requested("CONCIERGE_TEST_SKIP_REDIS") {
            return None;
        }
        let url = std::env::var("CONCIERGE_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        let client = redis::Client::open(url.as_str()).expect("a Redis URL");
        let connection = client.get_connection_manager().await.unwrap_or_else(|e| panic!("Redis at {url}: {e}"));
        let namespace = format!("test-{}", uuid::Uuid::now_v7().simple());
        Some(ClusterLimiter::new(connection, &namespace))
    }

    #[tokio::test]
    async fn limits_above_sixty_thousand_a_minute_are_counted_in_redis() {
        let Some(limiter) = limiter().await else { return };
        for per_minute in [1, 60_000, 70_000, 10_000_000] {
            let first = limiter.check("start_bot", &format!("bot-{per_minute}"), per_minute).await;
            assert!(matches!(first, Ok(None)), "{per_minute} a minute: {first:?}");
        }
    }

    #[tokio::test]
    async fn a_burst_of_the_limit_then_a_wait_of_one_period() {
        let Some(limiter) = limiter().await else { return };
        for _ in 0..3 {
            assert_eq!(limiter.check("start_ip", "10.0.0.1", 3).await.expect("Redis answers"), None);
        }
        let wait = limiter.check("start_ip", "10.0.0.1", 3).await.expect("Redis answers").expect("refused");
        assert!(wait > Duration::from_millis(19_000) && wait <= Duration::from_secs(20), "{wait:?}");
    }
}
