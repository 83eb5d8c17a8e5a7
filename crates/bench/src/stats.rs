//! Percentiles of latencies, in microseconds.

pub struct Summary {
    pub count: usize,
    pub p50: u64,
    pub p99: u64,
    pub max: u64,
}

impl Summary {
    /// Nearest-rank percentiles of `samples` (sorted here).
    pub fn of(samples: &mut [u64]) -> Self {
        samples.sort_unstable();
        let rank = |p: f64| {
            if samples.is_empty() {
                return 0;
            }
            let i = ((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1;
            samples[i]
        };
        Summary { count: samples.len(), p50: rank(0.50), p99: rank(0.99), max: samples.last().copied().unwrap_or(0) }
    }

    /// `p50=…ms p99=…ms max=…ms`, prefixed for a `RESULT` line.
    pub fn fields(&self, prefix: &str) -> String {
        format!("{prefix}_p50_ms={} {prefix}_p99_ms={} {prefix}_max_ms={}", ms(self.p50), ms(self.p99), ms(self.max))
    }
}

pub fn ms(micros: u64) -> String {
    format!("{:.2}", micros as f64 / 1000.0)
}
