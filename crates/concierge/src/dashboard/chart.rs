//! The authentication log's chart: attempts per time bucket, successes and failures
//! stacked, drawn as server-rendered SVG (the template draws the shapes computed here).

use concierge_store::AttemptCount;
use serde::Serialize;

pub const WIDTH: f64 = 720.0;
pub const HEIGHT: f64 = 160.0;

#[derive(Debug, Serialize)]
pub struct Bar {
    pub x: f64,
    pub width: f64,
    /// Top edge and height of the successes (bottom part) and failures (on top).
    pub ok_y: f64,
    pub ok_h: f64,
    pub fail_y: f64,
    pub fail_h: f64,
    pub ok: i64,
    pub failed: i64,
    pub label: String,
}

#[derive(Debug, Serialize)]
pub struct Chart {
    pub bars: Vec<Bar>,
    pub max: i64,
    pub ok: i64,
    pub failed: i64,
    pub width: f64,
    pub height: f64,
    pub start_label: String,
    pub end_label: String,
}

/// `buckets` bars of `bucket_ms` each, starting at `start` (a bucket boundary).
pub fn build(
    counts: &[AttemptCount],
    start: i64,
    bucket_ms: i64,
    buckets: usize,
    label: impl Fn(i64) -> String,
) -> Chart {
    let mut ok = vec![0i64; buckets];
    let mut failed = vec![0i64; buckets];
    for c in counts {
        let Ok(i) = usize::try_from((c.bucket - start) / bucket_ms.max(1)) else { continue };
        if i < buckets {
            if c.outcome == concierge_domain::AttemptOutcome::Ok {
                ok[i] += c.count;
            } else {
                failed[i] += c.count;
            }
        }
    }
    let max = ok.iter().zip(&failed).map(|(a, b)| a + b).max().unwrap_or(0);
    let scale = if max > 0 { HEIGHT / max as f64 } else { 0.0 };
    let slot = WIDTH / buckets.max(1) as f64;
    let bars = (0..buckets)
        .map(|i| {
            let ok_h = ok[i] as f64 * scale;
            let fail_h = failed[i] as f64 * scale;
            let from = start + i as i64 * bucket_ms;
            Bar {
                x: i as f64 * slot + slot * 0.1,
                width: slot * 0.8,
                ok_y: HEIGHT - ok_h,
                ok_h,
                fail_y: HEIGHT - ok_h - fail_h,
                fail_h,
                ok: ok[i],
                failed: failed[i],
                label: label(from),
            }
        })
        .collect();
    Chart {
        bars,
        max,
        ok: ok.iter().sum(),
        failed: failed.iter().sum(),
        width: WIDTH,
        height: HEIGHT,
        start_label: label(start),
        end_label: label(start + buckets as i64 * bucket_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(bucket: i64, outcome: &str, count: i64) -> AttemptCount {
        AttemptCount { bucket, outcome: outcome.parse().expect("a known outcome"), count }
    }

    #[test]
    fn failures_stack_on_successes_and_the_tallest_bar_fills_the_height() {
        let counts =
            [count(0, "ok", 3), count(0, "invalid_token", 1), count(20, "auth_timeout", 2), count(99, "ok", 7)];
        let chart = build(&counts, 0, 10, 4, |t| t.to_string());
        assert_eq!((chart.ok, chart.failed, chart.max), (3, 3, 4), "out-of-range buckets are left out");
        let first = &chart.bars[0];
        assert_eq!((first.ok, first.failed), (3, 1));
        assert_eq!(first.ok_h + first.fail_h, HEIGHT);
        assert_eq!(first.fail_y + first.fail_h, first.ok_y, "failures sit on top of successes");
        assert_eq!(chart.bars[1].ok_h + chart.bars[1].fail_h, 0.0);
        assert_eq!(chart.bars[2].fail_h, HEIGHT / 2.0);
        assert_eq!(chart.end_label, "40");
    }

    #[test]
    fn an_empty_log_draws_no_bars() {
        let chart = build(&[], 0, 10, 3, |t| t.to_string());
        assert!(chart.bars.iter().all(|b| b.ok_h == 0.0 && b.fail_h == 0.0));
        assert_eq!(chart.max, 0);
    }
}
