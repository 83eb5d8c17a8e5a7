use std::net::IpAddr;
use std::time::Duration;

use concierge_domain::AttemptOutcome;
use concierge_store::{Attempt, AttemptCount, AttemptFilter};

use super::{Principal, Result, Services};

pub struct AttemptPage {
    pub items: Vec<Attempt>,
    /// Pass as `before` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl Services {
    /// Logs one attempt and counts it. A failure to log is reported but does not fail the
    /// user's session start.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn record_attempt(
        &self,
        bot_id: &str,
        outcome: AttemptOutcome,
        reason: Option<&str>,
        latency: Duration,
        identifier: Option<&str>,
        upstream_status: Option<i64>,
        client_ip: Option<IpAddr>,
        is_test: bool,
    ) {
        metrics::counter!("concierge_auth_calls_total", "outcome" => outcome.as_str()).increment(1);
        metrics::histogram!("concierge_auth_call_duration_seconds").record(latency.as_secs_f64());
        let ip = client_ip.map(|ip| ip.to_string());
        let attempt = concierge_store::NewAttempt {
            bot_id,
            outcome,
            reason,
            latency_ms: i64::try_from(latency.as_millis()).unwrap_or(i64::MAX),
            identifier,
            upstream_status,
            client_ip: ip.as_deref(),
            is_test,
            now: super::now_ms(),
        };
        if let Err(e) = self.store.record_attempt(attempt).await {
            tracing::error!(error = %e, bot_id, "could not record an authentication attempt");
        }
    }

    pub async fn list_attempts(&self, who: &Principal, bot_id: &str, filter: AttemptFilter<'_>) -> Result<AttemptPage> {
        self.bot_for(who, bot_id).await?;
        let limit = if filter.limit == 0 { 50 } else { filter.limit.min(200) };
        let items = self.store.list_attempts(bot_id, AttemptFilter { limit, ..filter }).await?;
        let next_cursor = (items.len() == limit as usize).then(|| items.last().map(|a| a.id.clone())).flatten();
        Ok(AttemptPage { items, next_cursor })
    }
}

impl Services {
    /// Attempt counts per outcome in buckets of `bucket_ms` since `since`, for the chart.
    pub async fn attempt_counts(
        &self,
        who: &Principal,
        bot_id: &str,
        since: i64,
        bucket_ms: i64,
    ) -> Result<Vec<AttemptCount>> {
        self.bot_for(who, bot_id).await?;
        Ok(self.store.count_attempts(bot_id, since, bucket_ms).await?)
    }
}
