//! Rate limits held for the whole cluster in Redis: the generic cell rate algorithm in one
//! atomic script, against Redis's own clock, so that N instances allow what one would and
//! their clocks need not agree.

use std::time::Duration;

use redis::aio::ConnectionManager;

/// GCRA: the key holds the theoretical arrival time (TAT) of the next request, in ms. A
/// request is allowed while TAT − now ≤ τ (the burst), and then moves TAT on by T; the
/// answer is 0 (allowed) or how many ms to wait.
const GCRA: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local period = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or 0), now)
if tat - now > burst then
  return tat - now - burst
end
redis.call('SET', KEYS[1], tat + period, 'PX', tat + period - now)
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
        let period = 60_000 / u64::from(per_minute.max(1));
        let burst = period * u64::from(per_minute.max(1) - 1);
        let mut connection = self.connection.clone();
        let wait: u64 = self
            .script
            .key(format!("concierge:{}:limit:{kind}:{key}", self.namespace))
            .arg(period)
            .arg(burst)
            .invoke_async(&mut connection)
            .await?;
        Ok((wait > 0).then(|| Duration::from_millis(wait)))
    }
}
