//! Bots, their Custom Authentication settings and their language model settings.

use concierge_domain::WorkspaceId;
use sqlx::types::Json;

use super::{Arg, Backend, Db};
use crate::{
    new_id, Bot, BotUpdate, CustomAuthRecord, IdentitySecrets, LlmRecord, Result, ResultExt, SigningSecrets,
    DEFAULT_GREETING,
};

const BOT_COLUMNS: &str = "id, workspace_id, name, color, greeting, signin_text, knowledge_revision, revision, rules,
                           confidence_threshold, not_sure_text, handoff_text, created_at, updated_at";

pub(crate) async fn create_bot<DB: Backend>(
    db: impl Db<'_, DB>,
    workspace_id: &WorkspaceId,
    name: &str,
    now: i64,
) -> Result<Bot> {
    let insert = format!(
        "INSERT INTO bots (id, workspace_id, name, greeting, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING {BOT_COLUMNS}"
    );
    let id = new_id();
    // The column's default is still the pre-template greeting (SQLite cannot change it).
    let statement = sqlx::query(&insert).arg(id.as_str()).arg(workspace_id.as_str()).arg(name).arg(DEFAULT_GREETING);
    DB::one(db, statement.arg(now).arg(now)).await.on_foreign_key("workspace")
}

pub(crate) async fn get_bot<DB: Backend>(db: impl Db<'_, DB>, bot_id: &str) -> Result<Option<Bot>> {
    let select = format!("SELECT {BOT_COLUMNS} FROM bots WHERE id = $1");
    DB::optional(db, sqlx::query(&select).arg(bot_id)).await
}

/// Oldest first.
pub(crate) async fn list_bots<DB: Backend>(db: impl Db<'_, DB>, workspace_id: &str) -> Result<Vec<Bot>> {
    let select = format!("SELECT {BOT_COLUMNS} FROM bots WHERE workspace_id = $1 ORDER BY id");
    DB::all(db, sqlx::query(&select).arg(workspace_id)).await
}

/// Changes the given fields; `None` keeps a field as it is.
pub(crate) async fn update_bot<DB: Backend>(
    db: impl Db<'_, DB>,
    bot_id: &str,
    update: &BotUpdate<'_>,
    now: i64,
) -> Result<Option<Bot>> {
    let statement = format!(
        "UPDATE bots SET name = COALESCE($1, name), color = COALESCE($2, color),
                greeting = COALESCE($3, greeting), signin_text = COALESCE($4, signin_text),
                rules = COALESCE($5, rules), confidence_threshold = COALESCE($6, confidence_threshold),
                not_sure_text = COALESCE($7, not_sure_text), handoff_text = COALESCE($8, handoff_text),
                updated_at = $9, revision = revision + 1
         WHERE id = $10 RETURNING {BOT_COLUMNS}"
    );
    let statement = sqlx::query(&statement)
        .arg(update.name)
        .arg(update.color)
        .arg(update.greeting)
        .arg(update.signin_text)
        .arg(update.rules.map(Json))
        .arg(update.confidence_threshold)
        .arg(update.not_sure_text)
        .arg(update.handoff_text);
    DB::optional(db, statement.arg(now).arg(bot_id)).await
}

/// The bot's revision and its settings' (-1 when it has none yet); `None` when there is
/// no such bot.
pub(crate) async fn settings_revisions<DB: Backend>(db: impl Db<'_, DB>, bot_id: &str) -> Result<Option<(i64, i64)>> {
    let select = "SELECT bots.revision, COALESCE(custom_auth.revision, -1) FROM bots
                  LEFT JOIN custom_auth ON custom_auth.bot_id = bots.id WHERE bots.id = $1";
    DB::optional(db, sqlx::query(select).arg(bot_id)).await
}

pub(crate) async fn get_custom_auth<DB: Backend>(
    db: impl Db<'_, DB>,
    bot_id: &str,
) -> Result<Option<CustomAuthRecord>> {
    let select = "SELECT bot_id, enabled, url, additional_fields, identify_method, timeout_ms, on_failure,
                         headers, allowed_origins, signing_secret_sealed, previous_secret_sealed,
                         previous_secret_expires_at, earlier_secrets, updated_at, cache_ttl_secs, revision,
                         identity, jwt_keys, identity_hash_secret_sealed, identity_hash_previous_sealed,
                         identity_hash_previous_expires_at, identity_hash_earlier, introspection_secret_sealed
                  FROM custom_auth WHERE bot_id = $1";
    DB::optional(db, sqlx::query(select).arg(bot_id)).await
}

pub(crate) async fn put_custom_auth<DB: Backend>(db: impl Db<'_, DB>, record: &CustomAuthRecord) -> Result<()> {
    let statement = sqlx::query(
        "INSERT INTO custom_auth (bot_id, enabled, url, additional_fields, identify_method,
             timeout_ms, on_failure, headers, allowed_origins, signing_secret_sealed,
             previous_secret_sealed, previous_secret_expires_at, updated_at, cache_ttl_secs, identity,
             jwt_keys, identity_hash_secret_sealed, introspection_secret_sealed)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
         ON CONFLICT (bot_id) DO UPDATE SET
             enabled = excluded.enabled,
             url = excluded.url,
             additional_fields = excluded.additional_fields,
             identify_method = excluded.identify_method,
             timeout_ms = excluded.timeout_ms,
             on_failure = excluded.on_failure,
             headers = excluded.headers,
             allowed_origins = excluded.allowed_origins,
             updated_at = excluded.updated_at,
             cache_ttl_secs = excluded.cache_ttl_secs,
             identity = excluded.identity,
             introspection_secret_sealed =
                 COALESCE(excluded.introspection_secret_sealed, custom_auth.introspection_secret_sealed),
             revision = custom_auth.revision + 1",
    )
    .arg(record.bot_id.as_str())
    .arg(record.enabled)
    .arg(record.url.as_deref())
    .arg(Json(&record.additional_fields))
    .arg(record.identify_method.as_str())
    .arg(record.timeout_ms)
    .arg(record.on_failure.as_str())
    .arg(Json(&record.headers))
    .arg(Json(&record.allowed_origins))
    .arg(record.signing_secret_sealed.as_str())
    .arg(record.previous_secret_sealed.as_deref())
    .arg(record.previous_secret_expires_at)
    .arg(record.updated_at)
    .arg(record.cache_ttl_secs)
    .arg(Json(&record.identity))
    .arg(Json(record.jwt_keys.as_slice()))
    .arg(record.identity_hash_secret_sealed.as_deref())
    .arg(record.introspection_secret_sealed.as_deref());
    DB::execute(db, statement).await.on_foreign_key("bot")?;
    Ok(())
}

/// Retires every cached authentication result of the bot; `false` when it has no
/// settings yet.
pub(crate) async fn bump_custom_auth_revision<DB: Backend>(db: impl Db<'_, DB>, bot_id: &str) -> Result<bool> {
    let statement = sqlx::query("UPDATE custom_auth SET revision = revision + 1 WHERE bot_id = $1").arg(bot_id);
    Ok(DB::execute(db, statement).await? > 0)
}

/// Only the secret columns, so a concurrent settings save cannot undo a rotation, and only
/// at the revision the caller read.
pub(crate) async fn set_signing_secrets<DB: Backend>(
    db: impl Db<'_, DB>,
    bot_id: &str,
    secrets: &SigningSecrets<'_>,
) -> Result<bool> {
    let statement = sqlx::query(
        "UPDATE custom_auth SET signing_secret_sealed = $1, previous_secret_sealed = $2,
                previous_secret_expires_at = $3, earlier_secrets = $4, updated_at = $5, revision = revision + 1
         WHERE bot_id = $6 AND revision = $7",
    )
    .arg(secrets.current_sealed)
    .arg(secrets.previous_sealed)
    .arg(secrets.previous_expires_at)
    .arg(Json(secrets.earlier))
    .arg(secrets.now)
    .arg(bot_id)
    .arg(secrets.revision);
    Ok(DB::execute(db, statement).await? > 0)
}

/// Only the identity secret columns, and only at the revision the caller read.
pub(crate) async fn set_identity_secrets<DB: Backend>(
    db: impl Db<'_, DB>,
    bot_id: &str,
    secrets: &IdentitySecrets<'_>,
) -> Result<bool> {
    let statement = sqlx::query(
        "UPDATE custom_auth SET jwt_keys = $1, identity_hash_secret_sealed = $2, identity_hash_previous_sealed = $3,
                identity_hash_previous_expires_at = $4, identity_hash_earlier = $5, updated_at = $6,
                revision = revision + 1
         WHERE bot_id = $7 AND revision = $8",
    )
    .arg(Json(secrets.jwt_keys))
    .arg(secrets.identity_hash_secret_sealed)
    .arg(secrets.identity_hash_previous_sealed)
    .arg(secrets.identity_hash_previous_expires_at)
    .arg(Json(secrets.identity_hash_earlier))
    .arg(secrets.now)
    .arg(bot_id)
    .arg(secrets.revision);
    Ok(DB::execute(db, statement).await? > 0)
}

pub(crate) async fn get_llm<DB: Backend>(db: impl Db<'_, DB>, bot_id: &str) -> Result<Option<LlmRecord>> {
    let select = "SELECT bot_id, enabled, base_url, model, api_key_sealed, timeout_ms, instructions, updated_at
                  FROM bot_llm WHERE bot_id = $1";
    DB::optional(db, sqlx::query(select).arg(bot_id)).await
}

/// One statement: a save that keeps the key cannot interleave with one that sets it.
pub(crate) async fn put_llm<DB: Backend>(db: impl Db<'_, DB>, record: &LlmRecord, keep_key: bool) -> Result<()> {
    let api_key_sealed = if keep_key { None } else { record.api_key_sealed.as_deref() };
    let statement = sqlx::query(
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
    .arg(record.bot_id.as_str())
    .arg(record.enabled)
    .arg(record.base_url.as_str())
    .arg(record.model.as_str())
    .arg(api_key_sealed)
    .arg(record.timeout_ms)
    .arg(record.instructions.as_str())
    .arg(record.updated_at)
    .arg(keep_key);
    DB::execute(db, statement).await.on_foreign_key("bot")?;
    Ok(())
}
