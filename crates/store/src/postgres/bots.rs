//! Bots and their Custom Authentication settings.

use sqlx::types::Json;
use sqlx::PgPool;

use crate::{new_id, Bot, BotUpdate, CustomAuthRecord, Result, ResultExt, SigningSecrets, DEFAULT_GREETING};

const BOT_COLUMNS: &str = "id, workspace_id, name, color, greeting, signin_text, knowledge_revision, rules,
                           confidence_threshold, not_sure_text, handoff_text, created_at, updated_at";

pub(super) async fn create_bot(pool: &PgPool, workspace_id: &str, name: &str, now: i64) -> Result<Bot> {
    sqlx::query(&format!(
        "INSERT INTO bots (id, workspace_id, name, greeting, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING {BOT_COLUMNS}"
    ))
    .bind(new_id())
    .bind(workspace_id)
    .bind(name)
    // Explicit, as on SQLite, whose column default could not follow.
    .bind(DEFAULT_GREETING)
    .bind(now)
    .bind(now)
    .fetch_one(pool)
    .await
    .on_foreign_key("workspace")
    .and_then(|row| crate::decode_row(&row))
}

pub(super) async fn get_bot(pool: &PgPool, bot_id: &str) -> Result<Option<Bot>> {
    sqlx::query(&format!("SELECT {BOT_COLUMNS} FROM bots WHERE id = $1"))
        .bind(bot_id)
        .fetch_optional(pool)
        .await?
        .map(|row| crate::decode_row(&row))
        .transpose()
}

/// Oldest first.
pub(super) async fn list_bots(pool: &PgPool, workspace_id: &str) -> Result<Vec<Bot>> {
    sqlx::query(&format!("SELECT {BOT_COLUMNS} FROM bots WHERE workspace_id = $1 ORDER BY id"))
        .bind(workspace_id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(crate::decode_row)
        .collect()
}

/// Changes the given fields; `None` keeps a field as it is.
pub(super) async fn update_bot(pool: &PgPool, bot_id: &str, update: &BotUpdate<'_>, now: i64) -> Result<Option<Bot>> {
    sqlx::query(&format!(
        "UPDATE bots SET name = COALESCE($1, name), color = COALESCE($2, color),
                greeting = COALESCE($3, greeting), signin_text = COALESCE($4, signin_text),
                rules = COALESCE($5, rules), confidence_threshold = COALESCE($6, confidence_threshold),
                not_sure_text = COALESCE($7, not_sure_text), handoff_text = COALESCE($8, handoff_text),
                updated_at = $9
         WHERE id = $10 RETURNING {BOT_COLUMNS}"
    ))
    .bind(update.name)
    .bind(update.color)
    .bind(update.greeting)
    .bind(update.signin_text)
    .bind(update.rules.map(Json))
    .bind(update.confidence_threshold)
    .bind(update.not_sure_text)
    .bind(update.handoff_text)
    .bind(now)
    .bind(bot_id)
    .fetch_optional(pool)
    .await?
    .map(|row| crate::decode_row(&row))
    .transpose()
}

pub(super) async fn get_custom_auth(pool: &PgPool, bot_id: &str) -> Result<Option<CustomAuthRecord>> {
    sqlx::query(
        "SELECT bot_id, enabled, url, additional_fields, identify_method, timeout_ms, on_failure,
                headers, allowed_origins, signing_secret_sealed, previous_secret_sealed,
                previous_secret_expires_at, updated_at
         FROM custom_auth WHERE bot_id = $1",
    )
    .bind(bot_id)
    .fetch_optional(pool)
    .await?
    .map(|row| crate::decode_row(&row))
    .transpose()
}

pub(super) async fn put_custom_auth(pool: &PgPool, record: &CustomAuthRecord) -> Result<()> {
    sqlx::query(
        "INSERT INTO custom_auth (bot_id, enabled, url, additional_fields, identify_method,
             timeout_ms, on_failure, headers, allowed_origins, signing_secret_sealed,
             previous_secret_sealed, previous_secret_expires_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (bot_id) DO UPDATE SET
             enabled = excluded.enabled,
             url = excluded.url,
             additional_fields = excluded.additional_fields,
             identify_method = excluded.identify_method,
             timeout_ms = excluded.timeout_ms,
             on_failure = excluded.on_failure,
             headers = excluded.headers,
             allowed_origins = excluded.allowed_origins,
             updated_at = excluded.updated_at",
    )
    .bind(&record.bot_id)
    .bind(record.enabled)
    .bind(&record.url)
    .bind(Json(&record.additional_fields))
    .bind(&record.identify_method)
    .bind(record.timeout_ms)
    .bind(&record.on_failure)
    .bind(Json(&record.headers))
    .bind(Json(&record.allowed_origins))
    .bind(&record.signing_secret_sealed)
    .bind(&record.previous_secret_sealed)
    .bind(record.previous_secret_expires_at)
    .bind(record.updated_at)
    .execute(pool)
    .await
    .on_foreign_key("bot")?;
    Ok(())
}

/// Only the secret columns, so a concurrent settings save cannot undo a rotation.
pub(super) async fn set_signing_secrets(pool: &PgPool, bot_id: &str, secrets: &SigningSecrets<'_>) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE custom_auth SET signing_secret_sealed = $1, previous_secret_sealed = $2,
                previous_secret_expires_at = $3, updated_at = $4
         WHERE bot_id = $5",
    )
    .bind(secrets.current_sealed)
    .bind(secrets.previous_sealed)
    .bind(secrets.previous_expires_at)
    .bind(secrets.now)
    .bind(bot_id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}
