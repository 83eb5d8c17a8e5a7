//! Bots and their settings ([`Bots`]) on PostgreSQL.

use async_trait::async_trait;
use concierge_domain::WorkspaceId;

use super::PostgresStore;
use crate::sql;
use crate::{Bot, BotUpdate, Bots, CustomAuthRecord, IdentitySecrets, LlmRecord, Result, SigningSecrets};

#[async_trait]
impl Bots for PostgresStore {
    #[tracing::instrument(skip_all, fields(workspace_id = %workspace_id))]
    async fn create_bot(&self, workspace_id: &WorkspaceId, name: &str, now: i64) -> Result<Bot> {
        sql::bots::create_bot(&self.pool, workspace_id, name, now).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn get_bot(&self, bot_id: &str) -> Result<Option<Bot>> {
        sql::bots::get_bot(&self.pool, bot_id).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id = %workspace_id))]
    async fn list_bots(&self, workspace_id: &str) -> Result<Vec<Bot>> {
        sql::bots::list_bots(&self.pool, workspace_id).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn update_bot(&self, bot_id: &str, update: &BotUpdate<'_>, now: i64) -> Result<Option<Bot>> {
        sql::bots::update_bot(&self.pool, bot_id, update, now).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn get_custom_auth(&self, bot_id: &str) -> Result<Option<CustomAuthRecord>> {
        sql::bots::get_custom_auth(&self.pool, bot_id).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn settings_revisions(&self, bot_id: &str) -> Result<Option<(i64, i64)>> {
        sql::bots::settings_revisions(&self.pool, bot_id).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %record.bot_id))]
    async fn put_custom_auth(&self, record: &CustomAuthRecord) -> Result<()> {
        sql::bots::put_custom_auth(&self.pool, record).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn set_signing_secrets(&self, bot_id: &str, secrets: SigningSecrets<'_>) -> Result<bool> {
        sql::bots::set_signing_secrets(&self.pool, bot_id, &secrets).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn set_identity_secrets(&self, bot_id: &str, secrets: IdentitySecrets<'_>) -> Result<bool> {
        sql::bots::set_identity_secrets(&self.pool, bot_id, &secrets).await
    }

    async fn bump_custom_auth_revision(&self, bot_id: &str) -> Result<bool> {
        sql::bots::bump_custom_auth_revision(&self.pool, bot_id).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %bot_id))]
    async fn get_llm(&self, bot_id: &str) -> Result<Option<LlmRecord>> {
        sql::bots::get_llm(&self.pool, bot_id).await
    }

    #[tracing::instrument(skip_all, fields(bot_id = %record.bot_id))]
    async fn put_llm(&self, record: &LlmRecord, keep_key: bool) -> Result<()> {
        sql::bots::put_llm(&self.pool, record, keep_key).await
    }
}
