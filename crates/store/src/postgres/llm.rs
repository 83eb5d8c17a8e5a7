//! A bot's language model settings.

use sqlx::PgPool;

use crate::{LlmRecord, Result, ResultExt};

pub(super) async fn get_llm(pool: &PgPool, bot_id: &str) -> Result<Option<LlmRecord>> {
    sqlx::query(
        "SELECT bot_id, enabled, base_url, model, api_key_sealed, timeout_ms, instructions, updated_at
         FROM bot_llm WHERE bot_id = $1",
    )
    .bind(bot_id)
    .fetch_optional(pool)
    .await?
    .map(|row| crate::decode_row(&row))
    .transpose()
}

/// One statement: a save that keeps the key cannot interleave with one that sets it.
pub(super) async fn put_llm(pool: &PgPool, record: &LlmRecord, keep_key: bool) -> Result<()> {
    let api_key_sealed = if keep_key { None } else { record.api_key_sealed.as_deref() };
    sqlx::query(
        "INSERT INTO bot_llm (bot_id, enabled, base_url, model, api_key_sealed, timeout_ms,
             instructions, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (bot_id) DO UPDATE SET
             enabled = excluded.enabled,
             base_url = excluded.base_url,
             model = excluded.model,
             api_key_sealed = CASE WHEN $9 THEN bot_llm.api_key_sealed ELSE excluded.api_key_sealed END,
             timeout_ms = excluded.timeout_ms,
             instructions = excluded.instructions,
             updated_at = excluded.updated_at",
    )
    .bind(&record.bot_id)
    .bind(record.enabled)
    .bind(&record.base_url)
    .bind(&record.model)
    .bind(api_key_sealed)
    .bind(record.timeout_ms)
    .bind(&record.instructions)
    .bind(record.updated_at)
    .bind(keep_key)
    .execute(pool)
    .await
    .on_foreign_key("bot")?;
    Ok(())
}
