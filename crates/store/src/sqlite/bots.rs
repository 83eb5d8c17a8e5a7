//! Bots and their Custom Authentication settings.

use sqlx::SqlitePool;

use crate::{encode_json, new_id, Bot, CustomAuthRecord, Result, ResultExt};

pub(super) async fn create_bot(writer: &SqlitePool, workspace_id: &str, name: &str, now: i64) -> Result<Bot> {
    let bot = Bot {
        id: new_id(),
        workspace_id: workspace_id.to_owned(),
        name: name.to_owned(),
        created_at: now,
        updated_at: now,
    };
    sqlx::query("INSERT INTO bots (id, workspace_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)")
        .bind(&bot.id)
        .bind(&bot.workspace_id)
        .bind(&bot.name)
        .bind(bot.created_at)
        .bind(bot.updated_at)
        .execute(writer)
        .await
        .on_foreign_key("workspace")?;
    Ok(bot)
}

pub(super) async fn get_bot(reader: &SqlitePool, bot_id: &str) -> Result<Option<Bot>> {
    sqlx::query("SELECT id, workspace_id, name, created_at, updated_at FROM bots WHERE id = ?")
        .bind(bot_id)
        .fetch_optional(reader)
        .await?
        .map(|row| crate::decode_row(&row))
        .transpose()
}

/// Oldest first.
pub(super) async fn list_bots(reader: &SqlitePool, workspace_id: &str) -> Result<Vec<Bot>> {
    sqlx::query(
        "SELECT id, workspace_id, name, created_at, updated_at FROM bots
         WHERE workspace_id = ? ORDER BY id",
    )
    .bind(workspace_id)
    .fetch_all(reader)
    .await?
    .iter()
    .map(crate::decode_row)
    .collect()
}

pub(super) async fn rename_bot(writer: &SqlitePool, bot_id: &str, name: &str, now: i64) -> Result<Option<Bot>> {
    sqlx::query(
        "UPDATE bots SET name = ?, updated_at = ? WHERE id = ?
         RETURNING id, workspace_id, name, created_at, updated_at",
    )
    .bind(name)
    .bind(now)
    .bind(bot_id)
    .fetch_optional(writer)
    .await?
    .map(|row| crate::decode_row(&row))
    .transpose()
}

pub(super) async fn get_custom_auth(reader: &SqlitePool, bot_id: &str) -> Result<Option<CustomAuthRecord>> {
    sqlx::query(
        "SELECT bot_id, enabled, url, additional_fields, identify_method, timeout_ms, on_failure,
                headers, allowed_origins, signing_secret_sealed, previous_secret_sealed,
                previous_secret_expires_at, updated_at
         FROM custom_auth WHERE bot_id = ?",
    )
    .bind(bot_id)
    .fetch_optional(reader)
    .await?
    .map(|row| crate::decode_row(&row))
    .transpose()
}

pub(super) async fn put_custom_auth(writer: &SqlitePool, record: &CustomAuthRecord) -> Result<()> {
    sqlx::query(
        "INSERT INTO custom_auth (bot_id, enabled, url, additional_fields, identify_method,
             timeout_ms, on_failure, headers, allowed_origins, signing_secret_sealed,
             previous_secret_sealed, previous_secret_expires_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (bot_id) DO UPDATE SET
             enabled = excluded.enabled,
             url = excluded.url,
             additional_fields = excluded.additional_fields,
             identify_method = excluded.identify_method,
             timeout_ms = excluded.timeout_ms,
             on_failure = excluded.on_failure,
             headers = excluded.headers,
             allowed_origins = excluded.allowed_origins,
             signing_secret_sealed = excluded.signing_secret_sealed,
             previous_secret_sealed = excluded.previous_secret_sealed,
             previous_secret_expires_at = excluded.previous_secret_expires_at,
             updated_at = excluded.updated_at",
    )
    .bind(&record.bot_id)
    .bind(record.enabled)
    .bind(&record.url)
    .bind(encode_json("additional_fields", &record.additional_fields)?)
    .bind(&record.identify_method)
    .bind(record.timeout_ms)
    .bind(&record.on_failure)
    .bind(encode_json("headers", &record.headers)?)
    .bind(encode_json("allowed_origins", &record.allowed_origins)?)
    .bind(&record.signing_secret_sealed)
    .bind(&record.previous_secret_sealed)
    .bind(record.previous_secret_expires_at)
    .bind(record.updated_at)
    .execute(writer)
    .await
    .on_foreign_key("bot")?;
    Ok(())
}
