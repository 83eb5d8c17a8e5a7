//! The log of Custom Authentication attempts shown in the dashboard.

use sqlx::{PgPool, QueryBuilder};

use crate::{clamp_limit, new_id, Attempt, AttemptCount, AttemptFilter, NewAttempt, Result, ResultExt};

pub(super) async fn record_attempt(pool: &PgPool, attempt: &NewAttempt<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO auth_attempts (id, bot_id, outcome, reason, latency_ms, identifier,
             upstream_status, client_ip, is_test, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(new_id())
    .bind(attempt.bot_id)
    .bind(attempt.outcome)
    .bind(attempt.reason)
    .bind(attempt.latency_ms)
    .bind(attempt.identifier)
    .bind(attempt.upstream_status)
    .bind(attempt.client_ip)
    .bind(attempt.is_test)
    .bind(attempt.now)
    .execute(pool)
    .await
    .on_foreign_key("bot")?;
    Ok(())
}

/// Newest first, `filter.before` being the id of the previous page's last attempt.
pub(super) async fn list_attempts(pool: &PgPool, bot_id: &str, filter: AttemptFilter<'_>) -> Result<Vec<Attempt>> {
    let mut query = QueryBuilder::new(
        "SELECT id, bot_id, outcome, reason, latency_ms, identifier, upstream_status, client_ip,
                is_test, created_at
         FROM auth_attempts WHERE bot_id = ",
    );
    query.push_bind(bot_id);
    if let Some(outcome) = filter.outcome {
        query.push(" AND outcome = ").push_bind(outcome);
    }
    if let Some(since) = filter.since {
        query.push(" AND created_at >= ").push_bind(since);
    }
    if let Some(before) = filter.before {
        query.push(" AND id < ").push_bind(before);
    }
    query.push(" ORDER BY id DESC LIMIT ").push_bind(clamp_limit(filter.limit));
    query.build().fetch_all(pool).await?.iter().map(crate::decode_row).collect()
}

pub(super) async fn purge_attempts(pool: &PgPool, before: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM auth_attempts WHERE created_at < $1").bind(before).execute(pool).await?;
    Ok(done.rows_affected())
}

/// Attempts since `since`, counted per outcome in buckets of `bucket_ms`, oldest first.
pub(super) async fn count_attempts(
    pool: &PgPool,
    bot_id: &str,
    since: i64,
    bucket_ms: i64,
) -> Result<Vec<AttemptCount>> {
    sqlx::query(
        "SELECT (created_at / $1) * $2 AS bucket, outcome, COUNT(*) AS count
         FROM auth_attempts WHERE bot_id = $3 AND created_at >= $4
         GROUP BY bucket, outcome ORDER BY bucket, outcome",
    )
    .bind(bucket_ms.max(1))
    .bind(bucket_ms.max(1))
    .bind(bot_id)
    .bind(since)
    .fetch_all(pool)
    .await?
    .iter()
    .map(crate::decode_row)
    .collect()
}
