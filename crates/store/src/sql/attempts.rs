//! The log of Custom Authentication attempts shown in the dashboard.

use super::{placeholders, Arg, Backend, Db};
use crate::{clamp_limit, new_id, Attempt, AttemptCount, AttemptFilter, NewAttempt, Result, ResultExt};

const ATTEMPT_COLUMNS: usize = 12;

/// One multi-row insert: a batch costs one statement, not one per attempt.
pub(crate) async fn record_attempts<DB: Backend>(db: impl Db<'_, DB>, attempts: &[NewAttempt<'_>]) -> Result<()> {
    if attempts.is_empty() {
        return Ok(());
    }
    let mut insert = String::from(
        "INSERT INTO auth_attempts (id, bot_id, outcome, reason, latency_ms, identifier,
             upstream_status, client_ip, is_test, cached, mode, created_at) VALUES ",
    );
    insert.push_str(&placeholders::<DB>(attempts.len(), ATTEMPT_COLUMNS));
    let ids: Vec<String> = attempts.iter().map(|_| new_id()).collect();
    let mut statement = sqlx::query(&insert);
    for (attempt, id) in attempts.iter().zip(&ids) {
        statement = statement
            .arg(id.as_str())
            .arg(attempt.bot_id)
            .arg(attempt.outcome.as_str())
            .arg(attempt.reason)
            .arg(attempt.latency_ms)
            .arg(attempt.identifier)
            .arg(attempt.upstream_status)
            .arg(attempt.client_ip)
            .arg(attempt.is_test)
            .arg(attempt.cached)
            .arg(attempt.mode.as_str())
            .arg(attempt.now);
    }
    DB::execute(db, statement).await.on_foreign_key("bot")?;
    Ok(())
}

/// Newest first, `filter.before` being the id of the previous page's last attempt.
pub(crate) async fn list_attempts<DB: Backend>(
    db: impl Db<'_, DB>,
    bot_id: &str,
    filter: AttemptFilter<'_>,
) -> Result<Vec<Attempt>> {
    let select = list_attempts_sql(&filter);
    let mut statement = sqlx::query(&select).arg(bot_id);
    if let Some(outcome) = filter.outcome {
        statement = statement.arg(outcome.as_str());
    }
    if let Some(since) = filter.since {
        statement = statement.arg(since);
    }
    if let Some(before) = filter.before {
        statement = statement.arg(before);
    }
    DB::all(db, statement.arg(clamp_limit(filter.limit))).await
}

/// In time order, so that a page is the start of a range of `auth_attempts_bot_time` that
/// ends at `since`: a log with few recent attempts is not read back to its first one. The
/// cursor continues after the previous page's last attempt, by its time then its id (ids
/// need not follow times exactly). `$1` is the bot, then the filter's values as given.
pub(crate) fn list_attempts_sql(filter: &AttemptFilter<'_>) -> String {
    let mut select = String::from(
        "SELECT id, bot_id, outcome, reason, latency_ms, identifier, upstream_status, client_ip,
                is_test, cached, mode, created_at
         FROM auth_attempts WHERE bot_id = $1",
    );
    // The placeholders are numbered in the order the values are bound.
    let conditions = [
        (filter.outcome.is_some(), "outcome = $N"),
        (filter.since.is_some(), "created_at >= $N"),
        (filter.before.is_some(), "(created_at, id) < (SELECT created_at, id FROM auth_attempts WHERE id = $N)"),
    ];
    let mut n = 1;
    for (_, condition) in conditions.iter().filter(|(given, _)| *given) {
        n += 1;
        select.push_str(&format!(" AND {}", condition.replace("$N", &format!("${n}"))));
    }
    select.push_str(&format!(" ORDER BY created_at DESC, id DESC LIMIT ${}", n + 1));
    select
}

pub(crate) async fn purge_attempts<DB: Backend>(db: impl Db<'_, DB>, before: i64) -> Result<u64> {
    DB::execute(db, sqlx::query("DELETE FROM auth_attempts WHERE created_at < $1").arg(before)).await
}

/// Attempts since `since`, counted per outcome in buckets of `bucket_ms`, oldest first.
pub(crate) async fn count_attempts<DB: Backend>(
    db: impl Db<'_, DB>,
    bot_id: &str,
    since: i64,
    bucket_ms: i64,
) -> Result<Vec<AttemptCount>> {
    DB::all(db, sqlx::query(COUNT_ATTEMPTS).arg(bucket_ms.max(1)).arg(bot_id).arg(since)).await
}

/// `$1` the bucket's length, `$2` the bot, `$3` the start.
pub(crate) const COUNT_ATTEMPTS: &str = "SELECT (created_at / $1) * $1 AS bucket, outcome, COUNT(*) AS count
                                         FROM auth_attempts WHERE bot_id = $2 AND created_at >= $3
                                         GROUP BY bucket, outcome ORDER BY bucket, outcome";
