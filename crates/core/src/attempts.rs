//! The attempt log. Attempts are written off the session start's path, in batches: a
//! start does not wait for its log line, and a burst of starts costs one insert.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use concierge_domain::{AttemptOutcome, IdentityKind};
use concierge_store::{Attempt, AttemptCount, AttemptFilter, NewAttempt, Store};

use super::group_commit::GroupCommit;
use super::{Principal, Result, Services};

/// Attempts waiting to be written; beyond this they are dropped and counted
/// (`concierge_attempts_dropped_total`) rather than slowing sign-ins down.
const QUEUE: usize = 10_000;
/// Rows of one insert.
const BATCH: usize = 1024;
/// Time between two inserts: under load the log's rows gather into fewer, larger inserts
/// instead of taking a commit of the one writer between every two batches of starts.
/// Readers of the log flush it first, so they never miss a row for it.
const PAUSE: Duration = Duration::from_millis(50);

/// One attempt as queued: owned, since its start has answered by the time it is written.
pub(crate) struct QueuedAttempt {
    bot_id: String,
    outcome: AttemptOutcome,
    reason: Option<String>,
    latency_ms: i64,
    identifier: Option<String>,
    upstream_status: Option<i64>,
    client_ip: Option<String>,
    is_test: bool,
    cached: bool,
    mode: IdentityKind,
    now: i64,
}

/// One attempt to log, as its mode saw it.
pub(crate) struct AttemptNote<'a> {
    pub bot_id: &'a str,
    pub mode: IdentityKind,
    pub outcome: AttemptOutcome,
    /// Human-readable reason on failure.
    pub reason: Option<&'a str>,
    pub latency: Duration,
    /// The normalised identifier, on success.
    pub identifier: Option<&'a str>,
    pub upstream_status: Option<i64>,
    pub client_ip: Option<IpAddr>,
    pub is_test: bool,
    pub cached: bool,
}

impl QueuedAttempt {
    fn row(&self) -> NewAttempt<'_> {
        NewAttempt {
            bot_id: &self.bot_id,
            outcome: self.outcome,
            reason: self.reason.as_deref(),
            latency_ms: self.latency_ms,
            identifier: self.identifier.as_deref(),
            upstream_status: self.upstream_status,
            client_ip: self.client_ip.as_deref(),
            is_test: self.is_test,
            cached: self.cached,
            mode: self.mode,
            now: self.now,
        }
    }
}

pub(crate) type AttemptLog = GroupCommit<QueuedAttempt, ()>;

pub(crate) fn attempt_log(store: Arc<dyn Store>) -> AttemptLog {
    GroupCommit::spawn(
        QUEUE,
        BATCH,
        1,
        Arc::new(move |batch: Vec<QueuedAttempt>| {
            let store = store.clone();
            Box::pin(async move {
                write_attempts(store.as_ref(), &batch).await;
                tokio::time::sleep(PAUSE).await;
                vec![(); batch.len()]
            })
        }),
    )
}

/// A batch that fails is written row by row, so that one bad row (a bot deleted
/// meanwhile) costs only itself.
async fn write_attempts(store: &dyn Store, batch: &[QueuedAttempt]) {
    let rows: Vec<NewAttempt<'_>> = batch.iter().map(QueuedAttempt::row).collect();
    let Err(e) = store.record_attempts(&rows).await else { return };
    if rows.len() == 1 {
        tracing::error!(error = %e, bot_id = rows[0].bot_id, "could not record an authentication attempt");
        metrics::counter!("concierge_attempts_dropped_total", "why" => "store").increment(1);
        return;
    }
    for row in rows {
        if let Err(e) = store.record_attempts(std::slice::from_ref(&row)).await {
            tracing::error!(error = %e, bot_id = row.bot_id, "could not record an authentication attempt");
            metrics::counter!("concierge_attempts_dropped_total", "why" => "store").increment(1);
        }
    }
}

pub struct AttemptPage {
    pub items: Vec<Attempt>,
    /// Pass as `before` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl Services {
    /// Logs one attempt and counts it. It is queued, not written: a failure to log is
    /// reported but never fails or slows the user's session start.
    pub(crate) fn record_attempt(&self, note: AttemptNote<'_>) {
        let AttemptNote {
            bot_id,
            mode,
            outcome,
            reason,
            latency,
            identifier,
            upstream_status,
            client_ip,
            is_test,
            cached,
        } = note;
        if mode == IdentityKind::CustomAuth {
            metrics::counter!("concierge_auth_calls_total", "outcome" => outcome.as_str()).increment(1);
            if !cached {
                metrics::histogram!("concierge_auth_call_duration_seconds").record(latency.as_secs_f64());
            }
        } else {
            let (mode, outcome) = (mode.as_str(), outcome.as_str());
            metrics::counter!("concierge_identity_verifications_total", "mode" => mode, "outcome" => outcome)
                .increment(1);
        }
        let attempt = QueuedAttempt {
            bot_id: bot_id.to_owned(),
            outcome,
            reason: reason.map(str::to_owned),
            latency_ms: i64::try_from(latency.as_millis()).unwrap_or(i64::MAX),
            identifier: identifier.map(str::to_owned),
            upstream_status,
            client_ip: client_ip.map(|ip| ip.to_string()),
            is_test,
            cached,
            mode,
            now: super::now_ms(),
        };
        if !self.attempt_log.offer(attempt) {
            tracing::warn!(bot_id, "the attempt log's queue is full: an attempt was not recorded");
            metrics::counter!("concierge_attempts_dropped_total", "why" => "queue_full").increment(1);
        }
    }

    /// Writes every attempt logged so far: on shutdown, and before the log is read, so
    /// that it shows every start that has answered.
    pub async fn flush_attempts(&self) {
        self.attempt_log.flush().await;
    }

    pub async fn list_attempts(&self, who: &Principal, bot_id: &str, filter: AttemptFilter<'_>) -> Result<AttemptPage> {
        self.bot_for(who, bot_id).await?;
        self.flush_attempts().await;
        let limit = if filter.limit == 0 { 50 } else { filter.limit.min(200) };
        let items = self.store.list_attempts(bot_id, AttemptFilter { limit, ..filter }).await?;
        let next_cursor = super::paging::next_cursor(&items, limit, |a| a.id.clone());
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
        self.flush_attempts().await;
        Ok(self.store.count_attempts(bot_id, since, bucket_ms).await?)
    }
}
