//! The log of authentication attempts ([`Attempts`]) on PostgreSQL.

use async_trait::async_trait;

use super::PostgresStore;
use crate::sql;
use crate::{Attempt, AttemptCount, AttemptFilter, Attempts, NewAttempt, Result};

#[async_trait]
impl Attempts for PostgresStore {
    #[tracing::instrument(skip_all, fields(attempts = attempts.len()))]
    async fn record_attempts(&self, attempts: &[NewAttempt<'_>]) -> Result<()> {
        sql::attempts::record_attempts(&self.pool, attempts).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn list_attempts(&self, bot_id: &str, filter: AttemptFilter<'_>) -> Result<Vec<Attempt>> {
        sql::attempts::list_attempts(&self.pool, bot_id, filter).await
    }

    #[tracing::instrument(skip_all)]
    async fn count_attempts(&self, bot_id: &str, since: i64, bucket_ms: i64) -> Result<Vec<AttemptCount>> {
        sql::attempts::count_attempts(&self.pool, bot_id, since, bucket_ms).await
    }

    #[tracing::instrument(skip_all)]
    async fn purge_attempts(&self, before: i64) -> Result<u64> {
        sql::attempts::purge_attempts(&self.pool, before).await
    }
}
