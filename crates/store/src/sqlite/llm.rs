//! A bot's language model settings.

use sqlx::SqlitePool;

use crate::{LlmRecord, Result, ResultExt};

pub(super) async fn get_llm(reader: &SqlitePool, bot_id: &str) -> Result<Option<LlmRecord>> {
    sqlx::query(
        "SELECT bot_id, enabled, base_url, model, api_key_sealed, timeout_ms, instructions, updated_at
         FROM bot_llm WHERE bot_id = ?",
    )
    .bind(bot_id)
    .fetch_optional(reader)
    .await?
    .map(|row| crate::decode_row(&row))
    .transpose()
}

/// One statement: a save that keeps the key cannot interleave with one that sets it.
pub(super) async fn put_llm(writer: &SqlitePool, record: &LlmRecord, keep_key: bool) -> Result<()> {
    let api_key_sealed = if keep_key { None } else { record.api_key_sealed.as_deref() };
    sqlx::query(
        "INSERT INTO bot_llm (bot_id, enabled, base_url, model, api_key_sealed, timeout_ms,
             instructions, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (bot_id) DO UPDATE SET
             enabled = excluded.enabled,
             base_url = excluded.base_url,
             model = excluded.model,
             api_key_sealed = CASE WHEN ? THEN bot_llm.api_key_sealed ELSE excluded.api_key_sealed END,
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
    .execute(writer)
    .await
    .on_foreign_key("bot")?;
    Ok(())
}
